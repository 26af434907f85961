"""The ``hyperscout`` command line, run in-process with click's CliRunner on SQLite in tmp_path,
plus one end-to-end run of the installed console script."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import hyperscout as hs
from hyperscout.cli import cli, main
from hyperscout.cli._loader import default_study_name, split_target
from hyperscout.cli._render import fmt_duration, mask_url, table
from hyperscout.cli._samplers import available_samplers, short_name
from hyperscout.samplers import RandomSampler, Sampler

ROOT = Path(__file__).resolve().parents[1]
QUADRATIC = ROOT / "examples" / "quadratic.py"


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # `run` puts the objective's directory first on sys.path, as `python FILE.py` would
    monkeypatch.setattr(sys, "path", list(sys.path))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hs.db'}"


def invoke(*args: str, input: str | None = None):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps stdout and stderr apart
    return runner.invoke(cli, list(args), input=input, prog_name="hyperscout")


def write_objective(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text("import hyperscout as hs\n\n" + textwrap.dedent(body))
    return path


def make_mixed_study(url: str, name: str = "mixed") -> hs.Study:
    """Trials 0..4: complete 3.0, complete 1.0, fail, pruned, complete 2.0 (with extras)."""
    study = hs.create_study(name=name, storage=url, seed=0)
    space = {"x": hs.Float(0.0, 1.0), "opt": hs.Categorical(["adam", "sgd"])}
    for i, outcome in enumerate([3.0, 1.0, "fail", "pruned", 2.0]):
        trial = study.ask(space)
        trial.set_user_attr("i", i)
        trial.report(0.5 * i, step=0)
        if outcome == "fail":
            study.tell(trial, state="fail", error="Traceback ...\nValueError: bad lr")
        elif outcome == "pruned":
            study.tell(trial, state="pruned")
        else:
            study.tell(trial, outcome)
    return study


# -- top level ----------------------------------------------------------------------------------
def test_version_prints_package_version() -> None:
    res = invoke("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"hyperscout {hs.__version__}"


def test_help_lists_every_command() -> None:
    res = invoke("--help")
    assert res.exit_code == 0
    for cmd in ("run", "studies", "trials", "best", "export", "delete", "samplers"):
        assert cmd in res.stdout


def test_main_is_the_console_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"hyperscout {hs.__version__}"


# -- run ----------------------------------------------------------------------------------------
def test_run_creates_default_study_logs_each_trial_and_prints_best(url: str) -> None:
    res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "6", "--storage", url,
                 "--seed", "0", "--no-progress")
    assert res.exit_code == 0, res.stderr
    study = hs.load_study("quadratic-objective", url)
    assert [t.state for t in study.trials] == [hs.TrialState.COMPLETE] * 6
    assert f"best value: {study.best_value:.6g} (trial {study.best_trial.number})" in res.stdout
    assert "best params:" in res.stdout
    for k in ("x", "y", "shift"):
        assert f"  {k}: " in res.stdout
    assert "6 trials (6 complete); 6 in this run" in res.stdout
    assert "created study 'quadratic-objective'" in res.stderr
    for n in range(6):  # one concise log line per finished trial
        assert f"trial {n} complete: " in res.stderr


def test_run_resumes_an_existing_study(url: str) -> None:
    args = ["run", f"{QUADRATIC}:objective", "--storage", url, "--no-progress", "--study", "q"]
    assert invoke(*args, "--n-trials", "2").exit_code == 0
    res = invoke(*args, "--n-trials", "3")
    assert res.exit_code == 0, res.stderr
    assert "resuming study 'q'" in res.stderr and "2 trials so far" in res.stderr
    assert "5 trials (5 complete); 3 in this run" in res.stdout
    assert len(hs.load_study("q", url).trials) == 5


def test_run_same_seed_same_suggestions(url: str) -> None:
    for name in ("a", "b"):
        res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "4", "--seed", "7",
                     "--storage", url, "--study", name, "--no-progress", "--sampler", "random")
        assert res.exit_code == 0, res.stderr
    a, b = (hs.load_study(n, url).trials for n in ("a", "b"))
    assert [t.params for t in a] == [t.params for t in b]


def test_run_shows_progress_bar_unless_disabled(url: str) -> None:
    res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "3", "--storage", url)
    assert res.exit_code == 0, res.stderr
    assert "3/3" in res.stderr and "best=" in res.stderr
    res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "3", "--storage", url,
                 "--no-progress")
    assert "3/3" not in res.stderr


def test_run_maximize_with_threads_and_timeout(url: str) -> None:
    res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "8", "--direction", "maximize",
                 "--n-jobs", "2", "--timeout", "120", "--storage", url, "--study", "max",
                 "--no-progress", "--verbosity", "warning")
    assert res.exit_code == 0, res.stderr
    study = hs.load_study("max", url)
    assert study.direction == "maximize"
    assert len(study.trials) == 8
    assert study.best_value == max(t.value for t in study.trials)
    assert "complete:" not in res.stderr  # --verbosity warning silences the per-trial lines


def test_run_rejects_bad_numbers(url: str) -> None:
    base = ["run", f"{QUADRATIC}:objective", "--storage", url]
    for extra, hint in ((["--n-jobs", "0"], "--n-jobs"), (["--n-trials", "-1"], "--n-trials"),
                        (["--timeout", "0"], "--timeout")):
        res = invoke(*base, *extra)
        assert res.exit_code == 2, extra
        assert hint in res.stderr


def test_run_direction_mismatch_with_stored_study(url: str) -> None:
    hs.create_study(name="q", storage=url, direction="minimize")
    res = invoke("run", f"{QUADRATIC}:objective", "--storage", url, "--study", "q",
                 "--direction", "maximize", "--n-trials", "1")
    assert res.exit_code == 1
    assert "exists with directions ['minimize']" in res.stderr


def test_run_multi_objective_prints_pareto_front(tmp_path: Path, url: str) -> None:
    path = write_objective(tmp_path, "two", """
        def objective(trial):
            x = trial.suggest_float("x", 0.0, 1.0)
            return x, (1.0 - x) ** 2
    """)
    res = invoke("run", f"{path}:objective", "--direction", "minimize", "--direction",
                 "minimize", "--n-trials", "6", "--storage", url, "--no-progress")
    assert res.exit_code == 0, res.stderr
    study = hs.load_study("two-objective", url)
    assert study.directions == ("minimize", "minimize")
    front = study.best_trials
    assert f"Pareto front (minimize, minimize): {len(front)} trials" in res.stdout
    res = invoke("best", "two-objective", "--storage", url, "--json")
    assert res.exit_code == 0
    assert sorted(d["number"] for d in json.loads(res.stdout)) == sorted(t.number for t in front)
    res = invoke("trials", "two-objective", "--storage", url)
    assert res.stdout.splitlines()[0].split()[:3] == ["number", "state", "values"]
    res = invoke("trials", "two-objective", "--storage", url, "--sort", "value")
    assert res.exit_code == 2 and "2 objectives" in res.stderr


def test_run_unknown_sampler_lists_available_ones(url: str) -> None:
    res = invoke("run", f"{QUADRATIC}:objective", "--storage", url, "--sampler", "nosuch")
    assert res.exit_code == 2
    assert "no sampler called 'nosuch'; available: " in res.stderr
    assert "random" in res.stderr
    assert not Path(url.removeprefix("sqlite:///")).exists()  # failed before touching storage


class FixedSampler(RandomSampler):
    """A test sampler that needs a constructor argument."""

    def __init__(self, value: float, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.value = value

    def sample_one(self, history, trial, name, distribution):
        return self.value if name == "x" else super().sample_one(history, trial, name,
                                                                 distribution)


def test_sampler_names_come_from_the_samplers_package(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(hs.samplers, "FixedSampler", FixedSampler, raising=False)
    assert available_samplers()["fixed"] is FixedSampler
    assert "fixed" in invoke("samplers").stdout
    base = ["run", f"{QUADRATIC}:objective", "--storage", url, "--n-trials", "2", "--no-progress",
            "--sampler", "fixed"]
    res = invoke(*base)
    assert res.exit_code == 2
    assert "FixedSampler needs value; pass them as a JSON object with --sampler-kwargs" in (
        res.stderr)
    res = invoke(*base, "--sampler-kwargs", "[1]")
    assert res.exit_code == 2 and "not an object" in res.stderr
    res = invoke(*base, "--sampler-kwargs", "{nope")
    assert res.exit_code == 2 and "is not JSON" in res.stderr
    res = invoke(*base, "--sampler-kwargs", '{"value": 1.5}')
    assert res.exit_code == 0, res.stderr
    assert [t.params["x"] for t in hs.load_study("quadratic-objective", url).trials] == [1.5, 1.5]


def test_sampler_kwargs_need_a_sampler(url: str) -> None:
    res = invoke("run", f"{QUADRATIC}:objective", "--storage", url, "--sampler-kwargs", "{}")
    assert res.exit_code == 2 and "give --sampler NAME" in res.stderr


def test_short_sampler_names() -> None:
    assert short_name("TPESampler") == "tpe"
    assert short_name("GPSampler") == "gp"
    assert short_name("QMCSampler") == "qmc"
    assert short_name("Auto") == "auto"
    assert all(issubclass(c, Sampler) for c in available_samplers().values())


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{q}", "is not FILE.py:FUNCTION"),
        ("{q}:", "is not FILE.py:FUNCTION"),
        ("{q}:not-a-name", "is not a Python function name"),
        ("{tmp}/missing.py:objective", "no file"),
        ("{tmp}/data.txt:objective", "is not a .py file"),
        ("{q}:nosuch", "has no function 'nosuch'; functions defined there: objective"),
        ("{q}:SHIFT", "'SHIFT' in"),
    ],
)
def test_run_bad_target_names_file_and_function(
    tmp_path: Path, url: str, target: str, message: str
) -> None:
    res = invoke("run", target.format(q=QUADRATIC, tmp=tmp_path), "--storage", url)
    assert res.exit_code == 2
    assert message in res.stderr


def test_run_file_that_fails_to_import(tmp_path: Path, url: str) -> None:
    path = write_objective(tmp_path, "broken", """
        import math
        RATE = math.log(0)
    """)
    res = invoke("run", f"{path}:objective", "--storage", url)
    assert res.exit_code == 1
    assert f"importing {str(path)!r} raised ValueError" in res.stderr
    assert "RATE = math.log(0)" in res.stderr


def test_run_can_import_neighbour_modules(tmp_path: Path, url: str) -> None:
    (tmp_path / "helper_mod_cli.py").write_text("OFFSET = 10.0\n")
    path = write_objective(tmp_path, "uses_helper", """
        from helper_mod_cli import OFFSET

        def objective(trial):
            return trial.suggest_float("x", 0, 1) + OFFSET
    """)
    res = invoke("run", f"{path}:objective", "--storage", url, "--n-trials", "2", "--no-progress")
    assert res.exit_code == 0, res.stderr
    assert hs.load_study("uses_helper-objective", url).best_value >= 10.0


def test_loading_an_already_imported_file_reuses_its_module(tmp_path: Path) -> None:
    """A file the caller imported is not executed again: the caller's function objects stay the
    ones pickle finds by name (a second copy broke the process executor when tests ran in
    another order)."""
    import pickle

    from hyperscout.cli._loader import load_objective

    path = write_objective(tmp_path, "already_imported_cli", """
        RUNS = []
        RUNS.append(1)

        def objective(trial):
            return trial.suggest_float("x", 0, 1)
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        import already_imported_cli as mod

        func, resolved, name = load_objective(f"{path}:objective")
        assert func is mod.objective and mod.RUNS == [1]  # not executed a second time
        assert pickle.loads(pickle.dumps(mod.objective)) is mod.objective
        again, _, _ = load_objective(f"{path}:objective")
        assert again is func
    finally:
        sys.modules.pop("already_imported_cli", None)


