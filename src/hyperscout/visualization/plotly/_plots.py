"""Plotly figures over :mod:`hyperscout.visualization._data` (interactive; the default backend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperscout._imports import optional_import
from hyperscout.visualization import _data as D
from hyperscout.visualization._style import (
    BEST_COLOR,
    DOMINATED_COLOR,
    FRONT_COLOR,
    INFEASIBLE_COLOR,
    STATE_COLORS,
    empty_message,
)


def _go():
    return optional_import("plotly.graph_objects", extra="viz", feature="plotly plots")


def _subplots():
    return optional_import("plotly.subplots", extra="viz", feature="plotly plots").make_subplots


def _empty(fig, title: str, note: str = ""):
    fig.update_layout(title=title)
    fig.add_annotation(text=empty_message(note), showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=0.5, font={"size": 16})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _arr(values: Sequence[Any], axis: D.ParamAxis | None = None) -> Any:
    """Numeric data as a numpy array (plotly validates arrays far faster than lists)."""
    if axis is not None and axis.is_categorical:
        return np.asarray([str(v) for v in values], dtype=object)
    return np.asarray(values, dtype=float)


def _axis_kwargs(axis: D.ParamAxis) -> dict[str, Any]:
    if axis.is_categorical:
        return {"type": "category", "categoryorder": "array", "categoryarray": list(axis.choices)}
    return {"type": "log"} if axis.log else {}


def plot_optimization_history(study: Any, *, objective: int = 0, target: D.Target | None = None,
                              target_name: str | None = None):
    """Objective value of each complete trial and the best value so far.

    Example:
        >>> import hyperscout as hs
        >>> s = hs.create_study(seed=0)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> fig = plot_optimization_history(s)  # doctest: +SKIP
    """
    go = _go()
    h = D.history_data(study, objective=objective, target=target, target_name=target_name)
    fig = go.Figure()
    title = "Optimization history"
    if not h.numbers:
        return _empty(fig, title)
    fig.add_trace(go.Scatter(x=h.numbers, y=h.values, mode="markers", name=h.label,
                             marker={"color": STATE_COLORS["complete"]}))
    fig.add_trace(go.Scatter(x=h.numbers, y=h.best_so_far, mode="lines", name="best so far",
                             line={"color": BEST_COLOR, "shape": "hv"}))
    fig.update_layout(title=title, xaxis_title="trial", yaxis_title=h.label)
    return fig


def plot_param_importances(study: Any, *, evaluator: Any = None, objective: int = 0,
                           target: D.Target | None = None, target_name: str | None = None,
                           params: Sequence[str] | None = None):
    """Horizontal bars of each parameter's importance (fANOVA by default)."""
    go = _go()
    d = D.importance_data(study, evaluator=evaluator, objective=objective, target=target,
                          target_name=target_name, params=params)
    fig = go.Figure()
    title = f"Parameter importance ({d.label})"
    if not d.names:
        return _empty(fig, title, d.note)
    fig.add_trace(go.Bar(x=d.importances[::-1], y=d.names[::-1], orientation="h",
                         text=[f"{v:.2f}" for v in d.importances[::-1]], textposition="auto",
                         marker={"color": STATE_COLORS["complete"]}))
    fig.update_layout(title=title, xaxis_title="importance", yaxis_title="parameter")
    return fig


def plot_slice(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
               target: D.Target | None = None, target_name: str | None = None):
    """The objective against each parameter, one panel per parameter (log/category axes)."""
    go = _go()
    d = D.slice_data(study, params=params, objective=objective, target=target,
                     target_name=target_name)
    if not d.axes or not any(d.y.values()):
        return _empty(go.Figure(), "Slice")
    n = len(d.axes)
    fig = _subplots()(rows=1, cols=n, shared_yaxes=True,
                      subplot_titles=[a.name for a in d.axes], horizontal_spacing=0.3 / n)
    for k, a in enumerate(d.axes, start=1):
        fig.add_trace(go.Scatter(
            x=_arr(d.x[a.name], a), y=_arr(d.y[a.name]), mode="markers", name=a.name,
            showlegend=False,
            marker={"color": _arr(d.numbers[a.name]), "colorscale": "Blues",
                    "line": {"width": 0.5}, "showscale": k == n, "colorbar": {"title": "trial"}},
            customdata=_arr(d.numbers[a.name]), hovertemplate="trial %{customdata}<br>"
            "%{x}: %{y}<extra></extra>"), row=1, col=k)
        fig.update_xaxes(title_text=a.name, row=1, col=k, **_axis_kwargs(a))
    fig.update_yaxes(title_text=d.label, row=1, col=1)
    fig.update_layout(title="Slice", width=max(500, 300 * n))
    return fig


