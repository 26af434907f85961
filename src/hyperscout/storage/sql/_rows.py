"""JSON text columns <-> Python values, and trial rows -> FrozenTrial."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from hyperscout.space.distributions import Distribution, distribution_from_json
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

EMPTY = "{}"
STATES = {s.value: s for s in TrialState}

_encoder = json.JSONEncoder(separators=(",", ":"), default=lambda o: _json_default(o))
_encode = _encoder.encode
_decode = json.JSONDecoder().decode


def _json_default(obj: Any) -> Any:
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item) and getattr(obj, "shape", None) == ():
        return item()
    raise TypeError(f"{obj!r} of type {type(obj).__name__} is not JSON-serialisable")


def dumps(obj: Any) -> str:
    """Compact JSON (numpy scalars become Python numbers)."""
    return _encode(obj)


def dict_json(d: Mapping[str, Any] | None) -> str:
    """A JSON object; ``"{}"`` for ``None`` or an empty mapping."""
    return _encode(d) if d else EMPTY


def loads_dict(text: str | None) -> dict[str, Any] | None:
    """A JSON object, or ``None`` for an empty one (FrozenTrial.build maps it to an empty view)."""
    if not text or text == EMPTY:
        return None
    return _decode(text)


def loads_list(text: str | None) -> list[Any]:
    return _decode(text) if text else []


def check_json(what: str, key: str, value: Any) -> None:
    """Raise a ``TypeError`` naming the attribute if ``value`` can't be stored as JSON."""
    try:
        json.dumps(value, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what}({key!r}): value {value!r} is not JSON-serialisable ({exc}); store str, "
            "numbers, bool, None, lists and dicts"
        ) from None


def dists_to_json(dists: Mapping[str, Distribution]) -> str:
    return dumps({k: d.to_json() for k, d in dists.items()}) if dists else EMPTY


def iv_to_json(iv: Mapping[int, float]) -> str:
    # json writes NaN/Infinity for non-finite floats and reads them back (reported values may be)
    return _encode({str(k): float(v) for k, v in iv.items()}) if iv else EMPTY


def iv_from_json(text: str | None) -> dict[int, float] | None:
    if not text or text == EMPTY:
        return None
    return {int(k): v for k, v in _decode(text).items()}


class DistributionCache:
    """Decoded ``distributions`` columns by their text: a study has few distinct spaces, and
    building validated Distribution objects costs more than parsing the JSON."""

    _LIMIT = 4096

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, Distribution]] = {}
        self._lock = threading.Lock()

    def get(self, text: str | None) -> dict[str, Distribution] | None:
        """The decoded mapping (shared: callers must copy it before changing it)."""
        if not text or text == EMPTY:
            return None
        hit = self._cache.get(text)
        if hit is None:
            hit = {k: distribution_from_json(v) for k, v in _decode(text).items()}
            with self._lock:
                if len(self._cache) >= self._LIMIT:
                    self._cache.clear()
                self._cache[text] = hit
        return hit


def build_trial(row: Any, dists: DistributionCache, state: TrialState | None = None) -> FrozenTrial:
    """A FrozenTrial from a row of ``_statements.TRIAL_COLUMNS``."""
    vals = row[6]
    return FrozenTrial.build(
        number=row[2],
        trial_id=row[0],
        state=state or STATES[row[3]],
        params=loads_dict(row[4]),
        distributions=dists.get(row[5]),
        values=tuple(_decode(vals)) if vals is not None else None,
        intermediate_values=iv_from_json(row[7]),
        user_attrs=loads_dict(row[8]),
        system_attrs=loads_dict(row[9]),
        datetime_start=row[10],
        datetime_complete=row[11],
        error=row[12],
    )
