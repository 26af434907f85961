"""``hyperscout worker`` and ``hyperscout budget`` in process (CliRunner): joining, the shared
budget, --max-trials, stop, and the errors a user can run into."""

from __future__ import annotations

from click.testing import CliRunner
from exec_helpers import HERE

import hyperscout as hs
from hyperscout.cli import cli

TARGET = f"{HERE / 'worker_objectives.py'}:quadratic"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_budget_then_workers_spend_it(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    hs.create_study(name="shared", storage=url)
    r = _invoke("budget", "shared", "--n-trials", "5", "--storage", url)
    assert r.exit_code == 0 and "limit 5" in r.output
    first = _invoke("worker", TARGET, "--study", "shared", "--storage", url,
                    "--sampler", "random", "--max-trials", "3")
    assert first.exit_code == 0, first.output
    assert "budget 0/5" in first.output and "worker ran 3 trials" in first.output
    second = _invoke("worker", TARGET, "--study", "shared", "--storage", url, "--seed", "1")
    assert second.exit_code == 0 and "worker ran 2 trials" in second.output
    assert len(hs.load_study("shared", url).trials) == 5

    r = _invoke("budget", "shared", "--storage", url, "--stop")
    assert r.exit_code == 0 and "stopped" in r.output
    r = _invoke("budget", "shared", "--storage", url, "--timeout", "60")
    assert "running" in r.output and "deadline" in r.output and "limit none" in r.output


def test_worker_errors_name_the_problem(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    hs.create_study(name="s", storage=url)
    r = _invoke("worker", TARGET, "--study", "nope", "--storage", url)
    assert r.exit_code == 1 and "no study named 'nope'" in r.output
    r = _invoke("worker", TARGET, "--storage", url)
    assert r.exit_code == 2 and "--study" in r.output
    r = _invoke("worker", f"{HERE / 'worker_objectives.py'}:missing", "--study", "s",
                "--storage", url)
    assert r.exit_code == 2 and "missing" in r.output
    r = _invoke("worker", TARGET, "--study", "s",
                "--storage", "postgresql+psycopg://u:pw123@127.0.0.1:1/db")
    assert r.exit_code == 1 and "u:***@" in r.output and "pw123" not in r.output
    r = _invoke("budget", "nope", "--storage", url, "--n-trials", "1")
    assert r.exit_code == 1 and "no study named 'nope'" in r.output


def test_a_failing_objective_fails_its_trial_and_the_worker_goes_on(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    hs.create_study(name="b", storage=url).set_budget(n_trials=2)
    r = _invoke("worker", f"{HERE / 'worker_objectives.py'}:boom", "--study", "b",
                "--storage", url, "--verbosity", "error")
    assert r.exit_code == 0 and "worker ran 2 trials" in r.output
    assert [t.state.name for t in hs.load_study("b", url).trials] == ["FAIL", "FAIL"]
