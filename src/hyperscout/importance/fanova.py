"""fANOVA: functional ANOVA of a random-forest fit of the objective (Hutter et al., ICML 2014).

A regression forest partitions the (unit-cube) search space into boxes. For each tree, the
variance of its piecewise-constant function over the space is decomposed exactly into the
variance of marginal functions: ``V = sum_j V_j + sum_{i<j} V_ij + ...``. The importance of a
parameter is ``V_j / V`` averaged over trees; a pair's interaction is ``V_ij / V``.

The decomposition is computed here on the trees' partitions with numpy (scikit-learn only grows
the trees). The measure on each column is uniform on the unit interval, which is uniform in
log space for log parameters and gives each integer or choice an equal cell; for a conditional
parameter an "inactive" cell ``[-1, 0)`` weighs as much as the share of trials without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from hyperscout._imports import optional_import
from hyperscout.importance._data import ImportanceData

_LOW, _HIGH = -1.0, 1.0  # the column domain: inactive cell [-1, 0), active values [0, 1]


@dataclass(frozen=True)
class Decomposition:
    """Variance fractions of one fANOVA fit.

    Attributes:
        main: Parameter -> mean over trees of ``V_j / V`` (main effect).
        main_std: Parameter -> standard deviation over trees of ``V_j / V``.
        pairs: ``(a, b)`` -> mean over trees of ``V_ab / V`` (empty unless requested).
        n_trees: Trees with a non-constant fit that entered the averages.
    """

    main: dict[str, float]
    main_std: dict[str, float]
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)
    n_trees: int = 0


def interval_measure(a: np.ndarray, b: np.ndarray, inactive_share: float) -> np.ndarray:
    """Measure of ``[a, b)`` in a column: ``[-1, 0)`` weighs ``p``, ``[0, 1]`` weighs ``1 - p``.

    Example:
        >>> interval_measure(np.array([-1.0, 0.0]), np.array([0.0, 0.5]), 0.2).tolist()
        [0.2, 0.4]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    off = np.clip(np.minimum(b, 0.0) - np.maximum(a, -1.0), 0.0, None)
    on = np.clip(np.minimum(b, 1.0) - np.maximum(a, 0.0), 0.0, None)
    return inactive_share * off + (1.0 - inactive_share) * on