def test_run_objective_exception_prints_user_traceback_and_exits_1(
    tmp_path: Path, url: str
) -> None:
    path = write_objective(tmp_path, "failing", """
        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            if trial.number == 2:
                raise ValueError("learning rate exploded")
            return x
    """)
    res = invoke("run", f"{path}:objective", "--storage", url, "--n-trials", "5", "--no-progress")
    assert res.exit_code == 1
    assert "trial 2 of study 'failing-objective' failed: objective() in failing.py raised " \
           "ValueError" in res.stderr
    assert 'raise ValueError("learning rate exploded")' in res.stderr
    assert "ValueError: learning rate exploded" in res.stderr
    assert "_optimize.py" not in res.stderr  # the summary starts at the user's frame
    trials = hs.load_study("failing-objective", url).trials
    assert [t.state.value for t in trials] == ["complete", "complete", "fail"]
    assert "learning rate exploded" in trials[2].error


def test_run_where_no_trial_completes_exits_1(tmp_path: Path, url: str) -> None:
    path = write_objective(tmp_path, "nan", """
        def objective(trial):
            trial.suggest_float("x", 0, 1)
            return float("nan")
    """)
    res = invoke("run", f"{path}:objective", "--storage", url, "--n-trials", "3", "--no-progress")
    assert res.exit_code == 1
    assert "3 trials (3 fail)" in res.stdout
    assert "no trial of study 'nan-objective' is complete" in res.stderr
    assert "hyperscout trials nan-objective --state fail" in res.stderr


