"""The dashboard's read-only JSON API (documented in :data:`OPENAPI`, served at /api/openapi.json).

Handlers are pure functions of a :class:`~hyperscout.dashboard._store.DashboardStore` and query
arguments, so they are tested without a server; ``app.py`` routes HTTP requests to them.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hyperscout.dashboard._store import DashboardStore, View
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

MAX_LIMIT = 1000
PLOT_KINDS = ("history", "importance", "slice", "contour", "parallel", "intermediate", "pareto",
              "edf", "timeline")


class ApiError(Exception):
    """A bad request or a missing resource: ``status`` and a message naming the bad value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def jsonable(value: Any) -> Any:
    """Make a value JSON-safe: non-finite floats -> their name as a string, tuples -> lists.

    Example:
        >>> jsonable({"a": (1.0, float("nan")), "b": {"c": float("inf")}})
        {'a': [1.0, 'nan'], 'b': {'c': 'inf'}}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _iso(d: _dt.datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def trial_row(t: FrozenTrial) -> dict[str, Any]:
    """The fields of a trial the trials table shows."""
    dur = t.duration
    return {
        "number": t.number,
        "state": t.state.value,
        "values": jsonable(list(t.values)) if t.values is not None else None,
        "params": jsonable(dict(t.params)),
        "datetime_start": _iso(t.datetime_start),
        "datetime_complete": _iso(t.datetime_complete),
        "duration_s": dur.total_seconds() if dur is not None else None,
    }


def trial_detail(t: FrozenTrial) -> dict[str, Any]:
    """Everything about one trial (params, values, curve, attributes, error traceback)."""
    row = trial_row(t)
    row.update({
        "distributions": {k: d.to_json() for k, d in t.distributions.items()},
        "intermediate_values": [[s, jsonable(float(t.intermediate_values[s]))]
                                for s in sorted(t.intermediate_values)],
        "user_attrs": jsonable(dict(t.user_attrs)),
        "system_attrs": jsonable(dict(t.system_attrs)),
        "error": t.error,
    })
    return row


# -- handlers ----------------------------------------------------------------------------------
def list_studies(store: DashboardStore) -> list[dict[str, Any]]:
    """``GET /api/studies``."""
    return [{
        "study_id": s.study_id, "name": s.name, "directions": list(s.directions),
        "n_trials": s.n_trials,
        "best_values": jsonable(list(s.best_values)) if s.best_values else None,
        "datetime_start": _iso(s.datetime_start),
    } for s in store.storage.list_studies()]


def _view(store: DashboardStore, study_id: int) -> View:
    from hyperscout.exceptions import StudyNotFoundError

    try:
        return store.view(study_id)
    except (StudyNotFoundError, KeyError):
        raise ApiError(404, f"no study with id {study_id}") from None


def study_summary(store: DashboardStore, study_id: int) -> dict[str, Any]:
    """``GET /api/studies/{study_id}``: counts by state, best trials, parameter names."""
    view = _view(store, study_id)
    snap = view.snapshot
    counts = Counter(t.state.value for t in snap.trials)
    complete = [t for t in snap.trials if t.state is TrialState.COMPLETE and t.values is not None]
    if len(snap.directions) == 1:
        sign = 1.0 if snap.directions[0] == "minimize" else -1.0
        best = sorted(complete, key=lambda t: sign * t.values[0])[:1]  # type: ignore[index]
    else:
        from hyperscout.multiobjective import pareto_front_trials

        best = pareto_front_trials(complete, snap.directions)
    params: dict[str, Any] = {}
    for t in snap.trials:
        for k, d in t.distributions.items():
            params.setdefault(k, d.to_json())
    return {
        "study_id": study_id, "name": snap.name, "directions": list(snap.directions),
        "n_trials": len(snap.trials), "counts": {s.value: counts.get(s.value, 0)
                                                 for s in TrialState},
        "best_trials": [trial_row(t) for t in best[:50]], "params": params,
        "version": view.version,
    }


def _parse_ranges(ranges: Sequence[str]) -> list[tuple[str, float, float]]:
    out = []
    for r in ranges:
        parts = r.rsplit(",", 2)
        if len(parts) != 3:
            raise ApiError(400, f"range={r!r}: use range=NAME,MIN,MAX (MIN or MAX may be empty)")
        name, lo, hi = parts
        try:
            out.append((name, float(lo) if lo else -math.inf, float(hi) if hi else math.inf))
        except ValueError:
            raise ApiError(400, f"range={r!r}: MIN and MAX must be numbers") from None
    return out


def _sort_key(sort: str, directions: Sequence[str]):
    field = sort.lstrip("-")
    if field == "number":
        return lambda t: (0, t.number)
    if field.startswith("value"):
        k = int(field[5:] or 0) if field[5:].isdigit() or not field[5:] else -1
        if not 0 <= k < len(directions):
            raise ApiError(400, f"sort={sort!r}: the study has {len(directions)} objective(s); "
                                f"use value0..value{len(directions) - 1}")
        return lambda t: (0, t.values[k]) if t.values is not None else (1, 0.0)
    if field in ("duration", "datetime_start"):
        def key(t: FrozenTrial):
            v = t.duration.total_seconds() if field == "duration" and t.duration else (
                t.datetime_start.timestamp() if field == "datetime_start" and t.datetime_start
                else None)
            return (0, v) if v is not None else (1, 0.0)
        return key
    if field.startswith("param:"):
        name = field[6:]

        def pkey(t: FrozenTrial):
            v = t.params.get(name)
            if v is None:
                return (2, 0.0, "")
            return (0, float(v), "") if isinstance(v, (int, float)) else (1, 0.0, str(v))
        return pkey
    raise ApiError(400, f"sort={sort!r}: use number, value, value1, duration, datetime_start "
                        "or param:NAME, with a leading - for descending")


def _texts(v: Any) -> set[str]:
    """The texts a value matches: itself for a string, else its JSON and its Python form."""
    return {v} if isinstance(v, str) else {json.dumps(v), str(v)}


def _parse_choices(choices: Sequence[str], known: set[str]) -> dict[str, set[str]]:
    """``NAME,VALUE`` items -> {name: {values}}; the split is at the comma after a known name."""
    out: dict[str, set[str]] = {}
    for c in choices:
        cuts = [i for i, ch in enumerate(c) if ch == "," and c[:i] in known]
        if not cuts:
            raise ApiError(400, f"choice={c!r}: use choice=NAME,VALUE with NAME a parameter of "
                                f"the study ({sorted(known)})")
        i = cuts[0]
        out.setdefault(c[:i], set()).add(c[i + 1:])
    return out


def list_trials(store: DashboardStore, study_id: int, *, states: Sequence[str] = (),
                ranges: Sequence[str] = (), choices: Sequence[str] = (), sort: str = "number",
                offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """``GET /api/studies/{study_id}/trials``: filter, sort, page (server side, for big studies)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit={limit}: must be in 1..{MAX_LIMIT}")
    if offset < 0:
        raise ApiError(400, f"offset={offset}: must be >= 0")
    try:
        wanted = {TrialState.parse(s) for s in states}
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    parsed = _parse_ranges(ranges)
    view = _view(store, study_id)
    key = _sort_key(sort, view.snapshot.directions)
    rows = view.snapshot.trials
    if wanted:
        rows = [t for t in rows if t.state in wanted]
    for name, lo, hi in parsed:
        rows = [t for t in rows if isinstance(t.params.get(name), (int, float))
                and not isinstance(t.params.get(name), bool) and lo <= t.params[name] <= hi]
    if choices:
        known = {k for t in view.snapshot.trials for k in t.params}
        for name, values in _parse_choices(choices, known).items():
            rows = [t for t in rows if name in t.params and _texts(t.params[name]) & values]
    descending = sort.startswith("-")
    if descending:
        # missing values stay last when descending too
        present = [t for t in rows if key(t)[0] == 0]
        missing = [t for t in rows if key(t)[0] != 0]
        rows = sorted(present, key=key, reverse=True) + sorted(missing, key=key)
    else:
        rows = sorted(rows, key=key)
    return {"total": len(rows), "offset": offset, "limit": limit, "version": view.version,
            "trials": [trial_row(t) for t in rows[offset: offset + limit]]}


