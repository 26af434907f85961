"""Float, Int, Categorical: validation, membership, unit mapping, sampling, JSON."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperscout.space import (
    Categorical,
    Float,
    Int,
    check_compatible,
    distribution_from_json,
)

# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: Float(2, 1), ValueError, r"low=2.0 > high=1.0"),
        (lambda: Float(0, 1, log=True), ValueError, r"low=0.0 with log=True; low must be > 0"),
        (lambda: Float(-1, 1, log=True), ValueError, r"low=-1.0 with log=True"),
        (lambda: Float(0, 1, step=0.3), ValueError, r"step=0.3 does not divide high - low"),
        (lambda: Float(0, 1, step=0), ValueError, r"step=0.0; step must be > 0"),
        (lambda: Float(0, 1, step=-0.5), ValueError, r"step=-0.5; step must be > 0"),
        (lambda: Float(1, 2, step=0.5, log=True), ValueError, r"step=0.5 with log=True"),
        (lambda: Float(0, math.inf), ValueError, r"high=inf is not finite"),
        (lambda: Float(math.nan, 1), ValueError, r"low=nan is not finite"),
        (lambda: Float(0, 1, step=math.inf), ValueError, r"step=inf is not finite"),
        (lambda: Float("0", 1), TypeError, r"low='0' must be a number"),
        (lambda: Float(True, 2), TypeError, r"low=True must be a number"),
        (lambda: Float(2, 1, name="lr"), ValueError, r"Float\('lr'\): low=2.0 > high=1.0"),
        (lambda: Int(3, 1), ValueError, r"low=3 > high=1"),
        (lambda: Int(0, 1.5), ValueError, r"high=1.5 is not an integer"),
        (lambda: Int(0, 10, step=0), ValueError, r"step=0; step must be >= 1"),
        (lambda: Int(0, 10, step=3), ValueError, r"step=3 does not divide high - low = 10.*high=9"),
        (lambda: Int(0, 10, log=True), ValueError, r"low=0 with log=True; low must be >= 1"),
        (lambda: Int(1, 9, log=True, step=2), ValueError, r"step=2 with log=True"),
        (lambda: Int(0, math.inf), ValueError, r"high=inf is not finite"),
        (lambda: Int(1, 4, name="units", step=2), ValueError, r"Int\('units'\): step=2"),
        (lambda: Categorical([]), ValueError, r"choices is empty"),
        (lambda: Categorical(["a", "a"]), ValueError, r"choice 'a' appears twice"),
        (lambda: Categorical("abc"), TypeError, r"choices='abc' must be a list"),
        (lambda: Categorical([[1, 2]]), TypeError, r"choice \[1, 2\] of type list"),
        (lambda: Categorical([object]), TypeError, r"of type type is not JSON-storable"),
        (lambda: Categorical([math.nan]), ValueError, r"choice nan is not finite"),
        (lambda: Categorical([], name="act"), ValueError,
         r"Categorical\('act'\): choices is empty"),
    ],
)
def test_invalid_distributions_say_what_and_how(make, exc, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()


def test_valid_edge_cases() -> None:
    assert Float(1, 1).is_single and Int(5, 5).is_single and Categorical([None]).is_single
    assert Float(0, 1, step=0.1).step == 0.1  # 10 * 0.1 is 1 up to rounding: accepted
    assert Int(16, 256, step=16).n_values == 16
    assert Int(np.int64(1), np.int64(3)).high == 3 and type(Int(1, 3.0).high) is int
    assert Categorical((True, 1, 1.0, None, "a")).n_values == 5  # True, 1 and 1.0 are distinct


# -- membership --------------------------------------------------------------------------------


def test_float_contains() -> None:
    d = Float(0, 1)
    assert d.contains(0) and d.contains(1.0) and d.contains(np.float32(0.5))
    assert not d.contains(1.5) and not d.contains("0.5") and not d.contains(True)
    assert not d.contains(None)
    s = Float(0, 1, step=0.25)
    assert s.contains(0.75) and not s.contains(0.3)


def test_int_contains() -> None:
    d = Int(0, 10, step=2)
    assert d.contains(4) and d.contains(4.0) and d.contains(np.int64(10))
    assert not d.contains(3) and not d.contains(4.5) and not d.contains(12)
    assert not d.contains(True) and not d.contains("4")


def test_categorical_tells_equal_python_values_apart() -> None:
    d = Categorical([1, True, "1", None, 2.5])
    assert [d.index(v) for v in (1, True, "1", None, 2.5)] == [0, 1, 2, 3, 4]
    assert d.index(np.int64(1)) == 0
    assert not d.contains(1.0) and not d.contains(False) and not d.contains([1])
    with pytest.raises(ValueError, match=r"'x' is not one of the choices \[1, True, '1', None"):
        d.index("x")


# -- unit mapping and sampling -----------------------------------------------------------------


def test_float_unit_mapping() -> None:
    d = Float(2, 6)
    assert d.to_unit(2) == 0 and d.to_unit(6) == 1 and d.to_unit(3) == 0.25
    assert d.from_unit(0.25) == 3 and d.from_unit(-1) == 2 and d.from_unit(2) == 6
    lg = Float(1e-4, 1e-2, log=True)
    assert lg.to_unit(1e-3) == pytest.approx(0.5)
    assert lg.from_unit(0.5) == pytest.approx(1e-3)
    assert Float(3, 3).to_unit(3) == 0.5 and Float(3, 3).from_unit(0.9) == 3


def test_step_grids_give_every_point_an_equal_cell() -> None:
    d = Float(0, 1, step=0.5)  # padded to [-0.25, 1.25]: cells of width 1/3
    assert [d.from_unit(u) for u in (0.0, 0.3, 0.34, 0.66, 0.67, 1.0)] == [
        0.0, 0.0, 0.5, 0.5, 1.0, 1.0
    ]
    i = Int(0, 2)
    assert [i.to_unit(v) for v in (0, 1, 2)] == pytest.approx([1 / 6, 0.5, 5 / 6])
    c = Categorical(["a", "b", "c", "d"])
    assert [c.to_unit(v) for v in "abcd"] == [0.125, 0.375, 0.625, 0.875]
    assert c.from_unit(1.0) == "d" and c.from_unit(-0.5) == "a"


def test_log_int_covers_its_ends() -> None:
    d = Int(16, 512, log=True)
    assert d.from_unit(0) == 16 and d.from_unit(1) == 512
    assert d.from_unit(d.to_unit(100)) == 100


@pytest.mark.parametrize(
    "dist",
    [Float(-3, 5), Float(1e-5, 1, log=True), Float(0, 2, step=0.5), Int(-4, 4),
     Int(1, 1000, log=True), Int(0, 20, step=5), Categorical(["a", None, 3, False])],
)
def test_samples_are_contained_and_seeded(dist) -> None:
    a = [dist.sample(np.random.default_rng(7)) for _ in range(3)]
    b = [dist.sample(np.random.default_rng(7)) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(0)
    values = [dist.sample(rng) for _ in range(200)]
    assert all(dist.contains(v) for v in values)
    if isinstance(dist, Int):
        assert all(type(v) is int for v in values)
    if isinstance(dist, Float):
        assert all(type(v) is float for v in values)


def test_log_float_sampling_is_log_uniform() -> None:
    d = Float(1e-6, 1.0, log=True)
    rng = np.random.default_rng(0)
    x = np.array([d.sample(rng) for _ in range(2000)])
    assert 0.4 < np.mean(x < 1e-3) < 0.6  # half the draws below the log-midpoint


# -- JSON and compatibility --------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [Float(0, 1), Float(1e-3, 1, log=True), Float(0, 1, step=0.25), Int(1, 9, step=2),
     Int(1, 64, log=True), Categorical([None, True, 1, 1.5, "s"])],
)
def test_json_round_trip(dist) -> None:
    import json

    back = distribution_from_json(json.loads(json.dumps(dist.to_json())))
    assert back == dist and type(back) is type(dist)


def test_unknown_json_type() -> None:
    with pytest.raises(ValueError, match=r"unknown distribution type 'beta'"):
        distribution_from_json({"type": "beta"})


def test_check_compatible() -> None:
    check_compatible("x", Float(0, 1), Float(0, 10))  # a numeric range may change
    check_compatible("n", Int(0, 1), Int(0, 5, step=5))
    with pytest.raises(ValueError, match=r"'x' was defined as float .* now int"):
        check_compatible("x", Float(0, 1), Int(0, 1))
    with pytest.raises(ValueError, match=r"'act' had choices \['a', 'b'\] .* now \['a', 'c'\]"):
        check_compatible("act", Categorical(["a", "b"]), Categorical(["a", "c"]))


def test_equality_and_hash_ignore_the_name() -> None:
    assert Float(0, 1, name="a") == Float(0, 1, name="b")
    assert hash(Categorical(["a", 1], name="p")) == hash(Categorical(["a", 1]))
    assert Categorical([1]) != Categorical([True])
    assert Categorical([1]).__eq__(Float(0, 1)) is NotImplemented
