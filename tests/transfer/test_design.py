"""The initial design: the priors' best configurations, distinct and quality-first."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hyperscout.space import Categorical, Float
from hyperscout.space.codec import SpaceCodec
from hyperscout.transfer import PriorStudy, initial_design
from hyperscout.transfer.design import design_distance
from hyperscout.trial import FrozenTrial, TrialState

SPACE = {"x": Float(0, 1), "y": Float(0, 1), "k": Categorical(["a", "b"])}


def _prior(name, points, values):
    trials = tuple(
        FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE, params=p,
                          distributions=SPACE, values=[v])
        for i, (p, v) in enumerate(zip(points, values)))
    return PriorStudy(name, ("minimize",), trials)


def _clustered(name, centre, seed):
    """A prior whose 6 best trials are near-copies of one point, then spread-out ones."""
    rng = np.random.default_rng(seed)
    pts, vals = [], []
    for i in range(6):
        pts.append({"x": centre[0] + 1e-4 * i, "y": centre[1], "k": "a"})
        vals.append(0.01 * i)
    for i in range(20):
        pts.append({"x": float(rng.random()), "y": float(rng.random()),
                    "k": str(rng.choice(["a", "b"]))})
        vals.append(1.0 + i)
    return _prior(name, pts, vals)


def _distances(design):
    codec = SpaceCodec(SPACE)
    cat = np.array([False, False, True])
    X = codec.encode([d.params for d in design])
    return [design_distance(a, b, cat) for a, b in itertools.combinations(X, 2)]


def test_the_design_is_diverse_no_duplicates_and_spread_out() -> None:
    # two related priors agree on their best point: the design must not repeat it
    priors = [_clustered("a", (0.3, 0.6), 0), _clustered("b", (0.3 + 1e-5, 0.6), 1)]
    design = initial_design(priors, 5, min_distance=0.1)
    assert len(design) == 5
    keys = {tuple(sorted(d.params.items())) for d in design}
    assert len(keys) == 5
    assert min(_distances(design)) >= 0.1
    # the overall best configuration comes first
    assert design[0].rank == 0 and design[0].params["x"] == pytest.approx(0.3)


def test_the_floor_halves_when_candidates_run_out_but_never_accepts_duplicates() -> None:
    pts = [{"x": 0.5, "y": 0.5, "k": "a"}] * 3 + [{"x": 0.52, "y": 0.5, "k": "a"},
                                                  {"x": 0.7, "y": 0.5, "k": "a"}]
    prior = _prior("p", pts, [0.0, 0.1, 0.2, 0.3, 0.4])
    design = initial_design([prior], 4, min_distance=0.5)
    # 0.7 is accepted once the floor has halved; copies of 0.5 and the near-copy 0.52 never
    assert [d.params["x"] for d in design] == [0.5, 0.7]
    assert min(_distances(design)) >= 0.5 / 8


def test_relatedness_orders_the_priors_and_zero_excludes_one() -> None:
    a = _prior("a", [{"x": 0.1, "y": 0.1, "k": "a"}], [0.0])
    b = _prior("b", [{"x": 0.9, "y": 0.9, "k": "b"}], [0.0])
    assert [d.prior for d in initial_design([a, b], 2, relatedness=[0.2, 0.9])] == ["b", "a"]
    assert [d.prior for d in initial_design([a, b], 2, relatedness=[0.0, 0.9])] == ["b"]


def test_a_changed_space_clips_the_design_points() -> None:
    prior = _prior("p", [{"x": 0.9, "y": 0.1, "k": "a"}], [0.0])
    design = initial_design([prior], 1, space={"x": Float(0, 0.5), "k": Categorical(["a"])})
    assert dict(design[0].params) == {"x": 0.5, "k": "a"}


@pytest.mark.parametrize("kwargs, match", [
    ({"n": -1}, "n=-1"),
    ({"n": 2, "min_distance": 0}, "min_distance=0"),
    ({"n": 2, "relatedness": [1.0, 2.0]}, "2 scores for 1 priors"),
    ({"n": 2, "top_k": 0}, "top_k=0"),
])
def test_bad_arguments_name_the_parameter(kwargs, match) -> None:
    prior = _prior("p", [{"x": 0.5, "y": 0.5, "k": "a"}], [0.0])
    with pytest.raises(ValueError, match=match):
        initial_design([prior], **kwargs)


def test_no_priors_or_no_points_give_an_empty_design() -> None:
    assert initial_design([], 5) == []
    assert initial_design([_prior("p", [{"x": 0.5, "y": 0.5, "k": "a"}], [0.0])], 0) == []
