"""A self-contained HTML report of a study: summary, best trials, importance and every plot.

The page embeds the plotly.js bundle shipped inside the ``plotly`` package, so it opens offline
(no CDN, no network). Every user-controlled string (study, parameter and attribute names,
values) is HTML-escaped; figure data is JSON that plotly escapes for ``<script>`` blocks.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections import Counter
from pathlib import Path
from typing import Any

from hyperscout._imports import optional_import
from hyperscout.trial.state import TrialState
from hyperscout.visualization import _data as D

#: above this many complete trials, ``importance="auto"`` uses PED-ANOVA instead of fANOVA
AUTO_FANOVA_LIMIT = 2000

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{margin-bottom:.2rem} .muted{color:#666}
table{border-collapse:collapse;margin:.5rem 0 1.5rem} td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;font-size:.9rem} th{background:#f4f4f4}
.plot{margin:1rem 0 2rem;border-top:1px solid #eee;padding-top:.5rem}
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    return str(v)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _best_rows(snap: D.StudySnapshot, limit: int) -> tuple[list[str], list[list[Any]]]:
    complete = [t for t in snap.trials if t.state is TrialState.COMPLETE and t.values is not None]
    if len(snap.directions) == 1:
        sign = 1.0 if snap.directions[0] == "minimize" else -1.0
        best = sorted(complete, key=lambda t: sign * t.values[0])[:limit]  # type: ignore[index]
    else:
        from hyperscout.multiobjective import pareto_front_trials

        best = pareto_front_trials(complete, snap.directions)[:limit]
    header = ["trial", "values", "params"]
    rows = [[t.number, ", ".join(_fmt(v) for v in t.values or ()),
             ", ".join(f"{k}={_fmt(v)}" for k, v in t.params.items())] for t in best]
    return header, rows


def choose_evaluator(importance: str, n_complete: int) -> str:
    """``"auto"``: fANOVA up to :data:`AUTO_FANOVA_LIMIT` complete trials, else PED-ANOVA.

    Example:
        >>> choose_evaluator("auto", 100), choose_evaluator("auto", 10_000)
        ('fanova', 'ped_anova')
    """
    if importance not in ("auto", "fanova", "ped_anova"):
        raise ValueError(f"importance={importance!r}: use 'auto', 'fanova' or 'ped_anova'")
    if importance != "auto":
        return importance
    return "fanova" if n_complete <= AUTO_FANOVA_LIMIT else "ped_anova"


def render_report(study: Any, *, importance: str = "auto", best_limit: int = 10) -> str:
    """The report as one HTML string (plotly.js embedded).

    Example:
        >>> import hyperscout as hs
        >>> s = hs.create_study(name="demo")
        >>> page = render_report(s)  # doctest: +SKIP
        >>> "<script src=\\"http" in page  # doctest: +SKIP
        False
    """
    offline = optional_import("plotly.offline", extra="viz", feature="the HTML report")
    from hyperscout.visualization import plotly as P

    snap = D.snapshot(study)
    counts = Counter(t.state.value for t in snap.trials)
    n_complete = counts.get("complete", 0)
    evaluator = choose_evaluator(importance, n_complete)
    sections: list[tuple[str, Any]] = []
    for k in range(len(snap.directions)):
        suffix = "" if len(snap.directions) == 1 else f" (objective {k})"
        sections.append((f"Optimization history{suffix}",
                         P.plot_optimization_history(snap, objective=k)))
        sections.append((f"Parameter importance{suffix}",
                         P.plot_param_importances(snap, evaluator=evaluator, objective=k)))
    if len(snap.directions) > 1:
        sections.append(("Pareto front", P.plot_pareto_front(snap)))
    sections += [
        ("Slice", P.plot_slice(snap)),
        ("Contour", P.plot_contour(snap)),
        ("Parallel coordinates", P.plot_parallel_coordinate(snap)),
        ("Intermediate values", P.plot_intermediate_values(snap)),
        ("Empirical distribution", P.plot_edf(snap)),
        ("Timeline", P.plot_timeline(snap)),
    ]
    plots = "".join(
        f'<div class="plot"><h2>{html.escape(title)}</h2>'
        f"{fig.to_html(include_plotlyjs=False, full_html=False, default_width='100%')}</div>"
        for title, fig in sections
    )
    header, rows = _best_rows(snap, best_limit)
    summary = _table(["name", "directions", "trials", *sorted(counts)],
                     [[snap.name, ", ".join(snap.directions), len(snap.trials),
                       *[counts[s] for s in sorted(counts)]]])
    best_title = "Best trials" if len(snap.directions) == 1 else "Pareto-optimal trials"
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    name = html.escape(snap.name)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>hyperscout report: {name}</title><style>{_CSS}</style>"
        f"<script type=\"text/javascript\">{offline.get_plotlyjs()}</script></head><body>"
        f"<h1>Study {name}</h1><p class=\"muted\">hyperscout report, generated {generated}; "
        f"importance: {html.escape(evaluator)}</p>"
        f"<h2>Summary</h2>{summary}<h2>{best_title}</h2>"
        f"{_table(header, rows) if rows else '<p>no complete trials yet</p>'}"
        f"{plots}</body></html>"
    )


def write_report(study: Any, path: str | Path, *, importance: str = "auto") -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(render_report(study, importance=importance), encoding="utf-8")
    return out
