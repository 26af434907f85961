"""NSGA-II and NSGA-III for multi-objective (and constrained) studies, on mixed spaces.

Generations are blocks of trial numbers, as in :class:`~hyperscout.samplers.GASampler`: trial
``k`` belongs to generation ``k // population_size``; generation 0 is random. The parent
population of generation ``G >= 1`` is a pure function of the history (so every worker agrees):

    ``parents(1) = select(complete trials of generation 0)``
    ``parents(G) = select(parents(G - 1) + complete trials of generation G - 1)``

``select`` keeps ``population_size`` trials: whole non-dominated fronts under *constraint
domination* (Deb 2000: feasible beats infeasible, less violation beats more, Pareto dominance
among feasible trials; see :mod:`hyperscout.multiobjective.pareto`), and then, from the front
that does not fit whole,

- NSGA-II (Deb et al. 2002): the trials of largest crowding distance;
- NSGA-III (Deb & Jain 2014): reference-point niching. The objectives are normalised by the
  ideal point and the intercepts of the hyperplane through the extreme points (falling back to
  the worst values when that plane is degenerate); each trial is associated with the nearest
  Das-Dennis reference direction; the least crowded directions are filled first.

A child of generation ``G`` comes from two parents picked by binary tournament (front rank, then
crowding distance / niche distance, then at random), crossed over and mutated in the codec's unit
space (:class:`~hyperscout.space.SpaceCodec`), type by type: numeric genes (float, int, log,
step) by simulated binary crossover and a Gaussian mutation, snapped to their grid afterwards;
categorical genes by uniform exchange and by drawing another choice. A parameter neither parent
has (conditional spaces) is drawn at random.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.multiobjective.constraints import violation
from hyperscout.multiobjective.pareto import crowding_distance, nondominated_sort
from hyperscout.samplers._evo import gaussian_mutation
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.ga import MUTATION_SCALE, _neighbour, recombine
from hyperscout.space.distributions import Categorical, Distribution, Int
from hyperscout.space.infer import intersection_space
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_CROSSOVERS = ("sbx", "blx", "uniform")
_CHILD_CACHE = 256


# -- pure kernels ---------------------------------------------------------------------------
def das_dennis(n_objectives: int, divisions: int) -> np.ndarray:
    """Das-Dennis reference points: every point of the unit simplex with coordinates in
    multiples of ``1 / divisions``. Shape ``(C(divisions + m - 1, m - 1), m)``.

    Example:
        >>> das_dennis(2, 2).tolist()
        [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
        >>> das_dennis(3, 12).shape
        (91, 3)
    """
    if n_objectives < 1 or divisions < 1:
        raise ValueError(f"das_dennis(n_objectives={n_objectives}, divisions={divisions}): "
                         "both must be >= 1")
    out: list[list[int]] = []

    def rec(prefix: list[int], left: int, k: int) -> None:
        if k == 1:
            out.append([*prefix, left])
            return
        for i in range(left + 1):
            rec([*prefix, i], left - i, k - 1)

    rec([], divisions, n_objectives)
    return np.array(out, dtype=float) / divisions


def default_divisions(n_objectives: int, population_size: int) -> int:
    """The largest number of divisions whose Das-Dennis set fits in the population (>= 1).

    Example:
        >>> default_divisions(3, 50), default_divisions(5, 50)
        (8, 3)
    """
    p = 1
    while math.comb(p + 1 + n_objectives - 1, n_objectives - 1) <= population_size:
        p += 1
    return p


def normalize_objectives(F: np.ndarray) -> np.ndarray:
    """NSGA-III normalisation: translate by the ideal point, divide by the intercepts of the
    hyperplane through the extreme points (worst values where that plane is degenerate).

    Example:
        >>> normalize_objectives(np.array([[1.0, 3.0], [3.0, 1.0], [2.0, 2.0]])).tolist()
        [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    """
    F = np.asarray(F, dtype=float)
    m = F.shape[1]
    ideal = F.min(axis=0)
    T = F - ideal
    worst = T.max(axis=0)
    W = np.where(np.eye(m) > 0, 1.0, 1e6)
    # extreme point of axis j: the row minimising the achievement scalarising function
    asf = np.max(T[None, :, :] * W[:, None, :], axis=2)  # (m, n)
    E = T[np.argmin(asf, axis=1)]
    intercepts = worst
    try:
        b = np.linalg.solve(E, np.ones(m))
        with np.errstate(divide="ignore"):
            cand = 1.0 / b
        if np.all(np.isfinite(cand)) and np.all(cand > 1e-6):
            intercepts = cand
    except np.linalg.LinAlgError:
        pass
    intercepts = np.where(intercepts > 1e-12, intercepts, np.maximum(worst, 1e-12))
    return T / intercepts


def associate(Fn: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest reference direction of each normalised row and its perpendicular distance.

    Example:
        >>> idx, d = associate(np.array([[1.0, 0.1]]), np.array([[1.0, 0.0], [0.0, 1.0]]))
        >>> idx.tolist(), round(float(d[0]), 3)
        ([0], 0.1)
    """
    R = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    proj = Fn @ R.T  # (n, k)
    d2 = (Fn**2).sum(axis=1, keepdims=True) - proj**2
    dist = np.sqrt(np.maximum(d2, 0.0))
    idx = np.argmin(dist, axis=1)
    return idx, dist[np.arange(len(Fn)), idx]


def select_nsga2(losses: np.ndarray, violations: np.ndarray | None, k: int) -> np.ndarray:
    """Indices of the ``k`` survivors: whole fronts, then the largest crowding distances.

    Example:
        >>> select_nsga2(np.array([[0.0, 3], [1, 1], [3, 0], [2, 2]]), None, 3).tolist()
        [0, 1, 2]
    """
    n = len(losses)
    if k >= n:
        return np.arange(n)
    ranks = nondominated_sort(losses, violations, n_needed=k)
    chosen = list(np.flatnonzero(ranks < ranks[np.argsort(ranks, kind="stable")[k - 1]]))
    last = np.flatnonzero(ranks == ranks[np.argsort(ranks, kind="stable")[k - 1]])
    if violations is not None and np.all(np.asarray(violations)[last] > 0):
        order = np.argsort(np.asarray(violations)[last], kind="stable")  # least violation
    else:
        order = np.argsort(-crowding_distance(losses[last]), kind="stable")
    chosen.extend(last[order[: k - len(chosen)]])
    return np.sort(np.array(chosen, dtype=np.int64))


def select_nsga3(losses: np.ndarray, violations: np.ndarray | None, k: int,
                 refs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``k`` survivors: whole fronts, then reference-point niching.

    Example:
        >>> L = np.array([[0.0, 1.0], [0.1, 0.9], [0.5, 0.5], [1.0, 0.0]])
        >>> refs = das_dennis(2, 2)
        >>> sorted(select_nsga3(L, None, 3, refs, np.random.default_rng(0)).tolist())
        [0, 2, 3]
    """
    n = len(losses)
    if k >= n:
        return np.arange(n)
    ranks = nondominated_sort(losses, violations, n_needed=k)
    cut = ranks[np.argsort(ranks, kind="stable")[k - 1]]
    chosen: list[int | np.integer] = list(np.flatnonzero(ranks < cut))
    last = np.flatnonzero(ranks == cut)
    if violations is not None and np.all(np.asarray(violations)[last] > 0):
        order = np.argsort(np.asarray(violations)[last], kind="stable")
        chosen.extend(last[order[: k - len(chosen)]])
        return np.sort(np.array(chosen, dtype=np.int64))
    pool = np.array(chosen + list(last), dtype=np.int64)
    Fn = normalize_objectives(losses[pool])
    ref_of, dist = associate(Fn, refs)
    n_chosen = len(chosen)
    niche = np.bincount(ref_of[:n_chosen], minlength=len(refs)).astype(float)
    cand = list(range(n_chosen, len(pool)))  # positions in pool of the last front
    alive = np.ones(len(refs), dtype=bool)
    while len(chosen) < k and cand:
        counts = np.where(alive, niche, np.inf)
        lowest = np.flatnonzero(counts == counts.min())
        j = int(lowest[rng.integers(len(lowest))])
        members = [c for c in cand if ref_of[c] == j]
        if not members:
            alive[j] = False
            continue
        if niche[j] == 0:
            pick = min(members, key=lambda c: dist[c])
        else:
            pick = members[int(rng.integers(len(members)))]
        chosen.append(int(pool[pick]))
        cand.remove(pick)
        niche[j] += 1
    return np.sort(np.array(chosen, dtype=np.int64))


# -- the samplers ---------------------------------------------------------------------------
def _check_int(cls: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{cls}({name}={value!r}): give an int >= {low}")
    return int(value)


def _check_prob(cls: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{cls}({name}={value!r}): give a probability in [0, 1]")
    return float(value)


class NSGAIISampler(Sampler):
    """NSGA-II with constraint domination and type-aware variation (see the module docstring).

    Args:
        population_size: Trials per generation and survivors per selection.
        crossover: ``"sbx"`` (simulated binary, default), ``"blx"`` (BLX-0.5) or ``"uniform"``
            for numeric genes; categorical genes always cross over uniformly.
        crossover_prob: Probability that a child is a crossover of two parents (else a copy
            of the first, then mutated).
        mutation_prob: Per-gene mutation probability; ``None``: ``1 / number of genes``.
        seed: An int, a numpy Generator, or ``None``.

    Constraints come from the study (``create_study(constraints=...)``): they are read from
    each trial's stored ``"constraints"``.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(directions=["minimize", "minimize"],
        ...                         sampler=NSGAIISampler(population_size=10, seed=0))
        >>> def f(t):
        ...     x = t.suggest_float("x", 0, 1)
        ...     return x, (1 - x) ** 2
        >>> study.optimize(f, n_trials=30)
        >>> len(study.best_trials) > 3
        True
    """

    _name = "NSGAIISampler"

    def __init__(
        self,
        *,
        population_size: int = 50,
        crossover: str = "sbx",
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        seed: SeedLike = None,
    ) -> None:
        cls = self._name
        self._pop = _check_int(cls, "population_size", population_size, 2)
        if crossover not in _CROSSOVERS:
            raise ValueError(f"{cls}(crossover={crossover!r}): use one of {list(_CROSSOVERS)}")
        self._crossover = crossover
        self._pc = _check_prob(cls, "crossover_prob", crossover_prob)
        self._pm = None if mutation_prob is None else _check_prob(cls, "mutation_prob",
                                                                   mutation_prob)
        super().__init__(seed)
        self._reset()

    def _reset(self) -> None:
        # generation -> (fingerprint of the trials it was selected from, parents); _parents
        self._pops: dict[int, tuple[tuple, list[FrozenTrial]]] = {}
        # (trial id, number, start time) -> the child bred for that trial (one per trial; the
        # start time tells apart trials of two studies that share ids)
        self._children: OrderedDict[tuple, dict[str, Any]] = OrderedDict()

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        self._reset()

    @property
    def population_size(self) -> int:
        return self._pop

    # -- the sampler contract -------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        """The parameters every complete trial has: proposed together (one child), so the
        whole child is stored with the trial at once; the rest go through ``sample_one``."""
        return {k: d for k, d in intersection_space(history.complete()).items()
                if not d.is_single}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        return Proposal(params={k: self.sample_one(history, trial, k, d)
                                for k, d in space.items()})

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        child = self._child(history, trial)
        gene = child.get(name)
        if gene is not None and not distribution.is_single:
            value, unit, dist = gene
            if distribution.contains(value):
                return value
            if not isinstance(distribution, Categorical) and type(dist) is type(distribution):
                return distribution.from_unit(unit)
        return distribution.sample(self._rng)

    # -- selection ------------------------------------------------------------------------
    def _select(self, losses: np.ndarray, violations: np.ndarray | None, k: int) -> np.ndarray:
        return select_nsga2(losses, violations, k)

    def _arrays(self, history: History, trials: list[FrozenTrial]
                ) -> tuple[np.ndarray, np.ndarray | None]:
        signs = np.array([history.sign(i) for i in range(len(history.directions))])
        L = np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1) * signs
        v = np.array([violation(t) for t in trials])
        return L, (v if np.any(v > 0) else None)

    def _parents(self, history: History, generation: int) -> list[FrozenTrial]:
        """The parent population of ``generation`` (see the module docstring)."""
        by_gen: dict[int, list[FrozenTrial]] = {}
        for t in history.iter_finished():
            if t.state is TrialState.COMPLETE and t.values is not None and t.params:
                g = t.number // self._pop
                if g < generation:
                    by_gen.setdefault(g, []).append(t)
        pop: list[FrozenTrial] = []
        fp: tuple = ()
        for g in range(generation):
            members = sorted(by_gen.get(g, []), key=lambda t: t.number)
            fp = (hash(fp), tuple((t.trial_id, t.values, violation(t)) for t in members))
            cached = self._pops.get(g + 1)
            if cached is not None and cached[0] == fp:
                pop = cached[1]
                continue
            pool = pop + members
            if pool:
                L, v = self._arrays(history, pool)
                keep = self._select(L, v, self._pop)
                pop = [pool[i] for i in keep]
            self._pops[g + 1] = (fp, pop)
        if len(self._pops) > 64:  # bounded memory on long studies
            for key in sorted(self._pops)[:-32]:
                del self._pops[key]
        return pop

    # -- breeding -------------------------------------------------------------------------
    def _child(self, history: History, trial: FrozenTrial) -> dict[str, Any]:
        key = (trial.trial_id, trial.number, trial.datetime_start)
        cached = self._children.get(key)
        if cached is not None:
            return cached
        generation = trial.number // self._pop
        parents = self._parents(history, generation) if generation >= 1 else []
        child = self._breed(history, parents) if parents else {}
        self._children[key] = child
        while len(self._children) > _CHILD_CACHE:
            self._children.popitem(last=False)
        return child

    def _tournament_keys(self, history: History, parents: list[FrozenTrial]
                         ) -> np.ndarray:
        """Per parent ``(rank, -diversity)`` rows; smaller is better."""
        L, v = self._arrays(history, parents)
        ranks = nondominated_sort(L, v).astype(float)
        div = np.zeros(len(parents))
        for r in np.unique(ranks):
            idx = np.flatnonzero(ranks == r)
            div[idx] = crowding_distance(L[idx])
        return np.column_stack([ranks, -div])

    def _pick(self, keys: np.ndarray) -> int:
        rng = self._rng
        n = len(keys)
        if n == 1:
            return 0
        a, b = (int(x) for x in rng.choice(n, size=2, replace=False))
        ka, kb = tuple(keys[a]), tuple(keys[b])
        if ka == kb:
            return a if rng.random() < 0.5 else b
        return a if ka < kb else b

    def _breed(self, history: History, parents: list[FrozenTrial]) -> dict[str, Any]:
        rng = self._rng
        keys = self._tournament_keys(history, parents)
        p1 = parents[self._pick(keys)]
        p2 = parents[self._pick(keys)]
        codec, space, child, _ = recombine(p1, p2, rng, pc=self._pc, crossover=self._crossover)
        dists = list(space.values())
        child = self._mutate(child, dists)
        units = codec.round_to_grid(np.nan_to_num(child, nan=0.5)[None, :])[0]
        out: dict[str, Any] = {}
        for j, (k, d) in enumerate(space.items()):
            if not np.isnan(child[j]):
                out[k] = (d.from_unit(float(child[j])), float(units[j]), d)
        return out

    def _mutate(self, u: np.ndarray, dists: list[Distribution]) -> np.ndarray:
        rng = self._rng
        u = u.copy()
        live = ~np.isnan(u) & np.array([not d.is_single for d in dists], dtype=bool)
        pm = self._pm if self._pm is not None else 1.0 / max(int(live.sum()), 1)
        for j in np.flatnonzero((rng.random(u.size) < pm) & live):
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

    def __repr__(self) -> str:
        return (f"{self._name}(population_size={self._pop}, crossover={self._crossover!r}, "
                f"crossover_prob={self._pc}, mutation_prob={self._pm}, seed={self._seed!r})")


class NSGAIIISampler(NSGAIISampler):
    """NSGA-III: NSGA-II's loop with reference-point niching for the last front (3+ objectives).

    Args:
        population_size: Trials per generation and survivors per selection.
        divisions: Das-Dennis divisions per objective axis; ``None``: the largest whose
            reference set fits in the population (:func:`default_divisions`).
        reference_points: Your own reference directions, shape ``(k, n_objectives)``,
            non-negative; overrides ``divisions``.
        crossover, crossover_prob, mutation_prob, seed: As for :class:`NSGAIISampler`.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(directions=["minimize"] * 3,
        ...                         sampler=NSGAIIISampler(population_size=10, seed=0))
        >>> def f(t):
        ...     x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
        ...     return x, y, 2 - x - y
        >>> study.optimize(f, n_trials=30)
        >>> len(study.best_trials) > 3
        True
    """

    _name = "NSGAIIISampler"

    def __init__(
        self,
        *,
        population_size: int = 50,
        divisions: int | None = None,
        reference_points: np.ndarray | None = None,
        crossover: str = "sbx",
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(population_size=population_size, crossover=crossover,
                         crossover_prob=crossover_prob, mutation_prob=mutation_prob, seed=seed)
        if divisions is not None:
            _check_int(self._name, "divisions", divisions, 1)
        if reference_points is not None:
            refs = np.asarray(reference_points, dtype=float)
            if refs.ndim != 2 or len(refs) == 0 or np.any(refs < 0) or np.any(
                    refs.sum(axis=1) <= 0) or not np.all(np.isfinite(refs)):
                raise ValueError(
                    f"{self._name}(reference_points of shape {refs.shape}): give a (k, "
                    "n_objectives) array of non-negative, non-zero directions"
                )
            reference_points = refs
        self._divisions = divisions
        self._refs_given = reference_points
        self._refs: dict[int, np.ndarray] = {}

    def _references(self, m: int) -> np.ndarray:
        if self._refs_given is not None:
            if self._refs_given.shape[1] != m:
                raise ValueError(
                    f"{self._name}(reference_points with {self._refs_given.shape[1]} columns) "
                    f"for a study with {m} objectives: give one column per objective"
                )
            return self._refs_given
        if m not in self._refs:
            p = self._divisions or default_divisions(m, self._pop)
            self._refs[m] = das_dennis(m, p)
        return self._refs[m]

    def _select(self, losses: np.ndarray, violations: np.ndarray | None, k: int) -> np.ndarray:
        if losses.shape[1] == 1:
            return select_nsga2(losses, violations, k)
        # its own stream, seeded by the pool, so a cached selection never shifts the main one
        seed = int.from_bytes(hashlib.blake2b(np.ascontiguousarray(losses).tobytes(),
                                              digest_size=8).digest(), "little")
        return select_nsga3(losses, violations, k, self._references(losses.shape[1]),
                            np.random.default_rng(seed))

    def __repr__(self) -> str:
        return (f"{self._name}(population_size={self._pop}, divisions={self._divisions}, "
                f"crossover={self._crossover!r}, seed={self._seed!r})")
