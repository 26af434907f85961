"""The data step of every plot: a study in, plain numbers out (no plotting package needed).

Both backends (:mod:`hyperscout.visualization.plotly`, :mod:`hyperscout.visualization.matplotlib`)
draw these records, so a plot shows the same thing whichever backend draws it, and the
dashboard's JSON API serves the same records.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperscout.space.distributions import Categorical, Distribution, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

#: system attributes that may name the worker a trial ran on, in order of preference
WORKER_KEYS = ("worker", "worker_id", "hostname")
#: system attribute with a trial's constraint values (feasible when all are <= 0)
CONSTRAINTS_KEY = "constraints"

Target = Callable[[FrozenTrial], float]


@dataclass(frozen=True)
class StudySnapshot:
    """The trials of a study read once; every data function reads only this.

    Example:
        >>> s = StudySnapshot("demo", ("minimize",), [])
        >>> s.get_trials(["complete"])
        []
    """

    name: str
    directions: tuple[str, ...]
    trials: list[FrozenTrial]

    def get_trials(self, states: Sequence[TrialState | str] | None = None) -> list[FrozenTrial]:
        if states is None:
            return list(self.trials)
        wanted = {TrialState.parse(s) for s in states}
        return [t for t in self.trials if t.state in wanted]


def snapshot(study: Any) -> StudySnapshot:
    """A :class:`StudySnapshot` of a ``Study`` (one read of its trials) or of a snapshot."""
    if isinstance(study, StudySnapshot):
        return study
    try:
        return StudySnapshot(str(study.name), tuple(study.directions), list(study.trials))
    except AttributeError:
        raise TypeError(
            f"study={study!r}: expected a hyperscout Study or StudySnapshot"
        ) from None


def _check_objective(snap: StudySnapshot, objective: int) -> None:
    n = len(snap.directions)
    if not isinstance(objective, int) or not 0 <= objective < n:
        raise ValueError(
            f"objective={objective!r}: the study {snap.name!r} has {n} objective(s); "
            f"use an index in 0..{n - 1}"
        )


def _value(t: FrozenTrial, objective: int, target: Target | None) -> float:
    v = float(target(t)) if target is not None else float(t.values[objective])  # type: ignore[index]
    return v


def _complete(snap: StudySnapshot, objective: int, target: Target | None):
    """Complete trials with a finite value, and the values."""
    out, vals = [], []
    for t in snap.trials:
        if t.state is TrialState.COMPLETE and t.values is not None:
            v = _value(t, objective, target)
            if math.isfinite(v):
                out.append(t)
                vals.append(v)
    return out, np.asarray(vals, dtype=float)


def objective_label(snap: StudySnapshot, objective: int, target_name: str | None = None) -> str:
    if target_name:
        return target_name
    return "objective" if len(snap.directions) == 1 else f"objective {objective}"


# -- parameter axes ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamAxis:
    """How to draw a parameter on an axis.

    Attributes:
        name: Parameter name.
        kind: ``"float"``, ``"int"`` or ``"categorical"``.
        log: Draw on a log axis.
        choices: Category labels (``str`` of each choice) for a categorical parameter.
        low: Lower bound (numeric parameters).
        high: Upper bound (numeric parameters).
    """

    name: str
    kind: str
    log: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"

    def position(self, value: Any) -> float:
        """A number for the value: its index for a category, else the value itself."""
        if self.is_categorical:
            label = str(value)
            return float(self.choices.index(label)) if label in self.choices else math.nan
        return float(value)


def param_axis(name: str, dist: Distribution) -> ParamAxis:
    """The axis of a parameter from its distribution.

    Example:
        >>> from hyperscout.space import Float
        >>> param_axis("lr", Float(1e-4, 1e-1, log=True)).log
        True
        >>> param_axis("act", Categorical(["relu", None])).choices
        ('relu', 'None')
    """
    if isinstance(dist, Categorical):
        return ParamAxis(name, "categorical", choices=tuple(str(c) for c in dist.choices))
    kind = "int" if isinstance(dist, Int) else "float"
    return ParamAxis(name, kind, log=bool(dist.log), low=float(dist.low), high=float(dist.high))


def param_axes(snap: StudySnapshot, params: Sequence[str] | None = None) -> list[ParamAxis]:
    """Axes of the parameters of the complete trials (or of ``params``), in first-seen order."""
    dists: dict[str, Distribution] = {}
    for t in snap.trials:
        if t.state is TrialState.COMPLETE:
            for k, d in t.distributions.items():
                dists[k] = d
    if params is not None:
        unknown = [p for p in params if p not in dists]
        if unknown:
            raise ValueError(
                f"params={list(params)}: {unknown} not in any complete trial of study "
                f"{snap.name!r}; its parameters are {sorted(dists)}"
            )
        return [param_axis(p, dists[p]) for p in params]
    return [param_axis(k, d) for k, d in dists.items()]


# -- optimization history ----------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryData:
    """Objective value per complete trial, and the best value so far."""

    label: str
    direction: str
    numbers: list[int]
    values: list[float]
    best_so_far: list[float]


def history_data(study: Any, *, objective: int = 0, target: Target | None = None,
                 target_name: str | None = None) -> HistoryData:
    """Values of the complete trials in trial order, with the running best.

    Example:
        >>> t = [FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE, values=[v])
        ...      for i, v in enumerate([3.0, 1.0, 2.0])]
        >>> history_data(StudySnapshot("s", ("minimize",), t)).best_so_far
        [3.0, 1.0, 1.0]
    """
    snap = snapshot(study)
    _check_objective(snap, objective)
    trials, vals = _complete(snap, objective, target)
    order = np.argsort([t.number for t in trials], kind="stable")
    vals = vals[order]
    direction = snap.directions[objective] if target is None else "minimize"
    acc = np.minimum.accumulate if direction == "minimize" else np.maximum.accumulate
    best = acc(vals) if len(vals) else vals
    return HistoryData(objective_label(snap, objective, target_name), direction,
                       [trials[i].number for i in order], vals.tolist(), best.tolist())


# -- importance --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportanceData:
    """Importance per parameter, largest first (empty when it cannot be computed yet)."""

    label: str
    names: list[str]
    importances: list[float]
    note: str = ""


def importance_data(study: Any, *, evaluator: Any = None, objective: int = 0,
                    target: Target | None = None, target_name: str | None = None,
                    params: Sequence[str] | None = None) -> ImportanceData:
    """``param_importances`` as plot data; a study with too few trials gives an empty record."""
    from hyperscout.importance import param_importances

    snap = snapshot(study)
    _check_objective(snap, objective)
    label = objective_label(snap, objective, target_name)
    n_complete = len(_complete(snap, objective, target)[0])
    if n_complete < 2:
        return ImportanceData(label, [], [], f"needs 2 complete trials; the study has {n_complete}")
    try:
        imp = param_importances(snap, evaluator=evaluator, objective=objective, target=target,
                                params=params)
    except ValueError as exc:  # e.g. no varying parameter
        return ImportanceData(label, [], [], str(exc))
    return ImportanceData(label, list(imp), list(imp.values()))


# -- slice -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SliceData:
    """Objective value against each parameter."""

    label: str
    axes: list[ParamAxis]
    x: dict[str, list[Any]]
    y: dict[str, list[float]]
    numbers: dict[str, list[int]]


def slice_data(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
               target: Target | None = None, target_name: str | None = None) -> SliceData:
    """Per parameter, the values of the complete trials that have it and their objective."""
    snap = snapshot(study)
    _check_objective(snap, objective)
    axes = param_axes(snap, params)
    trials, vals = _complete(snap, objective, target)
    x: dict[str, list[Any]] = {a.name: [] for a in axes}
    y: dict[str, list[float]] = {a.name: [] for a in axes}
    nums: dict[str, list[int]] = {a.name: [] for a in axes}
    for t, v in zip(trials, vals):
        for a in axes:
            if a.name in t.params:
                val = t.params[a.name]
                x[a.name].append(str(val) if a.is_categorical else val)
                y[a.name].append(float(v))
                nums[a.name].append(t.number)
    return SliceData(objective_label(snap, objective, target_name), axes, x, y, nums)


# -- contour -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContourPanel:
    """One pair of parameters: an interpolated surface over their grid and the trial points."""

    x_axis: ParamAxis
    y_axis: ParamAxis
    grid_x: list[Any]
    grid_y: list[Any]
    z: list[list[float | None]]
    points_x: list[Any]
    points_y: list[Any]
    points_z: list[float]


@dataclass(frozen=True)
class ContourData:
    label: str
    params: list[str]
    panels: list[ContourPanel]


def _grid(axis: ParamAxis, values: list[Any], n: int) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Grid positions on an axis, and the coordinate of grid/values for interpolation."""
    if axis.is_categorical:
        grid = list(axis.choices)
        coord_grid = np.arange(len(grid), dtype=float)
        coords = np.array([axis.position(v) for v in values])
        return grid, coord_grid, coords
    lo = min([axis.low, *values]) if axis.low is not None else min(values)  # type: ignore[type-var]
    hi = max([axis.high, *values]) if axis.high is not None else max(values)  # type: ignore[type-var]
    if axis.log and lo > 0:
        coord_grid = np.linspace(math.log(lo), math.log(hi), n)
        return np.exp(coord_grid).tolist(), coord_grid, np.log(np.asarray(values, dtype=float))
    coord_grid = np.linspace(lo, hi, n)
    return coord_grid.tolist(), coord_grid, np.asarray(values, dtype=float)


