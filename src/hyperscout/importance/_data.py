"""From trials to the arrays the importance evaluators fit: unit-cube columns, conditional cells.

Each parameter becomes one column in the space codec's unit layout (log parameters uniform in log
space, integers and categoricals as equal cells). A trial that does not have a parameter
(a conditional space) gets the value ``INACTIVE`` (-0.5) in that column: the column's domain is
then ``[-1, 0)`` ("inactive") followed by ``[0, 1]`` ("active"), and the inactive cell weighs as
much as the share of trials in which the parameter was absent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

INACTIVE = -0.5

Target = Callable[[FrozenTrial], float]


@dataclass(frozen=True)
class ImportanceData:
    """What evaluators fit.

    Attributes:
        names: Parameter names, one per column of ``X``.
        distributions: The distribution of each parameter.
        X: Unit-cube encoding, shape ``(n, d)``; ``INACTIVE`` where a trial lacks a parameter.
        y: The value to explain, shape ``(n,)``, oriented so that smaller is better.
        inactive_share: Per column, the share of trials without the parameter.
    """

    names: list[str]
    distributions: dict[str, Distribution]
    X: np.ndarray
    y: np.ndarray
    inactive_share: np.ndarray


def collect(
    trials: Sequence[FrozenTrial],
    directions: Sequence[str],
    *,
    params: Sequence[str] | None = None,
    objective: int = 0,
    target: Target | None = None,
) -> ImportanceData:
    """Encode the complete trials with a finite target.

    Example:
        >>> from hyperscout.space import Float
        >>> t = [FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE,
        ...      params={"x": float(i)}, distributions={"x": Float(0, 4)}, values=[i])
        ...      for i in range(5)]
        >>> d = collect(t, ["minimize"])
        >>> d.names, d.X[:, 0].tolist(), d.y.tolist()
        (['x'], [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    n_obj = len(directions)
    if target is None and not 0 <= objective < n_obj:
        raise ValueError(
            f"objective={objective}: the study has {n_obj} objective(s); "
            f"use an index in 0..{n_obj - 1}"
        )
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]
    ys: list[float] = []
    kept: list[FrozenTrial] = []
    sign = 1.0 if target is not None or directions[objective] == "minimize" else -1.0
    for t in complete:
        v = float(target(t)) if target is not None else float(t.values[objective])  # type: ignore[index]
        if math.isfinite(v):
            ys.append(sign * v)
            kept.append(t)
    dists: dict[str, Distribution] = {}
    for t in kept:
        dists.update(t.distributions)
    if params is not None:
        unknown = [p for p in params if p not in dists]
        if unknown:
            raise ValueError(
                f"params={list(params)}: {unknown} not found in the complete trials; "
                f"known parameters: {sorted(dists)}"
            )
        dists = {p: dists[p] for p in params}
    # a parameter with a single possible value explains nothing
    dists = {k: d for k, d in dists.items() if not d.is_single}
    names = list(dists)
    codec = SpaceCodec(dists)  # unit layout: one column per parameter, nan where absent
    rows = [{k: v for k, v in t.params.items() if k in dists and dists[k].contains(v)}
            for t in kept]
    X = codec.encode(rows) if kept else np.zeros((0, len(names)))
    active = ~np.isnan(X)
    X = np.where(active, np.clip(X, 0.0, 1.0), INACTIVE)
    inactive_share = 1.0 - active.mean(axis=0) if len(kept) else np.zeros(len(names))
    return ImportanceData(names, dists, X, np.asarray(ys, dtype=float), inactive_share)
