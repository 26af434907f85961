"""CMA-ES sampler: covariance matrix adaptation for continuous and integer spaces.

The search runs in the codec's unit space (:class:`~hyperscout.space.SpaceCodec`, one column per
parameter in ``[0, 1]``), so log scales, steps and integers need no special casing in the math.

No optimizer is stored anywhere. Every trial the sampler proposes carries a small tag in
``Proposal.state`` (``"cma_gen"``: space fingerprint, restart index, generation, population
size; plus ``"cma_z"``, the unrounded coordinates of discrete parameters). The CMA-ES state is a
deterministic function of the history: complete trials are replayed in the order they finished,
each generation is updated once ``popsize`` of its trials are complete, and restarts are drawn
from a seed derived from the history. The replayed state is cached in the sampler object and
advanced only by the trials it has not seen, so a suggestion costs ``O(new trials * d^2 + d^3)``,
not ``O(history)``; any process that reads the same history rebuilds the same state.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers._evo import (
    CmaConstants,
    CmaState,
    cma_constants,
    cma_init,
    cma_sample,
    cma_should_stop,
    cma_tell,
    default_popsize,
    margin_correct,
)
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

GEN_KEY = "cma_gen"
Z_KEY = "cma_z"
_RESTARTS = ("ipop", "bipop", None)
_INC_POPSIZE = 2


def space_fingerprint(space: Mapping[str, Distribution]) -> str:
    """A short, stable id of a search space (names, order and distributions).

    Example:
        >>> from hyperscout.space import Float
        >>> space_fingerprint({"x": Float(0, 1)}) == space_fingerprint({"x": Float(0, 1)})
        True
    """
    blob = json.dumps([[k, d.to_json()] for k, d in space.items()], sort_keys=True)
    return f"{zlib.crc32(blob.encode()):08x}"


def _is_discrete(dist: Distribution) -> bool:
    return isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None)


def _thresholds(dist: Float | Int) -> np.ndarray:
    """Cell boundaries of a discrete distribution in its unit coordinate."""
    if isinstance(dist, Int) and dist.log:
        lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        v = np.arange(dist.low, dist.high) + 0.5
        return (np.log(v) - lo) / (hi - lo)
    if isinstance(dist, Int):
        n = dist.n_values
    else:
        # only discrete distributions come here (_is_discrete): a Float has a step
        assert dist.step is not None
        n = round((dist.high - dist.low) / dist.step) + 1
    return np.arange(1, n) / n


@dataclass
class _Run:
    """One CMA-ES run between restarts."""

    restart: int
    popsize: int
    regime: str
    k: CmaConstants
    state: CmaState
    buffer: list[tuple[np.ndarray, float]] = field(default_factory=list)


class _Replay:
    """The CMA-ES state rebuilt from a history, advanced incrementally."""

    def __init__(self, sampler: CmaEsSampler, space: Mapping[str, Distribution], sign: float):
        self.sampler = sampler
        self.space = dict(space)
        self.fp = space_fingerprint(space)
        self.sign = sign
        self.codec = SpaceCodec(self.space)
        dists = list(self.space.values())
        self.n = len(dists)
        self.discrete = [i for i, d in enumerate(dists) if _is_discrete(d)]
        self.thresholds = [_thresholds(dists[i]) for i in self.discrete]  # type: ignore[arg-type]
        self.bounded = np.ones(self.n, dtype=bool)
        self.bounded[self.discrete] = False
        self.n_seen = 0
        self.last_id: int | None = None
        self.n_told = 0
        self.last_told = 0  # crc32 of the last generation's values: restart entropy
        self.evals = {"large": 0, "small": 0}
        self.n_large_restarts = 0
        self.stops: list[str] = []
        self.sigma0 = sampler._sigma0 if sampler._sigma0 is not None else 1.0 / 6.0
        self.popsize0 = sampler._popsize or default_popsize(self.n)
        self.run = self._new_run(0, np.full(self.n, 0.5), self.sigma0, self.popsize0, "large")

    # -- bookkeeping ------------------------------------------------------------------------
    def _new_run(self, restart: int, mean: np.ndarray, sigma: float, popsize: int, regime: str
                 ) -> _Run:
        k = cma_constants(self.n, popsize)
        state = cma_init(mean, sigma)
        if self.discrete and self.sampler._with_margin:
            state = margin_correct(state, self.discrete, self.thresholds, self._alpha(k))
        return _Run(restart, popsize, regime, k, state)

    def _alpha(self, k: CmaConstants) -> float:
        return 1.0 / (self.n * k.lam)

    def valid_for(self, history: History) -> bool:
        if self.n_seen > history.n_finished:
            return False
        if self.n_seen == 0:
            return True
        return history.finished()[self.n_seen - 1].trial_id == self.last_id

    def advance(self, history: History) -> None:
        finished = history.finished()
        for t in finished[self.n_seen:]:
            if t.state is TrialState.COMPLETE:
                self._consume(t)
        self.n_seen = len(finished)
        if finished:
            self.last_id = finished[-1].trial_id

    def _consume(self, t: FrozenTrial) -> None:
        tag = t.system_attrs.get("sampler:" + GEN_KEY)
        run = self.run
        if not isinstance(tag, Mapping) or tag.get("space") != self.fp:
            return
        if tag.get("restart") != run.restart or tag.get("gen") != run.state.generation:
            return  # a trial of an earlier generation that finished late: not used
        x = self._x_for_tell(t)
        if x is None or t.values is None:
            return
        run.buffer.append((x, self.sign * float(t.values[0])))
        if len(run.buffer) < run.popsize:
            return
        X = np.array([b[0] for b in run.buffer])
        f = np.array([b[1] for b in run.buffer])
        state = cma_tell(run.state, run.k, X, f)
        if self.discrete and self.sampler._with_margin:
            state = margin_correct(state, self.discrete, self.thresholds, self._alpha(run.k))
        run.state = state
        run.buffer = []
        self.n_told += run.popsize
        self.last_told = zlib.crc32(f.tobytes())
        self.evals[run.regime] += run.popsize
        reason = cma_should_stop(state, run.k)
        if reason is not None and self.sampler._restart is not None:
            self.stops.append(reason)
            self._restart()

    def _x_for_tell(self, t: FrozenTrial) -> np.ndarray | None:
        params = t.params
        for name, dist in self.space.items():
            if name not in params or t.distributions.get(name) != dist:
                return None
        x = self.codec.encode([params])[0]
        z = t.system_attrs.get("sampler:" + Z_KEY)
        if self.discrete and isinstance(z, list) and len(z) == len(self.discrete):
            names = self.codec.names
            for j, i in enumerate(self.discrete):
                zi = z[j]
                if isinstance(zi, (int, float)) and math.isfinite(zi):
                    dist = self.space[names[i]]
                    if dist.from_unit(self._encode_discrete(i, float(zi))) == params[names[i]]:
                        x[i] = zi
        return x

    def _encode_discrete(self, i: int, zi: float) -> float:
        s = self.run.state
        if not self.sampler._with_margin:
            return zi
        return float(s.mean[i] + s.A[i] * (zi - s.mean[i]))

    def _restart(self) -> None:
        old = self.run
        # drawn from the history alone (not the sampler's seed: workers have different seeds),
        # so every worker that replays the same trials restarts at the same point
        rng = np.random.default_rng([old.restart + 1, self.n_told, self.last_told])
        mean = rng.random(self.n)
        sigma, popsize, regime = self.sigma0, old.popsize, "large"
        if self.sampler._restart == "ipop":
            popsize = old.popsize * _INC_POPSIZE
        else:  # bipop: alternate a large regime and cheap local runs (Hansen 2009)
            if self.evals["small"] < self.evals["large"]:
                regime = "small"
                mult = _INC_POPSIZE ** self.n_large_restarts
                popsize = max(2, int(math.floor(self.popsize0 * mult ** (rng.random() ** 2))))
                sigma = self.sigma0 * 10.0 ** (-2.0 * rng.random())
            else:
                self.n_large_restarts += 1
                popsize = self.popsize0 * _INC_POPSIZE ** self.n_large_restarts
        self.run = self._new_run(old.restart + 1, mean, sigma, popsize, regime)

    # -- proposing --------------------------------------------------------------------------
    def propose(self, rng: np.random.Generator) -> Proposal:
        run = self.run
        x = cma_sample(run.state, rng, self.bounded)
        u = x.copy()
        for i in self.discrete:
            u[i] = self._encode_discrete(i, float(x[i]))
        params = {name: dist.from_unit(float(u[i]))
                  for i, (name, dist) in enumerate(self.space.items())}
        state: dict[str, Any] = {GEN_KEY: {"space": self.fp, "restart": run.restart,
                                           "gen": run.state.generation, "popsize": run.popsize}}
        if self.discrete:
            state[Z_KEY] = [float(x[i]) for i in self.discrete]
        return Proposal(params=params, state=state)


class CmaEsSampler(Sampler):
    """CMA-ES over the continuous and integer parameters, with IPOP/BIPOP restarts and a margin
    for integers.

    The jointly sampled space is the intersection of the complete trials' parameters, minus
    categoricals and single-valued parameters; those (and conditional parameters) are drawn at
    random. Integer and stepped parameters are searched as a continuous relaxation that is
    rounded to the grid; with ``with_margin`` the distribution keeps a probability of at least
    ``1 / (2 d popsize)`` of leaving the current integer on each side (Hamano et al. 2022), so
    it never freezes on an integer plateau.

    Parallel workers: a generation is updated with the first ``popsize`` of its trials to
    complete (in finish order). While a generation has all its members running, further trials
    are still drawn from the current distribution (nobody waits); those that finish after the
    update are ignored by it. Stopped runs restart (``"ipop"``: doubled population, random mean;
    ``"bipop"``: alternating large-population and small local runs) at a point drawn from a seed
    derived from the history (not from ``seed``), so every worker replays the same restarts.

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.
        sigma0: Initial step size in the unit cube (default 1/6 of each range, as Optuna).
        popsize: Population size (default ``4 + floor(3 ln d)``).
        restart: ``"ipop"`` (default), ``"bipop"`` or ``None`` (no restarts).
        n_startup_trials: Random trials before CMA-ES starts.
        with_margin: Keep integer coordinates from stagnating (see above).

    Example:
        >>> import hyperscout as hs
        >>> hs.set_verbosity("warning")
        >>> study = hs.create_study(sampler=hs.samplers.CmaEsSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2
        ...                + (t.suggest_int("n", 0, 10) - 3) ** 2, n_trials=80)
        >>> study.best_value < 0.1
        True
    """

    def __init__(
        self,
        seed: SeedLike = None,
        sigma0: float | None = None,
        popsize: int | None = None,
        restart: str | None = "ipop",
        n_startup_trials: int = 0,
        with_margin: bool = True,
    ) -> None:
        super().__init__(seed)
        if sigma0 is not None and (
            isinstance(sigma0, bool) or not isinstance(sigma0, (int, float))
            or not (0 < sigma0 < math.inf)
        ):
            raise ValueError(f"CmaEsSampler: sigma0={sigma0!r}; give a positive step size in the "
                             "unit cube (e.g. 0.15) or None")
        if popsize is not None and (
            isinstance(popsize, bool) or not isinstance(popsize, (int, np.integer)) or popsize < 2
        ):
            raise ValueError(f"CmaEsSampler: popsize={popsize!r}; give an int >= 2 or None")
        if restart not in _RESTARTS:
            raise ValueError(f"CmaEsSampler: restart={restart!r}; use 'ipop', 'bipop' or None")
        if (isinstance(n_startup_trials, bool)
                or not isinstance(n_startup_trials, (int, np.integer)) or n_startup_trials < 0):
            raise ValueError(f"CmaEsSampler: n_startup_trials={n_startup_trials!r}; give an "
                             "int >= 0")
        self._sigma0 = None if sigma0 is None else float(sigma0)
        self._popsize = None if popsize is None else int(popsize)
        self._restart = restart
        self._n_startup = int(n_startup_trials)
        self._with_margin = bool(with_margin)
        self._replay: _Replay | None = None
        self._space_seen = 0
        self._space_last_id: int | None = None
        self._space: dict[str, Distribution] | None = None

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        self._replay = None

    # -- the sampler contract -------------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        if history.is_multi_objective:
            raise NotImplementedError(
                "CmaEsSampler optimises a single objective; for multi-objective studies use the "
                "NSGA-II sampler (NSGAIISampler)"
            )
        space = self._intersection(history)
        if not space or history.n_complete < max(self._n_startup, 1):
            return {}
        return {k: d for k, d in space.items()
                if not isinstance(d, Categorical) and not d.is_single}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        if not space:
            return Proposal()
        sign = history.sign()
        rep = self._replay
        if (rep is None or rep.fp != space_fingerprint(space) or rep.sign != sign
                or not rep.valid_for(history)):
            rep = self._replay = _Replay(self, space, sign)
        rep.advance(history)
        return rep.propose(self._rng)

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return distribution.sample(self._rng)

    # -- helpers ------------------------------------------------------------------------------
    def _intersection(self, history: History) -> dict[str, Distribution]:
        """Intersection space of complete trials, updated with the trials not seen before."""
        finished = history.finished()
        n = len(finished)
        if (self._space_seen > n or (self._space_seen and
                                     finished[self._space_seen - 1].trial_id
                                     != self._space_last_id)):
            self._space, self._space_seen = None, 0
        space = self._space
        for t in finished[self._space_seen:]:
            if t.state is not TrialState.COMPLETE:
                continue
            if space is None:
                space = dict(t.distributions)
            else:
                space = {k: d for k, d in space.items() if t.distributions.get(k) == d}
        self._space, self._space_seen = space, n
        self._space_last_id = finished[-1].trial_id if n else None
        return dict(space) if space else {}

    @property
    def restarts(self) -> list[str]:
        """Why each restart of the current replay happened (e.g. ``["tolfun"]``)."""
        return list(self._replay.stops) if self._replay is not None else []

    def __repr__(self) -> str:
        return (f"CmaEsSampler(seed={self._seed!r}, sigma0={self._sigma0!r}, "
                f"popsize={self._popsize!r}, restart={self._restart!r})")
