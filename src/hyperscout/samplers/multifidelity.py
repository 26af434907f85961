"""Model-based multi-fidelity search (BOHB-style): TPE on the highest budget with enough data.

Pruned trials stopped early, so their final values are not comparable with those of complete
trials; a plain TPE either ignores them or ranks them by how far they got. BOHB (Falkner et al.,
"BOHB: Robust and Efficient Hyperparameter Optimization at Scale", ICML 2018) instead models
one *budget* (resource level) at a time: the values every trial had when it reached that
budget are comparable, and the highest budget with enough observations is the most faithful
one. Early in a search that is a low budget, where every trial (pruned ones too) counts; as
trials survive to higher rungs, the model moves up.

This sampler does that on a study's intermediate values:

- **Budgets**: the steps given as ``budgets`` (e.g. the rungs of an ASHA or Hyperband pruner),
  or, with ``budgets=None``, any reported step.
- **Value of a trial at budget b**: its report at the first step ``>= b`` (the rung value of
  :mod:`hyperscout.pruners.asha`); a trial counts at ``b`` only if it reached it. A complete
  trial trained on the full budget, so above its reports it has one more level, ``final``
  (step ``inf``), where its value is its final objective value, and it counts at every budget
  (with its final value at budgets beyond its last report). Failed trials count with whatever
  they reported. Running trials (other than the one asking) count with the rungs they have
  passed, so parallel workers share what they learn early.
- **Level**: the largest budget that at least ``min_points_in_model`` trials reached (found
  from the ``min_points_in_model``-th largest last step, ``O(n log n)``); once that many
  trials are complete, the ``final`` level, whatever ``budgets`` lists. (Before 2026-11-24
  the level was capped at the largest of ``budgets``, so with the rungs ``[1, 3, 9, 27]`` of a
  52-epoch Hyperband the model never saw a full-budget value.)
- **Model**: at that level, the best ``ceil(gamma * n)`` trials form the good group, the rest
  the bad group; a Parzen estimator is fitted to each in the codec's unit cube with the
  kernels of :mod:`hyperscout.samplers.tpe.parzen` (multivariate over the parameters every
  finished trial has), ``n_ei_candidates`` points are drawn from the good density and the one
  with the largest ``l(x) / g(x)`` is proposed. A ``random_fraction`` of proposals are random
  (BOHB's safeguard), as are those before any level has enough points.

The level used is stored with the trial as sampler state (``system_attrs["sampler:mf_budget"]``:
the budget, or ``"final"``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_PROPOSAL_KEY = "mf_proposal"  # the joint proposal, so other workers see all of it at once


class _Obs:
    """A trial's parameters and reports, as the model reads them."""

    __slots__ = ("number", "params", "dists", "steps", "values")

    def __init__(self, t: FrozenTrial, sign: float) -> None:
        self.number = t.number
        self.params = t.params
        self.dists = t.distributions
        iv = t.intermediate_values
        self.steps = sorted(iv)
        self.values = [sign * float(iv[s]) for s in self.steps]
        if t.state is TrialState.COMPLETE and t.values:
            # a complete trial trained on the full budget: its final value is the highest
            # fidelity there is, above every reported step (level ``inf``, "final")
            self.steps.append(math.inf)  # type: ignore[arg-type]
            self.values.append(sign * float(t.values[0]))

    @property
    def last_step(self) -> float:
        return self.steps[-1] if self.steps else -math.inf

    def value_at(self, budget: float) -> float | None:
        i = bisect_left(self.steps, budget)
        return None if i == len(self.steps) else self.values[i]