def get_trial(store: DashboardStore, study_id: int, number: int) -> dict[str, Any]:
    """``GET /api/studies/{study_id}/trials/{number}``."""
    view = _view(store, study_id)
    for t in view.snapshot.trials:
        if t.number == number:
            return trial_detail(t)
    raise ApiError(404, f"study {study_id} has no trial number {number}")


def plot_json(store: DashboardStore, study_id: int, kind: str, *, objective: int = 0) -> str:
    """``GET /api/studies/{study_id}/plots/{kind}``: a Plotly figure as JSON (cached).

    A figure is cached per study version, so polling clients do not recompute it.
    """
    if kind not in PLOT_KINDS:
        raise ApiError(404, f"plot kind {kind!r} is unknown; use one of {list(PLOT_KINDS)}")
    view = _view(store, study_id)
    snap = view.snapshot
    if not 0 <= objective < len(snap.directions):
        raise ApiError(400, f"objective={objective}: the study has {len(snap.directions)} "
                            f"objective(s); use 0..{len(snap.directions) - 1}")
    cache = store.plot_cache(study_id)
    key = (kind, objective, view.version)
    if key in cache:
        return cache[key]
    from hyperscout._imports import optional_import
    from hyperscout.visualization import plotly as P
    from hyperscout.visualization.report import choose_evaluator

    pio = optional_import("plotly.io", extra="viz", feature="dashboard plots")
    n_complete = sum(t.state is TrialState.COMPLETE for t in snap.trials)
    figure = {
        "history": lambda: P.plot_optimization_history(snap, objective=objective),
        "importance": lambda: P.plot_param_importances(
            snap, objective=objective, evaluator=choose_evaluator("auto", n_complete)),
        "slice": lambda: P.plot_slice(snap, objective=objective),
        "contour": lambda: P.plot_contour(snap, objective=objective),
        "parallel": lambda: P.plot_parallel_coordinate(snap, objective=objective),
        "intermediate": lambda: P.plot_intermediate_values(snap),
        "pareto": lambda: P.plot_pareto_front(snap),
        "edf": lambda: P.plot_edf(snap, objective=objective),
        "timeline": lambda: P.plot_timeline(snap),
    }[kind]()
    text = pio.to_json(figure)
    for old in [k for k in cache if k[:2] == (kind, objective)]:
        del cache[old]
    cache[key] = text
    return text