#: above this many points, the surface is interpolated from per-bin means (a 40 x 40 binning)
MAX_INTERP_POINTS = 1600


def _bin_means(px: np.ndarray, py: np.ndarray, pz: np.ndarray, bins: int = 40):
    """Average points falling into the same cell of a ``bins x bins`` grid (at their mean
    position), so that interpolating a big study costs O(bins^2), not O(n log n) triangles."""
    def cell(v: np.ndarray) -> np.ndarray:
        lo, hi = v.min(), v.max()
        return np.minimum(((v - lo) / ((hi - lo) or 1.0) * bins).astype(np.int64), bins - 1)

    key = cell(px) * bins + cell(py)
    uniq, inv = np.unique(key, return_inverse=True)
    count = np.bincount(inv, minlength=len(uniq))
    mean = [np.bincount(inv, weights=v, minlength=len(uniq)) / count for v in (px, py, pz)]
    return mean[0], mean[1], mean[2]


def _interpolate(px: np.ndarray, py: np.ndarray, pz: np.ndarray, gx: np.ndarray,
                 gy: np.ndarray) -> np.ndarray:
    """Linear interpolation over the convex hull, nearest value elsewhere (scipy)."""
    from scipy.interpolate import griddata

    if len(px) > MAX_INTERP_POINTS:
        px, py, pz = _bin_means(px, py, pz)
    pts = np.column_stack([px, py])
    GX, GY = np.meshgrid(gx, gy)
    span = np.ptp(pts, axis=0)
    if len(pts) < 3 or np.any(span == 0):
        return griddata(pts, pz, (GX, GY), method="nearest")
    scale = np.where(span > 0, span, 1.0)
    try:
        z = griddata(pts / scale, pz, (GX / scale[0], GY / scale[1]), method="linear")
    except Exception:  # qhull fails on degenerate (e.g. collinear) points  # noqa: BLE001
        z = np.full(GX.shape, np.nan)
    near = griddata(pts / scale, pz, (GX / scale[0], GY / scale[1]), method="nearest")
    return np.where(np.isnan(z), near, z)