def test_run_interrupted_keeps_trials_and_exits_130(tmp_path: Path, url: str) -> None:
    path = write_objective(tmp_path, "interrupt", """
        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            if trial.number == 3:
                raise KeyboardInterrupt
            return x
    """)
    res = invoke("run", f"{path}:objective", "--storage", url, "--n-trials", "10",
                 "--no-progress")
    assert res.exit_code == 130
    assert "interrupted" in res.stderr
    assert "4 trials (3 complete, 1 fail)" in res.stdout
    assert "best value:" in res.stdout


# -- studies ------------------------------------------------------------------------------------
def test_studies_table(url: str) -> None:
    make_mixed_study(url, "alpha")
    hs.create_study(name="beta", storage=url, directions=["minimize", "maximize"])
    res = invoke("studies", "--storage", url)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["name", "directions", "trials", "best", "started"]
    alpha = next(ln.split() for ln in lines if ln.startswith("alpha"))
    beta = next(ln.split() for ln in lines if ln.startswith("beta"))
    assert alpha[1:4] == ["minimize", "5", "1"]
    assert beta[1:4] == ["minimize,maximize", "0", "-"]
    dt.datetime.strptime(" ".join(alpha[4:6]), "%Y-%m-%d %H:%M:%S")


def test_studies_on_empty_and_on_missing_database(tmp_path: Path, url: str) -> None:
    hs.create_study(name="tmp", storage=url)
    assert invoke("delete", "tmp", "--storage", url, "--yes").exit_code == 0
    res = invoke("studies", "--storage", url)
    assert res.exit_code == 0 and res.stdout.strip() == f"no studies in {url}"
    missing = tmp_path / "nothing-here.db"
    res = invoke("studies", "--storage", f"sqlite:///{missing}")
    assert res.exit_code == 1
    assert f"no database file {str(missing)!r}" in res.stderr
    assert not missing.exists()  # a read-only command does not create the file


