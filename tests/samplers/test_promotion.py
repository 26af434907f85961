"""PromotionASHASampler (ASHA by promotion, pause and resume) and SegmentPruner."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.pruners.segment import SegmentPruner
from hyperscout.samplers.promotion import PromotionASHASampler, promotable
from hyperscout.trial import FrozenTrial, TrialState

X = hs.Float(0.0, 1.0)


def paused(number, rung, stop_at, value, x, parent=None, state=TrialState.PRUNED):
    """A finished segment: paused (pruned) at ``stop_at`` with ``value`` there."""
    attrs = {"sampler:segment_rung": rung, "sampler:segment_stop_at": stop_at,
             "sampler:segment_parent": parent,
             "sampler:segment_config": number if parent is None else parent}
    return FrozenTrial.build(number=number, trial_id=number, state=state,
                             values=[value] if state is TrialState.COMPLETE else None,
                             params={"x": x}, distributions={"x": X},
                             intermediate_values={stop_at or 9: value}, system_attrs=attrs)


def running(number, parent=None):
    attrs = {} if parent is None else {"sampler:segment_parent": parent}
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.RUNNING,
                             system_attrs=attrs)


def propose(sampler, finished, run=(), direction="minimize"):
    h = History([direction], list(finished), len(finished), list(run))
    number = len(finished) + len(run)
    return sampler.sample_joint(h, running(number), sampler.infer_space(h))


def sampler(**kw):
    args = {"min_resource": 1, "max_resource": 9, "reduction_factor": 3, **kw}
    return PromotionASHASampler(hs.samplers.RandomSampler(seed=0), **args)


def test_rungs() -> None:
    def rungs(r, m, eta):
        return PromotionASHASampler(min_resource=r, max_resource=m, reduction_factor=eta).rungs

    assert rungs(1, 9, 3) == [1, 3]
    assert rungs(3, 52, 3) == [3, 9, 27]
    assert rungs(2, 17, 2) == [2, 4, 8, 16]


def test_promotable_hand_computed() -> None:
    # three at rung 0: the best (number 1, score 0.1) goes on; after it, the quota (3 // 3) is
    # used up until three more arrive
    r0 = [(0.3, 0), (0.1, 1), (0.2, 2)]
    assert promotable([r0, []], set(), 3) == (0, 1)
    assert promotable([r0, []], {1}, 3) is None
    # fewer than eta at a rung: nothing goes on
    assert promotable([r0[:2], []], set(), 3) is None
    # the highest rung first
    assert promotable([r0 * 2, [(0.5, 7), (0.4, 8), (0.6, 9)]], set(), 3) == (1, 8)
    # quota: six at rung 0 allow two; two resumed (0 and 3, resumed when they were the best
    # then) use it up although better ones arrived since; Li et al.'s rule resumes the new best
    six = [(0.3, 0), (0.1, 1), (0.2, 2), (0.4, 3), (0.5, 4), (0.0, 5)]
    assert promotable([six], {0, 3}, 3) is None
    assert promotable([six], {0, 3}, 3, quota=False) == (0, 5)
    assert promotable([six], {0}, 3) == (0, 5)
    # a nan score ranks last
    assert promotable([[(math.inf, 0), (0.5, 1), (0.7, 2)]], set(), 3) == (0, 1)


def test_new_configurations_pause_at_the_first_rung() -> None:
    s = sampler()
    p = propose(s, [])
    assert p.state["segment_stop_at"] == 1 and p.state["segment_rung"] == 0
    assert p.state["segment_parent"] is None and p.state["checkpoint_from"] is None
    assert p.state["segment_config"] == 0


def test_the_best_paused_segment_is_resumed_with_its_params_and_checkpoint() -> None:
    s = sampler()
    done = [paused(0, 0, 1, 0.5, 0.11), paused(1, 0, 1, 0.2, 0.22), paused(2, 0, 1, 0.9, 0.33)]
    p = propose(s, done)
    assert p.params == {"x": 0.22}
    assert p.state == {"segment_stop_at": 3, "segment_rung": 1, "segment_parent": 1,
                       "segment_config": 1, "checkpoint_from": 1, "segment_bracket": 0}
    # maximize: the best is the largest value
    p = propose(sampler(), done, direction="maximize")
    assert p.state["segment_parent"] == 2
    # the last rung's segment trains to the end
    more = done + [paused(3, 1, 3, 0.1, 0.22, parent=1), paused(4, 1, 3, 0.3, 0.11, parent=0),
                   paused(5, 1, 3, 0.2, 0.33, parent=2)]
    p = propose(sampler(), more)
    assert p.state["segment_stop_at"] is None and p.state["segment_rung"] == 2
    assert p.state["segment_parent"] == 3 and p.state["segment_config"] == 1


class _Predicting(hs.samplers.RandomSampler):
    """A base sampler whose full-budget prediction is ``1 - x``: the reverse of the rung
    values of ``test_rank_by_model_resumes_the_best_predicted_configuration``."""

    def __init__(self, ready: bool = True) -> None:
        super().__init__(seed=0)
        self.ready = ready
        self.asked: list[list[float]] = []

    def predict_final(self, params):
        self.asked.append([p["x"] for p in params])
        return np.array([1.0 - p["x"] for p in params]) if self.ready else None


def test_rank_by_model_resumes_the_best_predicted_configuration() -> None:
    # rung values favour x = 0.11 (0.2); the model predicts x = 0.33 ends best (1 - x)
    done = [paused(0, 0, 1, 0.5, 0.22), paused(1, 0, 1, 0.2, 0.11), paused(2, 0, 1, 0.9, 0.33)]
    base = _Predicting()
    s = PromotionASHASampler(base, min_resource=1, max_resource=9, rank_by_model=True)
    p = propose(s, done)
    assert p.params == {"x": 0.33} and p.state["segment_parent"] == 2
    assert sorted(base.asked[-1]) == [0.11, 0.22, 0.33]
    # the quota is unchanged: one of the three goes on, so once 2 is resumed none is due
    assert propose(s, done, run=[running(3, parent=2)]).state["segment_parent"] is None
    # without a model yet (predict_final gives None) the rung values decide
    s = PromotionASHASampler(_Predicting(ready=False), min_resource=1, max_resource=9,
                             rank_by_model=True)
    assert propose(s, done).state["segment_parent"] == 1
    # rank_by_model=False never asks
    base = _Predicting()
    s = PromotionASHASampler(base, min_resource=1, max_resource=9)
    assert propose(s, done).state["segment_parent"] == 1 and base.asked == []


def test_a_segment_resumed_by_a_running_trial_is_not_resumed_twice() -> None:
    done = [paused(0, 0, 1, 0.5, 0.1), paused(1, 0, 1, 0.2, 0.2), paused(2, 0, 1, 0.9, 0.3)]
    p = propose(sampler(), done, run=[running(3, parent=1)])
    assert p.state["segment_parent"] is None and p.state["segment_rung"] == 0


def test_brackets_start_new_configurations_at_later_rungs_and_rank_within_the_bracket() -> None:
    s = sampler(brackets=3)  # rungs [1, 3]: brackets pause first at 1, at 3, or never
    assert s.rungs == [1, 3]
    # Hyperband's weights for 3 brackets of eta 3: 9, 5, 3 (bracket_budgets)
    counts = [0, 0, 0]
    for n in range(1700):
        counts[s.bracket_of(n)] += 1
    assert [round(c / 1700, 2) for c in counts] == pytest.approx([9 / 17, 5 / 17, 3 / 17],
                                                                   abs=0.03)
    first = {b: next(n for n in range(100) if s.bracket_of(n) == b) for b in range(3)}
    for b, n in first.items():
        h = History(["minimize"], [], 0, [])
        p = s.sample_joint(h, running(n), s.infer_space(h))
        assert p.state["segment_bracket"] == b and p.state["segment_rung"] == b
        assert p.state["segment_stop_at"] == [1, 3, None][b]

    def in_bracket(t, b):
        attrs = dict(t.system_attrs, **{"sampler:segment_bracket": b})
        return FrozenTrial.build(number=t.number, trial_id=t.number, state=t.state,
                                 params=t.params, distributions=t.distributions,
                                 intermediate_values=t.intermediate_values, system_attrs=attrs)

    # three segments paused at rung 1 (step 3), two of bracket 0 and one of bracket 1: no
    # bracket has three, so nothing is resumed; a third of bracket 0 makes its best go on
    done = [in_bracket(paused(0, 1, 3, 0.1, 0.1), 0), in_bracket(paused(1, 1, 3, 0.2, 0.2), 0),
            in_bracket(paused(2, 1, 3, 0.0, 0.3), 1)]
    assert propose(sampler(brackets=3), done).state["segment_parent"] is None
    done.append(in_bracket(paused(3, 1, 3, 0.3, 0.4), 0))
    p = propose(sampler(brackets=3), done)
    assert p.state["segment_parent"] == 0 and p.state["segment_bracket"] == 0
    assert p.state["segment_stop_at"] is None


def test_multi_objective_is_refused() -> None:
    h = History(["minimize", "minimize"], [], 0, [])
    with pytest.raises(ValueError, match="single-objective"):
        sampler().sample_joint(h, running(0), {})


def objective_with_checkpoints(trace):
    """Loss (x - 0.3)**2 + 1 / epoch over 9 epochs; resumes from the checkpointed epoch."""

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        ckpt = trial.load_checkpoint()
        start = json.loads(ckpt)["epoch"] if ckpt else 0
        trace.append((trial.number, start))
        loss = math.nan
        for epoch in range(start + 1, 10):
            loss = (x - 0.3) ** 2 + 1.0 / epoch
            trial.report(loss, epoch)
            if trial.should_prune():
                trial.save_checkpoint(json.dumps({"epoch": epoch}).encode())
                raise hs.TrialPruned()
        return loss

    return objective


def run_study(seed, n_trials=40, n_jobs=1):
    s = PromotionASHASampler(hs.samplers.RandomSampler(seed=seed), min_resource=1,
                             max_resource=9)
    study = hs.create_study(sampler=s, pruner=s.pruner,
                            artifact_store=hs.artifacts.InMemoryArtifactStore())
    trace: list[tuple[int, int]] = []
    study.optimize(objective_with_checkpoints(trace), n_trials=n_trials, n_jobs=n_jobs)
    return study, trace


def test_end_to_end_segments_resume_where_their_parent_paused() -> None:
    study, trace = run_study(0)
    trials = study.trials
    starts = dict(trace)
    by_rung: dict[int, list] = {0: [], 1: [], 2: []}
    for t in trials:
        a = t.system_attrs
        by_rung[a["sampler:segment_rung"]].append(t)
        parent = a["sampler:segment_parent"]
        if parent is None:
            assert starts[t.number] == 0 and a["sampler:segment_stop_at"] == 1
            assert t.state is TrialState.PRUNED and t.last_step == 1
            continue
        p = trials[parent]
        assert t.params == p.params
        # resumed from the checkpoint: trained only the epochs after the parent's pause
        assert starts[t.number] == p.last_step
        assert min(t.intermediate_values) == p.last_step + 1
    # rung 1 pauses at 3, the last rung trains to 9 and completes
    assert {t.last_step for t in by_rung[1]} == {3}
    assert by_rung[2] and all(t.state is TrialState.COMPLETE and t.last_step == 9
                              for t in by_rung[2])
    # the quota: at most a third of each rung went on
    assert len(by_rung[1]) <= len(by_rung[0]) // 3
    assert len(by_rung[2]) <= len(by_rung[1]) // 3
    # the best complete configuration is near the optimum x = 0.3
    assert abs(study.best_trial.params["x"] - 0.3) < 0.15


def test_same_seed_same_schedule() -> None:
    a, _ = run_study(3, n_trials=25)
    b, _ = run_study(3, n_trials=25)
    key = [(t.params["x"], t.system_attrs["sampler:segment_parent"], t.state) for t in a.trials]
    assert key == [(t.params["x"], t.system_attrs["sampler:segment_parent"], t.state)
                   for t in b.trials]


def test_parallel_workers_never_resume_one_segment_twice() -> None:
    study, _ = run_study(1, n_trials=40, n_jobs=2)
    parents = [t.system_attrs["sampler:segment_parent"] for t in study.trials]
    resumed = [p for p in parents if p is not None]
    assert resumed and len(resumed) == len(set(resumed))


def test_without_the_segment_pruner_it_warns() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("hyperscout.samplers.promotion")
    logger.addHandler(handler)
    try:
        study = hs.create_study(sampler=sampler())
        study.optimize(objective_with_checkpoints([]), n_trials=3)
    finally:
        logger.removeHandler(handler)
    warned = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "pass pruner=sampler.pruner" in warned[0]


def test_segment_pruner_decisions() -> None:
    def t(steps, stop_at="absent"):
        attrs = {} if stop_at == "absent" else {"sampler:segment_stop_at": stop_at}
        return FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING,
                                 intermediate_values={s: 0.5 for s in steps},
                                 system_attrs=attrs)

    d = SegmentPruner().decide
    assert d(None, t([1, 2], 3)) is hs.pruners.Decision.CONTINUE
    assert d(None, t([1, 2, 3], 3)) is hs.pruners.Decision.PRUNE
    assert d(None, t([5], 3)) is hs.pruners.Decision.PRUNE  # irregular steps: first at/after
    assert d(None, t([100], None)) is hs.pruners.Decision.CONTINUE  # last segment
    assert d(None, t([100])) is hs.pruners.Decision.CONTINUE  # not scheduled
    assert d(None, t([], 3)) is hs.pruners.Decision.CONTINUE  # no report yet


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"min_resource": 0}, ValueError, r"min_resource=0\): must be an int >= 1"),
        ({"reduction_factor": 1}, ValueError, r"reduction_factor=1\): must be an int >= 2"),
        ({"max_resource": 1}, ValueError, r"max_resource=1\): must be an int > min_resource=1"),
        ({"max_resource": 9.0}, ValueError, r"max_resource=9.0\)"),
        ({"base": "tpe"}, TypeError, r"base='tpe'\): give a hyperscout sampler"),
        ({"brackets": 4}, ValueError, r"brackets=4\): must be an int in \[1, 3\]"),
        ({"brackets": 0}, ValueError, r"brackets=0\)"),
        ({"rank_by_model": True}, ValueError, r"rank_by_model=True.*predict_final"),
    ],
)
def test_errors(kwargs, err, match) -> None:
    args = {"min_resource": 1, "max_resource": 9, **kwargs}
    with pytest.raises(err, match=match):
        PromotionASHASampler(**args)


def test_default_base_is_tpe() -> None:
    s = PromotionASHASampler(min_resource=1, max_resource=9, seed=0)
    assert type(s.base).__name__ == "TPESampler"
    assert "min_resource=1" in repr(s)


def test_the_schedule_reaches_the_storage_with_the_proposal(tmp_path) -> None:
    """Workers in other processes see which segment a trial resumes before its first report."""
    url = f"sqlite:///{tmp_path / 'promo.db'}"
    s = sampler()
    study = hs.create_study(name="promo", storage=url, sampler=s, pruner=s.pruner)
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)  # the proposal is made here; nothing reported yet
    other = hs.load_study(name="promo", storage=url)
    (seen,) = other.storage.get_unfinished_trials(other._study_id)
    assert seen.system_attrs["sampler:segment_stop_at"] == 1
    assert seen.system_attrs["sampler:segment_parent"] is None


def test_a_finished_grid_still_has_its_best_configuration_resumed() -> None:
    grid = hs.samplers.GridSampler({"x": [0.1, 0.3, 0.9]}, seed=0)
    s = PromotionASHASampler(grid, min_resource=1, max_resource=9)
    study = hs.create_study(sampler=s, pruner=s.pruner,
                            artifact_store=hs.artifacts.InMemoryArtifactStore())
    study.optimize(objective_with_checkpoints([]), n_trials=20)
    # three grid points pause at rung 0; the best (x = 0.3) is resumed (3 // 3 = 1); one at
    # rung 1 allows no more, and the study ends, not after the grid's third trial
    assert len(study.trials) == 4
    last = study.trials[3]
    assert last.params == {"x": 0.3}
    assert last.system_attrs["sampler:segment_rung"] == 1
