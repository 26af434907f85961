"""Population-based training (PBT, Jaderberg et al. 2017, as in Ray Tune) as a sampler.

Design: one trial is one *segment* of a population member's training (``interval`` epochs of
your loop, say). The policy decides, for each new trial, which member it continues and with
which hyperparameters; the execution side (threads, processes, remote workers; whatever runs
the objective) is unchanged. The state that ties segments together travels in the trial's
proposal and is stored with it (``system_attrs["sampler:<key>"]``):

- ``pbt_member``: the member (0 .. population_size - 1; see below for extra members),
- ``pbt_generation``: the segment's index in the member's life (0, 1, 2, ...),
- ``pbt_parent``: the trial whose weights this segment starts from (``None`` in generation 0),
- ``checkpoint_from``: the same number, read by
  :meth:`~hyperscout.trial.handle.Trial.load_checkpoint`, so the objective resumes with
  ``trial.load_checkpoint()`` and ends with ``trial.save_checkpoint(...)``,
- ``pbt_action``: ``"start"`` (generation 0, random hyperparameters), ``"continue"``
  (its own weights and hyperparameters), or ``"exploit"`` (a better member's weights,
  explored hyperparameters).

The lineage of every member is therefore in the storage: follow ``pbt_parent`` back.

Assignment of a new trial (under the study's sampling lock, from its history snapshot):

1. while fewer than ``population_size`` members exist, start a new member (generation 0);
2. otherwise take the *ready* member (its latest segment finished) with the smallest
   ``(generation, member)``; its previous segment of generation ``g`` is ranked among the
   finished segments of generation ``g`` (by the trial's value; a pruned segment by its last
   report; a failed one ranks last). With ``n`` ranked and ``k = max(1, floor(n *
   quantile_fraction))``: a member in the bottom ``k`` *exploits* a member drawn uniformly
   from the top ``k`` (copies its weights via ``checkpoint_from`` and its hyperparameters,
   then *explores*: each hyperparameter is resampled with probability
   ``resample_probability``, else multiplied by a factor drawn from
   ``perturbation_factors`` (0.8 or 1.2; clipped to the bounds; categoricals move to a
   neighbouring choice)); any other member *continues*. With ``n < 2`` it continues;
3. if no member is ready (more workers than members), a new member starts (the population
   grows rather than a worker idling).

Run sequentially, this is the synchronous, generation-by-generation PBT: every member of
generation ``g`` finishes before any of generation ``g + 1`` starts, and a fixed seed gives the
same decisions. With parallel workers it is asynchronous (Ray Tune's flavour): a member goes on
as soon as its own segment finished, ranked against the segments of its generation finished
so far. The number of segments is the study's trial budget: ``population_size * generations``.

Parameters the objective asks for outside ``space`` are copied from the segment the trial
continues or exploits when it has them, and drawn at random otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_PREFIX = "sampler:"
MEMBER, GENERATION, PARENT, ACTION = "pbt_member", "pbt_generation", "pbt_parent", "pbt_action"
CHECKPOINT_FROM = "checkpoint_from"


def pbt_info(trial: Any) -> dict[str, Any]:
    """The PBT state of a trial (a :class:`~hyperscout.trial.handle.Trial` or a FrozenTrial):
    ``member``, ``generation``, ``parent`` and ``action`` (empty dict if it has none).

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial.build(number=5, trial_id=5, state=TrialState.COMPLETE,
        ...     system_attrs={"sampler:pbt_member": 1, "sampler:pbt_generation": 2,
        ...                   "sampler:pbt_parent": 3, "sampler:pbt_action": "exploit"})
        >>> pbt_info(t)
        {'member': 1, 'generation': 2, 'parent': 3, 'action': 'exploit'}
    """
    attrs = trial.system_attrs
    if _PREFIX + MEMBER not in attrs:
        return {}
    return {k: attrs.get(_PREFIX + key) for k, key in
            (("member", MEMBER), ("generation", GENERATION), ("parent", PARENT),
             ("action", ACTION))}


class PBTSampler(Sampler):
    """Population-based training: exploit top-quantile members, explore their hyperparameters.

    See the module docstring for the design. The objective trains one segment per trial:

    .. code-block:: python

        def objective(trial):
            lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            model, opt = build(lr)
            if (ckpt := trial.load_checkpoint()) is not None:
                restore(model, ckpt)          # the continued or exploited member's weights
            for _ in range(interval):
                train_one_epoch(model, opt)
            trial.save_checkpoint(serialise(model))
            return validate(model)

    Args:
        space: The hyperparameters PBT explores (name -> distribution); the objective asks
            for them with the same distributions.
        population_size: Members trained side by side (>= 2).
        seed: An int (reproducible), a numpy Generator, or ``None``.
        quantile_fraction: Share of a generation that exploits (bottom) and is exploited (top),
            in ``(0, 0.5]``.
        resample_probability: Chance that exploring resamples a hyperparameter instead of
            perturbing it.
        perturbation_factors: Factors a numeric hyperparameter is multiplied by.

    Example:
        >>> import hyperscout as hs
        >>> space = {"lr": hs.Float(1e-3, 1.0, log=True)}
        >>> sampler = PBTSampler(space, population_size=4, seed=0)
        >>> study = hs.create_study(sampler=sampler, direction="maximize",
        ...                         artifact_store=hs.artifacts.InMemoryArtifactStore())
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        ...     w = float(trial.load_checkpoint() or b"0")     # "weights": progress so far
        ...     w += 1.0 - abs(lr - 0.1)                       # train one segment
        ...     trial.save_checkpoint(str(w).encode())
        ...     return w
        >>> study.optimize(objective, n_trials=12)             # 4 members x 3 generations
        >>> [pbt_info(t)["generation"] for t in study.trials]
        [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        >>> pbt_info(study.trials[4])["action"] in ("continue", "exploit")
        True
    """

    #: A segment's member, generation and parent are stored with the proposal, so workers in
    #: other processes never continue a member that is already running.
    proposes_state: ClassVar[bool] = True

    def __init__(
        self,
        space: Mapping[str, Distribution],
        *,
        population_size: int,
        seed: SeedLike = None,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        perturbation_factors: Sequence[float] = (0.8, 1.2),
    ) -> None:
        super().__init__(seed)
        if not isinstance(space, Mapping) or not space:
            raise ValueError(f"PBTSampler(space={space!r}): give a non-empty dict name -> "
                             "distribution, e.g. {'lr': hs.Float(1e-4, 1e-1, log=True)}")
        for k, d in space.items():
            if not isinstance(d, (Float, Int, Categorical)):
                raise TypeError(f"PBTSampler(space): {k!r} maps to {d!r}; use hs.Float, hs.Int "
                                "or hs.Categorical")
        self.space = dict(space)
        if isinstance(population_size, bool) or not isinstance(population_size, int) or (
            population_size < 2
        ):
            raise ValueError(f"PBTSampler(population_size={population_size!r}): must be an "
                             "int >= 2")
        self.population_size = population_size
        if not 0.0 < quantile_fraction <= 0.5:
            raise ValueError(f"PBTSampler(quantile_fraction={quantile_fraction!r}): must be in "
                             "(0, 0.5]")
        self.quantile_fraction = float(quantile_fraction)
        if not 0.0 <= resample_probability <= 1.0:
            raise ValueError(f"PBTSampler(resample_probability={resample_probability!r}): must "
                             "be in [0, 1]")
        self.resample_probability = float(resample_probability)
        factors = tuple(float(f) for f in perturbation_factors)
        if not factors or any(not f > 0 for f in factors):
            raise ValueError(f"PBTSampler(perturbation_factors={perturbation_factors!r}): give "
                             "positive numbers, e.g. (0.8, 1.2)")
        self.perturbation_factors = factors
        self._src: object = None
        self._n_seen = 0
        self._sign = 1.0
        self._finished: dict[int, FrozenTrial] = {}  # PBT trials that finished, by number
        self._latest: dict[int, tuple[int, int]] = {}  # member -> (generation, number), finished
        self._by_gen: dict[int, list[tuple[float, int]]] = {}  # generation -> (score, number)

    # -- bookkeeping ------------------------------------------------------------------------
    def _sync(self, history: History) -> None:
        src, n, sign = history._finished, history.n_finished, history.sign()  # noqa: SLF001
        if src is not self._src or n < self._n_seen or sign != self._sign:
            self._src, self._n_seen, self._sign = src, 0, sign
            self._finished, self._latest, self._by_gen = {}, {}, {}
        for t in src[self._n_seen:n]:
            info = pbt_info(t)
            if not info:
                continue
            m, g = int(info["member"]), int(info["generation"])
            self._finished[t.number] = t
            if self._latest.get(m, (-1, -1)) < (g, t.number):
                self._latest[m] = (g, t.number)
            self._by_gen.setdefault(g, []).append((_score(t, sign), t.number))
        self._n_seen = n

    def infer_space(self, history: History) -> dict[str, Distribution]:
        return dict(self.space)

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        if history.is_multi_objective:
            raise ValueError("PBTSampler is for single-objective studies")
        self._sync(history)
        running: dict[int, int] = {}  # member -> latest running generation
        for t in history.running:
            info = pbt_info(t)
            if info and t.number != trial.number:
                m = int(info["member"])
                running[m] = max(running.get(m, -1), int(info["generation"]))
        members = set(self._latest) | set(running)
        ready = sorted((g, m) for m, (g, _) in self._latest.items()
                       if running.get(m, -1) < g)
        if len(members) < self.population_size or not ready:
            m = 0
            while m in members:
                m += 1
            params = {k: d.sample(self._rng) for k, d in space.items()}
            return Proposal(params, {MEMBER: m, GENERATION: 0, PARENT: None,
                                     CHECKPOINT_FROM: None, ACTION: "start"})
        g, m = ready[0]
        prev = self._latest[m][1]
        ranked = sorted(self._by_gen.get(g, []))
        n = len(ranked)
        k = max(1, math.floor(n * self.quantile_fraction))
        bottom = {num for _, num in ranked[n - k:]} if n >= 2 else set()
        if prev in bottom:
            top = [num for _, num in ranked[:k]]
            parent = top[int(self._rng.integers(len(top)))]
            params = self.explore(self._finished[parent].params, space)
            action = "exploit"
        else:
            parent = prev
            src = self._finished[prev]
            params = {k_: (src.params[k_] if k_ in src.params and d.contains(src.params[k_])
                           else d.sample(self._rng)) for k_, d in space.items()}
            action = "continue"
        return Proposal(params, {MEMBER: m, GENERATION: g + 1, PARENT: parent,
                                 CHECKPOINT_FROM: parent, ACTION: action})

    def explore(self, params: Mapping[str, Any], space: Mapping[str, Distribution]
                ) -> dict[str, Any]:
        """Perturb or resample each hyperparameter of ``space`` (see the module docstring).

        Example:
            >>> import hyperscout as hs
            >>> s = PBTSampler({"lr": hs.Float(0.01, 1.0)}, population_size=2, seed=0,
            ...                resample_probability=0.0)
            >>> round(s.explore({"lr": 0.5}, s.space)["lr"], 3) in (0.4, 0.6)
            True
        """
        out: dict[str, Any] = {}
        for name, dist in space.items():
            old = params.get(name)
            if old is None or not dist.contains(old) or (
                self._rng.random() < self.resample_probability
            ):
                out[name] = dist.sample(self._rng)
                continue
            if isinstance(dist, Categorical):
                i = dist.index(old) + int(self._rng.choice((-1, 1)))
                out[name] = dist.choices[min(max(i, 0), len(dist.choices) - 1)]
                continue
            f = self.perturbation_factors[int(self._rng.integers(len(self.perturbation_factors)))]
            v = min(max(float(old) * f, dist.low), dist.high)
            if isinstance(dist, Int):
                out[name] = int(dist.from_unit(dist.to_unit(round(v))))
            elif dist.step is not None:
                out[name] = dist.from_unit(dist.to_unit(v))
            else:
                out[name] = v
        return out

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        src = trial.system_attrs.get(_PREFIX + PARENT)
        rec = self._finished.get(src) if src is not None else None
        if rec is not None and name in rec.params and distribution.contains(rec.params[name]):
            return rec.params[name]
        return distribution.sample(self._rng)

    def __repr__(self) -> str:
        return (f"PBTSampler(population_size={self.population_size}, seed={self._seed!r}, "
                f"space={list(self.space)})")


def _score(t: FrozenTrial, sign: float) -> float:
    """Smaller is better: the value, a pruned trial's last report; failed ranks last."""
    if t.state is TrialState.COMPLETE and t.values:
        return sign * float(t.values[0])
    if t.state is TrialState.PRUNED and t.intermediate_values:
        v = sign * float(t.intermediate_values[t.last_step])  # type: ignore[index]
        return math.inf if math.isnan(v) else v
    return math.inf
