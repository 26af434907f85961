"""TransferSampler: a sampler that learns from prior studies, wrapped around any base sampler.

Three phases, decided per trial from the history alone (so every worker agrees):

1. **Initial design** (trial numbers ``0 .. n_initial - 1``): the points of
   :func:`~hyperscout.transfer.design.initial_design` (the priors' best configurations, distinct),
   clipped into the current ranges; a parameter the design point lacks (new in this study, or a
   categorical choice that is gone) is drawn by the base sampler.
2. **Transfer model**, once some trial is complete: on the current joint space (parameters
   every complete trial has), the priors' models and the current study's are combined with
   ranking weights (:mod:`hyperscout.transfer.weights`):

   - ``"gp"``: RGPE, a weighted ensemble of GPs and log-EI (:mod:`hyperscout.transfer._gp`);
   - ``"tpe"``: prior-weighted Parzen estimators (:mod:`hyperscout.transfer._tpe`).

   ``model="auto"`` picks as :class:`~hyperscout.samplers.AutoSampler` does: the GP for flat
   spaces of at most 24 one-hot columns and fewer than 250 complete trials, TPE otherwise.
   Parameters outside the joint space (conditional ones) are drawn by the base sampler.
3. **Base sampler for the global steps** when the priors' total weight falls below
   ``min_prior_weight``: the current study's own evidence has overruled them, and the study
   continues as a cold one would, on all its observations (bounded negative transfer); only
   a local phase (4) may go on while the weight *averaged over the last trials* stays above
   it, and with it below, the base sampler runs alone.
4. **Trust-region refinement** (GP path): after the design, ``local_steps`` of every
   ``local_steps + 1`` trials refine around the current study's best point
   (:func:`~hyperscout.transfer._gp.propose_quadratic_step`): a local quadratic model of the
   trials near it, minimised inside a box of half-width ``r`` (Powell-style model-based
   derivative-free refinement). The model's curvature comes from the priors while the current
   study has too few nearby trials for its own: the shape of each prior's basin at its best
   point (:func:`~hyperscout.transfer._gp.basin_curvature`) carries over to a shifted or
   rescaled task, so ``d + 2`` nearby trials give a model (else the step is the next point of
   the stencil ``incumbent +- r e_i``). ``r`` follows the outcomes of the model steps of the
   current *local phase* (:func:`local_phase`; halved after a failure, doubled after three
   successes). A phase ends when ``r`` falls below ``TR_MIN`` (converged) or after ``2 d + 2``
   local steps in a row without a gain (a plateau), and a new one starts when a global step
   moves the incumbent to a new region (:func:`local_phase_active`). The steps run while the
   priors' weight averaged over the last trials (:func:`recent_prior_weight`) stays above
   ``min_prior_weight``: the bootstrap weights flicker, and a shifted prior ranks the points
   *near* the new optimum poorly even when it found the right basin, but a misleading prior
   (hartmann3 mirrored in the benchmark) keeps no weight, so refinement does not hold the
   study in the basin it led to. Of the remaining (global) trials every other one is the base
   sampler's even while the priors keep weight, so a misleading prior is also tested outside
   its favourite region. Why: a related prior's optimum is usually a little off, so the
   transferred model localises the optimum's basin early but keeps some pull towards the
   priors' optima there (benchmarks/RESULTS.md, issue 9); the current study's own data,
   modelled locally, converge to *its* optimum.

The weights used for a trial are stored with it (``system_attrs["sampler:transfer"]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Distribution
from hyperscout.space.infer import intersection_space
from hyperscout.transfer._data import PriorRows, column_index, prior_rows
from hyperscout.transfer.design import DesignPoint, initial_design
from hyperscout.transfer.prior import PriorStudy, match_value
from hyperscout.transfer.weights import rgpe_weights
from hyperscout.trial.record import FrozenTrial

_MODELS = ("auto", "gp", "tpe")
_STATE_KEY = "transfer"
_MAX_WEIGHT_POINTS = 200  # the weights are computed on the newest ones (bounded cost per trial)


def _is_conditional(history: History) -> bool:
    keys = None
    for t in history.complete():
        k = frozenset(t.params)
        if keys is None:
            keys = k
        elif k != keys:
            return True
    return False


class TransferSampler(Sampler):
    """Warm-start a study from prior studies: a diverse initial design from their best
    configurations, then GP (RGPE) or TPE models that weigh each prior by how well it ranks
    the current study's results (see the module docstring).

    Usually built by ``hs.create_study(warm_start=[...])``; build it yourself for its options.

    Args:
        priors: The prior studies (:class:`~hyperscout.transfer.PriorStudy`, e.g. from
            :func:`~hyperscout.transfer.as_prior`).
        base: The sampler for everything the priors do not decide (default: AutoSampler).
        seed: Seeds this sampler and the default base.
        n_initial: Size of the initial design.
        model: ``"auto"``, ``"gp"`` or ``"tpe"``.
        relatedness: One score per prior for the initial design's order (e.g. meta-feature
            similarity; higher = more related); default: the given order.
        min_prior_weight: Below this total prior weight the global steps are the base
            sampler's; below it on average over the last 8 trials, every step is.
        max_prior_points: Most trials of one prior its GP is fitted on (cost bound).
        n_bootstrap: Bootstrap samples for the ranking weights.
        n_ei_candidates: Candidates per proposal on the TPE path.
        local_steps: After the design, of every ``local_steps + 1`` trials of the GP path,
            this many are trust-region steps around the incumbent and one is a global step
            of the transfer model (``0``: global steps only; see the module docstring).

    Example:
        >>> import hyperscout as hs
        >>> from hyperscout.transfer import TransferSampler, as_prior
        >>> f = lambda t: (t.suggest_float("x", -5, 5) - 1.0) ** 2
        >>> old = hs.create_study(seed=0)
        >>> old.optimize(f, n_trials=15)
        >>> study = hs.create_study(sampler=TransferSampler([as_prior(old)], seed=0, n_initial=2))
        >>> study.optimize(f, n_trials=4)
        >>> study.trials[0].params["x"] == old.best_params["x"]
        True
    """

    def __init__(
        self,
        priors: Sequence[PriorStudy],
        base: Sampler | None = None,
        *,
        seed: SeedLike = None,
        n_initial: int = 5,
        model: str = "auto",
        relatedness: Sequence[float] | None = None,
        min_prior_weight: float = 0.02,
        max_prior_points: int = 128,
        n_bootstrap: int = 256,
        n_ei_candidates: int = 24,
        local_steps: int = 3,
    ) -> None:
        priors = list(priors)
        bad = [p for p in priors if not isinstance(p, PriorStudy)]
        if bad:
            raise TypeError(f"TransferSampler(priors=...): {bad[0]!r} is not a PriorStudy; "
                            "use hyperscout.transfer.as_prior(study)")
        if base is not None and not isinstance(base, Sampler):
            raise TypeError(f"TransferSampler(base={base!r}): not a hyperscout Sampler")
        if model not in _MODELS:
            raise ValueError(f"TransferSampler(model={model!r}): use one of {list(_MODELS)}")
        for name, value, least in (("n_initial", n_initial, 0),
                                   ("max_prior_points", max_prior_points, 8),
                                   ("n_bootstrap", n_bootstrap, 1),
                                   ("n_ei_candidates", n_ei_candidates, 1),
                                   ("local_steps", local_steps, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"TransferSampler({name}={value!r}): use an int >= {least}")
        if not (isinstance(min_prior_weight, (int, float)) and 0 <= min_prior_weight < 1):
            raise ValueError(f"TransferSampler(min_prior_weight={min_prior_weight!r}): use a "
                             "number in [0, 1)")
        self.priors = tuple(priors)
        self.model = model
        self.n_initial = n_initial
        self.min_prior_weight = float(min_prior_weight)
        self.max_prior_points = max_prior_points
        self.n_bootstrap = n_bootstrap
        self.n_ei_candidates = n_ei_candidates
        self.local_steps = local_steps
        self.design: list[DesignPoint] = initial_design(self.priors, n_initial,
                                                        relatedness=relatedness)
        self._base_given = base
        super().__init__(seed)
        self.reseed(seed)

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        if self._base_given is None:
            from hyperscout.samplers.auto import AutoSampler

            ss = seed if isinstance(seed, np.random.SeedSequence) else None
            if ss is None and (seed is None or isinstance(seed, (int, np.integer))):
                ss = np.random.SeedSequence(seed)
            child = ss.spawn(1)[0] if ss is not None else int(self._rng.integers(2**63))
            self.base: Sampler = AutoSampler(seed=child)
        else:
            self.base = self._base_given
            if seed is not None:
                self.base.reseed(make_child(seed))
        self._prior_cache: dict[tuple, list[Any]] = {}
        self._target_fit: dict[tuple, np.ndarray] = {}
        self._plan: tuple[History, str, Mapping[str, Distribution], np.ndarray | None] | None = None

    # -- which phase ------------------------------------------------------------------------
    def _kind(self, history: History, space: Mapping[str, Distribution]) -> str:
        if self.model != "auto":
            return self.model
        from hyperscout.samplers.auto import encoded_width

        if _is_conditional(history) or encoded_width(space) > 24 or history.n_complete >= 250:
            return "tpe"
        return "gp"

    def _make_plan(self, history: History):
        """``(history, mode, space, weights)`` for this snapshot; mode is ``"base"``,
        ``"gp"``, ``"gp-local"`` (a trust-region step) or ``"tpe"``."""
        # the plan keeps its history alive, so ``is`` cannot match a new snapshot at a reused id
        if self._plan is not None and self._plan[0] is history:
            return self._plan
        mode, space, w = "base", {}, None
        if history.is_multi_objective:
            raise ValueError(
                f"TransferSampler: this study has directions={list(history.directions)}; "
                "warm starts need a single-objective study")
        complete = history.complete()
        if complete and self.priors:
            space = {k: d for k, d in intersection_space(complete).items() if not d.is_single}
            if space:
                kind = self._kind(history, space)
                w = self.weights(history, space, kind)
                j = len(complete) - len(self.design)  # steps since the design
                cycle = self.local_steps + 1
                cycling = kind == "gp" and self.local_steps > 0 and j > 0
                if (cycling and len(complete) >= 3 and j % cycle != 0
                        and recent_prior_weight(history, w) >= self.min_prior_weight
                        and local_phase_active(history, SpaceCodec(space, onehot=True))):
                    mode = "gp-local"  # refine around the incumbent, see the doc
                elif w is not None and w[:-1].sum() >= self.min_prior_weight:
                    if not (cycling and (j // cycle) % 2 == 0):
                        # every other global step is the base sampler's even while the
                        # priors keep weight: the current study's data then also come from
                        # outside the priors' favourite region, where a misleading prior is
                        # found out
                        mode = kind
        self._plan = (history, mode, space, w)
        return self._plan

    # -- the sampler contract ---------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        _, mode, space, _ = self._make_plan(history)
        if mode == "base":
            return self.base.infer_space(history)
        return dict(space)

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        if trial.number < len(self.design):
            point = self.design[trial.number]
            params = {}
            for name, dist in space.items():
                if name in point.params:
                    ok, v = match_value(point.params[name], None, dist, "clip")
                    if ok:
                        params[name] = v
            return Proposal(params, {_STATE_KEY: {"design": point.prior, "rank": point.rank}})
        _, mode, plan_space, w = self._make_plan(history)
        if mode == "base":
            return self.base.sample_joint(history, trial, space)
        space = {k: d for k, d in space.items() if k in plan_space}
        params, extra = self._suggest(history, trial, dict(space), mode, w)  # type: ignore[arg-type]
        names = [p.name for p in self.priors] + ["<current>"]
        return Proposal(params, {_STATE_KEY: {
            "model": mode, "weights": {n: round(float(x), 4) for n, x in zip(names, w)},
            **extra}})

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if trial.number < len(self.design):
            point = self.design[trial.number].params
            if name in point:
                ok, v = match_value(point[name], None, distribution, "clip")
                if ok:
                    return v
        return self.base.sample_one(history, trial, name, distribution)

    # -- models -----------------------------------------------------------------------------
    def _rows(self, space: Mapping[str, Distribution]) -> list[PriorRows | None]:
        return [prior_rows(p, space) for p in self.priors]

    def _prior_models(self, space: Mapping[str, Distribution], kind: str) -> list[Any]:
        key = (kind, tuple(space.items()))
        hit = self._prior_cache.get(key)
        if hit is not None:
            return hit
        if len(self._prior_cache) >= 8:
            self._prior_cache.clear()
        out: list[Any] = []
        if kind == "gp":
            from hyperscout.samplers.gp._threads import single_blas_thread
            from hyperscout.transfer._gp import fit_prior_gp

            full = SpaceCodec(space, onehot=True)
            with single_blas_thread():
                for rows in self._rows(space):
                    out.append(None if rows is None else fit_prior_gp(
                        rows, space, full, self._rng, self.max_prior_points))
        else:
            from hyperscout.transfer._tpe import fit_pair

            full = SpaceCodec(space)
            for rows in self._rows(space):
                if rows is None:
                    out.append(None)
                    continue
                X = rows.codec(space, onehot=False).encode(list(rows.params))
                out.append(fit_pair(X, rows.losses, column_index(full, rows.names), space, full))
        self._prior_cache[key] = out
        return out

    def _current(self, history: History, space: Mapping[str, Distribution], onehot: bool):
        complete = [t for t in history.complete()
                    if all(k in t.params and t.distributions.get(k) == d
                           for k, d in space.items())]
        codec = SpaceCodec(space, onehot=onehot)
        X = codec.encode([t.params for t in complete])
        y = np.array([history.sign() * t.values[0] for t in complete])  # type: ignore[index]
        return codec, X, y

    def weights(self, history: History, space: Mapping[str, Distribution] | None = None,
                kind: str | None = None) -> np.ndarray | None:
        """Ranking weights of the priors and (last) the current study for this history, or
        ``None`` before any trial is complete. Deterministic for a given history. Computed on
        the newest 200 complete trials at most (the cost per trial stays bounded).

        Args:
            history: The current study's history.
            space: The joint space (default: the parameters every complete trial has).
            kind: ``"gp"`` or ``"tpe"`` surrogates (default: as ``model`` decides).
        """
        if space is None:
            space = {k: d for k, d in intersection_space(history.complete()).items()
                     if not d.is_single}
        if not space or not history.complete():
            return None
        kind = kind or self._kind(history, space)
        models = self._prior_models(space, kind)
        rng = np.random.default_rng(history.n_complete)  # the same weights on every worker
        if kind == "gp":
            from hyperscout.samplers.gp._threads import single_blas_thread
            from hyperscout.transfer._gp import fit_gp, loo_mean

            codec, X, y = self._current(history, space, onehot=True)
            X, y = X[-_MAX_WEIGHT_POINTS:], y[-_MAX_WEIGHT_POINTS:]
            loo = None
            with single_blas_thread():
                if len(y) >= 3:
                    key = tuple(space.items())
                    gp, full = fit_gp(codec, X, y, rng, self._target_fit.get(key))
                    self._target_fit[key] = full
                    loo = loo_mean(gp)
                preds = [m.predict(X)[0] if m is not None else np.zeros(len(y)) for m in models]
        else:
            from hyperscout.transfer._tpe import knn_loo, score

            codec, X, y = self._current(history, space, onehot=False)
            X, y = X[-_MAX_WEIGHT_POINTS:], y[-_MAX_WEIGHT_POINTS:]
            loo = knn_loo(X, y) if len(y) >= 3 else None
            preds = [score(m[0], m[1], X) if m is not None else np.zeros(len(y))
                     for m in models]
        w = rgpe_weights(np.array(preds).reshape(len(models), len(y)), loo, y, rng,
                         n_samples=self.n_bootstrap)
        w[:-1][[m is None for m in models]] = 0.0
        if w.sum() <= 0:
            w[-1] = 1.0
        return w / w.sum()

    def _suggest(self, history: History, trial: FrozenTrial, space: dict[str, Distribution],
                 mode: str, w: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        local = mode == "gp-local"
        mode = "gp" if local else mode
        models = self._prior_models(space, mode)
        if mode == "gp":
            from hyperscout.samplers.gp._threads import single_blas_thread
            from hyperscout.samplers.gp.optimize import SearchLayout
            from hyperscout.transfer._gp import EnsembleGP, propose, stacked

            codec, X, y = self._current(history, space, onehot=True)
            if local:
                avoid = np.vstack([X, _running_rows(history, trial, codec)])
                row, step = self._trust_region_step(history, codec, X, y, avoid, w)
                return codec.decode(row), {"step": step}
            wts = [x if m is not None else 0.0 for m, x in zip(models, w[:-1])]
            model: Any = EnsembleGP(models, wts)  # the priors, weighted among themselves
            key = ("stacked", tuple(space.items()))
            with single_blas_thread():
                if len(y) >= 3:
                    model = stacked(model, float(w[:-1].sum()), codec, X, y, self._rng,
                                    self._target_fit.get(key))
                    self._target_fit[key] = model.full
                lead = model if len(y) >= 3 else model.members[int(np.argmax(model.weights))]
                avoid = np.vstack([X, _running_rows(history, trial, codec)])
                row = propose(model, SearchLayout(codec), self._rng, X, avoid, lead.lengthscales)
            return codec.decode(row), {}
        from hyperscout.transfer._tpe import fit_pair
        from hyperscout.transfer._tpe import propose as tpe_propose

        codec, X, y = self._current(history, space, onehot=False)
        ls = [m[0] for m in models if m is not None]
        gs = [m[1] for m in models if m is not None]
        wts = [x for m, x in zip(models, w[:-1]) if m is not None]
        if len(y) >= 2 and w[-1] > 0:
            l_t, g_t = fit_pair(X, y, np.arange(codec.n_columns), space, codec)
            ls.append(l_t)
            gs.append(g_t)
            wts.append(w[-1])
        row = tpe_propose(ls, gs, np.array(wts), self._rng, self.n_ei_candidates)
        return codec.decode(row), {}

    def _trust_region_step(self, history: History, codec: SpaceCodec, X: np.ndarray,
                           y: np.ndarray, avoid: np.ndarray,
                           w: np.ndarray) -> tuple[np.ndarray, str]:
        """One trust-region step (module docstring, phase 4): the region's half-width from the
        outcomes of the earlier model steps, then a stencil point or the minimiser of a local
        quadratic model; returns the row and ``"stencil"`` or ``"model"``."""
        from hyperscout.transfer._gp import propose_quadratic_step, trust_region_radius

        radius = trust_region_radius(local_outcomes(history, codec))
        centre = X[int(np.argmin(y))]
        return propose_quadratic_step(X, y, codec, self._rng, centre, radius, avoid,
                                      curvature=self._curvature(codec, w))

    def _curvature(self, codec: SpaceCodec, w: np.ndarray) -> np.ndarray | None:
        """The priors' basin shape over the numeric columns of ``codec``
        (:func:`~hyperscout.transfer._gp.basin_curvature` of each prior that has every
        parameter), averaged with the priors' ranking weights (equally if all are 0); ``None``
        if no prior gives one."""
        from hyperscout.transfer._gp import basin_curvature

        key = ("curvature", tuple(codec.space.items()))
        shapes = self._prior_cache.get(key)
        if shapes is None:
            num = np.flatnonzero(~codec.categorical_columns)
            cat = np.asarray(codec.categorical_columns, dtype=bool)
            shapes = []
            for rows in self._rows(codec.space):
                if rows is None or set(rows.names) != set(codec.names):
                    shapes.append(None)  # the prior lacks a parameter: no full shape
                else:
                    shapes.append(basin_curvature(codec.encode(list(rows.params)),
                                                  rows.losses, num, cat))
            self._prior_cache[key] = shapes
        have = [k for k, h in enumerate(shapes) if h is not None]
        if not have:
            return None
        v = np.array([w[k] for k in have], dtype=float)
        v = v / v.sum() if v.sum() > 0 else np.full(len(have), 1.0 / len(have))
        return sum(x * shapes[k] for x, k in zip(v, have))

    def __repr__(self) -> str:
        return (f"TransferSampler(priors={[p.name for p in self.priors]}, base={self.base!r}, "
                f"n_initial={self.n_initial}, model={self.model!r})")


def make_child(seed: SeedLike) -> int:
    """A seed for the base sampler derived from this sampler's seed: the first child of the
    seed's ``SeedSequence`` (a ``SeedSequence`` given is not advanced: its first child is
    rebuilt from its entropy and spawn key), or a draw from a ``Generator``.

    Example:
        >>> make_child(7) == make_child(np.random.SeedSequence(7))
        True
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, np.random.SeedSequence):
        child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 0),
                                       pool_size=seed.pool_size)
    else:
        child = np.random.SeedSequence(seed).spawn(1)[0]
    return int(child.generate_state(1)[0])


