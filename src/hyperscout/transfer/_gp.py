"""RGPE for the GP path: one GP per prior study, one on the current study, a weighted ensemble.

The ensemble's posterior at ``x`` is ``mean = sum_k w_k mu_k(x)``, ``var = sum_k w_k^2 s_k^2(x)``
(Feurer et al. 2018), with the weights of :mod:`hyperscout.transfer.weights`. Every member works
on the robust-transformed values of its own study (so scales do not matter), and a prior's GP
sees only the columns of the parameters it has (:mod:`hyperscout.transfer._data`), so it is
flat along new parameters. The acquisition (log-EI) and its optimiser are the GP sampler's.

The trust-region refinement of the sampler's phase 4 is here too: :func:`trust_region_radius`
(the box's half-width from the history), :func:`propose_quadratic_step` (a stencil point or
the minimiser of a local quadratic model, :func:`fit_local_quadratic`) and
:func:`basin_curvature` (a prior's basin shape, the local model's curvature while the current
study has few nearby trials).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hyperscout.samplers.gp.acquisition import Acquisition
from hyperscout.samplers.gp.kernels import KernelSpec, kernel_matrix
from hyperscout.samplers.gp.likelihood import NOISE_FLOOR, GaussianProcess, fit
from hyperscout.samplers.gp.optimize import SearchLayout, optimize_acquisition
from hyperscout.samplers.gp.sampler import subsample
from hyperscout.samplers.gp.transforms import robust_transform
from hyperscout.space.codec import SpaceCodec
from hyperscout.transfer._data import PriorRows, column_index


def _spec(codec: SpaceCodec) -> KernelSpec:
    groups = np.zeros(codec.n_columns, dtype=np.int64)
    for g, name in enumerate(codec.names):
        groups[codec.slices[name]] = g
    return KernelSpec.build(groups, codec.categorical_columns, warping=False)


def fit_gp(codec: SpaceCodec, X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
           start: np.ndarray | None = None) -> tuple[GaussianProcess, np.ndarray]:
    """A GP on rows ``X`` of ``codec`` and losses ``y`` (robust-transformed here); returns the
    GP and its full hyperparameter vector (to warm-start the next fit)."""
    spec = _spec(codec)
    z = robust_transform(np.asarray(y, dtype=float))
    res = fit(spec, X, z, rng=rng, starts=None if start is None else [start],
              n_random_starts=1 if start is None else 0, noise_floor=NOISE_FLOOR,
              maxiter=200 if start is None else 100)
    return GaussianProcess(spec, res.theta, res.noise, X, z), res.full


@dataclass
class SubGP:
    """A GP over some columns of the full codec, predicting for full rows."""

    gp: GaussianProcess
    cols: np.ndarray
    d: int

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.gp.predict(np.atleast_2d(x)[:, self.cols])

    def predict_grad(self, x: np.ndarray):
        x = np.atleast_2d(x)
        mean, var, dm, dv = self.gp.predict_grad(x[:, self.cols])
        dmean = np.zeros((len(x), self.d))
        dvar = np.zeros((len(x), self.d))
        dmean[:, self.cols] = dm
        dvar[:, self.cols] = dv
        return mean, var, dmean, dvar

    @property
    def lengthscales(self) -> np.ndarray:
        out = np.ones(self.d)
        out[self.cols] = self.gp.lengthscales
        return out


def fit_prior_gp(rows: PriorRows, space: Mapping, full: SpaceCodec, rng: np.random.Generator,
                 max_points: int) -> SubGP:
    """The GP of one prior over its active columns (at most ``max_points`` of its trials: the
    best quarter, and a random draw of the rest)."""
    codec = rows.codec(space, onehot=True)
    X = codec.encode(list(rows.params))
    y = rows.losses
    keep = subsample(y, np.arange(len(y)), max_points, rng)
    gp, _ = fit_gp(codec, X[keep], y[keep], rng)
    return SubGP(gp, column_index(full, rows.names), full.n_columns)


def loo_mean(gp: GaussianProcess) -> np.ndarray:
    """Leave-one-out posterior means at the training points (closed form, Rasmussen & Williams
    eq. 5.12): ``y_i - [K^-1 y]_i / [K^-1]_ii``."""
    K = kernel_matrix(gp.spec, gp.theta, gp.X)
    K[np.diag_indices(len(K))] += gp.noise
    Kinv = np.linalg.inv(K)
    return gp.y - (Kinv @ gp.y) / np.diag(Kinv)


class EnsembleGP:
    """``mean = sum w_k mu_k``, ``var = sum w_k^2 var_k`` over members with ``predict`` and
    ``predict_grad`` (members with weight 0 are skipped)."""

    def __init__(self, members: Sequence, weights: Sequence[float]) -> None:
        pairs = [(m, float(w)) for m, w in zip(members, weights) if w > 0]
        if not pairs:
            raise ValueError("EnsembleGP: every weight is 0; give at least one positive weight")
        self.members = [m for m, _ in pairs]
        self.weights = np.array([w for _, w in pairs])

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = 0.0
        var = 0.0
        for m, w in zip(self.members, self.weights):
            mu, v = m.predict(x)
            mean = mean + w * mu
            var = var + w * w * v
        return np.asarray(mean), np.asarray(var)

    def predict_grad(self, x: np.ndarray):
        mean = var = dmean = dvar = 0.0
        for m, w in zip(self.members, self.weights):
            mu, v, dm, dv = m.predict_grad(x)
            mean, var = mean + w * mu, var + w * w * v
            dmean, dvar = dmean + w * dm, dvar + w * w * dv
        return mean, var, dmean, dvar


def propose(ensemble: EnsembleGP, layout: SearchLayout, rng: np.random.Generator,
            X_obs: np.ndarray, avoid: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """Maximise log-EI of the ensemble against the best ensemble mean at the observed points
    (or, with none, the best mean among the candidates the optimiser samples)."""
    if len(X_obs):
        mean_obs = ensemble.predict(X_obs)[0]
        best = float(mean_obs.min())
        incumbents = X_obs[np.argsort(mean_obs, kind="stable")[:3]]
    else:  # pragma: no cover - the sampler always has observations on this path
        cand = layout.random(256, rng)
        best = float(ensemble.predict(cand)[0].min())
        incumbents = None
    acq = Acquisition(ensemble, "log_ei", best, var_floor=1e-12)  # type: ignore[arg-type]
    row, _ = optimize_acquisition(acq, acq.value_and_grad, layout, rng, lengthscales=lengthscales,
                                  incumbents=incumbents, avoid=avoid if len(avoid) else None,
                                  n_candidates=1024, n_local_candidates=256, n_starts=5)
    return row


class StackedGP:
    """The prior ensemble's mean as the mean function of a GP on the current study's residuals
    (a stacked GP, as in Golovin et al., "Google Vizier", 2017):

        mean(x) = a m(x) + b + s mu_r(x),    var(x) = s^2 var_r(x),

    where ``m`` is the mean of the priors' GPs (weighted among themselves), ``a`` the priors'
    total ranking weight (:func:`~hyperscout.transfer.weights.rgpe_weights`: 0 for priors the
    current results have overruled, leaving a plain GP), ``b`` the mean offset, and ``r`` a GP
    fitted to the standardised residuals ``z - a m - b`` (their scale ``s``). Every study's
    values are robust-transformed to a unit scale first, so ``a`` needs no regression.
    The residual GP corrects a related prior's bias (e.g. a shifted optimum) locally, where
    the current study has looked, so the model converges to the current optimum rather than
    the prior's.
    """

    def __init__(self, prior: EnsembleGP, strength: float, X: np.ndarray, z: np.ndarray,
                 spec: KernelSpec, rng: np.random.Generator, start: np.ndarray | None) -> None:
        self.prior = prior
        m = prior.predict(X)[0]
        self.a = float(strength)
        self.b = float(np.mean(z - self.a * m))
        r = z - self.a * m - self.b
        # the residual GP works on standardised residuals (its hyperparameter priors expect
        # unit scale); the scale goes back into its predictions
        self.s = max(float(np.std(r)), 1e-12)
        rs = (r - r.mean()) / self.s
        self.b += float(r.mean())
        res = fit(spec, X, rs, rng=rng, starts=None if start is None else [start],
                  n_random_starts=1 if start is None else 0, noise_floor=NOISE_FLOOR,
                  maxiter=200 if start is None else 100)
        self.full = res.full
        self.residual = GaussianProcess(spec, res.theta, res.noise, X, rs)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu_r, var_r = self.residual.predict(x)
        s = self.s
        return self.a * self.prior.predict(x)[0] + self.b + s * mu_r, s * s * var_r

    def predict_grad(self, x: np.ndarray):
        mean_p, _, dmean_p, _ = self.prior.predict_grad(x)
        mu_r, var_r, dmu_r, dvar_r = self.residual.predict_grad(x)
        s = self.s
        return (self.a * mean_p + self.b + s * mu_r, s * s * var_r,
                self.a * dmean_p + s * dmu_r, s * s * dvar_r)

    @property
    def lengthscales(self) -> np.ndarray:
        return self.residual.lengthscales


def stacked(prior: EnsembleGP, strength: float, codec: SpaceCodec, X: np.ndarray,
            y: np.ndarray, rng: np.random.Generator, start: np.ndarray | None) -> StackedGP:
    """A :class:`StackedGP` on the current rows ``X`` and losses ``y`` (robust-transformed)."""
    return StackedGP(prior, strength, X, robust_transform(np.asarray(y, dtype=float)),
                     _spec(codec), rng, start)


TR_INITIAL = 0.05
"""Starting half-width (unit-cube scale) of the trust region around the incumbent."""
TR_MIN = 2.0 ** -12
"""Below this half-width the region has converged and starts again at ``TR_INITIAL``."""
TR_MAX = 0.4
"""Largest half-width."""
TR_SUCCESSES = 3
"""Consecutive improving local steps that double the half-width."""
LOCAL_ROWS = 4.0
"""The local model is fitted on the rows within this many half-widths of the incumbent (4, not
2: after the region shrinks, the rows of the wider steps still shape the model, so fewer
stencil steps are spent re-filling it; measured in benchmarks/RESULTS.md, issue 9)."""
TR_GAIN = 1e-6
"""A local step is a success if it improves the best value by more than this share of the
range of values seen so far."""


def trust_region_radius(outcomes: Sequence[bool], initial: float = TR_INITIAL,
                        smallest: float = TR_MIN, largest: float = TR_MAX,
                        successes: int = TR_SUCCESSES, restart: bool = True) -> float:
    """Half-width of the trust region after the local steps' ``outcomes`` (``True``: the step
    improved the incumbent), replayed in order (a TuRBO-style rule, Eriksson et al. 2019, made
    stricter for noise-free refinement): every failure halves the half-width, ``successes``
    consecutive improvements double it (at most ``largest``), and a half-width that falls below
    ``smallest`` starts again at ``initial`` (the region has converged); with ``restart=False``
    it is returned as it is (below ``smallest``: converged).

    A pure function of the history, so every worker agrees on the region.

    Example:
        >>> trust_region_radius([])
        0.05
        >>> trust_region_radius([False, False])
        0.0125
        >>> trust_region_radius([True, True, True])
        0.1
    """
    if not (0 < smallest <= initial <= largest) or successes < 1:
        raise ValueError("trust_region_radius: need 0 < smallest <= initial <= largest and "
                         f"successes >= 1 (got {smallest}, {initial}, {largest}, {successes})")
    r, streak = float(initial), 0
    for ok in outcomes:
        if ok:
            streak += 1
            if streak >= successes:
                r, streak = min(2.0 * r, largest), 0
        else:
            r, streak = r / 2.0, 0
            if r < smallest:
                if not restart:
                    return r
                r = float(initial)
    return r


def quadratic_features(U: np.ndarray, full: bool) -> np.ndarray:
    """Design matrix of a quadratic model in the columns of ``U``: ``1, u_i, u_i^2`` and, with
    ``full``, the cross terms ``u_i u_j`` (``i < j``).

    Example:
        >>> quadratic_features(np.array([[2.0, 3.0]]), full=True).tolist()
        [[1.0, 2.0, 3.0, 4.0, 9.0, 6.0]]
    """
    U = np.atleast_2d(np.asarray(U, dtype=float))
    cols = [np.ones((len(U), 1)), U, U * U]
    if full:
        i, j = np.triu_indices(U.shape[1], k=1)
        cols.append(U[:, i] * U[:, j])
    return np.hstack(cols)


def fit_local_quadratic(U: np.ndarray, y: np.ndarray, ridge: float = 1e-10,
                        curvature: np.ndarray | None = None):
    """Least-squares quadratic model of ``y`` on local coordinates ``U`` (centred and scaled
    so that the neighbourhood spans about ``[-1, 1]``): full if there are more rows than
    full-quadratic terms; otherwise, with a ``curvature`` matrix ``C`` (the shape of the
    Hessian, known up to a factor, e.g. from a related study) and more than ``d + 1`` rows,
    ``c + g.u + s u'Cu / 2`` (``d + 2`` unknowns); else separable (no cross terms) if more
    rows than ``1 + 2 d``, linear otherwise. ``ridge`` (relative to the values' spread) keeps
    it defined on few rows. Returns ``(f, grad)``: the model's value and gradient at rows of
    local coordinates.

    Example:
        >>> U = np.random.default_rng(0).uniform(-1, 1, (12, 2))
        >>> f, g = fit_local_quadratic(U, ((U - 0.3) ** 2).sum(axis=1) + 1.0)
        >>> z = np.array([[0.3, 0.3]])
        >>> round(float(f(z)[0]), 6), np.abs(g(z)).max() < 1e-6
        (1.0, np.True_)
        >>> f, g = fit_local_quadratic(U[:4], 3 * ((U[:4] - 0.3) ** 2).sum(axis=1),
        ...                            curvature=np.eye(2))  # 4 rows: the shape is given
        >>> round(float(f(z)[0]), 6)
        0.0
    """
    U = np.atleast_2d(np.asarray(U, dtype=float))
    y = np.asarray(y, dtype=float)
    n, d = U.shape
    n_full = 1 + 2 * d + d * (d - 1) // 2
    C = None if curvature is None else np.asarray(curvature, dtype=float).reshape(d, d)
    if n > n_full:
        kind = "full"
    elif C is not None and n > d + 1:
        kind = "curvature"
    elif n > 1 + 2 * d:
        kind = "separable"
    else:
        kind = "linear"
    if kind == "linear":
        A = np.hstack([np.ones((n, 1)), U])
    elif kind == "curvature":
        assert C is not None  # kind is "curvature" only with a curvature given
        A = np.hstack([np.ones((n, 1)), U, 0.5 * np.einsum("ni,ij,nj->n", U, C, U)[:, None]])
    else:
        A = quadratic_features(U, full=kind == "full")
    spread = float(np.ptp(y)) if n > 1 else 1.0
    scale = max(spread, 1e-300)
    reg = ridge * np.eye(A.shape[1])
    reg[0, 0] = 0.0
    coef = np.linalg.solve(A.T @ A + reg, A.T @ (y / scale)) * scale
    lin = coef[1: 1 + d]
    if kind == "curvature":
        H = coef[1 + d] * C
    else:
        sq = coef[1 + d: 1 + 2 * d] if kind != "linear" else np.zeros(d)
        H = np.diag(2.0 * sq)
        if kind == "full":
            i, j = np.triu_indices(d, k=1)
            H[i, j] = H[j, i] = coef[1 + 2 * d:]

    def f(Z: np.ndarray) -> np.ndarray:
        Z = np.atleast_2d(Z)
        return coef[0] + Z @ lin + 0.5 * np.einsum("ni,ij,nj->n", Z, H, Z)

    def grad(Z: np.ndarray) -> np.ndarray:
        return lin + np.atleast_2d(Z) @ H

    return f, grad


def basin_curvature(X: np.ndarray, y: np.ndarray, num: np.ndarray,
                    cat: np.ndarray | None = None, floor: float = 1e-3) -> np.ndarray | None:
    """The shape of a study's basin at its best row: the Hessian of a full quadratic fitted
    (:func:`fit_local_quadratic`) to the rows nearest the best one in the numeric columns
    ``num`` (the best row's categorical columns ``cat`` held fixed), made positive definite
    (eigenvalues raised to ``floor`` times the largest) and scaled to unit trace. ``None`` if
    too few rows share the best row's choices or the fitted quadratic has no positive
    curvature.

    Why: a related study's optimum is often shifted, but the shape of its basin (which
    parameters matter, how they interact) carries over; with it a local model of the current
    study needs ``d + 2`` rows instead of ``(d + 1)(d + 2) / 2``
    (:func:`propose_quadratic_step`).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> X = rng.uniform(0, 1, (40, 2))
        >>> y = 4 * (X[:, 0] - 0.5) ** 2 + (X[:, 1] - 0.5) ** 2
        >>> (np.round(basin_curvature(X, y, np.arange(2)), 3) + 0.0).tolist()
        [[0.8, 0.0], [0.0, 0.2]]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    num = np.asarray(num, dtype=np.int64)
    d = len(num)
    n_full = 1 + 2 * d + d * (d - 1) // 2
    if d == 0 or len(y) <= n_full:
        return None
    b = int(np.argmin(y))
    same = np.ones(len(y), dtype=bool)
    if cat is not None and np.any(cat):
        same = np.all(np.abs(X[:, cat] - X[b, cat]) < 1e-12, axis=1)
    Xs, ys = X[same], y[same]
    if len(ys) <= n_full:
        return None
    dist = np.abs(Xs[:, num] - X[b, num]).max(axis=1)
    near = np.argsort(dist, kind="stable")[:2 * n_full]
    half = max(float(dist[near].max()), 1e-12)
    _, g = fit_local_quadratic((Xs[near][:, num] - X[b, num]) / half, ys[near])
    H = g(np.eye(d)) - g(np.zeros((1, d)))
    H = 0.5 * (H + H.T)
    vals, vecs = np.linalg.eigh(H)
    if not np.isfinite(vals).all() or vals.max() <= 0:
        return None
    vals = np.maximum(vals, floor * vals.max())
    H = (vecs * vals) @ vecs.T
    return H / np.trace(H)


def propose_quadratic_step(X: np.ndarray, y: np.ndarray, codec: SpaceCodec,
                           rng: np.random.Generator, centre: np.ndarray, radius: float,
                           avoid: np.ndarray, n_starts: int = 8,
                           curvature: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """A model-based trust-region step (Powell-style derivative-free refinement): minimise a
    local quadratic model (:func:`fit_local_quadratic` on the rows within ``LOCAL_ROWS``
    half-widths of ``centre``, the numeric columns) inside the box of half-width ``radius``
    around ``centre``; categorical choices stay the centre's. With ``curvature`` (the basin's
    shape over the numeric columns, e.g. :func:`basin_curvature` of a related study) ``d + 2``
    such rows suffice for a model, else ``2 d + 2``; with fewer, the step is the next point of the
    stencil ``centre +- radius e_i`` that has no row near it. Rows in ``avoid`` are not
    returned while another is left (a random point of the box replaces a repeat).
    """
    from scipy.optimize import minimize

    centre = np.asarray(centre, dtype=float)
    num = np.flatnonzero(~codec.categorical_columns)
    if not len(num):
        return centre.copy(), "model"
    d = len(num)
    cat = np.asarray(codec.categorical_columns, dtype=bool)
    same = np.all(np.abs(X[:, cat] - centre[cat]) < 1e-12, axis=1)  # all rows if no categorical
    Xs, ys = X[same], y[same]
    dist = np.abs(Xs[:, num] - centre[num]).max(axis=1)
    n_full = 1 + 2 * d + d * (d - 1) // 2
    local = np.flatnonzero(dist <= LOCAL_ROWS * radius * (1 + 1e-9))
    needed = d + 2 if curvature is not None else 2 * d + 2
    if len(local) < needed:
        # too few rows near the centre for a model: the next point of the stencil
        # centre +- radius e_i (Powell's initial interpolation set) that has no row near it
        for i in range(d):
            for sign in (1.0, -1.0):
                x = centre.copy()
                x[num[i]] = np.clip(centre[num[i]] + sign * radius, 0.0, 1.0)
                x = codec.round_to_grid(x[None, :])[0]
                gap = np.abs(Xs[:, num] - x[num]).max(axis=1) if len(Xs) else np.ones(1)
                if gap.min() > radius / 4 and (not len(avoid) or np.abs(
                        avoid[:, num] - x[num]).max(axis=1).min() > radius / 4):
                    return x, "stencil"
        # the stencil is spent: a model on the nearest rows all the same
        local = np.argsort(dist, kind="stable")[:needed]
    # the model's rows: those within LOCAL_ROWS radii (the model stays local), at most twice
    # the full quadratic's terms (the nearest); fewer rows give a curvature, separable or
    # linear model
    near = local[np.argsort(dist[local], kind="stable")[:2 * n_full]]
    half = max(float(dist[near].max()) if len(near) else 0.0, float(radius), 1e-12)
    U = (Xs[near][:, num] - centre[num]) / half
    f, g = fit_local_quadratic(U, ys[near], curvature=curvature)
    lo = np.maximum(-radius, -centre[num]) / half
    hi = np.minimum(radius, 1.0 - centre[num]) / half
    starts = np.vstack([np.zeros(d), lo + rng.random((n_starts - 1, d)) * (hi - lo)])
    best_z, best_v = np.zeros(d), np.inf
    for z0 in starts:
        res = minimize(lambda z: (float(f(z)[0]), g(z)[0]), z0, jac=True, method="L-BFGS-B",
                       bounds=list(zip(lo, hi)), options={"maxiter": 200})
        if res.fun < best_v:
            best_z, best_v = np.clip(res.x, lo, hi), float(res.fun)
    rows = [best_z] + [lo + rng.random(d) * (hi - lo) for _ in range(16)]
    for z in rows:
        x = centre.copy()
        x[num] = np.clip(centre[num] + z * half, 0.0, 1.0)
        x = codec.round_to_grid(x[None, :])[0]
        if not len(avoid) or not np.any(np.all(np.abs(avoid - x) < 1e-12, axis=1)):
            return x, "model"
    return x, "model"