def contour_data(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
                 target: Target | None = None, target_name: str | None = None,
                 resolution: int = 40, max_params: int = 4) -> ContourData:
    """Surfaces for every pair of ``params`` (default: up to ``max_params`` parameters, the most
    important first by PED-ANOVA when there are more)."""
    if resolution < 2:
        raise ValueError(f"contour_data(resolution={resolution}): must be >= 2")
    snap = snapshot(study)
    _check_objective(snap, objective)
    axes = param_axes(snap, params)
    label = objective_label(snap, objective, target_name)
    if params is None and len(axes) > max_params:
        imp = importance_data(snap, evaluator="ped_anova", objective=objective, target=target)
        top = imp.names[:max_params] or [a.name for a in axes[:max_params]]
        axes = [a for a in axes if a.name in top]
    trials, vals = _complete(snap, objective, target)
    panels: list[ContourPanel] = []
    for i in range(len(axes)):
        for j in range(i + 1, len(axes)):
            ax, ay = axes[i], axes[j]
            rows = [(t.params[ax.name], t.params[ay.name], v) for t, v in zip(trials, vals)
                    if ax.name in t.params and ay.name in t.params]
            xs = [str(r[0]) if ax.is_categorical else r[0] for r in rows]
            ys = [str(r[1]) if ay.is_categorical else r[1] for r in rows]
            zs = [float(r[2]) for r in rows]
            if not rows:
                panels.append(ContourPanel(ax, ay, [], [], [], [], [], []))
                continue
            gx, cgx, cx = _grid(ax, xs, resolution)
            gy, cgy, cy = _grid(ay, ys, resolution)
            ok = np.isfinite(cx) & np.isfinite(cy)
            z = _interpolate(cx[ok], cy[ok], np.asarray(zs)[ok], cgx, cgy)
            zl = [[None if not math.isfinite(v) else float(v) for v in row] for row in z]
            panels.append(ContourPanel(ax, ay, gx, gy, zl, xs, ys, zs))
    return ContourData(label, [a.name for a in axes], panels)