class _BudgetLevels(Sampler):
    """What the multi-fidelity samplers share: an incremental view of the finished trials'
    reports (:class:`_Obs`), the budgets, and BOHB's level rule (module docstring)."""

    def __init__(self, seed: SeedLike, budgets: Sequence[int] | None,
                 min_points_in_model: int | None, random_fraction: float) -> None:
        super().__init__(seed)
        name = type(self).__name__
        if budgets is not None:
            bs = list(budgets)
            if not bs or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bs):
                raise ValueError(f"{name}(budgets={budgets!r}): give steps as ints >= 0, or None")
            budgets = sorted(set(bs))
        self.budgets: list[int] | None = budgets  # type: ignore[assignment]
        if min_points_in_model is not None and (
            isinstance(min_points_in_model, bool) or not isinstance(min_points_in_model, int)
            or min_points_in_model < 2
        ):
            raise ValueError(f"{name}(min_points_in_model={min_points_in_model!r}): must be an "
                             "int >= 2 or None")
        self.min_points_in_model = min_points_in_model
        if not 0.0 <= random_fraction <= 1.0:
            raise ValueError(f"{name}(random_fraction={random_fraction!r}): must be in [0, 1]")
        self.random_fraction = float(random_fraction)
        self._src: object = None
        self._n_seen = 0
        self._sign = 1.0
        self._obs: list[_Obs] = []
        self._common: dict[str, Distribution] | None = None

    # -- incremental view of the finished trials --------------------------------------------
    def _sync(self, history: History) -> None:
        src, n, sign = history._finished, history.n_finished, history.sign()  # noqa: SLF001
        if src is not self._src or n < self._n_seen or sign != self._sign:
            self._src, self._n_seen, self._sign = src, 0, sign
            self._obs, self._common = [], None
        for t in src[self._n_seen:n]:
            if not t.params:
                continue
            self._obs.append(_Obs(t, sign))
            dists = {k: d for k, d in t.distributions.items() if not d.is_single}
            if self._common is None:
                self._common = dists
            else:
                self._common = {k: d for k, d in self._common.items() if dists.get(k) == d}
        self._n_seen = n

    def infer_space(self, history: History) -> dict[str, Distribution]:
        if history.is_multi_objective:
            raise ValueError(f"{type(self).__name__} is for single-objective studies")
        self._sync(history)
        return dict(self._common or {})

    def level(self, history: History, exclude: int | None = None,
              n_params: int = 1) -> float | None:
        """The budget the model would use now (``inf``: complete trials' final values;
        ``None``: no level has enough trials)."""
        self._sync(history)
        obs = self._observations(history, exclude)
        return self._level(obs, self._min_points(n_params))

    def _min_points(self, d: int) -> int:
        return self.min_points_in_model or max(d + 2, 6)

    def _observations(self, history: History, exclude: int | None) -> list[_Obs]:
        run = [_Obs(t, self._sign) for t in history.running
               if t.number != exclude and t.params and t.intermediate_values]
        return self._obs + run

    def _level(self, obs: list[_Obs], need: int) -> float | None:
        lasts = sorted((o.last_step for o in obs), reverse=True)
        if len(lasts) < need or lasts[need - 1] == -math.inf:
            return None
        top = lasts[need - 1]  # `need` trials reached this step
        if self.budgets is None or top == math.inf:
            return top
        i = bisect_right(self.budgets, top)
        return float(self.budgets[i - 1]) if i else None

    def _matching(self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
                  ) -> tuple[dict[str, Distribution], list[_Obs]]:
        """``space`` without its single-valued parameters, and the finished and running trials
        (not ``trial``) that have each of those with the same distribution (none if the space
        is empty)."""
        space = {k: d for k, d in space.items() if not d.is_single}
        if not space:
            return space, []
        self._sync(history)
        return space, [o for o in self._observations(history, trial.number)
                       if all(o.dists.get(k) == d for k, d in space.items())]

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if distribution.is_single:
            return distribution.from_unit(0.5)
        return distribution.sample(self._rng)



