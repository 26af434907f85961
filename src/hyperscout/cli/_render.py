"""Text the CLI prints: plain tables, numbers, masked URLs, and the CSV / JSON exports."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from hyperscout.trial.record import FrozenTrial

_PASSWORD_RE = re.compile(r"(://[^:/@]*:)[^@/]*@")


def mask_url(url: str) -> str:
    """The storage URL with its password replaced by ``***``, safe to print.

    Example:
        >>> mask_url("postgresql+psycopg://bob:secret@db:5432/hs")
        'postgresql+psycopg://bob:***@db:5432/hs'
        >>> mask_url("sqlite:///hyperscout.db")
        'sqlite:///hyperscout.db'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_RE.sub(r"\1***@", url)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell, separated by two spaces, without trailing blanks.

    Example:
        >>> print(table(["a", "bb"], [["1", "2"], ["333", "4"]]))
        a    bb
        1    2
        333  4
    """
    body = [list(map(str, r)) for r in rows]
    widths = [len(h) for h in headers]
    for r in body:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
             for r in [list(headers), *body]]
    return "\n".join(lines)


def fmt_number(v: float | None) -> str:
    """``6`` significant digits; ``-`` for none.

    Example:
        >>> fmt_number(0.1234567), fmt_number(None)
        ('0.123457', '-')
    """
    return "-" if v is None else f"{v:.6g}"


def fmt_values(values: Sequence[float] | None) -> str:
    """One value as a number, several as ``[a, b]``, none as ``-``.

    Example:
        >>> fmt_values([1.5]), fmt_values([1.0, 2.0]), fmt_values(None)
        ('1.5', '[1, 2]', '-')
    """
    if values is None:
        return "-"
    if len(values) == 1:
        return fmt_number(values[0])
    return "[" + ", ".join(fmt_number(v) for v in values) + "]"


def fmt_param(v: Any) -> str:
    """A parameter value for a table: floats to 6 significant digits, strings unquoted."""
    if isinstance(v, float):
        return f"{v:.6g}"
    return v if isinstance(v, str) else repr(v)


def fmt_params(params: Any) -> str:
    return ", ".join(f"{k}={fmt_param(v)}" for k, v in params.items())


def fmt_duration(d: _dt.timedelta | None) -> str:
    """Milliseconds below a second, seconds below a minute, then ``XmYYs``, then ``XhYYm``.

    Example:
        >>> fmt_duration(_dt.timedelta(microseconds=420)), fmt_duration(_dt.timedelta(seconds=3.25))
        ('0.42ms', '3.25s')
        >>> fmt_duration(_dt.timedelta(seconds=125)), fmt_duration(None)
        ('2m05s', '-')
    """
    if d is None:
        return "-"
    s = d.total_seconds()
    if s < 1:
        return f"{s * 1000:.3g}ms"
    if s < 60:
        return f"{s:.3g}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"


def fmt_datetime(d: _dt.datetime | None) -> str:
    """Local time to the second (aware datetimes are converted; naive ones shown as stored)."""
    if d is None:
        return "-"
    if d.tzinfo is not None:
        d = d.astimezone()
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _iso(d: _dt.datetime | None) -> str | None:
    return None if d is None else d.isoformat()


def _finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def trial_to_dict(t: FrozenTrial) -> dict[str, Any]:
    """A JSON-ready dict of one trial (non-finite intermediate values become ``null``).

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> d = trial_to_dict(FrozenTrial.build(number=0, trial_id=1, state=TrialState.COMPLETE,
        ...                                     values=[0.5], params={"x": 1}))
        >>> d["number"], d["state"], d["values"], d["params"]
        (0, 'complete', [0.5], {'x': 1})
    """
    duration = t.duration
    return {
        "number": t.number,
        "state": t.state.value,
        "values": None if t.values is None else list(t.values),
        "params": dict(t.params),
        "distributions": {k: d.to_json() for k, d in t.distributions.items()},
        "user_attrs": dict(t.user_attrs),
        "intermediate_values": {
            str(step): _finite_or_none(v) for step, v in sorted(t.intermediate_values.items())
        },
        "datetime_start": _iso(t.datetime_start),
        "datetime_complete": _iso(t.datetime_complete),
        "duration": None if duration is None else duration.total_seconds(),
        "error": t.error,
    }


def write_json(trials: Sequence[FrozenTrial], out: IO[str]) -> None:
    """The trials as a JSON list of :func:`trial_to_dict` objects (strict JSON: no NaN)."""
    json.dump([trial_to_dict(t) for t in trials], out, indent=2, allow_nan=False, default=str)
    out.write("\n")


def _csv_cell(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, default=str)


def write_csv(trials: Sequence[FrozenTrial], n_objectives: int, out: IO[str]) -> None:
    """One row per trial: number, state, value (or ``values_0..``), datetimes, duration (s),
    ``params_<name>`` and ``user_attrs_<name>`` columns, error (its last line).

    Strings are written as they are, other values as JSON (``true``, ``null``, ``[1, 2]``); a
    parameter a trial did not have is an empty cell.
    """
    value_cols = ["value"] if n_objectives == 1 else [f"values_{i}" for i in range(n_objectives)]
    param_names: dict[str, None] = {}
    attr_names: dict[str, None] = {}
    for t in trials:
        param_names.update(dict.fromkeys(t.params))
        attr_names.update(dict.fromkeys(t.user_attrs))
    header = ["number", "state", *value_cols, "datetime_start", "datetime_complete",
              "duration", *(f"params_{p}" for p in param_names),
              *(f"user_attrs_{a}" for a in attr_names), "error"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for t in trials:
        values = list(t.values) if t.values is not None else [None] * n_objectives
        duration = t.duration
        error_lines = (t.error or "").strip().splitlines()
        writer.writerow([
            t.number,
            t.state.value,
            *("" if v is None else repr(v) for v in values),
            _iso(t.datetime_start) or "",
            _iso(t.datetime_complete) or "",
            "" if duration is None else repr(duration.total_seconds()),
            *(_csv_cell(t.params[p]) if p in t.params else "" for p in param_names),
            *(_csv_cell(t.user_attrs[a]) if a in t.user_attrs else "" for a in attr_names),
            error_lines[-1] if error_lines else "",
        ])