# -- parallel coordinates ----------------------------------------------------------------------
@dataclass(frozen=True)
class ParallelData:
    """One line per complete trial across the parameter axes and the objective."""

    label: str
    axes: list[ParamAxis]
    columns: dict[str, list[float]]
    values: list[float]
    numbers: list[int]


def parallel_data(study: Any, *, params: Sequence[str] | None = None, objective: int = 0,
                  target: Target | None = None, target_name: str | None = None) -> ParallelData:
    """Columns of positions (a category's index; ``nan`` where a trial lacks a parameter)."""
    snap = snapshot(study)
    _check_objective(snap, objective)
    axes = param_axes(snap, params)
    trials, vals = _complete(snap, objective, target)
    cols = {a.name: [a.position(t.params[a.name]) if a.name in t.params else math.nan
                     for t in trials] for a in axes}
    return ParallelData(objective_label(snap, objective, target_name), axes, cols,
                        vals.tolist(), [t.number for t in trials])


# -- intermediate values -----------------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    number: int
    state: str
    steps: list[int]
    values: list[float]


@dataclass(frozen=True)
class IntermediateData:
    curves: list[Curve] = field(default_factory=list)


def intermediate_data(study: Any) -> IntermediateData:
    """The learning curve (``trial.report`` values) of every trial that reported one."""
    snap = snapshot(study)
    curves = []
    for t in sorted(snap.trials, key=lambda t: t.number):
        if t.intermediate_values:
            steps = sorted(t.intermediate_values)
            curves.append(Curve(t.number, t.state.value, steps,
                                [float(t.intermediate_values[s]) for s in steps]))
    return IntermediateData(curves)


# -- Pareto front ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParetoData:
    """Complete trials in objective space: the feasible front, the rest, the infeasible."""

    labels: list[str]
    objectives: list[int]
    numbers: list[int]
    values: list[list[float]]
    on_front: list[bool]
    feasible: list[bool]
    has_constraints: bool
    note: str = ""


def is_feasible(t: FrozenTrial) -> bool:
    """A trial is feasible unless it has a constraint value > 0 (no constraints: feasible)."""
    cons = t.system_attrs.get(CONSTRAINTS_KEY)
    if cons is None:
        return True
    try:
        return all(float(c) <= 0 for c in cons)
    except (TypeError, ValueError):
        return True