class MultiFidelityTPESampler(_BudgetLevels):
    """BOHB-style sampler: TPE on the highest budget that enough trials reached (module doc).

    Use it with a pruner that stops trials at rungs (:class:`~hyperscout.pruners.ASHAPruner`,
    :class:`~hyperscout.pruners.HyperbandPruner`) and pass the rung steps as ``budgets``, or
    leave ``budgets=None`` to use any reported step.

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.
        budgets: The steps the model may use as levels (``None``: any step); the final
            values of complete trials are a level above them in either case.
        min_points_in_model: Trials needed at a level to model it (default ``d + 2`` for ``d``
            parameters, at least 6).
        gamma: Fraction of the trials at the level in the good group (BOHB: 0.15).
        n_ei_candidates: Candidates drawn from the good density per proposal.
        random_fraction: Share of proposals drawn at random (BOHB uses 1/3; 0.1 reached the
            target in fewer epochs on the synthetic multi-fidelity task of
            ``benchmarks/multifidelity``, tuning seeds 100-111: mean 178 vs 231 epochs).
        prior_weight: Weight of the uniform prior component of each density.
        bandwidth_factor: Multiplies the kernel widths (BOHB widens its kernels by 3 to sample).

    Example:
        >>> import hyperscout as hs
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -5, 5)
        ...     for step in (1, 3, 9):
        ...         trial.report((x - 1) ** 2 + 1.0 / step, step)
        ...         if trial.should_prune():
        ...             raise hs.TrialPruned()
        ...     return (x - 1) ** 2
        >>> pruner = hs.pruners.ASHAPruner(min_resource=1, max_resource=9)
        >>> sampler = MultiFidelityTPESampler(seed=0, budgets=[1, 3, 9])
        >>> study = hs.create_study(sampler=sampler, pruner=pruner)
        >>> study.optimize(objective, n_trials=40)
        >>> study.best_value < 0.5
        True
    """

    def __init__(
        self,
        seed: SeedLike = None,
        *,
        budgets: Sequence[int] | None = None,
        min_points_in_model: int | None = None,
        gamma: float = 0.15,
        n_ei_candidates: int = 64,
        random_fraction: float = 0.1,
        prior_weight: float = 1.0,
        bandwidth_factor: float = 1.0,
    ) -> None:
        super().__init__(seed, budgets, min_points_in_model, random_fraction)
        name = "MultiFidelityTPESampler"
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"{name}(gamma={gamma!r}): must be in (0, 1)")
        self.gamma = float(gamma)
        if isinstance(n_ei_candidates, bool) or not isinstance(n_ei_candidates, int) or (
            n_ei_candidates < 1
        ):
            raise ValueError(f"{name}(n_ei_candidates={n_ei_candidates!r}): must be an int >= 1")
        self.n_ei_candidates = n_ei_candidates
        if not prior_weight > 0:
            raise ValueError(f"{name}(prior_weight={prior_weight!r}): must be > 0")
        self.prior_weight = float(prior_weight)
        if not bandwidth_factor > 0:
            raise ValueError(f"{name}(bandwidth_factor={bandwidth_factor!r}): must be > 0")
        self.bandwidth_factor = float(bandwidth_factor)

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        space, obs = self._matching(history, trial, space)
        if not space:
            return Proposal()
        level = self._level(obs, self._min_points(len(space)))
        if level is None or self._rng.random() < self.random_fraction:
            return Proposal()
        # trials that stopped below the level are left out, as in BOHB: adding them to the bad
        # group reached the synthetic target in more epochs (tuning seeds 100-115: 223 vs 188)
        at = [(v, o) for o in obs for v in (o.value_at(level),) if v is not None]
        at = [(math.inf if math.isnan(v) else v, o) for v, o in at]
        at.sort(key=lambda vo: (vo[0], vo[1].number))
        n_good = max(1, math.ceil(self.gamma * len(at)))
        params = _tpe_step(self._rng, space, [o.params for _, o in at], n_good,
                           self.n_ei_candidates, self.prior_weight, self.bandwidth_factor)
        lvl: float | str = level if math.isfinite(level) else "final"
        return Proposal(params, {"mf_budget": lvl})

    def __repr__(self) -> str:
        return f"MultiFidelityTPESampler(seed={self._seed!r}, budgets={self.budgets!r})"