def plot_contour(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
                 target: D.Target | None = None, target_name: str | None = None,
                 resolution: int = 40):
    """Interpolated objective over pairs of parameters, with the trials as points."""
    go = _go()
    d = D.contour_data(study, params=params, objective=objective, target=target,
                       target_name=target_name, resolution=resolution)
    title = "Contour"
    if not d.panels or all(not p.points_z for p in d.panels):
        note = "needs 2 or more parameters" if len(d.params) < 2 else ""
        return _empty(go.Figure(), title, note)
    k = len(d.params) - 1
    fig = _subplots()(rows=k, cols=k, horizontal_spacing=0.08, vertical_spacing=0.08)
    pos = {name: i for i, name in enumerate(d.params)}
    for p in d.panels:
        row, col = pos[p.y_axis.name], pos[p.x_axis.name] + 1
        if not p.points_z:
            continue
        z = np.array([[np.nan if v is None else v for v in row] for row in p.z], dtype=float)
        fig.add_trace(go.Contour(x=_arr(p.grid_x, p.x_axis), y=_arr(p.grid_y, p.y_axis), z=z,
                                 colorscale="Blues",
                                 reversescale=True, connectgaps=True,
                                 showscale=(row, col) == (1, 1),
                                 colorbar={"title": d.label}, contours={"coloring": "heatmap"}),
                      row=row, col=col)
        fig.add_trace(go.Scatter(x=_arr(p.points_x, p.x_axis), y=_arr(p.points_y, p.y_axis),
                                 mode="markers", showlegend=False,
                                 marker={"color": "black", "size": 4},
                                 customdata=_arr(p.points_z),
                                 hovertemplate=f"{d.label}=%{{customdata:.4g}}<extra></extra>"),
                      row=row, col=col)
        fig.update_xaxes(title_text=p.x_axis.name, row=row, col=col, **_axis_kwargs(p.x_axis))
        fig.update_yaxes(title_text=p.y_axis.name, row=row, col=col, **_axis_kwargs(p.y_axis))
    fig.update_layout(title=title, width=max(500, 380 * k), height=max(450, 350 * k))
    return fig


def plot_parallel_coordinate(study: Any, *, params: Sequence[str] | None = None,
                             objective: int = 0, target: D.Target | None = None,
                             target_name: str | None = None):
    """A line per complete trial through the objective and every parameter."""
    import math

    go = _go()
    d = D.parallel_data(study, params=params, objective=objective, target=target,
                        target_name=target_name)
    if not d.values:
        return _empty(go.Figure(), "Parallel coordinates")
    dims = [{"label": d.label, "values": d.values}]
    for a in d.axes:
        col = d.columns[a.name]
        if a.is_categorical:
            vals = [-1 if math.isnan(v) else v for v in col]
            dims.append({"label": a.name, "values": vals,
                         "tickvals": list(range(len(a.choices))), "ticktext": list(a.choices)})
        elif a.log:
            vals = [math.log10(v) if v > 0 else math.nan for v in col]
            finite = [v for v in vals if not math.isnan(v)]
            lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
            ticks = list(range(math.floor(lo), math.ceil(hi) + 1))
            dims.append({"label": f"{a.name} (log)", "values": vals, "tickvals": ticks,
                         "ticktext": [f"1e{t}" for t in ticks]})
        else:
            dims.append({"label": a.name, "values": col})
    fig = go.Figure(go.Parcoords(dimensions=dims, line={
        "color": d.values, "colorscale": "Blues", "reversescale": True, "showscale": True,
        "colorbar": {"title": d.label}}))
    fig.update_layout(title="Parallel coordinates")
    return fig


