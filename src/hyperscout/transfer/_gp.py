"""RGPE for the GP path: one GP per prior study, one on the current study, a weighted ensemble.

The ensemble's posterior at ``x`` is ``mean = sum_k w_k mu_k(x)``, ``var = sum_k w_k^2 s_k^2(x)``
(Feurer et al. 2018), with the weights of :mod:`hyperscout.transfer.weights`. Every member works
on the robust-transformed values of its own study (so scales do not matter), and a prior's GP
sees only the columns of the parameters it has (:mod:`hyperscout.transfer._data`), so it is
flat along new parameters. The acquisition (log-EI) and its optimiser are the GP sampler's.
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


LOCAL_RADII = (0.2, 0.05, 0.01)
"""Half-widths (unit-cube scale) of the boxes the local refinement step samples around the
incumbent."""


def propose_local(model, codec: SpaceCodec, rng: np.random.Generator, X_obs: np.ndarray,
                  avoid: np.ndarray, n_candidates: int = 768) -> np.ndarray:
    """Local refinement: maximise the model's log-EI over candidates in boxes of several sizes
    around the best observed point (numeric columns moved, categorical choices kept), so the
    study converges on *its* optimum once the transferred region is found."""
    mean_obs = model.predict(X_obs)[0]
    inc = X_obs[int(np.argmin(mean_obs))]
    num = ~codec.categorical_columns
    per = n_candidates // len(LOCAL_RADII)
    cands = []
    for r in LOCAL_RADII:
        C = np.repeat(inc[None, :], per, axis=0)
        C[:, num] = np.clip(C[:, num] + rng.uniform(-r, r, (per, int(num.sum()))), 0.0, 1.0)
        cands.append(C)
    C = codec.round_to_grid(np.vstack(cands))
    acq = Acquisition(model, "log_ei", float(mean_obs.min()), var_floor=1e-12)
    vals = acq(C)
    if len(avoid):
        seen = np.array([np.any(np.all(np.abs(avoid - c) < 1e-9, axis=1)) for c in C])
        vals = np.where(seen, -np.inf, vals)
    return C[int(np.argmax(vals))]
