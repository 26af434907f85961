"""A study on SQLite survives its process being SIGKILLed, and resumes where it stopped.

A child process runs ``study.optimize`` on a SQLite file; the test kills it with SIGKILL (no
cleanup, no atexit, no flush), then reopens the study with ``create_study(load_if_exists=True)``
in this process and checks that nothing committed was lost or damaged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import hyperscout as hs
from hyperscout.storage.sql import SQLStorage
from hyperscout.trial.state import TrialState

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX-only")

HANG_AT = 8  # the child's trial with this number blocks until it is killed

CHILD = textwrap.dedent(
    """
    import sys, time
    import hyperscout as hs

    url, name, hang_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hs.set_verbosity("warning")
    study = hs.create_study(name=name, storage=url, sampler=hs.samplers.RandomSampler(seed=1))

    def objective(trial):
        x = trial.suggest_float("x", -5.0, 5.0)
        k = trial.suggest_categorical("k", [None, True, 2, 2.5, "s"])
        trial.report(2.0 * x, 0)  # one write: the report and the params suggested so far
        if trial.number == hang_at:
            time.sleep(600)  # killed in here
        if hang_at >= 0:
            time.sleep(0.01)
        return x * x + (0.5 if k is None else 0.0)

    study.optimize(objective, n_trials=100_000)
    """
)


def _start_child(tmp_path: Path, url: str, name: str, hang_at: int) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen([sys.executable, str(script), url, name, str(hang_at)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(cond, child: subprocess.Popen, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"the child exited early: {child.stderr.read().decode()[-2000:]}")
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    child.kill()
    raise AssertionError(f"timed out waiting for {what}")


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _integrity(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        result = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    engine.dispose()
    return result


def _study_id(reader: SQLStorage, name: str) -> int | None:
    try:
        return reader.get_study_id(name)
    except hs.StudyNotFoundError:
        return None
    except sa.exc.OperationalError:  # the child is still creating the tables
        return None


def _reader(url: str, child: subprocess.Popen) -> SQLStorage:
    def try_open():
        try:
            return SQLStorage(url)
        except hs.StorageError:
            return None

    return _wait_for(try_open, child, "the database file")


def test_killed_study_resumes_without_losing_committed_trials(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    child = _start_child(tmp_path, url, "crashy", HANG_AT)
    reader = _reader(url, child)
    sid = _wait_for(lambda: _study_id(reader, "crashy"), child, "the study")

    def hanging():
        unf = reader.get_unfinished_trials(sid)
        return unf if unf and unf[0].number == HANG_AT and unf[0].intermediate_values else None

    hung = _wait_for(hanging, child, f"trial {HANG_AT} to hang")[0]
    before = {t.number: t for t in reader.get_trials(sid) if t.state is TrialState.COMPLETE}
    _kill(child)

    assert _integrity(url) == "ok"
    study = hs.create_study(name="crashy", storage=url, load_if_exists=True,
                            sampler=hs.samplers.RandomSampler(seed=2))
    trials = study.trials
    assert [t.number for t in trials] == list(range(HANG_AT + 1))
    assert sorted(before) == list(range(HANG_AT))
    for n, old in before.items():  # every trial complete before the kill is intact
        new = trials[n]
        assert new.state is TrialState.COMPLETE
        assert new.values == old.values == (old.params["x"] ** 2
                                            + (0.5 if old.params["k"] is None else 0.0),)
        assert dict(new.params) == dict(old.params)
        assert type(new.params["k"]) is type(old.params["k"])
        assert dict(new.distributions) == dict(old.distributions)
        assert dict(new.intermediate_values) == {0: 2.0 * old.params["x"]}
        assert (new.datetime_start, new.datetime_complete) == (old.datetime_start,
                                                                old.datetime_complete)
    left = trials[HANG_AT]  # the trial killed mid-run stays visible as running
    assert left.state is TrialState.RUNNING
    assert dict(left.params) == dict(hung.params) and set(left.params) == {"x", "k"}
    assert dict(left.intermediate_values) == {0: 2.0 * left.params["x"]}

    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=4)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(HANG_AT + 5))  # new trials go on numbering, without gaps
    assert study.trials[HANG_AT].state is TrialState.RUNNING
    assert [t.state for t in study.trials[HANG_AT + 1:]] == [TrialState.COMPLETE] * 4


def test_killed_at_a_random_moment_the_database_stays_consistent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'burst.db'}"
    child = _start_child(tmp_path, url, "burst", -1)  # fast trials, no sleep: killed mid-write
    reader = _reader(url, child)
    sid = _wait_for(lambda: _study_id(reader, "burst"), child, "the study")
    _wait_for(lambda: reader.n_trials(sid) >= 30, child, "30 trials")
    _kill(child)

    assert _integrity(url) == "ok"
    study = hs.load_study("burst", url)
    trials = study.trials
    assert [t.number for t in trials] == list(range(len(trials)))
    running = [t for t in trials if t.state is TrialState.RUNNING]
    assert len(running) <= 1 and all(t.number == trials[-1].number for t in running)
    for t in trials:
        if t.state is TrialState.COMPLETE:  # never half written
            assert t.values == (t.params["x"] ** 2 + (0.5 if t.params["k"] is None else 0.0),)
            assert dict(t.intermediate_values) == {0: 2.0 * t.params["x"]}
    finished, cursor = study.storage.read_finished(sid, 0)
    assert len(finished) == len(trials) - len(running)
    study.optimize(lambda t: 0.0, n_trials=2)
    assert [t.number for t in study.trials] == list(range(len(trials) + 2))
