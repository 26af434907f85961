"""Matplotlib figures over :mod:`hyperscout.visualization._data` (static; for papers and CI).

Each function returns a ``matplotlib.figure.Figure`` (made without pyplot, so no display and no
global state is needed).
"""

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


def _figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.8,
            projection: str | None = None, **kw: Any):
    mfig = optional_import("matplotlib.figure", extra="viz", feature="matplotlib plots")
    fig = mfig.Figure(figsize=(width, height), layout="constrained")
    if projection:
        return fig, fig.add_subplot(1, 1, 1, projection=projection)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _empty(title: str, note: str = ""):
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.set_title(title)
    ax.text(0.5, 0.5, empty_message(note), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _positions(axis: D.ParamAxis, values: Sequence[Any]) -> np.ndarray:
    return np.array([axis.position(v) for v in values], dtype=float)


def _style_axis(ax, axis: D.ParamAxis, which: str) -> None:
    """Log scale for log parameters; category ticks for categoricals."""
    if axis.is_categorical:
        ticks = list(range(len(axis.choices)))
        if which == "x":
            ax.set_xticks(ticks, list(axis.choices))
        else:
            ax.set_yticks(ticks, list(axis.choices))
    elif axis.log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def plot_optimization_history(study: Any, *, objective: int = 0, target: D.Target | None = None,
                              target_name: str | None = None):
    """Objective value of each complete trial and the best value so far."""
    h = D.history_data(study, objective=objective, target=target, target_name=target_name)
    title = "Optimization history"
    if not h.numbers:
        return _empty(title)
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.scatter(h.numbers, h.values, s=12, color=STATE_COLORS["complete"], label=h.label)
    ax.step(h.numbers, h.best_so_far, where="post", color=BEST_COLOR, label="best so far")
    ax.set(title=title, xlabel="trial", ylabel=h.label)
    ax.legend()
    return fig


def plot_param_importances(study: Any, *, evaluator: Any = None, objective: int = 0,
                           target: D.Target | None = None, target_name: str | None = None,
                           params: Sequence[str] | None = None):
    """Horizontal bars of each parameter's importance (fANOVA by default)."""
    d = D.importance_data(study, evaluator=evaluator, objective=objective, target=target,
                          target_name=target_name, params=params)
    title = f"Parameter importance ({d.label})"
    if not d.names:
        return _empty(title, d.note)
    fig, axes = _figure(height=max(3.0, 0.4 * len(d.names) + 1))
    ax = axes[0, 0]
    bars = ax.barh(d.names[::-1], d.importances[::-1], color=STATE_COLORS["complete"])
    ax.bar_label(bars, fmt="%.2f")
    ax.set(title=title, xlabel="importance", ylabel="parameter")
    return fig


def plot_slice(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
               target: D.Target | None = None, target_name: str | None = None):
    """The objective against each parameter, one panel per parameter (log/category axes)."""
    d = D.slice_data(study, params=params, objective=objective, target=target,
                     target_name=target_name)
    if not d.axes or not any(d.y.values()):
        return _empty("Slice")
    n = len(d.axes)
    fig, axes = _figure(1, n, width=max(4.0, 3.2 * n), sharey=True)
    for k, a in enumerate(d.axes):
        ax = axes[0, k]
        xs = _positions(a, d.x[a.name]) if a.is_categorical else np.asarray(d.x[a.name], float)
        ax.scatter(xs, d.y[a.name], c=d.numbers[a.name], cmap="Blues", s=14,
                   edgecolors="grey", linewidths=0.3)
        _style_axis(ax, a, "x")
        ax.set_xlabel(a.name)
    axes[0, 0].set_ylabel(d.label)
    fig.suptitle("Slice")
    return fig


def plot_contour(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
                 target: D.Target | None = None, target_name: str | None = None,
                 resolution: int = 40):
    """Interpolated objective over pairs of parameters, with the trials as points."""
    d = D.contour_data(study, params=params, objective=objective, target=target,
                       target_name=target_name, resolution=resolution)
    if not d.panels or all(not p.points_z for p in d.panels):
        return _empty("Contour", "needs 2 or more parameters" if len(d.params) < 2 else "")
    k = len(d.params) - 1
    fig, axes = _figure(k, k, width=max(5.0, 4.0 * k), height=max(4.0, 3.6 * k))
    pos = {name: i for i, name in enumerate(d.params)}
    used = set()
    for p in d.panels:
        r, c = pos[p.y_axis.name] - 1, pos[p.x_axis.name]
        ax = axes[r, c]
        used.add((r, c))
        if not p.points_z:
            ax.text(0.5, 0.5, "no trial has both", ha="center", transform=ax.transAxes)
            continue
        gx = (np.arange(len(p.grid_x), dtype=float) if p.x_axis.is_categorical
              else np.asarray(p.grid_x, float))
        gy = (np.arange(len(p.grid_y), dtype=float) if p.y_axis.is_categorical
              else np.asarray(p.grid_y, float))
        z = np.array([[np.nan if v is None else v for v in row] for row in p.z], dtype=float)
        if len(gx) > 1 and len(gy) > 1 and np.isfinite(z).any():
            cs = ax.contourf(gx, gy, z, levels=12, cmap="Blues_r")
            fig.colorbar(cs, ax=ax, label=d.label)
        px = (_positions(p.x_axis, p.points_x) if p.x_axis.is_categorical
              else np.asarray(p.points_x, float))
        py = (_positions(p.y_axis, p.points_y) if p.y_axis.is_categorical
              else np.asarray(p.points_y, float))
        ax.scatter(px, py, s=6, color="black")
        _style_axis(ax, p.x_axis, "x")
        _style_axis(ax, p.y_axis, "y")
        ax.set(xlabel=p.x_axis.name, ylabel=p.y_axis.name)
    for r in range(k):
        for c in range(k):
            if (r, c) not in used:
                axes[r, c].set_axis_off()
    fig.suptitle("Contour")
    return fig


def plot_parallel_coordinate(study: Any, *, params: Sequence[str] | None = None,
                             objective: int = 0, target: D.Target | None = None,
                             target_name: str | None = None):
    """A line per complete trial through the objective and every parameter (each axis scaled
    to [0, 1]; log parameters in log space, categories evenly spaced)."""
    d = D.parallel_data(study, params=params, objective=objective, target=target,
                        target_name=target_name)
    if not d.values:
        return _empty("Parallel coordinates")
    names = [d.label, *[a.name + (" (log)" if a.log else "") for a in d.axes]]
    cols = [np.asarray(d.values, float)]
    ticks: list[tuple[list[float], list[str]]] = [([], [])]
    for a in d.axes:
        col = np.asarray(d.columns[a.name], float)
        if a.is_categorical:
            n = max(len(a.choices) - 1, 1)
            cols.append(col / n)
            ticks.append(([i / n for i in range(len(a.choices))], list(a.choices)))
            continue
        if a.log:
            col = np.where(col > 0, np.log10(np.where(col > 0, col, 1.0)), np.nan)
        cols.append(col)
        ticks.append(([], []))
    M = np.column_stack(cols)
    lo, hi = np.nanmin(M, axis=0), np.nanmax(M, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    norm = (M - lo) / span
    for j, a in enumerate(d.axes, start=1):
        if a.is_categorical:
            norm[:, j] = M[:, j]
    fig, axes = _figure(width=max(6.0, 1.4 * len(names)))
    ax = axes[0, 0]
    cmap = optional_import("matplotlib", extra="viz").colormaps["Blues_r"]
    v = norm[:, 0]
    for i in range(len(M)):  # darker = better objective
        ax.plot(range(len(names)), norm[i], color=cmap(float(v[i])), alpha=0.6, linewidth=0.8)
    for j in range(len(names)):
        ax.axvline(j, color="black", linewidth=0.8)
        ax.text(j, 1.02, f"{hi[j]:.3g}" if not ticks[j][0] else "", ha="center", fontsize=7)
        ax.text(j, -0.06, f"{lo[j]:.3g}" if not ticks[j][0] else "", ha="center", fontsize=7)
        for tv, tl in zip(*ticks[j]):
            ax.text(j + 0.03, tv, tl, fontsize=7, va="center")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks([])
    ax.set_ylim(-0.1, 1.08)
    ax.set_title("Parallel coordinates")
    return fig


def plot_intermediate_values(study: Any):
    """Learning curves reported with ``trial.report``; pruned trials end with an ``x``."""
    d = D.intermediate_data(study)
    if not d.curves:
        return _empty("Intermediate values", "no trial reported intermediate values")
    collections = optional_import("matplotlib.collections", extra="viz")
    fig, axes = _figure()
    ax = axes[0, 0]
    # one LineCollection per state: fast for thousands of curves
    for state in sorted({c.state for c in d.curves}):
        segs = [np.column_stack([c.steps, c.values]) for c in d.curves if c.state == state]
        ax.add_collection(collections.LineCollection(
            segs, colors=STATE_COLORS.get(state, "#333333"), linewidths=0.8, label=state))
    ax.autoscale()
    pruned = [c for c in d.curves if c.state == "pruned"]
    if pruned:
        ax.scatter([c.steps[-1] for c in pruned], [c.values[-1] for c in pruned], marker="x",
                   s=50, color=STATE_COLORS["pruned"], zorder=3, label="pruned here")
    ax.set(title="Intermediate values", xlabel="step", ylabel="intermediate value")
    ax.legend()
    return fig


def plot_pareto_front(study: Any, *, objectives: Sequence[int] | None = None,
                      target_names: Sequence[str] | None = None,
                      include_dominated: bool = True):
    """Trials in objective space (2-D or 3-D): front, dominated, infeasible."""
    d = D.pareto_data(study, objectives=objectives, target_names=target_names)
    if not d.numbers:
        return _empty("Pareto front", d.note)
    three = len(d.objectives) == 3
    if three:
        fig, ax = _figure(projection="3d")
    else:
        fig, axes = _figure()
        ax = axes[0, 0]
    V = np.asarray(d.values, float)
    front = np.asarray(d.on_front)
    feas = np.asarray(d.feasible)
    groups = [("Pareto front", FRONT_COLOR, front)]
    if include_dominated:
        groups.append(("dominated", DOMINATED_COLOR, feas & ~front))
        if d.has_constraints:
            groups.append(("infeasible", INFEASIBLE_COLOR, ~feas))
    for name, color, mask in groups:
        if mask.any():
            ax.scatter(*[V[mask, k] for k in range(V.shape[1])], color=color, label=name, s=16)
    ax.set_xlabel(d.labels[0])
    ax.set_ylabel(d.labels[1])
    if three:
        ax.set_zlabel(d.labels[2])
    ax.set_title("Pareto front")
    ax.legend()
    return fig


def plot_edf(studies: Any, *, objective: int = 0, target: D.Target | None = None,
             target_name: str | None = None):
    """Empirical distribution of the objective, one line per study."""
    lines = D.edf_data(studies, objective=objective, target=target)
    title = "Empirical distribution function"
    if not any(line.x for line in lines):
        return _empty(title)
    fig, axes = _figure()
    ax = axes[0, 0]
    for line in lines:
        ax.step(line.x, line.y, where="post", label=line.name)
    ax.set(title=title, xlabel=target_name or "objective", ylabel="share of trials",
           ylim=(0, 1.02))
    ax.legend()
    return fig


def plot_timeline(study: Any):
    """When each trial ran, one row per worker, coloured by state."""
    bars = D.timeline_data(study)
    if not bars:
        return _empty("Timeline", "no trial has started")
    mdates = optional_import("matplotlib.dates", extra="viz")
    workers = sorted({b.worker for b in bars})
    row = {w: i for i, w in enumerate(workers)}
    fig, axes = _figure(height=max(3.0, 0.5 * len(workers) + 1.5))
    ax = axes[0, 0]
    seen: set[str] = set()
    for b in bars:
        start = mdates.date2num(b.start)
        width = max(mdates.date2num(b.end) - start, 1e-9)
        ax.barh(row[b.worker], width, left=start, height=0.6,
                color=STATE_COLORS.get(b.state, "#333333"),
                label=b.state if b.state not in seen else None)
        seen.add(b.state)
    ax.set_yticks(range(len(workers)), workers)
    ax.xaxis_date()
    ax.set(title="Timeline", xlabel="time", ylabel="worker")
    ax.legend()
    fig.autofmt_xdate()
    return fig
