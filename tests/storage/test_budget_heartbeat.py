"""The shared budget and the heartbeat transitions, on every backend."""

from __future__ import annotations

import datetime as _dt
import threading
import time

import pytest

import hyperscout as hs
from hyperscout.exceptions import StaleTrialError, StudyNotFoundError
from hyperscout.storage.heartbeat import HeartbeatSettings
from hyperscout.trial.state import TrialState


def test_the_budget_allows_exactly_n_starts_across_threads(storage_factory) -> None:
    store = storage_factory()
    sid = store.create_study("budget", ["minimize"])
    store.set_budget(sid, 25, None)
    started: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        handle = storage_factory()
        while (rec := handle.start_trial_within_budget(sid)) is not None:
            handle.finish_trial(rec.trial_id, TrialState.COMPLETE, [1.0])
            with lock:
                started.append(rec.number)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(started) == list(range(25))
    b = store.get_budget(sid)
    assert (b.n_trials, b.used, b.stopped) == (25, 25, False)
    store.set_budget(sid, 2, None)  # "2 more from now"
    assert store.get_budget(sid).n_trials == 27
    assert store.start_trial_within_budget(sid) is not None


def test_stop_and_deadline_end_the_budget(storage_factory) -> None:
    store = storage_factory()
    sid = store.create_study("stops", ["minimize"])
    store.set_budget(sid, None, None)
    assert store.start_trial_within_budget(sid) is not None
    store.stop_study(sid)
    assert store.get_budget(sid).stopped
    assert store.start_trial_within_budget(sid) is None
    past = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=1)
    store.set_budget(sid, None, past)
    assert not store.get_budget(sid).stopped
    assert store.start_trial_within_budget(sid) is None
    with pytest.raises(StudyNotFoundError):
        store.set_budget(sid + 1000, 1, None)


def test_a_waiting_trial_is_claimed_within_the_budget(storage_factory) -> None:
    store = storage_factory()
    sid = store.create_study("queue", ["minimize"])
    store.create_trial(sid, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}})
    store.set_budget(sid, 1, None)
    rec = store.start_trial_within_budget(sid)
    assert rec is not None and rec.number == 0 and rec.state is TrialState.RUNNING
    assert store.start_trial_within_budget(sid) is None


def _stale_trial(store, sid, **kw):
    rec = store.start_trial_within_budget(sid, heartbeat=True)
    store.update_trial(rec.trial_id, params={"x": 0.5},
                       distributions={"x": hs.Float(0.0, 1.0)}, **kw)
    time.sleep(0.3)
    return rec


def test_two_noticers_fail_a_stale_trial_once_and_retry_it_once(sql_factory) -> None:
    store = sql_factory()
    sid = store.create_study("reap", ["minimize"])
    store.set_budget(sid, 3, None)
    rec = _stale_trial(store, sid)
    handles = [sql_factory() for _ in range(4)]
    results: list[list] = []
    barrier = threading.Barrier(len(handles))

    def notice(h) -> None:
        barrier.wait()
        results.append(h.fail_stale_trials(sid, 0.1, max_retries=1))

    threads = [threading.Thread(target=notice, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [r for res in results for r in res]
    assert [r.number for r in failed] == [rec.number]
    trials = store.get_trials(sid)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.WAITING]
    assert "heartbeat lost" in trials[0].error
    retry = trials[1]
    assert retry.system_attrs["retried_from"] == rec.number
    assert retry.system_attrs["checkpoint_from"] == rec.number
    assert retry.system_attrs["fixed_params"] == {"x": 0.5}
    assert store.get_budget(sid).used == 0  # the dead trial's slot came back for its retry
    with pytest.raises(StaleTrialError):  # the dead worker's late result is refused
        store.finish_trial(rec.trial_id, TrialState.COMPLETE, [1.0])

    again = store.start_trial_within_budget(sid, heartbeat=True)  # the retry, claimed
    assert again.number == retry.number
    time.sleep(0.3)
    assert store.fail_stale_trials(sid, 0.1, max_retries=1)[0].number == retry.number
    assert [t.state for t in store.get_trials(sid)] == [TrialState.FAIL, TrialState.FAIL]


def test_a_beating_trial_and_a_trial_without_heartbeat_are_left_alone(sql_factory) -> None:
    store = sql_factory()
    sid = store.create_study("alive", ["minimize"])
    store.set_budget(sid, None, None)
    beating = store.start_trial_within_budget(sid, heartbeat=True)
    silent = store.start_trial_within_budget(sid)  # no heartbeat: an ask/tell user's trial
    for _ in range(3):
        time.sleep(0.15)
        store.heartbeat([beating.trial_id])
    assert store.fail_stale_trials(sid, 0.3) == []
    assert {t.number for t in store.get_unfinished_trials(sid)} == {beating.number,
                                                                    silent.number}


def test_heartbeat_settings_are_validated() -> None:
    with pytest.raises(ValueError, match=r"heartbeat_interval=0.*> 0"):
        HeartbeatSettings.build(0, None, None)
    with pytest.raises(ValueError, match=r"grace_period=1.*longer than"):
        HeartbeatSettings.build(2.0, 1.0, None)
    with pytest.raises(ValueError, match=r"max_retries=-1"):
        HeartbeatSettings.build(1.0, None, -1)
    with pytest.raises(ValueError, match="needs heartbeat_interval"):
        HeartbeatSettings.build(None, 5.0, None)
    assert HeartbeatSettings.build(1.0, None, None) == HeartbeatSettings(1.0, 3.0, 0)
    with pytest.raises(ValueError, match="grace_period"):
        hs.create_study(heartbeat_interval=1.0, grace_period=0.5)


def test_heartbeat_settings_travel_with_the_study(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    hs.create_study(name="s", storage=url, heartbeat_interval=2.0, max_retries=3)
    loaded = hs.load_study("s", url)
    assert loaded._heartbeat.settings == HeartbeatSettings(2.0, 6.0, 3)
