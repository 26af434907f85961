"""Trial: the handle an objective receives (suggest parameters, report, should_prune)."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hyperscout.samplers.base import Proposal
from hyperscout.space.distributions import (
    Categorical,
    CategoricalChoice,
    Distribution,
    Float,
    Int,
    check_compatible,
)
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.history import History
    from hyperscout.study.study import Study

FIXED_PARAMS_KEY = "fixed_params"

# Distributions are immutable, so the validated objects are reused between trials: constructing
# and validating one per suggest call would dominate the cost of a cheap trial.
_CACHE_LIMIT = 4096
_FLOAT_CACHE: dict[tuple, Float] = {}
_INT_CACHE: dict[tuple, Int] = {}
_CAT_CACHE: dict[tuple, Categorical] = {}


def _remember(cache: dict, key: tuple, dist: Any) -> Any:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = dist
    return dist
SAMPLER_STATE_PREFIX = "sampler:"


class Trial:
    """One evaluation of the objective; created by the study, never by users.

    Parameters are suggested define-by-run: a trial only has the parameters it asked for, so
    conditional spaces are plain ``if`` statements.

    Example:
        >>> import hyperscout as hs
        >>> def objective(trial):
        ...     opt = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        ...     lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        ...     if opt == "sgd":
        ...         trial.suggest_float("momentum", 0.0, 0.99)
        ...     return lr
        >>> study = hs.create_study(seed=0)
        >>> study.optimize(objective, n_trials=5)
        >>> all(("momentum" in t.params) == (t.params["optimizer"] == "sgd") for t in study.trials)
        True
    """

    def __init__(self, study: Study, record: FrozenTrial) -> None:
        self._study = study
        self._record = record
        self.number: int = record.number
        self._trial_id = record.trial_id
        self._params: dict[str, Any] = dict(record.params)
        self._dists: dict[str, Distribution] = dict(record.distributions)
        self._fixed: dict[str, Any] = dict(record.system_attrs.get(FIXED_PARAMS_KEY) or {})
        self._intermediate: dict[int, float] = dict(record.intermediate_values)
        self._user_attrs: dict[str, Any] = dict(record.user_attrs)
        self._system_attrs: dict[str, Any] = dict(record.system_attrs)  # + sampler state
        self._unsaved_params: dict[str, Any] = {}
        self._unsaved_state: dict[str, Any] = {}
        self._proposal: Proposal | None = None
        self._joint_space: dict[str, Distribution] = {}
        self.finished = False
        self._live_view: FrozenTrial | None = None
        self._history: History | None = None  # the snapshot its sampler calls share

    # -- read-only views --------------------------------------------------------------------
    @property
    def trial_id(self) -> int:
        return self._trial_id

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far (a copy)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    @property
    def study(self) -> Study:
        return self._study

    def to_frozen(self) -> FrozenTrial:
        """An immutable snapshot of this running trial, as policies see it in a history."""
        return FrozenTrial.build(
            number=self.number,
            trial_id=self._trial_id,
            state=TrialState.RUNNING,
            params=dict(self._params),
            distributions=dict(self._dists),
            intermediate_values=dict(self._intermediate),
            user_attrs=dict(self._user_attrs),
            system_attrs=dict(self._system_attrs),
            datetime_start=self._record.datetime_start,
        )

    def _view(self) -> FrozenTrial:
        """A read-only view over this trial's live state for policy calls: its mappings are
        proxies of the live dicts (no copies: this is on the per-suggestion hot path), so a
        policy must not keep it past the call; ``to_frozen`` makes a real snapshot."""
        if self._live_view is None:
            self._live_view = self._make_view()
        return self._live_view

    def _make_view(self) -> FrozenTrial:
        return FrozenTrial(
            number=self.number,
            trial_id=self._trial_id,
            state=TrialState.RUNNING,
            params=MappingProxyType(self._params),
            distributions=MappingProxyType(self._dists),
            intermediate_values=MappingProxyType(self._intermediate),
            user_attrs=MappingProxyType(self._user_attrs),
            system_attrs=MappingProxyType(self._system_attrs),
            datetime_start=self._record.datetime_start,
        )

    # -- suggest ----------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """Suggest a float in ``[low, high]``: log-uniform with ``log=True``, on a ``step`` grid.

        Example:
            >>> import hyperscout as hs
            >>> t = hs.create_study(seed=0).ask()
            >>> 1e-5 <= t.suggest_float("lr", 1e-5, 1e-1, log=True) <= 1e-1
            True
        """
        key = (name, low, high, log, step)
        dist = _FLOAT_CACHE.get(key)
        if dist is None:
            dist = _remember(_FLOAT_CACHE, key, Float(low, high, log=log, step=step, name=name))
        return float(self.suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        """Suggest an integer in ``[low, high]`` (log-uniform with ``log=True``, every ``step``).

        Example:
            >>> import hyperscout as hs
            >>> t = hs.create_study(seed=0).ask()
            >>> t.suggest_int("batch_size", 16, 256, step=16) % 16
            0
        """
        key = (name, low, high, log, step)
        dist = _INT_CACHE.get(key)
        if dist is None:
            dist = _remember(_INT_CACHE, key, Int(low, high, log=log, step=step, name=name))
        return int(self.suggest(name, dist))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice:
        """Suggest one of ``choices`` (str, int, float, bool or None).

        Example:
            >>> import hyperscout as hs
            >>> t = hs.create_study(seed=0).ask()
            >>> t.suggest_categorical("act", ["relu", "gelu"]) in ("relu", "gelu")
            True
        """
        try:
            key = (name, tuple((type(c), c) for c in choices))
            dist = _CAT_CACHE.get(key)
        except TypeError:  # unhashable choices: let Categorical explain what is wrong
            key, dist = None, None
        if dist is None:
            dist = Categorical(choices, name=name)
            if key is not None:
                _remember(_CAT_CACHE, key, dist)
        return self.suggest(name, dist)

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """Suggest a value for ``name`` from any distribution object.

        Asking again for a parameter this trial already has returns the same value.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"parameter name {name!r} must be a non-empty string")
        if self.finished:
            raise RuntimeError(f"trial {self.number} is finished; it cannot suggest {name!r}")
        if name in self._params:
            check_compatible(name, self._dists[name], distribution)
            return self._params[name]
        study = self._study
        study._check_distribution(name, distribution)
        if name in self._fixed:
            value = self._fixed_value(name, distribution)
        else:
            value = study._sample(self, name, distribution)
        self._params[name] = value
        self._dists[name] = distribution
        self._unsaved_params[name] = value
        return value

    def _fixed_value(self, name: str, dist: Distribution) -> Any:
        value = self._fixed[name]
        if isinstance(dist, Categorical):
            return dist.choices[dist.index(value)]  # raises with the choices if not one of them
        if not dist.contains(value):
            warnings.warn(
                f"trial {self.number}: fixed value {name}={value!r} is outside {dist}; "
                "using it as given",
                stacklevel=4,
            )
        return int(value) if isinstance(dist, Int) else float(value)

    # -- report / prune ---------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (e.g. a validation metric after an epoch).

        The value is stored at once, with any parameters not yet saved, in one write.
        Reporting the same step twice keeps the first value and warns.
        """
        if self.finished:
            raise RuntimeError(f"trial {self.number} is finished; it cannot report")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"trial.report(value={value!r}, step={step}): value must be a number"
            ) from None
        if isinstance(step, bool) or not isinstance(step, int) and not hasattr(step, "__index__"):
            raise TypeError(f"trial.report(step={step!r}): step must be an int")
        step = int(step)
        if step < 0:
            raise ValueError(f"trial.report(step={step}): step must be >= 0")
        if step in self._intermediate:
            warnings.warn(
                f"trial {self.number}: step {step} was already reported; keeping the first value",
                stacklevel=2,
            )
            return
        self._intermediate[step] = v
        self._study._storage.update_trial(
            self._trial_id, intermediate_values={step: v}, **self._take_unsaved()
        )

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now.

        Example:
            >>> import hyperscout as hs
            >>> t = hs.create_study().ask()
            >>> t.report(0.5, step=0)
            >>> t.should_prune()   # the default pruner never prunes
            False
        """
        return self._study._should_prune(self)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute with the trial (at once)."""
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"set_user_attr({key!r}): value {value!r} is not JSON-serialisable ({exc})"
            ) from None
        self._user_attrs[key] = value
        self._study._storage.update_trial(
            self._trial_id, user_attrs={key: value}, **self._take_unsaved()
        )

    # -- internals used by Study ------------------------------------------------------------
    def _take_unsaved(self) -> dict[str, Any]:
        """Parameters and sampler state not yet written, handed to the next write."""
        out: dict[str, Any] = {}
        if self._unsaved_params:
            out["params"] = self._unsaved_params
            out["distributions"] = {k: self._dists[k] for k in self._unsaved_params}
            self._unsaved_params = {}
        if self._unsaved_state:
            out["system_attrs"] = self._unsaved_state
            self._unsaved_state = {}
        return out

    def _set_proposal(self, proposal: Proposal, space: dict[str, Distribution]) -> None:
        self._proposal = proposal
        self._joint_space = space
        if proposal.state:
            state = {SAMPLER_STATE_PREFIX + k: v for k, v in proposal.state.items()}
            self._unsaved_state.update(state)
            self._system_attrs.update(state)  # visible to policies from now on, not only once saved

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params})"


def check_values(values: Any, n_objectives: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Validate what an objective returned: ``(values, None)`` or ``(None, reason)``."""
    if isinstance(values, (list, tuple)):
        seq = list(values)
    else:
        seq = [values]
    if len(seq) != n_objectives:
        return None, (
            f"the objective returned {len(seq)} value(s) for a study with {n_objectives} "
            f"objective(s): {values!r}"
        )
    out = []
    for v in seq:
        if isinstance(v, bool):
            return None, f"the objective returned a bool ({v!r}); return a number"
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None, f"the objective returned {v!r} of type {type(v).__name__}; return a number"
        if not math.isfinite(f):
            return None, f"the objective returned {f}; values must be finite"
        out.append(f)
    return tuple(out), None