def test_storage_from_environment_variable(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    make_mixed_study(url, "from-env")
    monkeypatch.setenv("HYPERSCOUT_STORAGE", url)
    res = invoke("studies")
    assert res.exit_code == 0 and "from-env" in res.stdout


def test_default_storage_is_hyperscout_db_in_working_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HYPERSCOUT_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    res = invoke("run", f"{QUADRATIC}:objective", "--n-trials", "1", "--no-progress")
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "hyperscout.db").exists()
    assert "in sqlite:///hyperscout.db" in res.stdout
    assert "quadratic-objective" in invoke("studies").stdout


# -- trials -------------------------------------------------------------------------------------
def test_trials_table_with_filters(url: str) -> None:
    make_mixed_study(url)
    res = invoke("trials", "mixed", "--storage", url)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["number", "state", "value", "duration", "params"]
    rows = [ln.split() for ln in lines[1:]]
    assert [r[:3] for r in rows] == [["0", "complete", "3"], ["1", "complete", "1"],
                                     ["2", "fail", "-"], ["3", "pruned", "-"],
                                     ["4", "complete", "2"]]
    assert "x=" in lines[1] and "opt=" in lines[1]

    res = invoke("trials", "mixed", "--storage", url, "--state", "complete")
    assert [ln.split()[0] for ln in res.stdout.splitlines()[1:]] == ["0", "1", "4"]
    res = invoke("trials", "mixed", "--storage", url, "--state", "fail", "--state", "PRUNED")
    assert [ln.split()[0] for ln in res.stdout.splitlines()[1:]] == ["2", "3"]
    res = invoke("trials", "mixed", "--storage", url, "--limit", "2")
    assert [ln.split()[0] for ln in res.stdout.splitlines()[1:]] == ["3", "4"]
    res = invoke("trials", "mixed", "--storage", url, "--sort", "value", "--limit", "2")
    assert [ln.split()[0] for ln in res.stdout.splitlines()[1:]] == ["1", "4"]
    res = invoke("trials", "mixed", "--storage", url, "--state", "running")
    assert res.exit_code == 0
    assert res.stdout.strip() == "study 'mixed' has no trials in state running"
    res = invoke("trials", "mixed", "--storage", url, "--state", "bogus")
    assert res.exit_code == 2