def pareto_data(study: Any, *, objectives: Sequence[int] | None = None,
                target_names: Sequence[str] | None = None) -> ParetoData:
    """The Pareto front over 2 or 3 ``objectives`` (default: the first 2, or 3 if there are 3+).

    The front is computed among feasible trials; a single-objective study gives an empty record
    with a note.
    """
    from hyperscout.multiobjective.pareto import is_pareto_efficient, to_minimization

    snap = snapshot(study)
    m = len(snap.directions)
    if objectives is None:
        objectives = list(range(min(m, 3)))
    objectives = list(objectives)
    if m < 2:
        return ParetoData([], [], [], [], [], [], False,
                          "a Pareto front needs 2 or more objectives; this study has 1")
    if len(objectives) not in (2, 3) or len(set(objectives)) != len(objectives) or any(
        not 0 <= o < m for o in objectives
    ):
        raise ValueError(
            f"objectives={objectives}: give 2 or 3 distinct indices in 0..{m - 1}"
        )
    if target_names is not None and len(target_names) != len(objectives):
        raise ValueError(
            f"target_names={list(target_names)}: give one name per objective ({len(objectives)})"
        )
    labels = list(target_names) if target_names else [f"objective {o}" for o in objectives]
    trials = [t for t in snap.trials if t.state is TrialState.COMPLETE and t.values is not None
              and all(math.isfinite(t.values[o]) for o in objectives)]
    trials.sort(key=lambda t: t.number)
    rows = [[t.values[o] for o in objectives] for t in trials]  # type: ignore[index]
    vals = np.array(rows, dtype=float).reshape(-1, len(objectives))
    feasible = np.array([is_feasible(t) for t in trials], dtype=bool)
    front = np.zeros(len(trials), dtype=bool)
    if feasible.any():
        dirs = [snap.directions[o] for o in objectives]
        front[feasible] = is_pareto_efficient(to_minimization(vals[feasible], dirs))
    has_cons = any(CONSTRAINTS_KEY in t.system_attrs for t in trials)
    return ParetoData(labels, objectives, [t.number for t in trials], vals.tolist(),
                      front.tolist(), feasible.tolist(), has_cons)


# -- empirical distribution function -----------------------------------------------------------
@dataclass(frozen=True)
class EDFLine:
    name: str
    x: list[float]
    y: list[float]


def edf_data(studies: Any, *, objective: int = 0, target: Target | None = None) -> list[EDFLine]:
    """Per study, the share of complete trials with a value <= x (``studies``: one or a list)."""
    if not isinstance(studies, (list, tuple)):
        studies = [studies]
    out = []
    for s in studies:
        snap = snapshot(s)
        _check_objective(snap, objective)
        _, vals = _complete(snap, objective, target)
        vals = np.sort(vals)
        n = len(vals)
        out.append(EDFLine(snap.name, vals.tolist(), (np.arange(1, n + 1) / max(n, 1)).tolist()))
    return out


# -- timeline ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineBar:
    number: int
    state: str
    worker: str
    start: _dt.datetime
    end: _dt.datetime


def worker_of(t: FrozenTrial) -> str:
    for key in WORKER_KEYS:
        if key in t.system_attrs:
            return str(t.system_attrs[key])
    return "unknown"


def timeline_data(study: Any, *, now: _dt.datetime | None = None) -> list[TimelineBar]:
    """A bar per started trial from start to finish (running trials: until ``now``)."""
    snap = snapshot(study)
    bars = []
    for t in sorted(snap.trials, key=lambda t: t.number):
        if t.datetime_start is None:
            continue
        end = t.datetime_complete
        if end is None:
            tz = t.datetime_start.tzinfo
            end = now or _dt.datetime.now(tz)
        bars.append(TimelineBar(t.number, t.state.value, worker_of(t), t.datetime_start, end))
    return bars
