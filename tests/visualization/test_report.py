"""`hyperscout report`: a self-contained HTML file that opens offline and escapes user text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import hyperscout as hs
from hyperscout.cli import cli
from hyperscout.visualization.report import choose_evaluator, render_report

pytest.importorskip("plotly")
hs.set_verbosity("warning")

EVIL = "<script>alert('x')</script>"


def _fill(url: str, name: str, *, directions=None, n: int = 12) -> None:
    study = hs.create_study(name=name, storage=url, directions=directions,
                            sampler=hs.samplers.RandomSampler(seed=0))

    def objective(t: hs.Trial):
        x = t.suggest_float(EVIL, 1e-3, 1.0, log=True)
        c = t.suggest_categorical("c", ["a", EVIL])
        t.set_user_attr("note", EVIL)
        return (x, float(c == "a")) if directions else x + (c == "a")

    study.optimize(objective, n_trials=n)


def _no_remote_scripts(page: str) -> None:
    assert not re.search(r"<script[^>]+src\s*=", page, re.I), "no external script at all"
    assert not re.search(r"<(link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", page,
                         re.I)
    # the bundle itself names cdn.plot.ly only as the (unused) default topojson URL of geo maps
    outside_bundle = page.replace(page[page.index("<script"):page.index("</script>")], "")
    assert outside_bundle.count("cdn.plot.ly") == 0


def test_report_cli_writes_an_offline_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    _fill(url, f"study {EVIL}")
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", f"study {EVIL}", "--storage", url, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output
    page = out.read_text(encoding="utf-8")
    _no_remote_scripts(page)
    assert "Plotly.newPlot" in page and len(page) > 3_000_000  # plotly.js is embedded
    assert page.count(EVIL) == 0  # escaped in tables and JSON-escaped in figure data
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    for title in ("Optimization history", "Parameter importance", "Slice", "Contour",
                  "Parallel coordinates", "Intermediate values", "Empirical distribution",
                  "Timeline", "Best trials"):
        assert f"<h2>{title}" in page


def test_report_of_a_multi_objective_study_has_the_front(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    _fill(url, "mo", directions=["minimize", "minimize"])
    study = hs.load_study("mo", url)
    page = render_report(study)
    assert "<h2>Pareto front" in page and "Pareto-optimal trials" in page
    assert "<h2>Optimization history (objective 1)" in page
    _no_remote_scripts(page)


def test_report_of_an_empty_study(tmp_path: Path) -> None:
    page = render_report(hs.create_study(name="nothing"))
    assert "no complete trials yet" in page
    _no_remote_scripts(page)


def test_report_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    _fill(url, "s", n=3)
    res = CliRunner().invoke(cli, ["report", "missing", "--storage", url])
    assert res.exit_code != 0 and "no study named 'missing'" in res.output
    res = CliRunner().invoke(cli, ["report", "s", "--storage", url, "--out",
                                   str(tmp_path / "no-such-dir" / "r.html")])
    assert res.exit_code != 0 and "cannot write --out" in res.output
    res = CliRunner().invoke(cli, ["report", "s", "--storage",
                                   f"sqlite:///{tmp_path / 'absent.db'}"])
    assert res.exit_code != 0 and "no database file" in res.output
    with pytest.raises(ValueError, match="importance='shap'"):
        choose_evaluator("shap", 10)