def local_outcomes(history: History, codec: SpaceCodec | None = None) -> list[bool]:
    """For each complete trial of the current local phase proposed by a trust-region model
    step (``"model": "gp-local"`` in its ``sampler:transfer`` attributes, stencil points left
    out), in trial order: did it improve on every complete trial numbered before it by more
    than :data:`~hyperscout.transfer._gp.TR_GAIN` of their range of values? (Minimisation
    scale; the input of :func:`~hyperscout.transfer._gp.trust_region_radius`.) See
    :func:`local_phase` for when a phase starts."""
    return list(local_phase(history, codec)[0])


def local_phase(history: History,
                codec: SpaceCodec | None = None) -> tuple[tuple[bool, ...], int]:
    """The current local phase, replayed from the history: the outcomes of its model steps
    (:func:`local_outcomes`), and how many local steps (model or stencil) in a row, at its
    end, have not improved the best value.

    A new phase starts when a trial that is not a local step improves the best value at a
    point more than :data:`~hyperscout.transfer._gp.TR_INITIAL` (unit-cube scale, any numeric
    column of ``codec``) from the incumbent it replaces: the incumbent has moved to a new
    region. Without ``codec`` (or for a trial lacking a parameter) every such improvement
    starts one.
    """
    from hyperscout.transfer._gp import TR_GAIN, TR_INITIAL

    sign = history.sign()
    trials = sorted(history.complete(), key=lambda t: t.number)
    rows: dict[int, np.ndarray] = {}
    if codec is not None:
        have = [t for t in trials if all(k in t.params for k in codec.names)]
        if have:
            num = ~np.asarray(codec.categorical_columns, dtype=bool)
            enc = codec.encode([{k: t.params[k] for k in codec.names} for t in have])[:, num]
            rows = {t.number: r for t, r in zip(have, enc)}
    best, worst, best_row = np.inf, -np.inf, None
    out: list[bool] = []
    stall = 0
    for t in trials:
        v = sign * t.values[0]  # type: ignore[index]
        attrs = t.system_attrs.get(f"sampler:{_STATE_KEY}") or {}
        improved = bool(v < best - 1e-12 * max(1.0, abs(best))) if np.isfinite(best) else True
        row = rows.get(t.number)
        if attrs.get("model") != "gp-local":
            if improved and (best_row is None or row is None
                             or np.abs(row - best_row).max() > TR_INITIAL):
                out, stall = [], 0
        else:
            # a success must gain a (tiny) share of the values' range, else a converged
            # region would keep "improving" in the last digits and never end its phase
            gain = bool(v < best - TR_GAIN * (worst - best)) if np.isfinite(worst) else improved
            stall = 0 if gain else stall + 1
            if attrs.get("step") != "stencil":
                out.append(gain)
        if v < best:
            best_row = row
        best, worst = min(best, v), max(worst, v)
    return tuple(out), stall