def plot_intermediate_values(study: Any):
    """Learning curves reported with ``trial.report``; pruned trials end with an ``x``."""
    go = _go()
    d = D.intermediate_data(study)
    fig = go.Figure()
    title = "Intermediate values"
    if not d.curves:
        return _empty(fig, title, "no trial reported intermediate values")
    # one trace per state (curves separated by gaps) keeps big studies fast to draw
    for state in sorted({c.state for c in d.curves}):
        xs: list = []
        ys: list = []
        text: list = []
        for c in d.curves:
            if c.state == state:
                xs += [*c.steps, None]
                ys += [*c.values, None]
                text += [f"trial {c.number}"] * len(c.steps) + [None]
        color = STATE_COLORS.get(state, "#333333")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=state, text=text,
                                 line={"color": color, "width": 1},
                                 marker={"size": 3, "color": color}, connectgaps=False))
    pruned = [c for c in d.curves if c.state == "pruned"]
    if pruned:
        fig.add_trace(go.Scatter(
            x=[c.steps[-1] for c in pruned], y=[c.values[-1] for c in pruned], mode="markers",
            name="pruned here", text=[f"trial {c.number} pruned" for c in pruned],
            marker={"symbol": "x", "size": 10, "color": STATE_COLORS["pruned"]}))
    fig.update_layout(title=title, xaxis_title="step", yaxis_title="intermediate value")
    return fig


def plot_pareto_front(study: Any, *, objectives: Sequence[int] | None = None,
                      target_names: Sequence[str] | None = None,
                      include_dominated: bool = True):
    """Trials in objective space (2-D or 3-D): front, dominated, infeasible."""
    go = _go()
    d = D.pareto_data(study, objectives=objectives, target_names=target_names)
    fig = go.Figure()
    title = "Pareto front"
    if not d.numbers:
        return _empty(fig, title, d.note)
    three = len(d.objectives) == 3
    groups = [("Pareto front", FRONT_COLOR,
               [i for i in range(len(d.numbers)) if d.on_front[i]])]
    if include_dominated:
        groups.append(("dominated", DOMINATED_COLOR, [
            i for i in range(len(d.numbers)) if d.feasible[i] and not d.on_front[i]]))
        if d.has_constraints:
            groups.append(("infeasible", INFEASIBLE_COLOR,
                           [i for i in range(len(d.numbers)) if not d.feasible[i]]))
    for name, color, idx in groups:
        if not idx:
            continue
        cols = [[d.values[i][k] for i in idx] for k in range(len(d.objectives))]
        text = [f"trial {d.numbers[i]}" for i in idx]
        marker = {"color": color, "size": 5 if three else 8}
        if three:
            fig.add_trace(go.Scatter3d(x=cols[0], y=cols[1], z=cols[2], mode="markers",
                                       name=name, marker=marker, text=text))
        else:
            fig.add_trace(go.Scatter(x=cols[0], y=cols[1], mode="markers", name=name,
                                     marker=marker, text=text))
    if three:
        fig.update_layout(scene={"xaxis_title": d.labels[0], "yaxis_title": d.labels[1],
                                 "zaxis_title": d.labels[2]})
    else:
        fig.update_layout(xaxis_title=d.labels[0], yaxis_title=d.labels[1])
    fig.update_layout(title=title)
    return fig


def plot_edf(studies: Any, *, objective: int = 0, target: D.Target | None = None,
             target_name: str | None = None):
    """Empirical distribution of the objective, one line per study."""
    go = _go()
    lines = D.edf_data(studies, objective=objective, target=target)
    fig = go.Figure()
    title = "Empirical distribution function"
    if not any(line.x for line in lines):
        return _empty(fig, title)
    for line in lines:
        fig.add_trace(go.Scatter(x=line.x, y=line.y, mode="lines", name=line.name,
                                 line={"shape": "hv"}))
    fig.update_layout(title=title, xaxis_title=target_name or "objective",
                      yaxis_title="share of trials", yaxis_range=[0, 1.02])
    return fig


def plot_timeline(study: Any):
    """When each trial ran, one row per worker, coloured by state."""
    go = _go()
    bars = D.timeline_data(study)
    fig = go.Figure()
    title = "Timeline"
    if not bars:
        return _empty(fig, title, "no trial has started")
    for state, color in STATE_COLORS.items():
        sel = [b for b in bars if b.state == state]
        if not sel:
            continue
        fig.add_trace(go.Bar(
            base=[b.start.isoformat() for b in sel],
            x=[(b.end - b.start).total_seconds() * 1000.0 for b in sel],
            y=[b.worker for b in sel], orientation="h", name=state, marker={"color": color},
            text=[f"trial {b.number}" for b in sel], hoverinfo="text+name"))
    fig.update_layout(title=title, barmode="overlay", xaxis={"type": "date", "title": "time"},
                      yaxis_title="worker")
    return fig
