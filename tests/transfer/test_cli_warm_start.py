"""``hyperscout run --warm-start NAME[@URL]``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import hyperscout as hs
from hyperscout.cli import cli

QUADRATIC = Path(__file__).resolve().parents[2] / "examples" / "quadratic.py"


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))


def invoke(*args: str):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, list(args), prog_name="hyperscout")


def test_run_warm_starts_from_a_study_in_the_same_and_in_another_storage(tmp_path) -> None:
    here = f"sqlite:///{tmp_path / 'here.db'}"
    there = f"sqlite:///{tmp_path / 'there.db'}"
    target = f"{QUADRATIC}:objective"
    for url, name in ((here, "old-here"), (there, "old-there")):
        r = invoke("run", target, "--n-trials", "8", "--seed", "0", "--study", name,
                   "--storage", url, "--no-progress", "--verbosity", "warning")
        assert r.exit_code == 0, r.output
    r = invoke("run", target, "--n-trials", "3", "--seed", "1", "--study", "new",
               "--storage", here, "--warm-start", "old-here", "--warm-start",
               f"old-there@{there}", "--no-progress", "--verbosity", "warning")
    assert r.exit_code == 0, r.output
    new = hs.load_study("new", here)
    assert new.user_attrs["hyperscout:warm_start"] == ["old-here", "old-there"]
    best_here = hs.load_study("old-here", here).best_params
    best_there = hs.load_study("old-there", there).best_params
    assert dict(new.trials[0].params) in (best_here, best_there)


def test_run_reports_a_missing_or_malformed_warm_start(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    target = f"{QUADRATIC}:objective"
    r = invoke("run", target, "--n-trials", "1", "--storage", url, "--warm-start", "nope",
               "--no-progress")
    assert r.exit_code != 0 and "nope" in (r.output + (r.stderr or ""))
    r = invoke("run", target, "--n-trials", "1", "--storage", url, "--warm-start", "x@",
               "--no-progress")
    assert r.exit_code == 2 and "NAME@STORAGE_URL" in (r.output + (r.stderr or ""))
