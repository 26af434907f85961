"""The initial design of a warm-started study: good *and* different configurations of its priors.

The first trials of a warm-started study are not random: they are the best configurations of
the prior studies, chosen so that they are not the same point ``k`` times (two priors on
similar tasks usually agree on their best point, and one evaluation of it is enough).

The rule (:func:`initial_design`), a quality-first greedy with a distance floor:

1. Candidates: the ``top_k`` best trials of each prior. They are visited round-robin over the
   priors, the most related prior first (``relatedness``, e.g. meta-feature similarity), rank 0
   of every prior, then rank 1, ...
2. A candidate is accepted if its distance (:func:`design_distance`) to every accepted point is
   at least ``min_distance``; visiting stops at ``n`` points.
3. If the candidates run out first, the floor is halved and the remaining candidates are
   visited again, at most three times: no two design points are closer than
   ``min_distance / 8`` (so no duplicates). If that still leaves fewer than ``n`` points, the
   design is shorter and the base sampler proposes the rest.

So the design keeps the priors' best points where they differ, and replaces near-copies by the
next-best distinct configurations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution
from hyperscout.transfer.prior import PriorStudy, best_trials, match_params, union_space

_MISSING_GAP = 0.5  # per-column gap between a point that has a parameter and one that does not


@dataclass(frozen=True)
class DesignPoint:
    """One configuration of the initial design and where it came from."""

    params: Mapping[str, Any]
    prior: str  # the prior study's name
    rank: int  # 0 = that prior's best trial


def design_distance(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> float:
    """Root-mean-square gap between two unit-codec rows, in ``[0, 1]``.

    Numeric columns: ``|a - b|``; categorical columns: 0 for the same choice, 1 otherwise; a
    parameter only one of the two has (``nan``): 0.5.

    Example:
        >>> cat = np.array([False, True])
        >>> design_distance(np.array([0.0, 0.25]), np.array([1.0, 0.75]), cat)
        1.0
        >>> design_distance(np.array([0.5, np.nan]), np.array([0.5, np.nan]), cat)
        0.0
    """
    gap = np.abs(a - b)
    gap = np.where(categorical & (gap > 1e-12), 1.0, gap)
    na, nb = np.isnan(a), np.isnan(b)
    gap = np.where(na & nb, 0.0, np.where(na | nb, _MISSING_GAP, gap))
    return float(np.sqrt(np.mean(gap * gap))) if len(gap) else 0.0


def initial_design(
    priors: Sequence[PriorStudy],
    n: int,
    *,
    relatedness: Sequence[float] | None = None,
    top_k: int | None = None,
    min_distance: float = 0.1,
    space: Mapping[str, Distribution] | None = None,
) -> list[DesignPoint]:
    """Up to ``n`` distinct good configurations of the priors (see the module docstring).

    Args:
        priors: The prior studies.
        n: Points wanted.
        relatedness: One score per prior (higher = more related); priors with a score ``<= 0``
            give no points. Default: all equal, in the given order.
        top_k: Best trials considered per prior (default ``max(3 n, 10)``).
        min_distance: Initial distance floor, as a fraction of the unit cube's scale.
        space: The space the distances are measured in and the points clipped to (default:
            the union of the priors' spaces).

    Example:
        >>> from hyperscout.space import Float
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> mk = lambda i, x, v: FrozenTrial.build(number=i, trial_id=i,
        ...     state=TrialState.COMPLETE, params={"x": x}, distributions={"x": Float(0, 1)},
        ...     values=[v])
        >>> a = PriorStudy("a", ("minimize",), (mk(0, 0.5, 0.0), mk(1, 0.51, 0.1), mk(2, 0.9, 1)))
        >>> [p.params["x"] for p in initial_design([a], 2)]
        [0.5, 0.9]
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"initial_design(n={n!r}): use an int >= 0")
    if not (isinstance(min_distance, (int, float)) and 0 < min_distance <= 1):
        raise ValueError(f"initial_design(min_distance={min_distance!r}): use a number in (0, 1]")
    if relatedness is not None and len(relatedness) != len(priors):
        raise ValueError(f"initial_design(relatedness=...): {len(relatedness)} scores for "
                         f"{len(priors)} priors; give one per prior")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"initial_design(top_k={top_k!r}): use an int >= 1")
    if n == 0 or not priors:
        return []
    rel = [1.0] * len(priors) if relatedness is None else [float(r) for r in relatedness]
    order = sorted((i for i in range(len(priors)) if rel[i] > 0), key=lambda i: (-rel[i], i))
    full_space = dict(space) if space is not None else union_space(priors)
    if not full_space:
        return []
    k = top_k or max(3 * n, 10)
    ranked = {i: best_trials(priors[i], k) for i in order}
    candidates: list[DesignPoint] = []
    for r in range(k):
        for i in order:
            if r < len(ranked[i]):
                params = match_params(ranked[i][r], full_space, "clip")
                if params:
                    candidates.append(DesignPoint(params, priors[i].name, r))
    codec = SpaceCodec(full_space)
    cat = np.array([isinstance(full_space[nm], Categorical) for nm in codec.names])
    X = codec.encode([c.params for c in candidates])
    chosen: list[int] = []
    floor = float(min_distance)
    while len(chosen) < n and floor >= min_distance / 8 * (1 - 1e-9):
        for j in range(len(candidates)):
            if len(chosen) >= n:
                break
            if j in chosen:
                continue
            dists = [design_distance(X[j], X[c], cat) for c in chosen]
            if all(d >= floor and d > 0 for d in dists):
                chosen.append(j)
        floor /= 2
    return [candidates[j] for j in sorted(chosen, key=lambda j: (candidates[j].rank, j))]
