"""Genetic algorithm for mixed and conditional spaces.

Generations are blocks of trial numbers: trial ``k`` belongs to generation
``k // population_size``. Generation 0 is random. A trial of generation ``G >= 1`` is a child of
two parents picked by tournament from the *population* of ``G``: the complete trials of
generation ``G - 1``, completed by the best earlier trials where that generation has gaps
(failed, pruned or still-running members), and always including the ``elite`` best trials of
the study (elitism without re-evaluating them). The population is a pure function of the history,
so any worker that reads the same history breeds from the same parents.

Variation happens in the codec's unit space (:class:`~hyperscout.space.SpaceCodec`):
numeric genes (float, int, log, step) cross over by BLX-alpha, SBX or uniform exchange and mutate
by a Gaussian step, then snap to their grid; categorical genes cross over uniformly and mutate by
drawing another choice. Conditional parameters a child inherits from neither parent, or whose
inherited value no longer fits, are drawn at random.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers._evo import blx_alpha, gaussian_mutation, sbx, tournament
from hyperscout.samplers.base import Sampler
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_CROSSOVERS = ("uniform", "blx", "sbx")
MUTATION_SCALE = 0.1
"""Standard deviation of a numeric mutation, in the unit interval of the parameter."""
_CHILD_CACHE = 256


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"GASampler: {name}={value!r}; give an int >= {low}")
    return int(value)


def _check_prob(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"GASampler: {name}={value!r}; give a probability in [0, 1]")
    return float(value)


class GASampler(Sampler):
    """A generational genetic algorithm with tournament selection and elitism.

    Args:
        population_size: Trials per generation (generation ``G`` is trial numbers
            ``[G * population_size, (G + 1) * population_size)``; generation 0 is random).
        crossover: Numeric crossover: ``"blx"`` (BLX-0.5, default), ``"sbx"`` (simulated binary,
            eta 15) or ``"uniform"`` (each gene from either parent). Categoricals always cross
            over uniformly.
        crossover_prob: Probability that a child is a crossover of two parents (else a mutated
            copy of one).
        mutation_prob: Per-gene mutation probability; ``None`` for ``1 / d`` (``d`` genes).
        tournament_size: Entrants per tournament (selection pressure).
        elite: How many of the study's best trials always join the breeding population.
        seed: An int (reproducible), a numpy Generator, or ``None``.

    Example:
        >>> import hyperscout as hs
        >>> hs.set_verbosity("warning")
        >>> def objective(t):
        ...     act = t.suggest_categorical("act", ["relu", "tanh", "gelu"])
        ...     n = t.suggest_int("n", 1, 64, log=True)
        ...     return (t.suggest_float("x", -3, 3) - 1) ** 2 + abs(n - 8) + (act != "gelu")
        >>> study = hs.create_study(sampler=hs.samplers.GASampler(population_size=10, seed=0))
        >>> study.optimize(objective, n_trials=100)
        >>> study.best_value < 2
        True
    """

    def __init__(
        self,
        population_size: int = 50,
        crossover: str = "blx",
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        tournament_size: int = 2,
        elite: int = 1,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed)
        self._pop = _check_int("population_size", population_size, 2)
        if crossover not in _CROSSOVERS:
            raise ValueError(f"GASampler: crossover={crossover!r}; use one of {list(_CROSSOVERS)}")
        self._crossover = crossover
        self._pc = _check_prob("crossover_prob", crossover_prob)
        self._pm = None if mutation_prob is None else _check_prob("mutation_prob", mutation_prob)
        self._tsize = _check_int("tournament_size", tournament_size, 1)
        self._elite = _check_int("elite", elite, 0)
        if self._elite > self._pop:
            raise ValueError(f"GASampler: elite={elite} > population_size={population_size}; "
                             "elite must be at most the population size")
        self._reset()

    def _reset(self) -> None:
        self._n_seen = 0
        self._last_id: int | None = None
        self._sign: float | None = None
        # generation -> complete trials sorted by fitness: [(fitness, number, trial)]
        self._gens: dict[int, list[tuple[float, int, FrozenTrial]]] = {}
        # (trial id, number) -> the child bred for that trial, one per trial (bounded)
        self._children: OrderedDict[
            tuple[int, int], dict[str, tuple[Any, float, Distribution]]
        ] = OrderedDict()

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        self._reset()

    # -- the sampler contract -------------------------------------------------------------------
    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if history.is_multi_objective:
            raise NotImplementedError(
                "GASampler optimises a single objective; for multi-objective studies use the "
                "NSGA-II sampler (NSGAIISampler)"
            )
        child = self._child(history, trial)
        gene = child.get(name)
        if gene is not None and not distribution.is_single:
            value, unit, dist = gene
            if distribution.contains(value):
                return value
            if not isinstance(distribution, Categorical) and type(dist) is type(distribution):
                return distribution.from_unit(unit)  # the range changed: same relative position
        return distribution.sample(self._rng)

    # -- population ---------------------------------------------------------------------------
    def _update(self, history: History) -> None:
        finished = history.finished()
        sign = history.sign()
        if (self._sign != sign or self._n_seen > len(finished)
                or (self._n_seen and finished[self._n_seen - 1].trial_id != self._last_id)):
            self._reset()
            self._sign = sign
        for t in finished[self._n_seen:]:
            if t.state is TrialState.COMPLETE and t.values is not None and t.params:
                f = sign * float(t.values[0])
                if math.isnan(f):
                    continue
                gen = self._gens.setdefault(t.number // self._pop, [])
                gen.append((f, t.number, t))
                gen.sort(key=lambda e: (e[0], e[1]))
        self._n_seen = len(finished)
        self._last_id = finished[-1].trial_id if finished else None

    def _population(self, history: History, generation: int
                    ) -> list[tuple[float, FrozenTrial]]:
        """The breeding population of ``generation`` as ``(fitness, trial)`` pairs (fitness is
        the value to minimise): ``population_size`` members (plus the elite when it is not among
        them), see the module docstring."""
        self._update(history)
        if generation <= 0:
            return []
        prev = self._gens.get(generation - 1, [])
        earlier = [g for k, g in self._gens.items() if k < generation - 1]
        best_earlier = list(itertools.islice(heapq.merge(*earlier, key=lambda e: (e[0], e[1])),
                                             max(self._elite, self._pop - len(prev))))
        # the elite: the best of the study so far (earlier generations and generation - 1)
        elite = list(itertools.islice(heapq.merge(prev, best_earlier, key=lambda e: (e[0], e[1])),
                                      self._elite))
        members: dict[int, tuple[float, int, FrozenTrial]] = {e[1]: e for e in prev}
        for e in elite:
            members.setdefault(e[1], e)
        for e in best_earlier:
            if len(members) >= max(self._pop, len(prev) + len(elite)):
                break
            members.setdefault(e[1], e)
        return [(e[0], e[2]) for e in sorted(members.values(), key=lambda e: (e[0], e[1]))]

    # -- breeding -----------------------------------------------------------------------------
    def _child(self, history: History, trial: FrozenTrial) -> dict[str, tuple[Any, float, Any]]:
        self._update(history)  # first: a history of another study clears the cache
        key = (trial.trial_id, trial.number)
        cached = self._children.get(key)
        if cached is not None:
            return cached
        pop = self._population(history, trial.number // self._pop)
        child = self._breed(pop) if len(pop) >= 1 else {}
        self._children[key] = child
        while len(self._children) > _CHILD_CACHE:
            self._children.popitem(last=False)
        return child

    def _breed(self, pop: list[tuple[float, FrozenTrial]]) -> dict[str, tuple[Any, float, Any]]:
        rng = self._rng
        fitness = np.array([f for f, _ in pop])
        i = tournament(fitness, self._tsize, rng)
        p1 = pop[i][1]
        if len(pop) > 1:
            rest = np.delete(np.arange(len(pop)), i)
            p2 = pop[int(rest[tournament(fitness[rest], self._tsize, rng)])][1]
        else:
            p2 = p1
        codec, space, child, cat = recombine(p1, p2, rng, pc=self._pc,
                                             crossover=self._crossover)
        dists = list(space.values())
        child = self._mutate(child, dists, cat)
        out = self._decode(codec, child)
        if out == _plain(p1, space) or out == _plain(p2, space):
            genes = [j for j, d in enumerate(dists) if not d.is_single and not np.isnan(child[j])]
            if genes:  # never spend a trial on a parent's exact copy
                forced = np.zeros(child.size, dtype=bool)
                forced[genes[int(rng.integers(len(genes)))]] = True
                child = self._mutate(child, dists, cat, forced)
                out = self._decode(codec, child)
        units = codec.round_to_grid(np.nan_to_num(child, nan=0.5)[None, :])[0]
        return {k: (v, float(units[j]), space[k])
                for j, (k, v) in enumerate(out.items()) if v is not None}

    def _mutate(self, u: np.ndarray, dists: list[Distribution], cat: np.ndarray,
                forced: np.ndarray | None = None) -> np.ndarray:
        rng = self._rng
        u = u.copy()
        live = ~np.isnan(u) & np.array([not d.is_single for d in dists], dtype=bool)
        d = max(int(live.sum()), 1)
        pm = self._pm if self._pm is not None else 1.0 / d
        hit = (rng.random(u.size) < pm) & live if forced is None else forced & live
        for j in np.flatnonzero(hit):
            dist = dists[j]
            if isinstance(dist, Categorical):
                cur = dist.index(dist.from_unit(u[j]))
                new = (cur + 1 + int(rng.integers(dist.n_values - 1))) % dist.n_values
                u[j] = (new + 0.5) / dist.n_values
                continue
            old = dist.from_unit(u[j])
            v = float(gaussian_mutation(u[j : j + 1], MUTATION_SCALE, rng)[0])
            if dist.from_unit(v) == old and (isinstance(dist, Int) or dist.step is not None):
                v = _neighbour(dist, old, rng)  # a small grid: step to an adjacent value
            u[j] = v
        return u

    @staticmethod
    def _decode(codec: SpaceCodec, u: np.ndarray) -> dict[str, Any]:
        return {k: (None if np.isnan(u[j]) else d.from_unit(float(u[j])))
                for j, (k, d) in enumerate(codec.space.items())}

    def __repr__(self) -> str:
        return (f"GASampler(population_size={self._pop}, crossover={self._crossover!r}, "
                f"crossover_prob={self._pc}, mutation_prob={self._pm}, "
                f"tournament_size={self._tsize}, elite={self._elite}, seed={self._seed!r})")


def recombine(
    p1: FrozenTrial, p2: FrozenTrial, rng: np.random.Generator, *, pc: float, crossover: str
) -> tuple[SpaceCodec, dict[str, Distribution], np.ndarray, np.ndarray]:
    """Cross two parents over the union of their spaces, in the codec's unit columns.

    With probability ``pc`` (and two distinct parents) categorical genes are swapped uniformly
    and numeric ones crossed by ``crossover`` (``"uniform"``, ``"blx"`` or ``"sbx"``); otherwise
    the child is ``p1``. A gene only one parent has is taken from it; NaN marks a gene neither
    has. Returns ``(codec, space, child, is_categorical)``; GA and NSGA mutate the child.
    """
    space: dict[str, Distribution] = dict(p1.distributions)
    for k, d in p2.distributions.items():
        space.setdefault(k, d)
    codec = SpaceCodec(space)
    X = codec.encode([_compatible(p1, space), _compatible(p2, space)])
    a, b = X[0], X[1]
    cat = np.array([isinstance(d, Categorical) for d in space.values()], dtype=bool)
    child = a.copy()
    child[np.isnan(a)] = b[np.isnan(a)]
    both = ~np.isnan(a) & ~np.isnan(b)
    if p2 is not p1 and rng.random() < pc:
        swap = rng.random(a.size) < 0.5
        uni = np.where(swap, b, a)
        child[both & cat] = uni[both & cat]
        num = both & ~cat
        if crossover == "uniform":
            child[num] = uni[num]
        elif crossover == "blx":
            child[num] = blx_alpha(a[num], b[num], rng)
        else:
            child[num] = sbx(a[num], b[num], rng)
    return codec, space, child, cat


def _compatible(t: FrozenTrial, space: Mapping[str, Distribution]) -> dict[str, Any]:
    """``t``'s parameters that fit ``space`` (a name re-used with another kind is dropped)."""
    out = {}
    for k, v in t.params.items():
        d = space.get(k)
        if d is not None and (d.contains(v) or (
                not isinstance(d, Categorical) and type(d) is type(t.distributions.get(k)))):
            out[k] = v
    return out


def _plain(t: FrozenTrial, space: Mapping[str, Distribution]) -> dict[str, Any]:
    return {k: t.params.get(k) for k in space}


def _neighbour(dist: Float | Int, value: float, rng: np.random.Generator) -> float:
    """Unit coordinate of a grid value adjacent to ``value`` (either side, inside the range)."""
    step = dist.step if dist.step is not None else 1
    if isinstance(dist, Int) and dist.log:
        options = [v for v in (value - 1, value + 1) if dist.low <= v <= dist.high]
    else:
        options = [v for v in (value - step, value + step) if dist.low <= v <= dist.high]
    if not options:
        return dist.to_unit(value)
    return dist.to_unit(options[int(rng.integers(len(options)))])
