"""GPSampler: Bayesian optimisation with a Gaussian process, in numpy/scipy only.

One suggestion, step by step (each step is a module of this package):

1. **Space** (``infer_space``): before ``n_startup_trials`` complete trials, every parameter
   seen so far, sampled from a scrambled Sobol sequence (point number = trial number, so
   parallel workers get distinct, well-spread points); afterwards the *intersection space* of
   the complete trials (parameters every complete trial has, with the same distribution).
   Conditional parameters and anything else outside it are sampled independently at random by
   ``sample_one``. Single-valued parameters are returned as they are.
2. **Data**: complete trials encoded by ``SpaceCodec(space, onehot=True)``; values put on the
   minimisation scale and passed through :func:`~hyperscout.samplers.gp.transforms.robust_transform`
   (robust scaling, log-squashing of extreme bad values, Yeo-Johnson, standardisation). Pruned
   and failed trials are not used.
3. **History cap** (cost bound): at most ``max_points`` trials condition the GP and at most
   ``max_fit_points`` of those fit its hyperparameters. Beyond a cap, the kept subset is the best
   quarter (by value), the most recent quarter, and a uniform random draw of the rest.
4. **Fit** (:mod:`~hyperscout.samplers.gp.likelihood`): Matérn-5/2 ARD kernel (optional
   learned Kumaraswamy input warping, ``warping=True``), Hamming distance on categoricals,
   learned noise with a floor; lengthscale prior: the dimension-scaled log-normal, or with
   ``lengthscale_prior="inverse-square"`` Optuna's ``0.1 (1/lam + lam)``, ``lam = 1/l^2``,
   which models step-like objectives as a smooth trend plus noise rather than white noise
   (:mod:`~hyperscout.samplers.gp.likelihood`; measured in ``benchmarks/RESULTS.md``, issue 3);
   maximum a posteriori by L-BFGS-B with analytic gradients, warm-started from the previous
   optimum plus random restarts from the priors (2 below 30 points, 1 below 80, none after).
   Hyperparameters are refitted once the number of complete trials has grown by 5% since the
   last fit (so at every trial up to 40, every 15th at 300); in between, the last ones are
   reused with the new data (only the Cholesky factor is recomputed).
5. **Running trials** (``history.running``): with log-EI (the default), the acquisition is the
   expected improvement of the new point *given* the points other workers are evaluating
   (:mod:`~hyperscout.samplers.gp.fantasy`, a sequential-greedy q-EI): 128 quasi-random joint
   draws of the running points' latent values; under each, the GP conditioned on them and the
   incumbent lowered to the draw's best; EI averaged over the draws. The variance at a running
   point collapses whatever noise the GP fitted, so parallel asks spread out on noisy
   objectives too (a Kriging believer with the fitted noise put 4 asks within 0.005 of each
   other on a noisy quadratic), and a region stays open where a running point may turn out
   bad. Measured in the 16 x 8 batch benchmark: ``benchmarks/RESULTS.md``, issue 3. With
   log-PI, UCB or constraints, each running point's posterior mean is added as an observation
   instead (Kriging believer) and counts for the incumbent. A running trial's point is read
   from its params and, for parameters it has not asked for yet, from the proposal this
   sampler stored with it (``Proposal.state``, key ``gp_proposal``).
6. **Acquisition** (:mod:`~hyperscout.samplers.gp.acquisition`): log-EI (default), log-PI or
   UCB against the best posterior mean among the observed points. When the fitted noise is at
   most 1e-3 of the output scale (a deterministic-looking objective), the noise variance is
   subtracted from the posterior variance first, so EI is ~0 at observed points instead of
   ``0.4 * noise_sd`` (that floor made re-evaluating the incumbent beat exploring).
7. **Optimisation** (:mod:`~hyperscout.samplers.gp.optimize`): Sobol candidates + perturbations
   of the best points, then local search (L-BFGS-B on continuous columns, neighbourhood moves
   on integer/step/categorical ones), on valid points only.
8. **Exploratory steps** (``exploration``, default 0.1): with that probability a suggestion is
   instead a random point of the Pareto front of (low posterior mean, high posterior variance)
   over the candidates, the "epsilon-PF" rule of De Ath et al. (2021, "Greed is good:
   exploration and exploitation trade-offs in Bayesian optimisation"). EI alone can settle in
   a basin the model has wrongly explained (e.g. a trend learnt from the start-up points that
   pins a coordinate at its bound); an occasional non-greedy step gives the data that
   corrects the model. Studies with constraints skip it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.gp._threads import single_blas_thread
from hyperscout.samplers.gp.acquisition import ACQUISITIONS, Acquisition, mean_variance_front
from hyperscout.samplers.gp.constraints import (
    ConstrainedAcquisition,
    constraint_matrix,
    fit_constraint_gps,
)
from hyperscout.samplers.gp.fantasy import FantasyEI
from hyperscout.samplers.gp.kernels import KernelSpec
from hyperscout.samplers.gp.likelihood import NOISE_FLOOR, GaussianProcess, Priors, fit
from hyperscout.samplers.gp.optimize import (
    SearchLayout,
    optimize_acquisition,
    seen_rows,
    sobol,
)
from hyperscout.samplers.gp.transforms import robust_transform
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution
from hyperscout.space.infer import intersection_space
from hyperscout.trial.handle import SAMPLER_STATE_PREFIX
from hyperscout.trial.record import FrozenTrial

_MAX_SOBOL_INDEX = 1 << 14
_DETERMINISTIC_NOISE = 1e-3  # fitted noise / output scale below which the noise is a floor
_STATE_KEY = "gp_proposal"  # the joint proposal, so that other workers see all of it at once


class _SpaceCache:
    """Everything derived from one joint space: codec, layout, kernel layout, encoded rows,
    and the last fitted hyperparameters (the warm start)."""

    def __init__(self, space: Mapping[str, Distribution], warping: bool) -> None:
        self.codec = SpaceCodec(space, onehot=True)
        self.layout = SearchLayout(self.codec)
        groups = np.zeros(self.codec.n_columns, dtype=np.int64)
        for g, name in enumerate(self.codec.names):
            groups[self.codec.slices[name]] = g
        self.spec = KernelSpec.build(groups, self.codec.categorical_columns, warping)
        self.rows: dict[int, np.ndarray] = {}
        self.last_fit: np.ndarray | None = None  # full hyperparameter vector
        self.last_fit_n = 0  # complete trials at the last fit

    def encode(self, trials: list[FrozenTrial]) -> np.ndarray:
        missing = [t for t in trials if t.trial_id not in self.rows]
        if missing:
            X = self.codec.encode([t.params for t in missing])
            for t, row in zip(missing, X):
                self.rows[t.trial_id] = row
        if not trials:
            return np.zeros((0, self.codec.n_columns))
        return np.stack([self.rows[t.trial_id] for t in trials])


def subsample(z: np.ndarray, order: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``k`` points: the best ``k//4`` by ``z``, the ``k//4`` latest by
    ``order``, and a uniform random draw of the rest (sorted; all indices if ``len(z) <= k``).

    Example:
        >>> idx = subsample(np.arange(10.0), np.arange(10), 4, np.random.default_rng(0))
        >>> len(idx), 0 in idx, 9 in idx
        (4, True, True)
    """
    n = len(z)
    if n <= k:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[np.argsort(z, kind="stable")[: k // 4]] = True
    latest = [i for i in np.argsort(-order, kind="stable") if not keep[i]][: k // 4]
    keep[latest] = True
    rest = np.flatnonzero(~keep)
    keep[rng.choice(rest, size=k - int(keep.sum()), replace=False)] = True
    return np.flatnonzero(keep)


_LENGTHSCALE_PRIORS = {"log-normal": Priors(), "inverse-square": Priors(ls_rate=0.1)}


class GPSampler(Sampler):
    """Gaussian-process Bayesian optimisation (numpy/scipy; no torch needed).

    Args:
        seed: An int (reproducible sequential runs), a numpy Generator, or ``None``.
        n_startup_trials: Complete trials to gather (Sobol points) before the GP is used.
        acquisition: ``"log_ei"`` (default), ``"log_pi"`` or ``"ucb"``.
        ucb_beta: Width of the UCB in posterior standard deviations.
        warping: Learn a Kumaraswamy input warping per numeric parameter (off by default: in
            our benchmarks at 60-80 trials it helped on Rosenbrock but made Hartmann-6 and the
            mixed space stall in local optima; log-scale parameters are always modelled in
            log space by the codec, a fixed input transform).
        deterministic_objective: Fix the noise at its floor instead of learning it.
        max_points: Most trials the GP conditions on (cost bound; see the module docstring).
        max_fit_points: Most trials the hyperparameter fit uses.
        n_candidates: Quasi-random candidates per acquisition optimisation.
        n_starts: Local searches per acquisition optimisation.
        exploration: Probability that a suggestion is an exploratory step instead of the
            acquisition's maximiser (see step 8 of the module docstring; 0 turns it off).
        lengthscale_prior: ``"log-normal"`` (default; Hvarfner et al. 2024) or
            ``"inverse-square"`` (Optuna's GPSampler prior; much stronger against short
            lengthscales: on the 14-task subset it scored 0.313 vs 0.341 sequentially and
            level in batch; as the default it made the warm-start benchmark worse, and with
            :class:`AutoSampler`'s TPE turns it was level with the default on the 16 held-out
            tasks: ``benchmarks/RESULTS.md``, issue 3).

    Multi-objective studies raise ``NotImplementedError``.

    Example:
        >>> import hyperscout as hs
        >>> sampler = hs.samplers.GPSampler(seed=0, n_startup_trials=5)
        >>> study = hs.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=12)
        >>> study.best_value < 0.1
        True
    """

    def __init__(
        self,
        seed: SeedLike = None,
        *,
        n_startup_trials: int = 10,
        acquisition: str = "log_ei",
        ucb_beta: float = 2.0,
        warping: bool = False,
        deterministic_objective: bool = False,
        max_points: int = 400,
        max_fit_points: int = 128,
        n_candidates: int = 1024,
        n_starts: int = 5,
        exploration: float = 0.1,
        lengthscale_prior: str = "log-normal",
    ) -> None:
        super().__init__(seed)
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) \
                or n_startup_trials < 1:
            raise ValueError(f"GPSampler(n_startup_trials={n_startup_trials!r}): "
                             "give an int >= 1 (e.g. 10)")
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"GPSampler(acquisition={acquisition!r}): use one of "
                             f"{sorted(ACQUISITIONS)}")
        if not (isinstance(ucb_beta, (int, float)) and ucb_beta > 0):
            raise ValueError(f"GPSampler(ucb_beta={ucb_beta!r}): give a number > 0 (e.g. 2.0)")
        for name, value, least in (("max_points", max_points, 8),
                                   ("max_fit_points", max_fit_points, 8),
                                   ("n_candidates", n_candidates, 1), ("n_starts", n_starts, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"GPSampler({name}={value!r}): give an int >= {least}")
        if not (isinstance(exploration, (int, float)) and not isinstance(exploration, bool)
                and 0.0 <= exploration <= 1.0):
            raise ValueError(f"GPSampler(exploration={exploration!r}): give a probability in "
                             "[0, 1] (e.g. 0.1; 0 turns the exploratory steps off)")
        if lengthscale_prior not in _LENGTHSCALE_PRIORS:
            raise ValueError(f"GPSampler(lengthscale_prior={lengthscale_prior!r}): use one of "
                             f"{sorted(_LENGTHSCALE_PRIORS)}")
        if max_fit_points > max_points:
            raise ValueError(f"GPSampler(max_fit_points={max_fit_points}) is larger than "
                             f"max_points={max_points}; give max_fit_points <= max_points")
        self.n_startup_trials = n_startup_trials
        self.acquisition = acquisition
        self.ucb_beta = float(ucb_beta)
        self.warping = bool(warping)
        self.deterministic_objective = bool(deterministic_objective)
        self.max_points = max_points
        self.max_fit_points = max_fit_points
        self.n_candidates = n_candidates
        self.n_starts = n_starts
        self.exploration = float(exploration)
        self.lengthscale_prior = lengthscale_prior
        self._priors = _LENGTHSCALE_PRIORS[lengthscale_prior]
        self._reset()

    def _reset(self) -> None:
        self._spaces: dict[tuple[Any, ...], _SpaceCache] = {}
        self._startup_seed: int | None = None
        self.last_noise_ratio: float | None = None

    # -- what the latest fit says about the objective ----------------------------------------
    # last_noise_ratio: the learned noise variance over the signal variance (sf2) of the latest
    # hyperparameter fit, or None before the first fit. Near the floor (~1e-6) the GP explains
    # the scores as a smooth function; CV scores and rugged functions fit 1e-2 or more
    # (AutoSampler's tpe_min_noise_ratio reads it).

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        self._reset()

    # -- the sampler contract ---------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        self._check_objectives(history)
        complete = history.complete()
        if len(complete) < self.n_startup_trials:
            return history.distributions()
        return intersection_space(complete)

    # hooks for subclasses (the multi-objective GP sampler): which studies it accepts, the
    # values the GP models, and whether the hyperparameters are refitted at every suggestion
    _refit_every_trial = False

    def _check_objectives(self, history: History) -> None:
        if history.is_multi_objective:
            raise NotImplementedError(
                f"GPSampler models one objective; this study has directions="
                f"{list(history.directions)}. Use a multi-objective sampler (e.g. NSGA) or "
                "optimise a weighted sum of the objectives"
            )

    def _targets(self, history: History, complete: list[FrozenTrial]) -> np.ndarray:
        """The values to minimise, one per complete trial."""
        sign = history.sign()
        return np.array([sign * t.values[0] for t in complete])  # type: ignore[index]

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return distribution.sample(self._rng)

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        fixed = {k: _single_value(d) for k, d in space.items() if d.is_single}
        gp_space = {k: d for k, d in space.items() if not d.is_single}
        if not gp_space:
            return Proposal(params=fixed)
        complete = [t for t in history.complete() if _has(t, gp_space)]
        if len(complete) < self.n_startup_trials:
            params = self._startup(trial.number, gp_space)
        else:
            with single_blas_thread():
                params = self._suggest(history, trial, gp_space, complete)
        # a running trial's params appear one suggest at a time; its stored proposal tells
        # other workers the whole point as soon as the first value is drawn
        return Proposal(params={**params, **fixed}, state={_STATE_KEY: jsonable(params)})

    # -- internals --------------------------------------------------------------------------
    def _cache_for(self, space: Mapping[str, Distribution]) -> _SpaceCache:
        key = tuple(space.items())
        cache = self._spaces.get(key)
        if cache is None:
            if len(self._spaces) >= 8:  # define-by-run spaces that keep changing
                self._spaces.clear()
            cache = self._spaces[key] = _SpaceCache(space, self.warping)
        return cache

    def _startup(self, number: int, space: Mapping[str, Distribution]) -> dict[str, Any]:
        if self._startup_seed is None:
            self._startup_seed = int(self._rng.integers(2**32))
        if number >= _MAX_SOBOL_INDEX:
            return {k: d.sample(self._rng) for k, d in space.items()}
        layout = self._cache_for(space).layout
        U = sobol(len(space), number + 1, np.random.default_rng(self._startup_seed))
        return layout.codec.decode(layout.from_unit(U[number:number + 1])[0])

    def _suggest(self, history: History, trial: FrozenTrial,
                 space: Mapping[str, Distribution], complete: list[FrozenTrial]) -> dict[str, Any]:
        cache = self._cache_for(space)
        rng = self._rng
        X = cache.encode(complete)
        y = self._targets(history, complete)
        z = robust_transform(y)
        order = np.array([t.number for t in complete])
        keep = subsample(z, order, self.max_points, rng)
        Xc, zc, oc = X[keep], z[keep], order[keep]
        n = len(complete)
        if (self._refit_every_trial or cache.last_fit is None
                or n - cache.last_fit_n >= max(1, cache.last_fit_n // 20)):
            fit_idx = subsample(zc, oc, self.max_fit_points, rng)
            n_fit = len(fit_idx)
            starts = [cache.last_fit] if cache.last_fit is not None else None
            n_random = 2 if n_fit < 30 else (1 if n_fit < 80 else 0)
            res = fit(cache.spec, Xc[fit_idx], zc[fit_idx], rng=rng, starts=starts,
                      n_random_starts=n_random, noise_floor=NOISE_FLOOR,
                      fixed_noise=self.deterministic_objective,
                      maxiter=200 if starts is None else 100, priors=self._priors)
            cache.last_fit, cache.last_fit_n = res.full, n
            sf2 = float(np.exp(cache.spec.unpack(res.full[:-1])[1]))
            self.last_noise_ratio = (NOISE_FLOOR + float(np.exp(res.full[-1]))) / sf2
        full = cache.last_fit
        gp = GaussianProcess(cache.spec, full[:-1], NOISE_FLOOR + float(np.exp(full[-1])), Xc, zc)
        mean_obs = gp.train_mean()
        # constraints (create_study(constraints=...)): the incumbent is the best feasible point
        C = constraint_matrix([complete[i] for i in keep])
        feasible = None if C is None else np.all(np.nan_to_num(C, nan=0.0) <= 0, axis=1)
        best = float(mean_obs[feasible].min() if feasible is not None and feasible.any()
                     else mean_obs.min())

        pending = [p for t in history.running if t.trial_id != trial.trial_id
                   for p in [pending_params(t, space)] if p is not None]
        # near-deterministic fits: measure uncertainty above the noise level (see Acquisition)
        offset = gp.noise if gp.noise <= _DETERMINISTIC_NOISE * gp.sf2 else 0.0
        Xp = cache.codec.encode(pending) if pending else None
        avoid = X if Xp is None else np.vstack([X, Xp])
        acq: Acquisition | ConstrainedAcquisition
        if Xp is not None and self.acquisition == "log_ei" and C is None:
            # q-EI given the running points' drawn values (gp/fantasy.py)
            acq = FantasyEI(gp, Xp, best, rng, var_offset=offset, var_floor=1e-12 * gp.sf2)
            gp = acq.gp
        else:
            if Xp is not None:
                believed = gp.predict(Xp)[0]
                # Kriging believer with the fitted noise (log-PI, UCB and constrained studies)
                gp = gp.condition(Xp, believed)
                # the believed values count as observed: a pending point's own EI is then ~0
                best = min(best, float(believed.min()))
            acq = Acquisition(gp, self.acquisition, best, self.ucb_beta, var_offset=offset,
                              var_floor=1e-12 * gp.sf2)
        if C is not None:  # probability of feasibility times the acquisition
            gps, thresholds = fit_constraint_gps(cache.spec, Xc, C, rng)
            base = acq if feasible.any() else None  # type: ignore[union-attr]
            acq = ConstrainedAcquisition(base, gps, thresholds)  # type: ignore[assignment]

        top = np.argsort(mean_obs, kind="stable")[:3]
        if C is None and self.exploration > 0 and rng.random() < self.exploration:
            row = self._explore(gp, cache.layout, Xc[top], avoid, rng)
            if row is not None:
                return cache.codec.decode(row)
        # candidates cost O(m n^2): keep m n^2 about constant beyond 150 points
        n_cand = int(np.clip(self.n_candidates * (150.0 / len(zc)) ** 2, 256, self.n_candidates))
        row, _ = optimize_acquisition(
            acq, acq.value_and_grad, cache.layout, rng,
            lengthscales=gp.lengthscales, incumbents=Xc[top], avoid=avoid,
            n_candidates=n_cand, n_local_candidates=max(128, n_cand // 4),
            n_starts=self.n_starts,
        )
        return cache.codec.decode(row)

    def _explore(self, gp: GaussianProcess, layout: SearchLayout, incumbents: np.ndarray,
                 avoid: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        """A random point of the mean/uncertainty Pareto front of quasi-random and local
        candidates (the epsilon-PF step); ``None`` if every candidate was observed already."""
        X = np.vstack([layout.random(self.n_candidates // 2, rng),
                       layout.perturb(incumbents, max(self.n_candidates // 8, 1), rng)])
        X = X[~seen_rows(X, avoid)]
        if len(X) == 0:
            return None
        mean, var = gp.predict(X)
        front = mean_variance_front(mean, var)
        return X[front[int(rng.integers(len(front)))]]

    def __repr__(self) -> str:
        return (f"GPSampler(seed={self._seed!r}, n_startup_trials={self.n_startup_trials}, "
                f"acquisition={self.acquisition!r})")


def _single_value(dist: Distribution) -> Any:
    if isinstance(dist, Categorical):
        return dist.choices[0]
    return dist.low


def _has(trial: FrozenTrial, space: Mapping[str, Distribution]) -> bool:
    """Whether ``trial`` has every parameter of ``space``, drawn from the same distribution."""
    dists = trial.distributions
    return all(k in trial.params and dists.get(k) == d for k, d in space.items())


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with numpy scalars as Python ones (to store a proposal as trial state)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}


def pending_params(trial: FrozenTrial, space: Mapping[str, Distribution],
                   state_key: str = _STATE_KEY) -> dict | None:
    """The point a running trial is evaluating, from its params and, for those it has not
    asked for yet, the proposal stored under ``state_key``; ``None`` if that does not cover
    ``space``."""
    if _has(trial, space):
        return dict(trial.params)
    proposed = trial.system_attrs.get(SAMPLER_STATE_PREFIX + state_key)
    if not isinstance(proposed, Mapping):
        return None
    out: dict[str, Any] = {}
    for k, d in space.items():
        if k in trial.params:
            if trial.distributions.get(k) != d:
                return None
            out[k] = trial.params[k]
        elif k in proposed and d.contains(proposed[k]):
            out[k] = proposed[k]
        else:
            return None
    return out
