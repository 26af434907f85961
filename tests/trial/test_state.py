"""TrialState: the life cycle, the transition table, and storages enforcing it."""

from __future__ import annotations

import itertools

import pytest

import hyperscout as hs
from hyperscout.exceptions import StaleTrialError
from hyperscout.storage import InMemoryStorage
from hyperscout.trial.state import ALLOWED_TRANSITIONS, TrialState, can_transition

S = TrialState
ALLOWED = {
    (S.WAITING, S.RUNNING), (S.WAITING, S.FAIL),
    (S.RUNNING, S.COMPLETE), (S.RUNNING, S.PRUNED), (S.RUNNING, S.FAIL),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(S, S)))
def test_transition_table(old: TrialState, new: TrialState) -> None:
    assert can_transition(old, new) is ((old, new) in ALLOWED)


def test_finished_states_are_final() -> None:
    assert {s for s in S if s.is_finished} == {S.COMPLETE, S.PRUNED, S.FAIL}
    assert all(not ALLOWED_TRANSITIONS[s] for s in S if s.is_finished)


@pytest.mark.parametrize(("text", "state"), [("fail", S.FAIL), ("COMPLETE", S.COMPLETE),
                                              ("Pruned", S.PRUNED), (S.WAITING, S.WAITING)])
def test_parse(text, state: TrialState) -> None:
    assert TrialState.parse(text) is state


def test_parse_error_lists_the_states() -> None:
    with pytest.raises(ValueError, match=r"state='done' is not a trial state; use one of: "
                                         r"waiting, running, complete, pruned, fail"):
        TrialState.parse("done")


def test_storage_refuses_to_change_a_finished_trial() -> None:
    store = InMemoryStorage()
    sid = store.create_study("s", ["minimize"])
    rec = store.create_trial(sid)
    assert rec.state is S.RUNNING and rec.datetime_start is not None
    done = store.finish_trial(rec.trial_id, S.COMPLETE, [1.0])
    assert done.state is S.COMPLETE and done.datetime_complete >= done.datetime_start
    with pytest.raises(StaleTrialError, match=r"trial 0 is already COMPLETE; it cannot become"):
        store.finish_trial(rec.trial_id, S.FAIL)
    with pytest.raises(StaleTrialError, match=r"trial 0 is COMPLETE, not RUNNING"):
        store.update_trial(rec.trial_id, user_attrs={"a": 1})
    with pytest.raises(ValueError, match=r"state=RUNNING: finish_trial needs"):
        store.finish_trial(rec.trial_id, S.RUNNING)


def test_waiting_trials_are_claimed_then_run() -> None:
    store = InMemoryStorage()
    sid = store.create_study("s", ["minimize"])
    waiting = store.create_trial(sid, state=S.WAITING)
    assert waiting.state is S.WAITING and waiting.datetime_start is None
    claimed = store.claim_waiting_trial(sid)
    assert claimed.trial_id == waiting.trial_id and claimed.state is S.RUNNING
    assert store.claim_waiting_trial(sid) is None
    # a waiting trial may also fail without running
    other = store.create_trial(sid, state=S.WAITING)
    assert store.finish_trial(other.trial_id, S.FAIL).state is S.FAIL


def test_telling_a_finished_trial_again_is_stale() -> None:
    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(StaleTrialError):
        study.tell(trial.number, state="fail")
