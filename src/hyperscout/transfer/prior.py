"""Prior studies as immutable data, and how their trials map onto a new search space.

A :class:`PriorStudy` is what a transfer policy gets: the complete trials of an earlier study,
read once by the study layer (:func:`hyperscout.transfer.load.as_prior`), never a storage.

Space matching (:func:`match_params`), parameter by parameter, against the *current* space:

=============================  =======================================================
old trial's value               what happens
=============================  =======================================================
same name, inside the range     used as is (an ``Int`` grid value is snapped to the grid)
same name, outside the range    ``"clip"``: moved to the nearest bound (initial design);
                                ``"drop"``: the parameter counts as missing (models)
categorical, choice still there used as is
categorical, choice removed     missing (no nearest choice exists)
numeric <-> categorical change  missing
parameter new in this study     missing: the initial design lets the current sampler
                                draw it; a prior's model is flat along it
parameter gone from this study  ignored
=============================  =======================================================

Why clip for the design and drop for the models: a good old point at the edge of an old range
is best replaced by the nearest point of the new range (that is where it points), but a model
fed clipped points would pile observations on the boundary that were never evaluated there.

:func:`compare_spaces` classifies two spaces as ``"identical"``, ``"overlapping"`` or
``"disjoint"`` for reports and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_OUT_OF_RANGE = ("clip", "drop")


@dataclass(frozen=True)
class PriorStudy:
    """The complete trials of an earlier study, as immutable data for transfer policies.

    Args:
        name: The earlier study's name (for reports).
        directions: Its directions; only single-objective studies can be priors.
        trials: Its complete trials.
        meta: Its meta-features (``create_study(meta=...)``), if any.

    Example:
        >>> from hyperscout.space import Float
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE,
        ...                       params={"x": 0.2}, distributions={"x": Float(0, 1)},
        ...                       values=[1.5])
        >>> p = PriorStudy("old", ("minimize",), (t,))
        >>> p.n_trials, p.space()
        (1, {'x': Float(low=0.0, high=1.0, log=False, step=None)})
    """

    name: str
    directions: tuple[str, ...]
    trials: tuple[FrozenTrial, ...]
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if len(self.directions) != 1:
            raise ValueError(
                f"PriorStudy({self.name!r}): directions={list(self.directions)}; only "
                "single-objective studies can be warm-start priors"
            )
        if self.directions[0] not in ("minimize", "maximize"):
            raise ValueError(f"PriorStudy({self.name!r}): direction {self.directions[0]!r} "
                             "is not 'minimize' or 'maximize'")
        kept = tuple(t for t in self.trials
                     if t.state is TrialState.COMPLETE and t.values is not None)
        object.__setattr__(self, "trials", kept)
        object.__setattr__(self, "directions", tuple(self.directions))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is a loss."""
        return 1.0 if self.directions[0] == "minimize" else -1.0

    def losses(self) -> list[float]:
        """Each trial's value on the minimisation scale."""
        return [self.sign * t.values[0] for t in self.trials]  # type: ignore[index]

    def space(self) -> dict[str, Distribution]:
        """The latest distribution of each parameter, in order of first appearance."""
        out: dict[str, Distribution] = {}
        for t in self.trials:
            out.update(t.distributions)
        return out


def match_value(value: Any, old: Distribution | None, new: Distribution,
                out_of_range: str = "drop") -> tuple[bool, Any]:
    """``(ok, value)``: an old trial's value expressed in the distribution ``new``.

    Example:
        >>> match_value(12.0, Float(0, 20), Float(0, 10), "clip")
        (True, 10.0)
        >>> match_value(12.0, Float(0, 20), Float(0, 10), "drop")
        (False, None)
        >>> match_value("b", Categorical(["a", "b"]), Categorical(["a", "c"]))
        (False, None)
    """
    if out_of_range not in _OUT_OF_RANGE:
        raise ValueError(f"match_value(out_of_range={out_of_range!r}): use 'clip' or 'drop'")
    if isinstance(new, Categorical):
        if old is not None and not isinstance(old, Categorical):
            return False, None
        try:
            return True, new.choices[new.index(value)]
        except (ValueError, KeyError, TypeError):
            return False, None
    if isinstance(old, Categorical) or isinstance(value, (bool, str)) or value is None:
        return False, None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False, None
    if new.contains(v if isinstance(new, Float) else round(v)) and (
        not isinstance(new, Int) or float(round(v)) == v
    ):
        return True, int(round(v)) if isinstance(new, Int) else v
    inside = new.low <= v <= new.high
    if not inside and out_of_range == "drop":
        return False, None
    # clip to the range, then snap onto the grid (an in-range off-grid value is snapped too)
    v = min(max(v, new.low), new.high)
    return True, new.from_unit(new.to_unit(int(round(v)) if isinstance(new, Int) else v))