def leaf_boxes(
    children_left: np.ndarray,
    children_right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    n_features: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leaves of a binary tree as boxes ``(lower, upper]`` with their predictions.

    Arguments are scikit-learn's ``tree_`` arrays (``x <= threshold`` goes left).

    Example:
        >>> lo, hi, v = leaf_boxes(np.array([1, -1, -1]), np.array([2, -1, -1]),
        ...                        np.array([0, -2, -2]), np.array([0.3, 0, 0]),
        ...                        np.array([0.0, 1.0, 2.0]), 1)
        >>> lo.ravel().tolist(), hi.ravel().tolist(), v.tolist()
        ([-1.0, 0.3], [0.3, 1.0], [1.0, 2.0])
    """
    lowers, uppers, values = [], [], []
    stack = [(0, np.full(n_features, _LOW), np.full(n_features, _HIGH))]
    while stack:
        node, lo, hi = stack.pop()
        left, right = children_left[node], children_right[node]
        if left < 0:
            lowers.append(lo)
            uppers.append(hi)
            values.append(float(value[node]))
            continue
        f, t = feature[node], threshold[node]
        hi_left = hi.copy()
        hi_left[f] = min(hi[f], t)
        lo_right = lo.copy()
        lo_right[f] = max(lo[f], t)
        stack.append((right, lo_right, hi))
        stack.append((left, lo, hi_left))
    return np.array(lowers), np.array(uppers), np.array(values)


def _cells(lower: np.ndarray, upper: np.ndarray, j: int, p: float):
    """Cut column ``j`` at every leaf boundary: cell measures and each leaf's cell range."""
    lo_dom = _LOW if p > 0 else 0.0
    lo = np.clip(lower[:, j], lo_dom, _HIGH)
    hi = np.clip(upper[:, j], lo_dom, _HIGH)
    extra = [lo_dom, _HIGH, 0.0] if p > 0 else [lo_dom, _HIGH]
    cuts = np.unique(np.concatenate([lo, hi, extra]))
    m = interval_measure(cuts[:-1], cuts[1:], p)
    return m, np.searchsorted(cuts, lo), np.searchsorted(cuts, hi)


def _spread_1d(n: int, start: np.ndarray, end: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``out[k] = sum of v[l] over leaves l whose cell range [start, end) contains k``."""
    diff = np.zeros(n + 1)
    np.add.at(diff, start, v)
    np.add.at(diff, end, -v)
    return np.cumsum(diff[:-1])


def _spread_2d(shape, si, ei, sj, ej, v) -> np.ndarray:
    """The same over rectangles of cells (a 2-D difference array)."""
    diff = np.zeros((shape[0] + 1, shape[1] + 1))
    np.add.at(diff, (si, sj), v)
    np.add.at(diff, (si, ej), -v)
    np.add.at(diff, (ei, sj), -v)
    np.add.at(diff, (ei, ej), v)
    return np.cumsum(np.cumsum(diff, axis=0), axis=1)[:-1, :-1]


def decompose_tree(
    lower: np.ndarray,
    upper: np.ndarray,
    values: np.ndarray,
    inactive_share: np.ndarray,
    pairs: Sequence[tuple[int, int]] = (),
) -> tuple[np.ndarray, dict[tuple[int, int], float]] | None:
    """Main-effect (and pairwise) variance fractions of one tree; ``None`` if it is constant.

    Example (``f(x0, x1) = x0``, split at 0.5; x1 explains nothing):
        >>> lo = np.array([[0.0, 0.0], [0.5, 0.0]]); hi = np.array([[0.5, 1.0], [1.0, 1.0]])
        >>> main, _ = decompose_tree(lo, hi, np.array([0.0, 1.0]), np.zeros(2))
        >>> main.round(6).tolist()
        [1.0, 0.0]
    """
    d = lower.shape[1]
    frac = np.stack([interval_measure(lower[:, j], upper[:, j], inactive_share[j])
                     for j in range(d)], axis=1)
    w = np.prod(frac, axis=1)
    keep = w > 0
    lower, upper, values, frac, w = lower[keep], upper[keep], values[keep], frac[keep], w[keep]
    total_w = w.sum()
    if total_w <= 0:
        return None
    w = w / total_w
    mean = float(w @ values)
    var = float(w @ (values - mean) ** 2)
    if var <= 1e-14 * max(1.0, mean * mean):
        return None
    wy = w * values
    main = np.zeros(d)
    cells: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    needed = {j for pair in pairs for j in pair}
    for j in range(d):
        m, start, end = _cells(lower, upper, j, inactive_share[j])
        f = _spread_1d(len(m), start, end, wy / frac[:, j])
        main[j] = float(m @ (f - mean) ** 2) / var
        if j in needed:
            cells[j] = (m, start, end, f)
    out_pairs: dict[tuple[int, int], float] = {}
    for i, j in pairs:
        mi, si, ei, fi = cells[i]
        mj, sj, ej, fj = cells[j]
        fij = _spread_2d((len(mi), len(mj)), si, ei, sj, ej, wy / (frac[:, i] * frac[:, j]))
        resid = fij - fi[:, None] - fj[None, :] + mean
        out_pairs[(i, j)] = float(mi @ (resid**2) @ mj) / var
    return main, out_pairs


class FanovaImportance:
    """fANOVA importance evaluator over a random forest (scikit-learn's trees, our ANOVA).

    Args:
        n_trees: Trees in the forest.
        max_depth: Depth limit of each tree.
        min_samples_leaf: Smallest leaf.
        seed: Seed of the forest (bootstrap samples and split candidates).

    Example:
        >>> from hyperscout.importance._data import ImportanceData
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((200, 3))
        >>> data = ImportanceData(["a", "b", "c"], {}, X, 10 * X[:, 1] + 0.1 * X[:, 0],
        ...                       np.zeros(3))
        >>> imp = FanovaImportance(n_trees=16, seed=0).evaluate(data)  # doctest: +SKIP
        >>> max(imp, key=imp.get)  # doctest: +SKIP
        'b'
    """

    name = "fanova"

    def __init__(self, n_trees: int = 64, max_depth: int = 64, min_samples_leaf: int = 1,
                 seed: int | None = 0) -> None:
        if n_trees < 1:
            raise ValueError(f"FanovaImportance(n_trees={n_trees}): must be >= 1")
        if max_depth < 1:
            raise ValueError(f"FanovaImportance(max_depth={max_depth}): must be >= 1")
        if min_samples_leaf < 1:
            raise ValueError(
                f"FanovaImportance(min_samples_leaf={min_samples_leaf}): must be >= 1"
            )
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def _forest(self, data: ImportanceData):
        ensemble = optional_import("sklearn.ensemble", extra="sklearn", feature="fANOVA importance")
        forest = ensemble.RandomForestRegressor(
            n_estimators=self.n_trees, max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf, max_features=1.0, bootstrap=True,
            random_state=self.seed, n_jobs=1,
        )
        return forest.fit(data.X, data.y)

    def decompose(self, data: ImportanceData, *, pairwise: bool = False) -> Decomposition:
        """Main effects (and all pairwise interactions with ``pairwise=True``)."""
        d = len(data.names)
        if len(data.y) < 2 or d == 0:
            raise ValueError(
                f"fANOVA needs at least 2 complete trials with a finite value and 1 varying "
                f"parameter; got {len(data.y)} trial(s) and {d} parameter(s)"
            )
        pair_idx = list(combinations(range(d), 2)) if pairwise else []
        per_tree, per_pair = [], []
        if np.ptp(data.y) > 0:
            for est in self._forest(data).estimators_:
                t = est.tree_
                # a split between "inactive" (-0.5) and active values cuts at 0
                thr = np.where(t.threshold < 0, 0.0, t.threshold)
                lo, hi, v = leaf_boxes(t.children_left, t.children_right, t.feature,
                                       thr, t.value[:, 0, 0], d)
                res = decompose_tree(lo, hi, v, data.inactive_share, pair_idx)
                if res is not None:
                    per_tree.append(res[0])
                    per_pair.append(res[1])
        if not per_tree:
            zeros = dict.fromkeys(data.names, 0.0)
            return Decomposition(zeros, dict(zeros),
                                 {(data.names[i], data.names[j]): 0.0 for i, j in pair_idx}, 0)
        arr = np.array(per_tree)
        main = dict(zip(data.names, arr.mean(axis=0).tolist()))
        std = dict(zip(data.names, arr.std(axis=0).tolist()))
        pairs = {(data.names[i], data.names[j]): float(np.mean([p[(i, j)] for p in per_pair]))
                 for i, j in pair_idx}
        return Decomposition(main, std, pairs, len(per_tree))

    def evaluate(self, data: ImportanceData) -> dict[str, float]:
        """Main-effect variance fraction of each parameter (not normalized)."""
        return self.decompose(data).main

    def __repr__(self) -> str:
        return (f"FanovaImportance(n_trees={self.n_trees}, max_depth={self.max_depth}, "
                f"min_samples_leaf={self.min_samples_leaf}, seed={self.seed})")
