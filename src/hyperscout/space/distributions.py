"""Parameter distributions: Float, Int and Categorical.

Each distribution validates itself on construction, knows whether it contains a value, and maps
values to and from the unit interval (the representation model-based samplers work in):

- ``Float`` without a step: linear or log scale, ``u = (x - low) / (high - low)`` (in log space
  for ``log=True``).
- ``Int`` and ``Float`` with a step: the same, but over ``[low - step/2, high + step/2]`` so that
  every grid point owns an equal share of ``[0, 1]``; decoding rounds to the grid.
- ``Categorical``: choice ``i`` of ``n`` owns ``[i/n, (i+1)/n)``; its centre is ``(i + 0.5)/n``.
  One-hot codes for kernels live in :mod:`hyperscout.space.codec`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

CategoricalChoice = str | int | float | bool | None

_CHOICE_TYPES = (str, int, float, bool, type(None))


def _check_finite(where: str, name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name}={value!r} must be a number")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name}={value} is not finite; give a finite bound")


def _choice_key(value: Any) -> tuple[str, Any]:
    """A key that tells 1, 1.0 and True apart (Python's == does not)."""
    return (type(value).__name__, value)


@dataclass(frozen=True)
class Float:
    """A real-valued parameter in ``[low, high]``.

    Args:
        low: Lower bound (inclusive).
        high: Upper bound (inclusive).
        log: Sample uniformly in log space; needs ``low > 0``.
        step: Grid spacing from ``low``; must divide ``high - low``. Not with ``log``.

    Example:
        >>> lr = Float(1e-5, 1e-1, log=True)
        >>> round(lr.from_unit(0.5), 6)
        0.001
        >>> Float(0.0, 1.0, step=0.25).from_unit(0.6)
        0.5
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None
    name: str = field(default="", compare=False, repr=False)

    kind: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        where = f"Float({self.name!r})" if self.name else "Float"
        _check_finite(where, "low", self.low)
        _check_finite(where, "high", self.high)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.low > self.high:
            raise ValueError(
                f"{where}: low={self.low} > high={self.high}; low must be <= high"
            )
        if self.log and self.low <= 0:
            raise ValueError(
                f"{where}: low={self.low} with log=True; low must be > 0"
            )
        if self.step is not None:
            _check_finite(where, "step", self.step)
            object.__setattr__(self, "step", float(self.step))
            if self.log:
                raise ValueError(f"{where}: step={self.step} with log=True; use one or the other")
            if self.step <= 0:
                raise ValueError(f"{where}: step={self.step}; step must be > 0")
            n = (self.high - self.low) / self.step
            if abs(n - round(n)) > 1e-8 * max(1.0, abs(n)):
                raise ValueError(
                    f"{where}: step={self.step} does not divide high - low = "
                    f"{self.high - self.low}; choose high = low + k * step"
                )

    # -- geometry ---------------------------------------------------------------------------
    def _padded(self) -> tuple[float, float]:
        if self.step is not None:
            return self.low - 0.5 * self.step, self.high + 0.5 * self.step
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a number inside the bounds (and on the grid, with a step)."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        v = float(value)
        if not (self.low <= v <= self.high):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) < 1e-8 * max(1.0, abs(k))
        return True

    def to_unit(self, value: float) -> float:
        """Map a value to ``[0, 1]``."""
        lo, hi = self._padded()
        if hi == lo:
            return 0.5
        v = math.log(value) if (self.log and self.step is None) else float(value)
        return (v - lo) / (hi - lo)

    def from_unit(self, u: float) -> float:
        """Map ``u`` in ``[0, 1]`` to a value (clipped, and rounded onto the grid with a step)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.step is None and (u == 0.0 or u == 1.0):
            return self.low if u == 0.0 else self.high  # exact bounds (no exp/log round-off)
        lo, hi = self._padded()
        x = lo + u * (hi - lo)
        if self.step is not None:
            k = round((x - self.low) / self.step)
            k = min(max(k, 0), round((self.high - self.low) / self.step))
            return float(self.low + k * self.step)
        if self.log:
            x = math.exp(x)
        return min(max(x, self.low), self.high)

    def sample(self, rng: np.random.Generator) -> float:
        """Draw a value uniformly (log-uniformly with ``log=True``)."""
        return self.from_unit(rng.random())

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    @property
    def is_single(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class Int:
    """An integer parameter in ``[low, high]``.

    Args:
        low: Lower bound (inclusive).
        high: Upper bound (inclusive).
        log: Sample uniformly in log space; needs ``low >= 1`` and ``step == 1``.
        step: Grid spacing from ``low``; must divide ``high - low``.

    Example:
        >>> units = Int(16, 512, log=True)
        >>> units.from_unit(0.0), units.from_unit(1.0)
        (16, 512)
        >>> Int(16, 256, step=16).contains(48)
        True
    """

    low: int
    high: int
    log: bool = False
    step: int = 1
    name: str = field(default="", compare=False, repr=False)

    kind: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        where = f"Int({self.name!r})" if self.name else "Int"
        for attr in ("low", "high", "step"):
            v = getattr(self, attr)
            _check_finite(where, attr, v)
            if float(v) != int(v):
                raise ValueError(f"{where}: {attr}={v} is not an integer")
            object.__setattr__(self, attr, int(v))
        if self.low > self.high:
            raise ValueError(f"{where}: low={self.low} > high={self.high}; low must be <= high")
        if self.step <= 0:
            raise ValueError(f"{where}: step={self.step}; step must be >= 1")
        if self.log and self.low < 1:
            raise ValueError(f"{where}: low={self.low} with log=True; low must be >= 1")
        if self.log and self.step != 1:
            raise ValueError(f"{where}: step={self.step} with log=True; log needs step=1")
        if (self.high - self.low) % self.step:
            raise ValueError(
                f"{where}: step={self.step} does not divide high - low = {self.high - self.low}; "
                f"choose high = low + k * step "
                f"(e.g. high={self.high - (self.high - self.low) % self.step})"
            )

    def _padded(self) -> tuple[float, float]:
        if self.log:
            return math.log(self.low - 0.5), math.log(self.high + 0.5)
        return self.low - 0.5 * self.step, self.high + 0.5 * self.step

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        if float(value) != int(value):
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def to_unit(self, value: float) -> float:
        # any real value maps linearly (or log-linearly); samplers pass grid neighbours as floats
        lo, hi = self._padded()
        v = math.log(value) if self.log else float(value)
        return (v - lo) / (hi - lo)

    def from_unit(self, u: float) -> int:
        lo, hi = self._padded()
        x = lo + min(max(float(u), 0.0), 1.0) * (hi - lo)
        if self.log:
            x = math.exp(x)
        k = round((x - self.low) / self.step)
        k = min(max(k, 0), (self.high - self.low) // self.step)
        return int(self.low + k * self.step)

    def sample(self, rng: np.random.Generator) -> int:
        return self.from_unit(rng.random())

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    @property
    def is_single(self) -> bool:
        return self.low == self.high

    @property
    def n_values(self) -> int:
        return (self.high - self.low) // self.step + 1


@dataclass(frozen=True)
class Categorical:
    """A parameter that takes one of a list of choices (str, int, float, bool or None).

    Example:
        >>> act = Categorical(["relu", "gelu"])
        >>> act.from_unit(0.9), act.index("relu")
        ('gelu', 0)
    """

    choices: tuple[CategoricalChoice, ...]
    name: str = field(default="", compare=False, repr=False)
    _index: dict[tuple[str, Any], int] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    kind: ClassVar[str] = "categorical"

    if TYPE_CHECKING:
        # For type checkers only (the dataclass generates the runtime __init__): any sequence
        # of choices is accepted, and __post_init__ stores it as a tuple.
        def __init__(self, choices: Sequence[CategoricalChoice], name: str = "") -> None: ...

    def __post_init__(self) -> None:
        where = f"Categorical({self.name!r})" if self.name else "Categorical"
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Sequence):
            raise TypeError(f"{where}: choices={self.choices!r} must be a list of choices")
        choices = tuple(self.choices)
        if not choices:
            raise ValueError(f"{where}: choices is empty; give at least one choice")
        index: dict[tuple[str, Any], int] = {}
        for i, c in enumerate(choices):
            if not isinstance(c, _CHOICE_TYPES):
                raise TypeError(
                    f"{where}: choice {c!r} of type {type(c).__name__} is not JSON-storable; "
                    "use str, int, float, bool or None (e.g. a name, and map it in the objective)"
                )
            if isinstance(c, float) and not math.isfinite(c):
                raise ValueError(f"{where}: choice {c!r} is not finite")
            key = _choice_key(c)
            if key in index:
                raise ValueError(f"{where}: choice {c!r} appears twice; choices must be unique")
            index[key] = i
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "_index", index)

    def __hash__(self) -> int:
        return hash(("categorical", tuple(_choice_key(c) for c in self.choices)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Categorical):
            return NotImplemented
        return [_choice_key(c) for c in self.choices] == [_choice_key(c) for c in other.choices]

    def index(self, value: Any) -> int:
        """Position of ``value`` in the choices; ``ValueError`` if it is not one of them."""
        key = _choice_key(value.item() if isinstance(value, np.generic) else value)
        try:
            return self._index[key]
        except KeyError:
            raise ValueError(f"{value!r} is not one of the choices {list(self.choices)}") from None

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except (ValueError, TypeError):
            return False
        return True

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> CategoricalChoice:
        n = len(self.choices)
        return self.choices[min(max(int(float(u) * n), 0), n - 1)]

    def sample(self, rng: np.random.Generator) -> CategoricalChoice:
        return self.choices[int(rng.integers(len(self.choices)))]

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}

    @property
    def is_single(self) -> bool:
        return len(self.choices) == 1

    @property
    def n_values(self) -> int:
        return len(self.choices)


Distribution = Float | Int | Categorical


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    """Rebuild a distribution from :meth:`to_json` output.

    Example:
        >>> distribution_from_json(Int(1, 4).to_json()) == Int(1, 4)
        True
    """
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=data.get("log", False), step=data.get("step"))
    if kind == "int":
        return Int(data["low"], data["high"], log=data.get("log", False), step=data.get("step", 1))
    if kind == "categorical":
        return Categorical(tuple(data["choices"]))
    raise ValueError(f"unknown distribution type {kind!r} in {data!r}")


def check_compatible(name: str, old: Distribution, new: Distribution) -> None:
    """Raise if ``name`` is re-used with a distribution of another kind or other choices.

    Numeric ranges may change between trials (define-by-run spaces often do); the kind may not,
    and a categorical's choices may not.
    """
    if type(old) is not type(new):
        raise ValueError(
            f"parameter {name!r} was defined as {old.kind} ({old}) earlier in this study and "
            f"is now {new.kind} ({new}); use a new name for a parameter of another type"
        )
    # type(old) is type(new) here, so both are Categorical or neither (the second isinstance
    # only tells the type checker so)
    if isinstance(old, Categorical) and isinstance(new, Categorical) and old != new:
        raise ValueError(
            f"parameter {name!r} had choices {list(old.choices)} earlier in this study and now "
            f"{list(new.choices)}; categorical choices must not change within a study "
            "(use a new parameter name)"
        )

