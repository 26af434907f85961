"""Grid search: every combination of the given values, each evaluated once.

The grid is the product of the value lists, with parameter names in sorted order, so a grid
point has a stable index (``grid_id``) for a given search space. The order in which points are
tried is a permutation of the indices drawn from the sampler's seed.

Which point a trial gets: the preferred one is ``perm[trial.number % G]``; if a finished trial
(complete, pruned or failed) or a running one already has it, the first free point after it in
the permutation (cyclically). Sampler calls are serialised by the study, and running trials carry
their ``grid_id`` in the history, so threads (``n_jobs``) never evaluate a point twice. The study
stops when :meth:`GridSampler.is_exhausted` says every point is taken.

A trial's point is chosen once, jointly for all grid parameters (:meth:`GridSampler.sample_joint`),
and stored with the trial as ``system_attrs["sampler:grid_id"]``; parameters the objective asks for
with a distribution the joint proposal was not made for are answered by
:meth:`GridSampler.sample_one` from that same point.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

GRID_ID_KEY = "grid_id"
_GRID_ATTR = "sampler:" + GRID_ID_KEY
_FIXED_ATTR = "fixed_params"  # where enqueue_trial puts user-given values (trial.handle)
_TAKEN_STATES = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})
_VALUE_TYPES = (str, int, float, bool, type(None), np.integer, np.floating, np.bool_)


def _value_key(value: Any) -> tuple[str, Any]:
    """Compare grid values as the objective sees them: ``1`` and ``1.0`` are the same number
    (``suggest_float`` turns one into the other), ``True`` and ``1`` are not."""
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return ("num", float(value))
    return (type(value).__name__, value)


class GridSampler(Sampler):
    """Exhaustive search over a grid of values; the study stops when every point is done.

    Args:
        search_space: Parameter name to the list of values to try (str, int, float, bool or
            None). Every parameter the objective suggests must be in it, with a distribution that
            contains all its values.
        seed: Seeds the order in which grid points are tried.

    Example:
        >>> import hyperscout as hs
        >>> sampler = hs.samplers.GridSampler({"x": [-1.0, 0.0, 1.0], "act": ["relu", "gelu"]},
        ...                                   seed=0)
        >>> study = hs.create_study(sampler=sampler)
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1, 1)
        ...     return x ** 2 + (trial.suggest_categorical("act", ["relu", "gelu"]) == "gelu")
        >>> study.optimize(objective)     # no n_trials: stops after the 6 grid points
        >>> len(study.trials), study.best_params
        (6, {'x': 0.0, 'act': 'relu'})
    """

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: SeedLike = None) -> None:
        if not isinstance(search_space, Mapping) or not search_space:
            raise ValueError(
                f"GridSampler(search_space={search_space!r}): give a non-empty dict of "
                "parameter name -> list of values, e.g. {'x': [0.0, 0.5, 1.0]}"
            )
        space: dict[str, tuple[Any, ...]] = {}
        for name in sorted(search_space, key=str):
            if not isinstance(name, str) or not name:
                raise ValueError(
                    f"GridSampler: parameter name {name!r} must be a non-empty string"
                )
            space[name] = _check_values(name, search_space[name])
        self._names: tuple[str, ...] = tuple(space)
        self._values: dict[str, tuple[Any, ...]] = space
        self._keys: dict[str, dict[tuple[str, Any], int]] = {
            n: {_value_key(v): i for i, v in enumerate(vals)} for n, vals in space.items()
        }
        # mixed-radix strides: grid_id = sum(index[name] * stride[name])
        self._sizes = tuple(len(space[n]) for n in self._names)
        self._n_points = math.prod(self._sizes)
        strides, s = [], 1
        for size in reversed(self._sizes):
            strides.append(s)
            s *= size
        self._strides = tuple(reversed(strides))
        # stand-in distributions for parameters no trial has suggested yet (see infer_space)
        self._stand_in = {n: Categorical(vals, name=n) for n, vals in space.items()}
        super().__init__(seed)
        self._shuffle()

    def reseed(self, seed: SeedLike) -> None:
        """Restart from ``seed``: this redraws the order in which points are tried."""
        super().reseed(seed)
        self._shuffle()

    def _shuffle(self) -> None:
        self._perm = self._rng.permutation(self._n_points)

    # -- grid geometry ----------------------------------------------------------------------
    @property
    def search_space(self) -> dict[str, list[Any]]:
        """The grid, as given (parameter names sorted)."""
        return {n: list(v) for n, v in self._values.items()}

    @property
    def n_points(self) -> int:
        """How many grid points there are."""
        return self._n_points

    def point(self, grid_id: int) -> dict[str, Any]:
        """The parameter values of grid point ``grid_id``."""
        if not 0 <= grid_id < self._n_points:
            raise ValueError(f"grid_id={grid_id} is outside the grid of {self._n_points} points")
        return {
            n: self._values[n][(grid_id // stride) % size]
            for n, stride, size in zip(self._names, self._strides, self._sizes)
        }

    def _grid_id_of(self, params: Mapping[str, Any]) -> int | None:
        """The index of the point ``params`` sits on, or ``None`` if it has not every grid
        parameter or a value outside the grid."""
        gid = 0
        for n, stride in zip(self._names, self._strides):
            if n not in params:
                return None
            try:
                i = self._keys[n].get(_value_key(params[n]))
            except TypeError:  # unhashable value: not one of ours
                return None
            if i is None:
                return None
            gid += i * stride
        return gid

    def _trial_grid_id(self, trial: FrozenTrial) -> int | None:
        """The grid point a trial has or will have: its full parameters if it has them all, else
        the ``grid_id`` the sampler gave it, else values fixed by ``enqueue_trial``."""
        gid = self._grid_id_of(trial.params)
        if gid is not None:
            return gid
        stored = trial.system_attrs.get(_GRID_ATTR)
        if isinstance(stored, int) and 0 <= stored < self._n_points:
            point = self.point(stored)
            agrees = all(
                _value_key(v) == _value_key(point[n])
                for n, v in trial.params.items()
                if n in point and _is_hashable(v)
            )
            if agrees:
                return stored
        fixed = trial.system_attrs.get(_FIXED_ATTR)
        if isinstance(fixed, Mapping):
            return self._grid_id_of({**fixed, **trial.params})
        return None

    def _taken(self, history: History, exclude: int | None = None) -> tuple[set[int], int]:
        """Grid ids held by finished or running trials, and how many running trials hold none
        yet (they will take one when they first suggest)."""
        taken: set[int] = set()
        pending = 0
        for t in _trials(history):
            if t.number == exclude:
                continue
            gid = self._trial_grid_id(t)
            if gid is not None:
                taken.add(gid)
            elif not t.state.is_finished:
                pending += 1
        return taken, pending

    # -- the sampler contract ---------------------------------------------------------------
    def is_exhausted(self, history: History) -> bool:
        """True when every grid point has a complete, pruned, failed or running trial.

        A running trial that has not suggested yet counts as holding a point: it will take one.
        """
        taken, pending = self._taken(history)
        return len(taken) + pending >= self._n_points

    def infer_space(self, history: History) -> dict[str, Distribution]:
        """All grid parameters: with the distribution they were last suggested from where that
        contains every grid value, else a stand-in (the trial's own distribution is then checked
        in :meth:`sample_one`)."""
        known = history.distributions()
        space: dict[str, Distribution] = {}
        for n, vals in self._values.items():
            dist = known.get(n)
            if dist is not None and all(dist.contains(v) for v in vals):
                space[n] = dist
            else:
                space[n] = self._stand_in[n]
        return space

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        gid = self._assign(history, trial)
        params = {n: _as_param(v, space.get(n)) for n, v in self.point(gid).items()}
        return Proposal(params=params, state={GRID_ID_KEY: gid})

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if name not in self._values:
            raise ValueError(
                f"GridSampler: the objective suggests {name!r}, which is not in the grid "
                f"(grid parameters: {', '.join(self._names)}); add {name!r} with its values to "
                "the GridSampler's search_space"
            )
        gid = trial.system_attrs.get(_GRID_ATTR)
        if not isinstance(gid, int):  # not proposed jointly (e.g. a custom study loop)
            gid = self._assign(history, trial)
        value = self.point(gid)[name]
        if not distribution.contains(value):
            raise ValueError(
                f"GridSampler: grid value {name}={value!r} is outside the distribution "
                f"{distribution} the objective suggests {name!r} from; widen the suggest range "
                f"or remove {value!r} from the grid"
            )
        return _as_param(value, distribution)

    def _assign(self, history: History, trial: FrozenTrial) -> int:
        """The grid point for ``trial``: the one it already has, else a free one that agrees
        with the values it already has (given by ``enqueue_trial``, or suggested)."""
        gid = self._trial_grid_id(trial)
        if gid is not None:
            return gid
        fixed = trial.system_attrs.get(_FIXED_ATTR)
        known = {**fixed, **trial.params} if isinstance(fixed, Mapping) else dict(trial.params)
        want = {
            n: self._keys[n][_value_key(v)]
            for n, v in known.items()
            if n in self._keys and _is_hashable(v) and _value_key(v) in self._keys[n]
        }
        taken, _ = self._taken(history, exclude=trial.number)
        return self._choose(trial.number, taken, want)

    def _choose(self, number: int, taken: set[int], want: Mapping[str, int]) -> int:
        """``perm[number % G]`` if free, else the next free point in permutation order; only
        points whose value index for each name in ``want`` is ``want[name]``."""
        G = self._n_points
        start = number % G
        fits = [(self._strides[self._names.index(n)], self._sizes[self._names.index(n)], i)
                for n, i in want.items()]
        first_fit = None
        for k in range(G):
            gid = int(self._perm[(start + k) % G])
            if any((gid // stride) % size != i for stride, size, i in fits):
                continue
            if gid not in taken:
                return gid
            if first_fit is None:
                first_fit = gid
        gid = int(self._perm[start]) if first_fit is None else first_fit
        warnings.warn(
            f"GridSampler: every grid point for trial {number} is taken; it repeats grid point "
            f"{gid} {self.point(gid)}",
            RuntimeWarning,
            stacklevel=2,
        )
        return gid

    def __repr__(self) -> str:
        return f"GridSampler({self.search_space!r}, seed={self._seed!r})"


def _trials(history: History) -> Iterable[FrozenTrial]:
    for t in history.iter_finished():
        if t.state in _TAKEN_STATES:
            yield t
    yield from history.running


def _is_hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _as_param(value: Any, dist: Distribution | None) -> Any:
    """A grid value in the type the distribution yields (``Float`` -> float, ``Int`` -> int)."""
    if isinstance(dist, Float):
        return float(value)
    if isinstance(dist, Int):
        return int(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_values(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(
            f"GridSampler: search_space[{name!r}]={values!r} must be a list of values, "
            f"e.g. [{values!r}]"
        )
    vals = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
    if not vals:
        raise ValueError(
            f"GridSampler: search_space[{name!r}] is empty; give at least one value"
        )
    seen: dict[tuple[str, Any], Any] = {}
    for v in vals:
        if not isinstance(v, _VALUE_TYPES):
            raise ValueError(
                f"GridSampler: search_space[{name!r}] has {v!r} of type {type(v).__name__}; "
                "use str, int, float, bool or None (values are stored as JSON)"
            )
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(
                f"GridSampler: search_space[{name!r}] has {v!r}; grid values must be finite"
            )
        key = _value_key(v)
        if key in seen:
            raise ValueError(
                f"GridSampler: search_space[{name!r}] has {seen[key]!r} and {v!r}, the same "
                "value twice; list each value once"
            )
        seen[key] = v
    return vals
