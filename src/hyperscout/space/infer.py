"""Infer joint search spaces from define-by-run histories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from hyperscout.space.distributions import Distribution


class HasDistributions(Protocol):
    """What these functions read from a trial (a ``FrozenTrial`` has it); ``space`` does not
    import ``trial``, which sits above it."""

    @property
    def distributions(self) -> Mapping[str, Distribution]: ...


def intersection_space(trials: Iterable[HasDistributions]) -> dict[str, Distribution]:
    """Parameters that every given trial has, with the same distribution (order of the first).

    Example:
        >>> from hyperscout.space import Float
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> mk = lambda p: FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE,
        ...                                  distributions=p)
        >>> sorted(intersection_space([mk({"a": Float(0, 1), "b": Float(0, 1)}),
        ...                            mk({"a": Float(0, 1)})]))
        ['a']
    """
    space: dict[str, Distribution] | None = None
    for t in trials:
        if space is None:
            space = dict(t.distributions)
            continue
        space = {k: d for k, d in space.items() if t.distributions.get(k) == d}
        if not space:
            break
    return space or {}


def group_spaces(trials: Iterable[HasDistributions]) -> list[dict[str, Distribution]]:
    """Split parameters into groups that always co-occur (for conditional spaces).

    Two parameters are in the same group when every trial that has one has the other; each
    group can then be modelled jointly on the trials that have it.

    Example:
        >>> from hyperscout.space import Float
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> mk = lambda p: FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE,
        ...                                  distributions=p)
        >>> d = Float(0, 1)
        >>> [sorted(g) for g in group_spaces([mk({"a": d, "b": d}), mk({"a": d, "c": d})])]
        [['a'], ['b'], ['c']]
    """
    groups: list[dict[str, Distribution]] = []
    for t in trials:
        keys = set(t.distributions)
        if not keys:
            continue
        new_groups: list[dict[str, Distribution]] = []
        for g in groups:
            inside = {k: v for k, v in g.items() if k in keys}
            outside = {k: v for k, v in g.items() if k not in keys}
            keys -= set(g)
            new_groups.extend(x for x in (inside, outside) if x)
        if keys:
            new_groups.append({k: t.distributions[k] for k in t.distributions if k in keys})
        groups = new_groups
    return sorted(groups, key=lambda g: sorted(g))
