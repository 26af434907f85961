"""Prior-weighted Parzen estimators for the TPE path.

Every study (each prior, and the current one) gives a good density ``l_k`` and a bad density
``g_k``, fitted with TPE's kernels (:func:`hyperscout.samplers.tpe.parzen.fit_parzen`) after
TPE's split of *its own* trials (``default_gamma``). The current study then uses the mixtures

    l(x) = sum_k w_k l_k(x),    g(x) = sum_k w_k g_k(x)

with the ranking weights ``w`` of :mod:`hyperscout.transfer.weights`, draws candidates from
``l`` and proposes the one with the largest ``log l - log g``. A prior's densities cover only
its active columns and are uniform on the others. A prior's surrogate, for the weights, is its
own ``log g_k - log l_k`` (lower = predicted better), the quantity TPE ranks candidates by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hyperscout.samplers.tpe.parzen import ParzenEstimator, fit_parzen
from hyperscout.samplers.tpe.sampler import column_of
from hyperscout.samplers.tpe.split import default_gamma
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Distribution


class Density:
    """A Parzen estimator over some columns, uniform over the rest (full unit-codec rows)."""

    def __init__(self, pe: ParzenEstimator, cols: np.ndarray, rest: ParzenEstimator | None,
                 rest_cols: np.ndarray, d: int) -> None:
        self.pe, self.cols, self.rest, self.rest_cols, self.d = pe, cols, rest, rest_cols, d

    def log_pdf(self, X: np.ndarray) -> np.ndarray:
        out = self.pe.log_pdf(X[:, self.cols])
        if self.rest is not None:
            out = out + self.rest.log_pdf(X[:, self.rest_cols])
        return out

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        X = np.empty((size, self.d))
        X[:, self.cols] = self.pe.sample(rng, size)
        if self.rest is not None:
            X[:, self.rest_cols] = self.rest.sample(rng, size)
        return X


def fit_pair(X: np.ndarray, losses: np.ndarray, cols: np.ndarray,
             space: Mapping[str, Distribution], full: SpaceCodec) -> tuple[Density, Density]:
    """``(l, g)`` of one study: rows ``X`` over the full-codec columns ``cols``."""
    columns = [column_of(d) for d in space.values()]
    n = len(losses)
    order = np.argsort(losses, kind="stable")
    below = np.zeros(n, dtype=bool)
    below[order[: default_gamma(n)]] = True
    rest_cols = np.setdiff1d(np.arange(full.n_columns), cols)
    sub = [columns[c] for c in cols]
    rest = fit_parzen(np.zeros((0, len(rest_cols))), [columns[c] for c in rest_cols]) \
        if len(rest_cols) else None
    pe_l = fit_parzen(X[below], sub)
    pe_g = fit_parzen(X[~below], sub)
    return (Density(pe_l, cols, rest, rest_cols, full.n_columns),
            Density(pe_g, cols, rest, rest_cols, full.n_columns))


def score(l_dens: Density, g_dens: Density, X: np.ndarray) -> np.ndarray:
    """``log g - log l`` at rows ``X``: lower = predicted better."""
    return g_dens.log_pdf(X) - l_dens.log_pdf(X)


def knn_loo(X: np.ndarray, y: np.ndarray, k: int = 5) -> np.ndarray:
    """Leave-one-out prediction of each ``y_i`` by the mean of its ``k`` nearest neighbours
    (the current study's own surrogate for the ranking weights on the TPE path).

    Example:
        >>> X = np.array([[0.0], [0.1], [0.5], [1.0]])
        >>> knn_loo(X, np.array([0.0, 1.0, 2.0, 3.0]), k=1).tolist()
        [1.0, 0.0, 1.0, 2.0]
    """
    n = len(y)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    k = max(1, min(k, n - 1))
    nn = np.argsort(D, axis=1, kind="stable")[:, :k]
    return y[nn].mean(axis=1)


def log_mixture(dens: Sequence[Density], w: np.ndarray, X: np.ndarray) -> np.ndarray:
    logs = np.stack([d.log_pdf(X) for d in dens])  # (K, m)
    top = logs.max(axis=0)
    return top + np.log(np.exp(logs - top).T @ w)


def propose(ls: Sequence[Density], gs: Sequence[Density], w: np.ndarray,
            rng: np.random.Generator, n_candidates: int) -> np.ndarray:
    """The candidate from the ``l`` mixture with the largest ``log l - log g``."""
    keep = w > 0
    ls = [d for d, k in zip(ls, keep) if k]
    gs = [d for d, k in zip(gs, keep) if k]
    w = w[keep] / w[keep].sum()
    comp = rng.choice(len(ls), size=n_candidates, p=w)
    cand = np.vstack([ls[c].sample(rng, int((comp == c).sum())) for c in range(len(ls))
                      if (comp == c).any()])
    ratio = log_mixture(ls, w, cand) - log_mixture(gs, w, cand)
    return cand[int(np.argmax(ratio))]
