"""Acquisition optimisation on mixed spaces: only valid points are ever evaluated."""

from __future__ import annotations

import numpy as np
import pytest

from hyperscout.samplers.gp.optimize import SearchLayout, optimize_acquisition, sobol
from hyperscout.space import Categorical, Float, Int
from hyperscout.space.codec import SpaceCodec

SPACE = {
    "x": Float(-2.0, 2.0),
    "lr": Float(1e-4, 1.0, log=True),
    "k": Int(1, 40),
    "units": Int(4, 1024, log=True),
    "drop": Float(0.0, 0.5, step=0.1),
    "act": Categorical(["relu", "tanh", "gelu"]),
}


def _is_valid(codec: SpaceCodec, X: np.ndarray) -> bool:
    return bool(np.allclose(codec.round_to_grid(X), X, atol=1e-12))


def test_sobol_is_seeded_and_in_the_cube() -> None:
    a = sobol(3, 100, np.random.default_rng(0))
    b = sobol(3, 100, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (100, 3) and a.min() >= 0 and a.max() < 1


def test_layout_generates_valid_points() -> None:
    codec = SpaceCodec(SPACE, onehot=True)
    lay = SearchLayout(codec)
    rng = np.random.default_rng(1)
    X = lay.random(64, rng)
    assert _is_valid(codec, X)
    P = lay.perturb(X[:4], 50, rng)
    assert P.shape == (200, codec.n_columns) and _is_valid(codec, P)
    for j in range(lay.n_movable):
        M = lay.moves(X[0], j, rng)
        assert len(M) and _is_valid(codec, M)
        changed = np.any(np.abs(M - X[0]) > 1e-12, axis=1)
        assert changed.all()
    for row in X[:5]:  # decodes to values the distributions contain
        params = codec.decode(row)
        assert all(SPACE[k].contains(v) for k, v in params.items())
    with pytest.raises(ValueError, match="onehot=True"):
        SearchLayout(SpaceCodec(SPACE))


def test_optimizer_finds_mixed_optimum_on_valid_points_only() -> None:
    codec = SpaceCodec(SPACE, onehot=True)
    lay = SearchLayout(codec)
    target = codec.encode([{"x": 0.7, "lr": 1e-2, "k": 17, "units": 300, "drop": 0.2,
                            "act": "gelu"}])[0]
    w = np.array([3.0, 3.0, 5.0, 5.0, 5.0, 1.0, 1.0, 1.0])
    seen: list[np.ndarray] = []

    def f(X: np.ndarray) -> np.ndarray:
        seen.append(X.copy())
        return -(w * (X - target) ** 2).sum(1)

    def fg(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return f(X), -2 * w * (X - target)

    row, val = optimize_acquisition(f, fg, lay, np.random.default_rng(2),
                                    lengthscales=np.full(codec.n_columns, 0.3),
                                    n_candidates=256)
    params = codec.decode(row)
    assert params["act"] == "gelu" and params["k"] == 17 and params["drop"] == 0.2
    assert abs(params["units"] - 300) <= 3
    assert abs(params["x"] - 0.7) < 1e-3 and abs(np.log10(params["lr"]) + 2) < 1e-3
    # every evaluated row was a valid point, except continuous columns inside their bounds
    cols = lay.continuous
    for X in seen:
        Y = X.copy()
        Y[:, cols] = 0.5
        assert _is_valid(codec, Y)
        assert X[:, cols].min() >= 0 and X[:, cols].max() <= 1


def test_optimizer_avoids_known_points_when_it_can() -> None:
    codec = SpaceCodec({"c": Categorical(["a", "b", "c"]), "k": Int(0, 1)}, onehot=True)
    lay = SearchLayout(codec)
    best = codec.encode([{"c": "a", "k": 0}])

    def f(X: np.ndarray) -> np.ndarray:
        return -np.abs(X - best).sum(1)

    def fg(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return f(X), np.zeros_like(X)

    row, _ = optimize_acquisition(f, fg, lay, np.random.default_rng(0),
                                  lengthscales=np.ones(4), avoid=best, n_candidates=32)
    assert codec.decode(row) != {"c": "a", "k": 0}
    row, _ = optimize_acquisition(f, fg, lay, np.random.default_rng(0),
                                  lengthscales=np.ones(4), n_candidates=32)
    assert codec.decode(row) == {"c": "a", "k": 0}
