"""A framework-neutral search-space description and its translations.

Each benchmark task declares its parameters once, with :func:`real`, :func:`integer` and
:func:`choice`; the adapters in ``optimizers.py`` turn that into hyperscout distributions,
Optuna distributions, a Hyperopt space, a HEBO design space or a ConfigSpace, and every value an
optimiser returns goes through :func:`canonical` (ints rounded, values clipped to the bounds,
categoricals checked) before the objective sees it.

    >>> from search_space import integer, real, choice, to_hyperscout
    >>> sp = (real("lr", 1e-4, 1e-1, log=True), integer("units", 16, 256, log=True),
    ...       choice("act", ("relu", "tanh")))
    >>> sorted(to_hyperscout(sp))
    ['act', 'lr', 'units']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is ``"float"``, ``"int"`` or ``"cat"``."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "cat"):
            raise ValueError(f"Param {self.name!r}: kind={self.kind!r}; use float, int or cat")
        if self.kind == "cat":
            if len(self.choices) < 2:
                raise ValueError(f"Param {self.name!r}: give at least two choices")
            return
        if not self.low < self.high:
            raise ValueError(f"Param {self.name!r}: low={self.low} must be < high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"Param {self.name!r}: log=True needs low > 0, got {self.low}")
        if self.log and self.step is not None:
            raise ValueError(f"Param {self.name!r}: step and log=True do not mix")


Space = tuple[Param, ...]


def real(name: str, low: float, high: float, *, log: bool = False,
         step: float | None = None) -> Param:
    """A float in ``[low, high]`` (log-uniform with ``log=True``; on a grid with ``step``)."""
    return Param(name, "float", float(low), float(high), log, step)


def integer(name: str, low: int, high: int, *, log: bool = False) -> Param:
    """An int in ``[low, high]`` (log-uniform with ``log=True``)."""
    return Param(name, "int", int(low), int(high), log)


def choice(name: str, choices: Sequence[Any]) -> Param:
    """A categorical parameter (unordered choices)."""
    return Param(name, "cat", choices=tuple(choices))


# -- values ------------------------------------------------------------------------------------
def canonical(space: Space, params: Mapping[str, Any]) -> dict[str, Any]:
    """Values an objective can use: ints as ``int``, numbers clipped to the bounds.

    Optimisers differ in the types they hand back (Hyperopt's integers are floats, HEBO's come
    from a DataFrame); this puts them all on the same footing. A missing parameter or an
    unknown categorical value raises ``ValueError`` naming it.
    """
    out: dict[str, Any] = {}
    for p in space:
        if p.name not in params:
            raise ValueError(f"parameter {p.name!r} missing from {dict(params)!r}")
        v = params[p.name]
        if p.kind == "cat":
            out[p.name] = _match_choice(p, v)
            continue
        x = min(max(float(v), p.low), p.high)
        if p.kind == "int":
            out[p.name] = int(round(x))
        elif p.step is not None:
            k = round((x - p.low) / p.step)
            out[p.name] = float(min(p.low + k * p.step, p.high))
        else:
            out[p.name] = x
    return out


def _match_choice(p: Param, v: Any) -> Any:
    for c in p.choices:
        if type(c) is type(v) and c == v:
            return c
    if isinstance(v, (np.generic,)):
        return _match_choice(p, v.item())
    for c in p.choices:  # str(True) == "True" round trips through pandas/ConfigSpace
        if str(c) == str(v):
            return c
    raise ValueError(f"parameter {p.name!r}: {v!r} is not one of {p.choices!r}")


def sample(space: Space, rng: np.random.Generator) -> dict[str, Any]:
    """One uniform draw (log-uniform for ``log`` parameters), independent of any framework."""
    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "cat":
            out[p.name] = p.choices[int(rng.integers(len(p.choices)))]
        elif p.kind == "int":
            if p.log:
                lo, hi = math.log(p.low - 0.5 if p.low > 0.5 else p.low), math.log(p.high + 0.5)
                out[p.name] = int(min(max(round(math.exp(rng.uniform(lo, hi))), p.low), p.high))
            else:
                out[p.name] = int(rng.integers(int(p.low), int(p.high) + 1))
        elif p.step is not None:
            n = int(round((p.high - p.low) / p.step))
            out[p.name] = float(p.low + p.step * int(rng.integers(n + 1)))
        elif p.log:
            out[p.name] = float(math.exp(rng.uniform(math.log(p.low), math.log(p.high))))
        else:
            out[p.name] = float(rng.uniform(p.low, p.high))
    return out


# -- translations ------------------------------------------------------------------------------
def to_hyperscout(space: Space) -> dict[str, Any]:
    """``{name: hs.Float | hs.Int | hs.Categorical}``."""
    import hyperscout as hs

    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "cat":
            out[p.name] = hs.Categorical(list(p.choices))
        elif p.kind == "int":
            out[p.name] = hs.Int(int(p.low), int(p.high), log=p.log)
        else:
            out[p.name] = hs.Float(p.low, p.high, log=p.log, step=p.step)
    return out


def to_optuna(space: Space) -> dict[str, Any]:
    """``{name: optuna.distributions.*Distribution}``."""
    from optuna import distributions as od

    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "cat":
            out[p.name] = od.CategoricalDistribution(list(p.choices))
        elif p.kind == "int":
            out[p.name] = od.IntDistribution(int(p.low), int(p.high), log=p.log)
        else:
            out[p.name] = od.FloatDistribution(p.low, p.high, log=p.log, step=p.step)
    return out


def to_hyperopt(space: Space) -> dict[str, Any]:
    """``{name: hp.* node}``, written the way Bayesmark's Hyperopt wrapper writes them.

    Integers are ``quniform``/``qloguniform`` over ``[low - 0.5, high + 0.5]`` (so every integer
    owns an equal share), categoricals are ``hp.choice`` (Hyperopt reports the index; see
    :func:`from_hyperopt`).
    """
    from hyperopt import hp

    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "cat":
            out[p.name] = hp.choice(p.name, list(range(len(p.choices))))
        elif p.kind == "int":
            lo, hi = p.low - 0.5, p.high + 0.5
            if p.log:
                lo = p.low - 0.5 if p.low > 0.5 else p.low
                out[p.name] = hp.qloguniform(p.name, math.log(lo), math.log(hi), 1)
            else:
                out[p.name] = hp.quniform(p.name, lo, hi, 1)
        elif p.step is not None:
            out[p.name] = hp.quniform(p.name, p.low - p.step / 2, p.high + p.step / 2, p.step)
        elif p.log:
            out[p.name] = hp.loguniform(p.name, math.log(p.low), math.log(p.high))
        else:
            out[p.name] = hp.uniform(p.name, p.low, p.high)
    return out


def from_hyperopt(space: Space, vals: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """Parameters from a Hyperopt trial's ``misc["vals"]`` (``{label: [value]}``)."""
    raw: dict[str, Any] = {}
    for p in space:
        v = vals[p.name][0]
        raw[p.name] = p.choices[int(v)] if p.kind == "cat" else v
    return canonical(space, raw)