# -- OpenAPI -----------------------------------------------------------------------------------
def _param(name: str, where: str, schema: dict[str, Any], desc: str, *, required: bool = False,
           many: bool = False) -> dict[str, Any]:
    s = {"type": "array", "items": schema} if many else schema
    out = {"name": name, "in": where, "schema": s, "description": desc,
           "required": required or where == "path"}
    if many:
        out.update({"style": "form", "explode": True})
    return out


_ID = _param("study_id", "path", {"type": "integer"}, "Study id (from /api/studies).")
_ERR = {"description": "Bad request or not found", "content": {"application/json": {
    "schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}
_TRIAL = {"type": "object", "properties": {
    "number": {"type": "integer"},
    "state": {"type": "string", "enum": [s.value for s in TrialState]},
    "values": {"type": "array", "nullable": True, "items": {"type": "number"}},
    "params": {"type": "object"}, "datetime_start": {"type": "string", "nullable": True},
    "datetime_complete": {"type": "string", "nullable": True},
    "duration_s": {"type": "number", "nullable": True}}}


def _ok(desc: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": desc, "content": {"application/json": {"schema": schema}}},
            "400": _ERR, "404": _ERR}


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "hyperscout dashboard API", "version": "1",
             "description": "Read-only JSON API behind the hyperscout dashboard. Non-finite "
                            "numbers are sent as the strings 'nan', 'inf', '-inf'."},
    "paths": {
        "/api/studies": {"get": {"summary": "List the studies", "responses": _ok(
            "Studies", {"type": "array", "items": {"type": "object"}})}},
        "/api/studies/{study_id}": {"get": {
            "summary": "A study: counts per state, best trials, parameters, version",
            "parameters": [_ID], "responses": _ok("Study summary", {"type": "object"})}},
        "/api/studies/{study_id}/trials": {"get": {
            "summary": "Trials, filtered, sorted and paged on the server",
            "parameters": [
                _ID,
                _param("state", "query", {"type": "string"}, "Keep these states.", many=True),
                _param("range", "query", {"type": "string"},
                       "NAME,MIN,MAX: keep trials whose numeric parameter NAME is in "
                       "[MIN, MAX] (either bound may be empty).", many=True),
                _param("choice", "query", {"type": "string"},
                       "NAME,VALUE: keep trials whose parameter NAME has the value VALUE "
                       "(a string as is, other values as JSON: null, true, 3); several "
                       "values of one NAME are OR-ed.",
                       many=True),
                _param("sort", "query", {"type": "string", "default": "number"},
                       "number | value | valueK | duration | datetime_start | param:NAME; "
                       "prefix - for descending."),
                _param("offset", "query", {"type": "integer", "default": 0}, "First row."),
                _param("limit", "query", {"type": "integer", "default": 100,
                                          "maximum": MAX_LIMIT}, "Rows per page."),
            ],
            "responses": _ok("A page of trials", {"type": "object", "properties": {
                "total": {"type": "integer"}, "offset": {"type": "integer"},
                "limit": {"type": "integer"}, "version": {"type": "string"},
                "trials": {"type": "array", "items": _TRIAL}}})}},
        "/api/studies/{study_id}/trials/{number}": {"get": {
            "summary": "One trial: params, values, curve, attributes, error traceback",
            "parameters": [_ID, _param("number", "path", {"type": "integer"}, "Trial number.")],
            "responses": _ok("Trial detail", _TRIAL)}},
        "/api/studies/{study_id}/plots/{kind}": {"get": {
            "summary": "A Plotly figure (JSON for Plotly.react)",
            "parameters": [
                _ID, _param("kind", "path", {"type": "string", "enum": list(PLOT_KINDS)},
                            "Which plot."),
                _param("objective", "query", {"type": "integer", "default": 0},
                       "Objective index of a multi-objective study."),
            ],
            "responses": _ok("Figure", {"type": "object", "properties": {
                "data": {"type": "array"}, "layout": {"type": "object"}}})}},
        "/api/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3"}}}},
    },
}