def _tpe_step(
    rng: np.random.Generator,
    space: Mapping[str, Distribution],
    params: Sequence[Mapping[str, Any]],
    n_good: int,
    n_candidates: int,
    prior_weight: float,
    bandwidth_factor: float,
) -> dict[str, Any]:
    """Fit l (the first ``n_good`` rows) and g (the rest), return the best of ``n_candidates``
    draws from l by ``log l - log g``."""
    from hyperscout.samplers.tpe.parzen import fit_parzen
    from hyperscout.samplers.tpe.sampler import column_of
    from hyperscout.space.codec import SpaceCodec

    codec = SpaceCodec(space)
    X = codec.encode(params)
    cols = [column_of(d) for d in space.values()]
    pe_l = fit_parzen(X[:n_good], cols, prior_weight=prior_weight,
                      bandwidth_factor=bandwidth_factor)
    pe_g = fit_parzen(X[n_good:], cols, prior_weight=prior_weight,
                      bandwidth_factor=bandwidth_factor)
    cand = pe_l.sample(rng, n_candidates)
    score = pe_l.log_pdf(cand) - pe_g.log_pdf(cand)
    return codec.decode(cand[int(np.argmax(score))])





class MultiFidelityGPSampler(_BudgetLevels):
    """Multi-fidelity Gaussian-process BO: one GP over the parameters *and* the budget.

    Where :class:`MultiFidelityTPESampler` models one budget at a time, this sampler models
    every report at once: the budget's log, scaled to ``[0, 1]`` by the largest budget seen, is
    one more input column of a Matérn-5/2 ARD GP (:mod:`hyperscout.samplers.gp`), and
    proposals maximise log-EI at the full budget (column = 1) against the best predicted
    full-budget value of the configurations seen. So low-budget reports inform the full-budget
    prediction only as far as the fitted budget lengthscale says they agree with it: where
    early ranks hold (most real learning curves), the many cheap reports steer the search;
    where they reverse (a high learning rate that leads early and plateaus lower), the
    few full-budget values teach the model the reversal.

    - **Data**: each report at one of ``budgets`` (a rung step) is a point, once per
      configuration and budget (the segments of one configuration that a
      :class:`~hyperscout.samplers.PromotionASHASampler` makes share its parameters; the first
      report wins), and a complete trial's final value is a point at its last reported step.
    - **Cost**: at most ``max_points`` points condition the GP: all above the lowest budget, and
      of the lowest budget's the best quarter, the latest quarter and a random draw of the rest.
      Hyperparameters are refitted (warm-started) when the number of conditioning points has
      grown by 5%; once it is at ``max_points`` they are kept as last fitted (the data still
      change with every report).
    - Reports that are nan or inf count as the worst finite value seen; while no report is
      finite, parameters are drawn at random.
    - **Ranking paused configurations**: :meth:`predict_final` gives the model's full-budget
      prediction; ``PromotionASHASampler(rank_by_model=True)`` resumes paused configurations
      in that order instead of by their value at the rung.
    - Before ``min_points_in_model`` points (default ``d + 2``, at least 6), and for a
      ``random_fraction`` of the proposals, parameters are drawn at random.
    - **Parallel workers**: running trials count with the rungs they have passed; a
      configuration another worker has just been given (no report yet) enters as a Kriging
      believer at the full budget (:meth:`GaussianProcess.believe
      <hyperscout.samplers.gp.likelihood.GaussianProcess.believe>`), so workers that ask at
      the same moment get different points. The benchmark rows are sequential.

    Measured on the issue-4 benchmark (``benchmarks/RESULTS.md``) as the base of
    ``PromotionASHASampler(rank_by_model=True)``: 0.22x of no pruning's epochs to the target
    (geometric mean over 8 tasks; TPE base 0.33x) and the best accuracy within the budget on all
    8. Two variants lost there: a GP per budget level (no budget input), and removing a linear
    budget trend before the fit. The cost is the GP's: about 30 ms per trial at 750 trials
    (``max_points`` bounds it), against about 2 ms with the TPE base.

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.
        budgets: The rung steps whose reports are data points (required; ints >= 1).
        min_points_in_model: Points needed before the GP is used.
        random_fraction: Share of proposals drawn at random.
        max_points: Most points the GP conditions on (an int >= 8).

    Example (with ASHA by promotion, the pairing measured; the objective resumes from its
    checkpoint, here just the last step):

        >>> import hyperscout as hs
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0.0, 1.0)
        ...     start = int(trial.load_checkpoint() or 0)
        ...     for step in range(start + 1, 10):
        ...         loss = (x - 0.7) ** 2 + 1.0 / step
        ...         trial.report(loss, step)
        ...         if trial.should_prune():  # the segment's end: pause here
        ...             trial.save_checkpoint(str(step).encode())
        ...             raise hs.TrialPruned()
        ...     return loss
        >>> base = MultiFidelityGPSampler(seed=0, budgets=[1, 3])
        >>> promo = hs.samplers.PromotionASHASampler(base, min_resource=1, max_resource=9,
        ...                                          rank_by_model=True)
        >>> study = hs.create_study(sampler=promo, pruner=promo.pruner,
        ...                         artifact_store=hs.artifacts.InMemoryArtifactStore())
        >>> study.optimize(objective, n_trials=40)
        >>> sorted({t.system_attrs.get("sampler:mf_budget") for t in study.trials} - {None})
        ['joint']
    """

    def __init__(self, seed: SeedLike = None, *, budgets: Sequence[int] | None = None,
                 min_points_in_model: int | None = None, random_fraction: float = 0.1,
                 max_points: int = 300) -> None:
        super().__init__(seed, budgets, min_points_in_model, random_fraction)
        if self.budgets is None or min(self.budgets) < 1:
            raise ValueError(f"MultiFidelityGPSampler(budgets={budgets!r}): give the rung steps "
                             "as ints >= 1 (the budget's log is a model input), e.g. [1, 3, 9]")
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 8:
            raise ValueError(f"MultiFidelityGPSampler(max_points={max_points!r}): give an int "
                             ">= 8 (e.g. 300)")
        self.max_points = max_points
        self._fit: dict[tuple, tuple[np.ndarray, int]] = {}
        self._model: tuple[Any, Any, dict[str, Distribution]] | None = None

    def predict_final(self, params: Sequence[Mapping[str, Any]]) -> np.ndarray | None:
        """The latest model's mean at the full budget for each configuration, on its
        minimisation scale (smaller is better; only the order is meaningful), or ``None`` before
        the first model or if a configuration lacks one of its parameters."""
        if self._model is None:
            return None
        gp, codec, space = self._model
        if any(any(k not in p for k in space) for p in params):
            return None
        rows = codec.encode([{k: p[k] for k in space} for p in params])
        return gp.predict(np.hstack([rows, np.ones((len(rows), 1))]))[0]

    def _points(self, obs: list[_Obs], space: Mapping[str, Distribution]):
        """``(params, budget, value)`` per (configuration, budget), first report wins."""
        assert self.budgets is not None
        rungs = set(self.budgets)
        seen: set[tuple] = set()
        out = []
        for o in sorted(obs, key=lambda o: o.number):
            key = tuple(sorted((k, repr(o.params[k])) for k in space))
            for s, v in zip(o.steps, o.values):
                if s == math.inf:
                    s = o.steps[-2] if len(o.steps) > 1 else max(rungs)
                elif s not in rungs:
                    continue
                if (key, s) in seen:
                    continue
                seen.add((key, s))
                out.append((o.params, float(s), math.inf if math.isnan(v) else v))
        return out

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        from hyperscout.samplers.gp._threads import single_blas_thread
        from hyperscout.samplers.gp.acquisition import Acquisition
        from hyperscout.samplers.gp.kernels import KernelSpec
        from hyperscout.samplers.gp.likelihood import NOISE_FLOOR, GaussianProcess, fit
        from hyperscout.samplers.gp.optimize import SearchLayout, optimize_acquisition
        from hyperscout.samplers.gp.sampler import jsonable, pending_params, subsample
        from hyperscout.samplers.gp.transforms import robust_transform
        from hyperscout.space.codec import SpaceCodec

        space, obs = self._matching(history, trial, space)
        if not space:
            return Proposal()
        pts = self._points(obs, space)
        if len(pts) < self._min_points(len(space)) or self._rng.random() < self.random_fraction:
            return Proposal()
        codec = SpaceCodec(space, onehot=True)
        X = codec.encode([p for p, _, _ in pts])
        b = np.array([bb for _, bb, _ in pts])
        top_b = float(b.max())
        u = np.log(b) / math.log(top_b) if top_b > 1 else np.ones_like(b)
        y = np.array([v for _, _, v in pts])
        finite = np.isfinite(y)
        if not finite.any():  # every report so far is nan or inf (diverged): nothing to model
            return Proposal()
        y = np.where(finite, y, y[finite].max())  # failed reports count as the worst seen
        z = robust_transform(y)
        keep = np.arange(len(z))
        if len(z) > self.max_points:  # all higher-budget points, a subsample of the lowest
            low = np.flatnonzero(u <= u.min() + 1e-12)
            high = np.flatnonzero(u > u.min() + 1e-12)
            k = max(self.max_points - len(high), self.max_points // 2)
            sub = low[subsample(z[low], low, k, self._rng)]
            keep = np.sort(np.concatenate([high[-(self.max_points - len(sub)):] if len(high)
                                           else high, sub]))
        Xb = np.hstack([X, u[:, None]])[keep]
        zk = z[keep]
        groups = np.zeros(codec.n_columns + 1, dtype=np.int64)
        for g, name in enumerate(codec.names):
            groups[codec.slices[name]] = g
        groups[-1] = len(codec.names)
        spec = KernelSpec.build(groups, list(codec.categorical_columns) + [False], False)
        key = tuple(space.items())
        last = self._fit.get(key)
        with single_blas_thread():
            if last is None or len(zk) - last[1] >= max(1, last[1] // 20):
                res = fit(spec, Xb, zk, rng=self._rng, starts=None if last is None else [last[0]],
                          n_random_starts=2 if last is None else 0,
                          maxiter=200 if last is None else 100)
                self._fit[key] = last = (res.full, len(zk))
            full = last[0]
            gp = GaussianProcess(spec, full[:-1], NOISE_FLOOR + float(np.exp(full[-1])), Xb, zk)
            configs = np.unique(X, axis=0)
            at_top = np.hstack([configs, np.ones((len(configs), 1))])
            mean_top = gp.predict(at_top)[0]
            # configurations just handed to other workers (no report yet): Kriging believer
            # at the full budget, so workers that ask at once get different points
            pending = [p for t in history.running
                       if t.trial_id != trial.trial_id and not t.intermediate_values
                       for p in [pending_params(t, space, _PROPOSAL_KEY)] if p is not None]
            gp_acq, incumbent, avoid = gp, float(mean_top.min()), X
            if pending:
                Xp = codec.encode(pending)
                gp_acq, believed = gp.believe(np.hstack([Xp, np.ones((len(Xp), 1))]))
                incumbent = min(incumbent, float(believed.min()))
                avoid = np.vstack([X, Xp])
            acq = Acquisition(gp_acq, "log_ei", incumbent, var_floor=1e-12 * gp.sf2)

            def values(x: np.ndarray) -> np.ndarray:
                x = np.atleast_2d(x)
                return acq(np.hstack([x, np.ones((len(x), 1))]))

            def value_and_grad(x: np.ndarray):
                x = np.atleast_2d(x)
                v, g = acq.value_and_grad(np.hstack([x, np.ones((len(x), 1))]))
                return v, g[:, :-1]

            self._model = (gp, codec, dict(space))
            best = configs[np.argsort(mean_top, kind="stable")[:3]]
            row, _ = optimize_acquisition(values, value_and_grad, SearchLayout(codec), self._rng,
                                          lengthscales=gp.lengthscales[:-1], incumbents=best,
                                          avoid=avoid, n_candidates=1024,
                                          n_local_candidates=256, n_starts=5)
        params = codec.decode(row)
        return Proposal(params, {"mf_budget": "joint", _PROPOSAL_KEY: jsonable(params)})

    def __repr__(self) -> str:
        return f"MultiFidelityGPSampler(seed={self._seed!r}, budgets={self.budgets!r})"
