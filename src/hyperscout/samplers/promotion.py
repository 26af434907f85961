"""Successive halving by promotion (pause and resume): ASHA as Li et al. first wrote it.

The stopping variant of ASHA (:class:`~hyperscout.pruners.ASHAPruner`) decides once, when a
trial reaches a rung: go on or stop for good. This sampler instead *pauses* every trial at its
rung and decides later, whenever a worker asks for work, which paused configuration to resume
(Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2):

1. for each rung ``k``, from the highest down: with ``n`` configurations paused at rung ``k``,
   while fewer than ``n // reduction_factor`` of them have been resumed, the next trial resumes
   the best one not resumed yet (by its value there), training from rung ``k``'s step to rung
   ``k + 1``'s (or to the end, from the last rung). This per-rung *quota* is the default;
   ``quota=False`` is Li et al.'s rule (any not-yet-resumed configuration in the rung's current
   top ``n // reduction_factor``);
2. otherwise the next trial is a new configuration from the ``base`` sampler, trained to the
   first rung.

Each decision uses all the evidence of every rung so far. A configuration that looked average
when it paused is still resumed once enough worse ones have arrived. With the quota exactly
``1 / reduction_factor`` of each rung goes on. The stopping variant lets more go on as the base
sampler's proposals improve, and so does Li et al.'s rule. The price: the objective must resume
from a checkpoint.

Each trial is one *segment* of a configuration's training. The schedule travels in the trial's
system attributes (``"sampler:<key>"``), so every worker sees it and the lineage is stored:

- ``segment_stop_at``: the step at which the segment pauses (``None``: train to the end);
  :class:`~hyperscout.pruners.SegmentPruner` (this sampler's :attr:`~PromotionASHASampler.pruner`)
  stops the trial at its first report at or after it, as ``PRUNED``;
- ``segment_rung``: the index of that rung (the number of rungs for the last segment);
- ``segment_parent`` / ``checkpoint_from``: the paused trial this segment resumes (``None`` for
  a new configuration), so :meth:`~hyperscout.trial.handle.Trial.load_checkpoint` returns its
  checkpoint;
- ``segment_config``: the number of the configuration's first trial.

A resumed segment gets the paused trial's parameters. The objective reads where to start from
its checkpoint and saves one before it stops:

.. code-block:: python

    def objective(trial):
        model = build(trial.suggest_float("lr", 1e-4, 1e-1, log=True))
        start = 0
        if (ckpt := trial.load_checkpoint()) is not None:
            start = restore(model, ckpt)       # the paused segment's weights and epoch
        for epoch in range(start + 1, max_epochs + 1):
            acc = train_and_validate(model)
            trial.report(acc, epoch)
            if trial.should_prune():           # the segment's last step: pause
                trial.save_checkpoint(serialise(model, epoch))
                raise hs.TrialPruned()
        return acc

An objective that ignores the checkpoint still works; each resumed segment then retrains from
the start (and costs that much more).

Parallel workers: threads of one study see each other's segments at once (the study's sampling
lock and its live trials). Workers in several processes or machines see a segment's schedule as
soon as it is decided: the study writes it to the storage with the proposal
(``Sampler.proposes_state``). Two workers that decide within the same few milliseconds may
still resume the same paused segment. That wastes one segment's training but breaks nothing:
both segments are recorded, with the same parent.

On the issue-4 benchmark (``benchmarks/RESULTS.md``), with ``min_resource=3`` of 52 epochs: a
multi-fidelity TPE base reached the target in 0.33x of no pruning's epochs (geometric mean over
8 tasks), at the same best accuracy within the budget as Hyperband with the same sampler;
:class:`~hyperscout.samplers.MultiFidelityGPSampler` as the base with ``rank_by_model=True``
needed 0.22x and had the best accuracy within the budget on all 8 tasks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from hyperscout._logging import get_logger
from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_log = get_logger(__name__)

_PREFIX = "sampler:"
STOP_AT, RUNG, PARENT, CONFIG, BRACKET = ("segment_stop_at", "segment_rung", "segment_parent",
                                          "segment_config", "segment_bracket")
CHECKPOINT_FROM = "checkpoint_from"


def promotable(rung_scores: list[list[tuple[float, int]]], resumed: set[int],
               reduction_factor: int, quota: bool = True) -> tuple[int, int] | None:
    """``(rung, trial number)`` of the paused segment to resume next, or ``None``.

    ``rung_scores[k]`` holds ``(score, number)`` of the segments paused at rung ``k`` (smaller
    score is better); ``resumed`` the numbers already resumed. Rungs are tried from the highest
    down. With ``n`` segments at a rung:

    - ``quota=True``: while fewer than ``n // reduction_factor`` of them were resumed, the best
      one not yet resumed goes on (exactly ``1/eta`` of each rung goes on, best first);
    - ``quota=False`` (Li et al.'s rule): the best of the top ``n // reduction_factor`` not yet
      resumed goes on. When the base sampler's proposals improve, each new best enters the
      top and is resumed, so far more than ``1/eta`` of a rung can go on.

    Example:
        >>> rungs = [[(0.3, 0), (0.1, 1), (0.2, 2)], []]
        >>> promotable(rungs, set(), 3), promotable(rungs, {1}, 3)
        ((0, 1), None)
        >>> six = [[(0.3, 0), (0.1, 1), (0.2, 2), (0.4, 3), (0.5, 4), (0.0, 5)], [(0.2, 1)]]
        >>> promotable(six, {1}, 3), promotable(six, {1, 5}, 3)
        ((0, 5), None)
        >>> promotable(six, {0, 3}, 3), promotable(six, {0, 3}, 3, quota=False)
        (None, (0, 5))
    """
    for k in range(len(rung_scores) - 1, -1, -1):
        ranked = sorted(rung_scores[k])
        allowed = len(ranked) // reduction_factor
        if quota:
            if sum(1 for _, number in ranked if number in resumed) >= allowed:
                continue
            candidates = ranked
        else:
            candidates = ranked[:allowed]
        for _, number in candidates:
            if number not in resumed:
                return k, number
    return None


class PromotionASHASampler(Sampler):
    """ASHA by promotion: pause every trial at its rung, resume the best paused ones later.

    See the module docstring for the rule and for the objective it needs (one that resumes from
    ``trial.load_checkpoint()``). Pass :attr:`pruner` as the study's pruner: it pauses each
    trial at the end of its segment.

    Args:
        base: The sampler that proposes new configurations (default: ``TPESampler(seed=seed)``).
            It sees every segment, paused ones as pruned trials.
        min_resource: The first rung's step (an int >= 1).
        max_resource: The step a configuration trains to in full (> ``min_resource``).
        reduction_factor: ``eta``: rung ``k`` is at ``min_resource * eta**k``, and the best
            ``1/eta`` of a rung is resumed (an int >= 2).
        quota: ``True`` (default): resume the best paused configuration of a rung only while
            fewer than ``n // eta`` of its ``n`` have been resumed, so exactly ``1/eta`` of each
            rung trains on. ``False``: Li et al.'s rule, any not-yet-resumed configuration
            in the rung's current top ``n // eta`` (with a base sampler whose proposals improve,
            most configurations end up resumed). See :func:`promotable`.
        brackets: ``1`` (default): every new configuration pauses first at the first rung.
            ``k > 1``: Hyperband by promotion, a new configuration's first pause is at rung
            ``b < k`` (``b = len(rungs)``: no pause), drawn from its trial number with
            Hyperband's weights (:meth:`bracket_of`); configurations compete within their
            bracket. It hedges against early rungs that rank the eventual winners low, and it
            costs more epochs.
        rank_by_model: ``False`` (default): a rung's paused configurations are ranked by their
            value there. ``True``: by the base sampler's prediction of their full-budget value
            (``base.predict_final``, e.g. :class:`~hyperscout.samplers.MultiFidelityGPSampler`),
            once it has a model: a configuration that starts slowly but is predicted to end
            best is resumed before one that leads at the rung and is predicted to plateau.
        seed: The default ``base`` sampler's seed (the promotion rule itself is deterministic).

    Example:
        >>> import hyperscout as hs, json
        >>> sampler = hs.samplers.PromotionASHASampler(
        ...     hs.samplers.RandomSampler(seed=0), min_resource=1, max_resource=9)
        >>> study = hs.create_study(sampler=sampler, pruner=sampler.pruner,
        ...                         artifact_store=hs.artifacts.InMemoryArtifactStore())
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0.0, 1.0)
        ...     ckpt = trial.load_checkpoint()
        ...     start = json.loads(ckpt)["epoch"] if ckpt else 0
        ...     for epoch in range(start + 1, 10):
        ...         loss = (x - 0.5) ** 2 + 1.0 / epoch
        ...         trial.report(loss, epoch)
        ...         if trial.should_prune():
        ...             trial.save_checkpoint(json.dumps({"epoch": epoch}).encode())
        ...             raise hs.TrialPruned()
        ...     return loss
        >>> study.optimize(objective, n_trials=20)
        >>> [t.system_attrs["sampler:segment_stop_at"] for t in study.trials[:4]]
        [1, 1, 1, 3]
        >>> study.trials[3].system_attrs["sampler:segment_parent"] in (0, 1, 2)
        True
    """

    #: The study asks for a proposal even when the joint space is empty (the first trial),
    #: so every trial gets its segment attributes.
    proposes_state: ClassVar[bool] = True

    def __init__(
        self,
        base: Sampler | None = None,
        *,
        min_resource: int,
        max_resource: int,
        reduction_factor: int = 3,
        quota: bool = True,
        brackets: int = 1,
        rank_by_model: bool = False,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed)
        self.rank_by_model = bool(rank_by_model)
        for name, value, low in (("min_resource", min_resource, 1),
                                 ("reduction_factor", reduction_factor, 2)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"PromotionASHASampler({name}={value!r}): must be an int >= "
                                 f"{low}")
        if isinstance(max_resource, bool) or not isinstance(max_resource, int) or (
            max_resource <= min_resource
        ):
            raise ValueError(f"PromotionASHASampler(max_resource={max_resource!r}): must be an "
                             f"int > min_resource={min_resource} (the step a configuration "
                             "trains to in full, e.g. the number of epochs)")
        if base is not None and not isinstance(base, Sampler):
            raise TypeError(f"PromotionASHASampler(base={base!r}): give a hyperscout sampler, "
                            "e.g. hs.samplers.TPESampler(seed=0)")
        if base is None:
            from hyperscout.samplers.tpe import TPESampler

            base = TPESampler(seed=seed)
        if rank_by_model and not callable(getattr(base, "predict_final", None)):
            raise ValueError(f"PromotionASHASampler(rank_by_model=True, base={base!r}): the base "
                             "sampler must predict full-budget values (predict_final), e.g. "
                             "hs.samplers.MultiFidelityGPSampler(budgets=...); or leave "
                             "rank_by_model=False")
        self.base = base
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.quota = bool(quota)
        from hyperscout.pruners.asha import rung_steps

        # the pause steps min_resource * eta**k below max_resource, as ASHAPruner's rungs
        self.rungs = rung_steps(min_resource, reduction_factor, 0, max_resource)
        n_max = len(self.rungs) + 1
        if isinstance(brackets, bool) or not isinstance(brackets, int) or not (
            1 <= brackets <= n_max
        ):
            raise ValueError(f"PromotionASHASampler(brackets={brackets!r}): must be an int in "
                             f"[1, {n_max}] (one more than the {n_max - 1} rungs "
                             f"{self.rungs}; {n_max} is full Hyperband)")
        self.brackets = brackets
        from hyperscout.pruners.hyperband import bracket_budgets

        # Hyperband's allocation over the first `brackets` of its n_max brackets
        self._bracket_weights = bracket_budgets(n_max, reduction_factor)[:brackets]
        self._base_space: dict[str, Distribution] = {}
        self._reset(None, 1.0)

    @property
    def pruner(self) -> Any:
        """A :class:`~hyperscout.pruners.SegmentPruner`: pass it as the study's pruner."""
        from hyperscout.pruners.segment import SegmentPruner

        return SegmentPruner()

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        self.base.reseed(seed)

    # -- bookkeeping ------------------------------------------------------------------------
    def _reset(self, src: object, sign: float) -> None:
        self._src, self._n_seen, self._sign = src, 0, sign
        # bracket -> rung -> (score, number) of the segments paused there
        self._scores: list[list[list[tuple[float, int]]]] = [
            [[] for _ in self.rungs] for _ in range(self.brackets)]
        self._resumed: set[int] = set()
        self._params: dict[int, dict[str, Any]] = {}  # paused segment -> params, config
        self._config: dict[int, int] = {}
        self._dists: dict[str, Distribution] = {}
        self._warned = False

    def _sync(self, history: History) -> None:
        src, n, sign = history._finished, history.n_finished, history.sign()  # noqa: SLF001
        if src is not self._src or n < self._n_seen or sign != self._sign:
            self._reset(src, sign)
        for t in src[self._n_seen:n]:
            self._dists.update(t.distributions)
            attrs = t.system_attrs
            if _PREFIX + RUNG not in attrs:
                continue
            parent = attrs.get(_PREFIX + PARENT)
            if parent is not None:
                self._resumed.add(int(parent))
            k, stop_at = int(attrs[_PREFIX + RUNG]), attrs.get(_PREFIX + STOP_AT)
            if stop_at is None or t.last_step is None or t.last_step < stop_at:
                continue
            if t.state is TrialState.PRUNED and k < len(self.rungs):
                value = float(t.intermediate_values[t.last_step])
                score = math.inf if math.isnan(value) else sign * value
                b = int(attrs.get(_PREFIX + BRACKET, 0))
                if b < self.brackets:
                    self._scores[b][k].append((score, t.number))
                self._params[t.number] = dict(t.params)
                self._config[t.number] = int(attrs.get(_PREFIX + CONFIG, t.number))
            elif t.state is TrialState.COMPLETE and not self._warned:
                self._warned = True
                _log.warning("PromotionASHASampler: trial %d ran past its segment's end (step "
                             "%s) without pausing; pass pruner=sampler.pruner to the study",
                             t.number, stop_at)
        self._n_seen = n

    # -- the sampler contract ---------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        self._sync(history)
        self._base_space = self.base.infer_space(history)
        return {**self._dists, **self._base_space}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        if history.is_multi_objective:
            raise ValueError("PromotionASHASampler is for single-objective studies (it ranks "
                             "segments by one value); report the objective to rank on")
        pick = self._next_promotion(history, trial.number)
        if pick is not None:
            bracket, (k, parent) = pick
            nxt = k + 1
            stop_at = self.rungs[nxt] if nxt < len(self.rungs) else None
            params = {name: value for name, value in self._params[parent].items()
                      if name in space and space[name].contains(value)}
            return Proposal(params, {STOP_AT: stop_at, RUNG: nxt, PARENT: parent,
                                     CONFIG: self._config[parent], CHECKPOINT_FROM: parent,
                                     BRACKET: bracket})
        prop = (self.base.sample_joint(history, trial, self._base_space) if self._base_space
                else Proposal())
        b = self.bracket_of(trial.number)
        return Proposal(prop.params, {**prop.state,
                                      STOP_AT: self.rungs[b] if b < len(self.rungs) else None,
                                      RUNG: b, PARENT: None, CONFIG: trial.number,
                                      CHECKPOINT_FROM: None, BRACKET: b})

    def bracket_of(self, number: int) -> int:
        """The bracket of a new configuration first tried by trial ``number``: the index of the
        rung its first segment pauses at (``len(rungs)``: it trains to the end). A pure function
        of the number, drawn with Hyperband's weights; always 0 with ``brackets=1``.

        Example:
            >>> s = PromotionASHASampler(min_resource=1, max_resource=27, brackets=4, seed=0)
            >>> s.rungs, sorted({s.bracket_of(n) for n in range(200)})
            ([1, 3, 9], [0, 1, 2, 3])
        """
        if self.brackets == 1:
            return 0
        from hyperscout.pruners.hyperband import mix64

        h = mix64(0, number) % sum(self._bracket_weights)
        for b, w in enumerate(self._bracket_weights):
            if h < w:
                return b
            h -= w
        return self.brackets - 1  # unreachable

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        parent = trial.system_attrs.get(_PREFIX + PARENT)
        if parent is not None:
            params = self._params.get(int(parent), {})
            if name in params and distribution.contains(params[name]):
                return params[name]
        return self.base.sample_one(history, trial, name, distribution)

    def _next_promotion(self, history: History, number: int) -> tuple[int, tuple[int, int]] | None:
        """``(bracket, (rung, paused trial))`` that trial ``number`` would resume, or ``None``."""
        self._sync(history)
        resumed = set(self._resumed)
        for t in history.running:  # segments resumed by trials still running
            parent = t.system_attrs.get(_PREFIX + PARENT)
            if parent is not None and t.number != number:
                resumed.add(int(parent))
        scores = self._scores
        predict = getattr(self.base, "predict_final", None) if self.rank_by_model else None
        if predict is not None:
            numbers = [n for br in scores for rung in br for _, n in rung]
            pred = predict([self._params[n] for n in numbers]) if numbers else None
            if pred is not None:
                by = dict(zip(numbers, pred.tolist()))
                scores = [[[(by[n], n) for _, n in rung] for rung in br] for br in scores]
        pick = None
        for b in range(self.brackets):  # the highest rung of any bracket first
            p = promotable(scores[b], resumed, self.reduction_factor, self.quota)
            if p is not None and (pick is None or p[0] > pick[1][0]):
                pick = (b, p)
        return pick

    def is_exhausted(self, history: History) -> bool:
        """The base sampler has nothing new to propose and no paused segment is due (a finished
        grid still has its best configurations resumed)."""
        return self.base.is_exhausted(history) and self._next_promotion(history, -1) is None

    def __repr__(self) -> str:
        return (f"PromotionASHASampler(base={self.base!r}, min_resource={self.min_resource}, "
                f"max_resource={self.max_resource}, reduction_factor={self.reduction_factor}, "
                f"quota={self.quota}, brackets={self.brackets})")
