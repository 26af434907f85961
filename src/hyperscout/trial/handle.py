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
CHECKPOINT_FROM_KEY = "checkpoint_from"  # system attr: the trial number whose checkpoint to resume
CHECKPOINT_PREFIX = "checkpoint:"  # system attr "checkpoint:<name>" -> artifact key
_MAX_LINEAGE = 1000

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
    def system_attrs(self) -> dict[str, Any]:
        """Attributes set by hyperscout (sampler state such as PBT lineage, checkpoints); a copy."""
        return dict(self._system_attrs)

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

    # -- checkpoints ------------------------------------------------------------------------
    def save_checkpoint(self, data: bytes, name: str = "checkpoint") -> None:
        """Save ``data`` as this trial's checkpoint ``name`` in the study's artifact store.

        The bytes are written atomically (a temporary file renamed over the target), then the
        trial's system attribute ``"checkpoint:<name>"`` records the artifact key. Saving again
        replaces the checkpoint: only the latest is kept. hyperscout never unpickles anything:
        serialise your state to bytes yourself (e.g. ``torch.save`` into ``io.BytesIO``).

        Args:
            data: The checkpoint's bytes.
            name: Letters, digits, ``.``, ``_`` and ``-`` (several checkpoints per trial are
                fine, e.g. ``"model"`` and ``"optimizer"``).

        Example:
            >>> import hyperscout as hs
            >>> study = hs.create_study(artifact_store=hs.artifacts.InMemoryArtifactStore())
            >>> t = study.ask()
            >>> t.save_checkpoint(b"epoch-3 weights")
            >>> t.load_checkpoint()
            b'epoch-3 weights'
        """
        from hyperscout.artifacts import checkpoint_key

        if self.finished:
            raise RuntimeError(f"trial {self.number} is finished; it cannot save a checkpoint")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"trial.save_checkpoint(data of type {type(data).__name__}): data must be bytes; "
                "serialise first, e.g. torch.save(state, buf := io.BytesIO()); buf.getvalue()"
            )
        key = checkpoint_key(self._study.name, self.number, name)
        self._study.artifact_store.put(key, bytes(data))  # bytes first, then the record
        attr = {CHECKPOINT_PREFIX + name: key}
        self._system_attrs.update(attr)
        unsaved = self._take_unsaved()
        unsaved["system_attrs"] = {**unsaved.get("system_attrs", {}), **attr}
        self._study._storage.update_trial(self._trial_id, **unsaved)

    def load_checkpoint(self, name: str = "checkpoint") -> bytes | None:
        """This trial's latest checkpoint ``name``, else the one of the trial it inherits from.

        A trial inherits from the trial number in its system attribute ``"checkpoint_from"``
        (set by :class:`~hyperscout.samplers.pbt.PBTSampler` for exploit/continue, and by
        retries of failed trials); if that trial saved no checkpoint, its own
        ``"checkpoint_from"`` is followed, and so on. ``None`` if there is none.

        The sampler's proposal for this trial is made first if it is not yet (so calling
        ``load_checkpoint`` before any ``suggest_*`` sees what the sampler decided).

        Example:
            >>> import hyperscout as hs
            >>> study = hs.create_study(artifact_store=hs.artifacts.InMemoryArtifactStore())
            >>> study.ask().load_checkpoint() is None
            True
        """
        from hyperscout.artifacts import checkpoint_key

        study = self._study
        store = study.artifact_store
        data = store.get(checkpoint_key(study.name, self.number, name))
        if data is not None:
            return data
        if self._proposal is None and not self.finished:
            study._ensure_proposal(self)
        parent = _inherits_from(self._system_attrs)
        seen = {self.number}
        records: dict[int, FrozenTrial] | None = None
        while parent is not None and parent not in seen and len(seen) < _MAX_LINEAGE:
            seen.add(parent)
            data = store.get(checkpoint_key(study.name, parent, name))
            if data is not None:
                return data
            if records is None:  # rare: the parent saved nothing; read the lineage once
                records = {t.number: t for t in study._storage.get_trials(study._study_id)}
            rec = records.get(parent)
            parent = None if rec is None else _inherits_from(rec.system_attrs)
        return None

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


def _inherits_from(system_attrs: Any) -> int | None:
    """The trial number a trial resumes from: ``"checkpoint_from"`` set directly (retries) or
    by a sampler's proposal (stored as ``"sampler:checkpoint_from"``)."""
    value = system_attrs.get(CHECKPOINT_FROM_KEY)
    if value is None:
        value = system_attrs.get(SAMPLER_STATE_PREFIX + CHECKPOINT_FROM_KEY)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
