"""Many worker processes on one study, on SQLite, PostgreSQL and MariaDB: the shared budget is
spent exactly, trial numbers are gap-free, nothing is lost or duplicated; a worker SIGKILLed
mid-trial is noticed by heartbeat, its trial is failed and retried, and the study completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from exec_helpers import HERE, SRC, db_url_fixture, study_name  # noqa: F401 - a fixture

import hyperscout as hs
from hyperscout.trial.state import TrialState

N_WORKERS = 8
PER_WORKER = 200


def _worker_cmd(url: str, name: str, func: str = "quadratic") -> list[str]:
    return [sys.executable, "-m", "hyperscout.cli", "worker",
            f"{HERE / 'worker_objectives.py'}:{func}", "--study", name, "--storage", url,
            "--sampler", "random", "--verbosity", "warning"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


@pytest.mark.slow
def test_eight_worker_processes_spend_the_shared_budget_exactly(db_url: str) -> None:
    name = study_name()
    study = hs.create_study(name=name, storage=db_url)
    study.set_budget(n_trials=N_WORKERS * PER_WORKER)
    procs = [subprocess.Popen(_worker_cmd(db_url, name), env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(N_WORKERS)]
    errs = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * N_WORKERS, errs
    ran = sum(int(e.rsplit("worker ran ", 1)[1].split()[0]) for e in errs)
    assert ran == N_WORKERS * PER_WORKER

    trials = hs.load_study(name, db_url).trials
    assert len(trials) == N_WORKERS * PER_WORKER
    assert [t.number for t in trials] == list(range(N_WORKERS * PER_WORKER))
    assert len({t.trial_id for t in trials}) == len(trials)
    assert all(t.state is TrialState.COMPLETE for t in trials)
    for t in trials:  # every value present and the one its parameter gives
        assert t.values == (t.params["x"] * t.params["x"],)
        assert t.intermediate_values == {0: t.params["x"] * t.params["x"]}
    b = study.storage.get_budget(study._study_id)
    assert (b.used, b.n_trials) == (1600, 1600)


def _wait_for(path, proc, seconds: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() - t0 < seconds, "the worker never reached the hanging trial"
        time.sleep(0.05)


def test_a_sigkilled_worker_is_noticed_by_heartbeat_and_its_trial_retried(db_url, tmp_path):
    name = study_name()
    study = hs.create_study(name=name, storage=db_url, heartbeat_interval=0.2,
                            grace_period=1.0, max_retries=2)
    study.set_budget(n_trials=6)
    marker = tmp_path / "hanging"
    env = _env(HS_TEST_HANG_NUMBER="2", HS_TEST_MARKER=str(marker))
    victim = subprocess.Popen(_worker_cmd(db_url, name, "hang_once"), env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(marker, victim)
        t0 = time.monotonic()  # the heartbeat thread stores the sampled parameters
        while not study.get_trials([TrialState.RUNNING])[0].params:
            assert time.monotonic() - t0 < 30, "the heartbeat never stored the parameters"
            time.sleep(0.05)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    # the study now has a RUNNING trial whose worker is gone
    running = study.get_trials([TrialState.RUNNING])
    assert [t.number for t in running] == [2]
    rescuer = subprocess.run(_worker_cmd(db_url, name, "hang_once"), env=env, cwd=tmp_path,
                             capture_output=True, timeout=120)
    assert rescuer.returncode == 0, rescuer.stderr.decode()

    trials = hs.load_study(name, db_url).trials
    by_state = {s: [t for t in trials if t.state is s] for s in TrialState}
    assert [t.number for t in by_state[TrialState.FAIL]] == [2]
    dead = by_state[TrialState.FAIL][0]
    assert "heartbeat lost" in dead.error
    assert len(by_state[TrialState.COMPLETE]) == 6  # the dead trial's budget slot came back
    assert not by_state[TrialState.RUNNING] and not by_state[TrialState.WAITING]
    [retry] = [t for t in trials if t.system_attrs.get("retried_from") == 2]
    assert retry.state is TrialState.COMPLETE
    assert retry.system_attrs["checkpoint_from"] == 2
    assert retry.system_attrs["retry_count"] == 1
    assert retry.params == dead.params
    assert retry.user_attrs["resumed"] == "state of trial 2"  # the dead trial's checkpoint
    assert [t.number for t in trials] == list(range(len(trials)))