def local_phase_active(history: History, codec: SpaceCodec | None = None) -> bool:
    """Whether the current local phase (:func:`local_phase`) goes on: its trust region has not
    shrunk below :data:`~hyperscout.transfer._gp.TR_MIN`, and its last ``2 d + 2`` local steps
    (``d`` numeric columns of ``codec``: a stencil's worth and two model steps) have not all
    failed, which ends a phase on a plateau (a cross-validated error that many nearby
    configurations share) before the halvings would. A finished phase hands its trials to the
    global steps until one of them moves the incumbent to a new region, so a phase that a
    misleading prior started in a poor local optimum ends once that optimum is refined."""
    from hyperscout.transfer._gp import TR_MIN, trust_region_radius

    outcomes, stall = local_phase(history, codec)
    if codec is not None:
        d = int(np.count_nonzero(~np.asarray(codec.categorical_columns, dtype=bool)))
        if stall >= 2 * d + 2:
            return False
    return trust_region_radius(list(outcomes), restart=False) >= TR_MIN


def recent_prior_weight(history: History, w: np.ndarray | None, k: int = 8) -> float:
    """The priors' total weight averaged over this plan's (``w``) and the newest ``k - 1``
    complete trials that stored weights: the bootstrap weights flicker from trial to trial,
    and the local steps should not stop and start with them."""
    vals = [] if w is None else [float(w[:-1].sum())]
    for t in sorted(history.complete(), key=lambda t: -t.number):
        if len(vals) >= k:
            break
        stored = (t.system_attrs.get(f"sampler:{_STATE_KEY}") or {}).get("weights")
        if stored:
            vals.append(sum(v for n, v in stored.items() if n != "<current>"))
    return float(np.mean(vals)) if vals else 0.0


def _running_rows(history: History, trial: FrozenTrial, codec: SpaceCodec) -> np.ndarray:
    rows = [t.params for t in history.running
            if t.number != trial.number and all(k in t.params for k in codec.names)]
    if not rows:
        return np.zeros((0, codec.n_columns))
    return codec.encode(rows)