def test_missing_study_is_exit_1_with_hint(url: str) -> None:
    make_mixed_study(url)
    for cmd in (["trials"], ["best"], ["export", "--format", "json"], ["delete", "--yes"]):
        res = invoke(cmd[0], "nope", "--storage", url, *cmd[1:])
        assert res.exit_code == 1, cmd
        assert (f"no study named 'nope' in {url}; hyperscout studies --storage {url} lists them"
                in res.stderr)


def test_passwords_are_never_printed() -> None:
    assert mask_url("postgresql+psycopg://bob:s3cret@db.example:5432/hs") == (
        "postgresql+psycopg://bob:***@db.example:5432/hs")
    assert mask_url("mysql+pymysql://bob:s3cret@db/hs?charset=utf8mb4") == (
        "mysql+pymysql://bob:***@db/hs?charset=utf8mb4")
    assert "s3cret" not in mask_url("not a url://bob:s3cret@host/db")
    assert mask_url("sqlite:///hyperscout.db") == "sqlite:///hyperscout.db"


def test_unreachable_server_error_masks_password() -> None:
    pytest.importorskip("psycopg")
    res = invoke("studies", "--storage", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/hs")
    assert res.exit_code == 1
    assert "s3cret" not in res.stderr + res.stdout
    assert "bob:***@127.0.0.1:1/hs" in res.stderr


# -- best ---------------------------------------------------------------------------------------
def test_best_single_objective(url: str) -> None:
    study = make_mixed_study(url)
    res = invoke("best", "mixed", "--storage", url)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "best value: 1 (trial 1)"
    assert f"  opt: {study.trials[1].params['opt']}" in res.stdout
    res = invoke("best", "mixed", "--storage", url, "--json")
    data = json.loads(res.stdout)
    assert data["number"] == 1 and data["value"] == 1.0 and data["values"] == [1.0]
    assert data["params"] == study.trials[1].params
    assert data["user_attrs"] == {"i": 1}


def test_best_without_complete_trial_exits_1(url: str) -> None:
    study = hs.create_study(name="empty", storage=url)
    study.tell(study.ask(), state="fail")
    res = invoke("best", "empty", "--storage", url)
    assert res.exit_code == 1
    assert "study 'empty' has no complete trial yet (1 trials)" in res.stderr


# -- export -------------------------------------------------------------------------------------
def test_export_json_parses_back(url: str) -> None:
    study = make_mixed_study(url)
    res = invoke("export", "mixed", "--storage", url, "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert [d["number"] for d in data] == [0, 1, 2, 3, 4]
    assert [d["state"] for d in data] == ["complete", "complete", "fail", "pruned", "complete"]
    for d, t in zip(data, study.trials):
        assert set(d) >= {"number", "state", "values", "params", "user_attrs",
                          "intermediate_values", "datetime_start", "datetime_complete", "error"}
        assert d["values"] == (list(t.values) if t.values else None)
        assert d["params"] == dict(t.params)
        assert d["user_attrs"] == dict(t.user_attrs)
        assert d["intermediate_values"] == {"0": t.intermediate_values[0]}
        assert dt.datetime.fromisoformat(d["datetime_start"]) == t.datetime_start
        assert dt.datetime.fromisoformat(d["datetime_complete"]) == t.datetime_complete
        assert hs.space.distribution_from_json(d["distributions"]["x"]) == t.distributions["x"]
    assert data[2]["error"].endswith("ValueError: bad lr")


def test_export_csv_parses_back_to_a_file(tmp_path: Path, url: str) -> None:
    study = hs.create_study(name="cond", storage=url, seed=0)
    for i in range(4):  # a conditional parameter: only odd trials have "momentum"
        trial = study.ask({"lr": hs.Float(1e-4, 1.0, log=True),
                           "flag": hs.Categorical([True, False, None])})
        if i % 2:
            trial.suggest_float("momentum", 0.0, 0.9)
            trial.set_user_attr("note", {"odd": True})
        study.tell(trial, float(i))
    out = tmp_path / "cond.csv"
    res = invoke("export", "cond", "--storage", url, "--format", "csv", "--output", str(out))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    assert f"wrote 4 trials of 'cond' to {out}" in res.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["number", "state", "value", "datetime_start", "datetime_complete",
                             "duration", "params_lr", "params_flag", "params_momentum",
                             "user_attrs_note", "error"]
    for row, t in zip(rows, study.trials):
        assert int(row["number"]) == t.number and row["state"] == "complete"
        assert float(row["value"]) == t.value
        assert float(row["params_lr"]) == t.params["lr"]
        assert json.loads(row["params_flag"]) == t.params["flag"]
        assert math.isclose(float(row["duration"]), t.duration.total_seconds())
        if "momentum" in t.params:
            assert float(row["params_momentum"]) == t.params["momentum"]
            assert json.loads(row["user_attrs_note"]) == {"odd": True}
        else:
            assert row["params_momentum"] == "" and row["user_attrs_note"] == ""


def test_export_csv_multi_objective_and_state_filter(url: str) -> None:
    study = hs.create_study(name="mo", storage=url, directions=["minimize", "maximize"])
    study.tell(study.ask({"x": hs.Float(0, 1)}), [1.0, 2.0])
    study.tell(study.ask({"x": hs.Float(0, 1)}), state="fail", error="boom")
    res = invoke("export", "mo", "--storage", url, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["values_0"], r["values_1"], r["error"]) for r in rows] == [
        ("1.0", "2.0", ""), ("", "", "boom")]
    res = invoke("export", "mo", "--storage", url, "--format", "CSV", "--state", "fail")
    assert [r["number"] for r in csv.DictReader(io.StringIO(res.stdout))] == ["1"]
    assert invoke("export", "mo", "--storage", url).exit_code == 2  # --format is required


# -- delete -------------------------------------------------------------------------------------
def test_delete_asks_unless_yes(url: str) -> None:
    make_mixed_study(url)
    res = invoke("delete", "mixed", "--storage", url, input="n\n")
    assert res.exit_code == 1 and "Aborted" in res.stderr
    res = invoke("delete", "mixed", "--storage", url)  # stdin closed: no answer means no
    assert res.exit_code == 1
    assert "mixed" in invoke("studies", "--storage", url).stdout
    res = invoke("delete", "mixed", "--storage", url, input="y\n")
    assert res.exit_code == 0 and f"deleted study 'mixed' (5 trials) from {url}" in res.stdout
    make_mixed_study(url, "again")
    res = invoke("delete", "again", "--storage", url, "--yes")
    assert res.exit_code == 0
    with pytest.raises(hs.StudyNotFoundError):
        hs.load_study("again", url)


# -- helpers ------------------------------------------------------------------------------------
def test_helpers() -> None:
    assert split_target("C:/work/obj.py:fn") == (Path("C:/work/obj.py"), "fn")
    assert default_study_name(Path("dir/my model.py"), "objective") == "my-model-objective"
    assert table(["a", "bb"], [["1", "2"], ["333", "4"]]) == "a    bb\n1    2\n333  4"
    assert fmt_duration(dt.timedelta(hours=2, minutes=3)) == "2h03m"


# -- the installed console script ---------------------------------------------------------------
def test_console_script_end_to_end(tmp_path: Path) -> None:
    exe = shutil.which("hyperscout")
    cmd = [exe] if exe else [sys.executable, "-m", "hyperscout.cli"]
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    proc = subprocess.run(
        [*cmd, "run", "examples/quadratic.py:objective", "--n-trials", "5", "--storage", url,
         "--seed", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 trials (5 complete); 5 in this run" in proc.stdout
    assert "best value: " in proc.stdout and "  x: " in proc.stdout
    assert "trial 4 complete: " in proc.stderr
    assert "5/5" in proc.stderr  # the progress bar
    study = hs.load_study("quadratic-objective", url)
    assert f"best value: {study.best_value:.6g}" in proc.stdout
