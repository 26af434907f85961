"""How much each prior study is trusted: ranking-loss weights on bootstrap samples (RGPE).

Each prior study ``k`` has a surrogate that predicts a score for any configuration (lower =
predicted better). The current study has ``n`` observations ``(x_i, y_i)``. A model's
*ranking loss* on a set of observations counts the pairs it orders wrongly:

    L_k = sum_{i, j} 1[ (f_k(x_i) < f_k(x_j)) xor (y_i < y_j) ].

The current study's own model is scored on leave-one-out predictions (it has seen ``y_i``
otherwise). On each of ``n_samples`` bootstrap resamples of the observations, the model with the
smallest loss gets the vote (ties share it); a model's weight is its share of the votes
(Feurer, Letham & Bakshy, "Scalable Meta-Learning for Bayesian Optimization", 2018: RGPE).

Bounded negative transfer: a prior that orders the current results no better than chance loses
the vote to the current model once the current model's leave-one-out ranking is better than
chance, which takes a few dozen observations on smooth tasks; and, as in RGPE, a prior whose
median loss exceeds the 95th percentile of the current model's losses gets weight 0 outright
(so that many bad priors cannot share a weight that dilutes the current model).
"""

from __future__ import annotations

import numpy as np


def misrank_matrix(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``M[i, j] = 1`` where ``pred`` orders the pair ``(i, j)`` differently from ``y``.

    Example:
        >>> misrank_matrix(np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 1.0])).astype(int)
        array([[0, 0, 0],
               [0, 0, 1],
               [0, 1, 0]])
    """
    pred = np.asarray(pred, dtype=float)
    y = np.asarray(y, dtype=float)
    return ((pred[:, None] < pred[None, :]) ^ (y[:, None] < y[None, :])).astype(float)


def ranking_losses(
    preds: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_samples: int = 256
) -> np.ndarray:
    """Ranking losses of each model (rows of ``preds``) on bootstrap resamples of the
    observations. Shape ``(n_samples, n_models)``.

    Example:
        >>> y = np.arange(6.0)
        >>> L = ranking_losses(np.stack([y, -y]), y, np.random.default_rng(0), 8)
        >>> bool((L[:, 0] == 0).all()), bool((L[:, 1] > 0).all())
        (True, True)
    """
    preds = np.atleast_2d(np.asarray(preds, dtype=float))
    n = len(y)
    if preds.shape[1] != n:
        raise ValueError(f"ranking_losses: preds has {preds.shape[1]} columns for {n} values")
    M = np.stack([misrank_matrix(p, y) for p in preds])  # (K, n, n)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_samples).astype(float)  # (S, n)
    return np.einsum("si,kij,sj->sk", counts, M, counts)


def rgpe_weights(
    prior_preds: np.ndarray,
    target_loo: np.ndarray | None,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    n_samples: int = 256,
    dilution_percentile: float = 95.0,
) -> np.ndarray:
    """Weights of the priors and of the current study's own model (the last entry); they sum
    to 1.

    Args:
        prior_preds: ``(K, n)``: each prior surrogate's score at the current observations.
        target_loo: ``(n,)``: the current model's leave-one-out predictions there, or ``None``
            if it has no model yet (it then gets weight 0, unless there are no priors).
        y: ``(n,)``: the current observations, on the minimisation scale.
        rng: Randomness for the bootstrap.
        n_samples: Bootstrap resamples.
        dilution_percentile: A prior whose median loss exceeds this percentile of the current
            model's losses gets weight 0.

    With fewer than 2 observations nothing can be ranked: the priors share the weight equally.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = np.linspace(0, 1, 30); y = (x - 0.3) ** 2
        >>> good, bad = (x - 0.35) ** 2, rng.random(30)
        >>> w = rgpe_weights(np.stack([good, bad]), y + 0.1 * rng.random(30), y, rng)
        >>> bool(w[0] > 0.5), float(w[1])
        (True, 0.0)
    """
    prior_preds = np.asarray(prior_preds, dtype=float).reshape(-1, len(y))
    K = len(prior_preds)
    y = np.asarray(y, dtype=float)
    if K == 0:
        return np.ones(1)
    if len(y) < 2 or (target_loo is None and K == 1):
        w = np.zeros(K + 1)
        w[:K] = 1.0 / K
        return w
    if target_loo is None:
        losses = ranking_losses(prior_preds, y, rng, n_samples)
    else:
        losses = ranking_losses(np.vstack([prior_preds, target_loo[None, :]]), y, rng, n_samples)
    best = losses.min(axis=1, keepdims=True)
    winners = (losses == best).astype(float)
    votes = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
    w = np.zeros(K + 1)
    w[: len(votes)] = votes
    if target_loo is not None:
        cut = np.percentile(losses[:, K], dilution_percentile)
        diluting = np.median(losses[:, :K], axis=0) > cut
        w[:K][diluting] = 0.0
        if w.sum() <= 0:
            w[K] = 1.0
    return w / w.sum()
