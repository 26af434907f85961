"""SpaceCodec and the unit mapping under hypothesis: encode/decode and to_unit/from_unit
round-trip for every kind of distribution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperscout.space import Categorical, Float, Int, SpaceCodec

_settings = settings(max_examples=60, deadline=None)  # this module only; keeps the suite fast


def _key(v: Any) -> tuple[str, Any]:
    return (type(v).__name__, v)


# -- strategies: a distribution together with values on it ------------------------------------
@st.composite
def float_linear(draw):
    low = draw(st.floats(-1e6, 1e6))
    width = draw(st.floats(1e-3, 1e6))
    d = Float(low, low + width)
    v = draw(st.floats(d.low, d.high))
    return d, v


@st.composite
def float_log(draw):
    low = draw(st.floats(1e-8, 1e3))
    d = Float(low, low * draw(st.floats(1.001, 1e6)), log=True)
    v = draw(st.floats(d.low, d.high))
    return d, v


@st.composite
def float_step(draw):
    low = draw(st.integers(-1000, 1000)) / 8
    step = draw(st.sampled_from([0.125, 0.25, 0.5, 1.0, 2.5]))
    k = draw(st.integers(0, 200))
    d = Float(low, low + k * step, step=step)
    v = d.low + draw(st.integers(0, k)) * d.step
    return d, v


@st.composite
def int_linear(draw):
    low = draw(st.integers(-10_000, 10_000))
    step = draw(st.integers(1, 7))
    k = draw(st.integers(0, 300))
    d = Int(low, low + k * step, step=step)
    return d, low + draw(st.integers(0, k)) * step


@st.composite
def int_log(draw):
    low = draw(st.integers(1, 1000))
    d = Int(low, low + draw(st.integers(0, 100_000)), log=True)
    return d, draw(st.integers(d.low, d.high))


CHOICES = st.lists(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
              st.floats(-1e3, 1e3, allow_nan=False), st.text(max_size=4)),
    min_size=1, max_size=7, unique_by=_key,
)


@st.composite
def categorical(draw):
    d = Categorical(draw(CHOICES))
    return d, draw(st.sampled_from(d.choices))


GRIDDED = st.one_of(float_step(), int_linear(), int_log(), categorical())
ANY = st.one_of(float_linear(), float_log(), GRIDDED)


def _same(d: Any, a: Any, b: Any) -> bool:
    if isinstance(d, Float) and d.step is None:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(d.high - d.low)))
    return _key(a) == _key(b) or (isinstance(d, Float) and a == b)


# -- the unit mapping --------------------------------------------------------------------------
@_settings
@given(ANY)
def test_to_unit_is_within_0_1(dv) -> None:
    d, v = dv
    u = d.to_unit(v)
    assert 0.0 <= u <= 1.0


@_settings
@given(GRIDDED)
def test_from_unit_to_unit_is_the_identity_on_grid_values(dv) -> None:
    d, v = dv
    back = d.from_unit(d.to_unit(v))
    assert back == v and _key(back) == _key(v) or (isinstance(d, Float) and back == v)


@_settings
@given(st.one_of(float_linear(), float_log()))
def test_from_unit_to_unit_for_continuous_floats(dv) -> None:
    d, v = dv
    back = d.from_unit(d.to_unit(v))
    assert _same(d, back, v) and d.contains(back)


@_settings
@given(ANY, st.floats(-0.5, 1.5))
def test_from_unit_always_lands_in_the_distribution(dv, u) -> None:
    d, _ = dv
    assert d.contains(d.from_unit(u))


# -- the codec ---------------------------------------------------------------------------------
@st.composite
def spaces_and_params(draw):
    n = draw(st.integers(1, 5))
    pairs = [draw(ANY) for _ in range(n)]
    space = {f"p{i}": d for i, (d, _) in enumerate(pairs)}
    params = {f"p{i}": v for i, (_, v) in enumerate(pairs)}
    return space, params


@_settings
@given(spaces_and_params(), st.booleans())
def test_encode_decode_round_trip(sp, onehot: bool) -> None:
    space, params = sp
    codec = SpaceCodec(space, onehot=onehot)
    X = codec.encode([params])
    assert X.shape == (1, codec.n_columns)
    assert ((X >= 0) & (X <= 1)).all()
    back = codec.decode(X[0])
    assert list(back) == list(space)
    for name, d in space.items():
        assert _same(d, back[name], params[name]), (name, d, back[name], params[name])


@_settings
@given(spaces_and_params(), st.booleans())
def test_round_to_grid_is_idempotent_and_keeps_decoding(sp, onehot: bool) -> None:
    space, params = sp
    codec = SpaceCodec(space, onehot=onehot)
    X = codec.encode([params])
    R = codec.round_to_grid(X)
    np.testing.assert_allclose(codec.round_to_grid(R), R, atol=1e-12)
    decoded = codec.decode(R[0])
    for name, d in space.items():
        assert _same(d, decoded[name], params[name])


@_settings
@given(spaces_and_params())
def test_random_rows_decode_into_the_space(sp) -> None:
    space, _ = sp
    codec = SpaceCodec(space, onehot=True)
    rng = np.random.default_rng(0)
    for row in rng.random((5, codec.n_columns)):
        decoded = codec.decode(row)
        assert all(space[n].contains(v) for n, v in decoded.items())


def test_missing_parameters_encode_as_nan() -> None:
    codec = SpaceCodec({"x": Float(0, 1), "c": Categorical(["a", "b"])}, onehot=True)
    X = codec.encode([{"x": 0.5}, {"c": "b"}])
    assert X[0, 0] == 0.5 and np.isnan(X[0, 1:]).all()
    assert np.isnan(X[1, 0]) and X[1, 1:].tolist() == [0.0, 1.0]


def test_column_metadata() -> None:
    space = {"x": Float(0, 1), "c": Categorical(["a", "b", "c"]), "n": Int(0, 9),
             "s": Float(0, 1, step=0.25)}
    unit = SpaceCodec(space)
    assert unit.n_columns == 4
    assert unit.categorical_columns.tolist() == [False, True, False, False]
    assert unit.n_grid_points().tolist() == [0, 3, 10, 5]
    hot = SpaceCodec(space, onehot=True)
    assert hot.n_columns == 6
    assert hot.slices["c"] == slice(1, 4)
    assert hot.categorical_columns.tolist() == [False, True, True, True, False, False]
    assert hot.n_grid_points().tolist() == [0, 1, 1, 1, 10, 5]


def test_decode_checks_the_row_shape() -> None:
    codec = SpaceCodec({"x": Float(0, 1), "y": Float(0, 1)})
    with pytest.raises(ValueError, match=r"row has shape \(3,\); expected \(2,\)"):
        codec.decode(np.zeros(3))


def test_encoding_a_value_outside_the_choices_names_it() -> None:
    codec = SpaceCodec({"c": Categorical(["a", "b"])}, onehot=True)
    with pytest.raises(ValueError, match=r"'z' is not one of the choices \['a', 'b'\]"):
        codec.encode([{"c": "z"}])