def match_params(
    trial: FrozenTrial,
    space: Mapping[str, Distribution],
    out_of_range: str = "drop",
) -> dict[str, Any]:
    """The old trial's parameters that map onto ``space`` (see the module table); missing
    ones are left out.

    Example:
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE,
        ...                       params={"x": 15.0, "k": "b"},
        ...                       distributions={"x": Float(0, 20), "k": Categorical(["a", "b"])},
        ...                       values=[0.0])
        >>> match_params(t, {"x": Float(0, 10), "k": Categorical(["a", "b", "c"]),
        ...                  "new": Float(0, 1)}, "clip")
        {'x': 10.0, 'k': 'b'}
    """
    out: dict[str, Any] = {}
    params, dists = trial.params, trial.distributions
    for name, dist in space.items():
        if name not in params:
            continue
        ok, v = match_value(params[name], dists.get(name), dist, out_of_range)
        if ok:
            out[name] = v
    return out


@dataclass(frozen=True)
class SpaceMatch:
    """How an old space relates to a new one (see :func:`compare_spaces`)."""

    kind: str  # "identical", "overlapping" or "disjoint"
    shared: tuple[str, ...]  # same name, values can be carried over (possibly partly)
    added: tuple[str, ...]  # only in the new space
    removed: tuple[str, ...]  # only in the old space
    changed: tuple[str, ...]  # shared, but with a different distribution


def _compatible(old: Distribution, new: Distribution) -> bool:
    if isinstance(old, Categorical) != isinstance(new, Categorical):
        return False
    if isinstance(new, Categorical):
        return bool(set(map(repr, old.choices)) & set(map(repr, new.choices)))  # type: ignore[union-attr]
    return max(old.low, new.low) <= min(old.high, new.high)  # type: ignore[union-attr]


def compare_spaces(old: Mapping[str, Distribution],
                   new: Mapping[str, Distribution]) -> SpaceMatch:
    """Classify two spaces: ``identical``, ``overlapping`` (some parameter carries over) or
    ``disjoint`` (nothing carries over).

    Example:
        >>> compare_spaces({"x": Float(0, 1)}, {"x": Float(0, 2), "y": Int(1, 3)}).kind
        'overlapping'
        >>> compare_spaces({"x": Float(0, 1)}, {"z": Float(0, 1)}).kind
        'disjoint'
    """
    names = [k for k in new if k in old]
    shared = tuple(k for k in names if _compatible(old[k], new[k]))
    changed = tuple(k for k in names if old[k] != new[k])
    added = tuple(k for k in new if k not in old)
    removed = tuple(k for k in old if k not in new)
    if not shared:
        kind = "disjoint"
    elif not added and not removed and not changed:
        kind = "identical"
    else:
        kind = "overlapping"
    return SpaceMatch(kind, shared, added, removed, changed)


def best_trials(prior: PriorStudy, k: int) -> list[FrozenTrial]:
    """The ``k`` best trials of a prior (ties: the earlier trial first)."""
    losses = prior.losses()
    order = sorted(range(prior.n_trials), key=lambda i: (losses[i], i))
    return [prior.trials[i] for i in order[:k]]


def union_space(priors: Sequence[PriorStudy]) -> dict[str, Distribution]:
    """The parameters of all priors (the first prior's distribution wins a name clash)."""
    out: dict[str, Distribution] = {}
    for p in priors:
        for k, d in p.space().items():
            out.setdefault(k, d)
    return out
