"""Quasi-Monte Carlo search: scrambled Sobol or Halton points, which cover a space more evenly
than independent random draws.

How a trial's parameters are chosen:

- The joint space is the intersection of the complete trials' spaces
  (:func:`hyperscout.space.infer.intersection_space`), its parameters in sorted name order, one
  QMC dimension each.
- Trial ``n`` gets point ``n`` of the sequence over that space, mapped through each
  distribution's ``from_unit``. The index is the trial number, so the choice needs no shared
  counter: it is deterministic, the same on every thread or worker, and writes nothing.
- Parameters outside the joint space (every parameter of a study's first trials, before a trial
  is complete, and conditional parameters) are drawn uniformly at random from the sampler's
  generator, like :class:`~hyperscout.samplers.RandomSampler`.

The scrambling seed is drawn once from the sampler's generator (``seed`` makes it reproducible)
and stored with each jointly sampled trial (``system_attrs["sampler:qmc_seed"]``); a sampler
that finds a seed in the history uses the first complete trial's one, so workers of a
distributed study without a common ``seed`` still walk one sequence.

scipy is imported when the first joint point is drawn, not when the sampler is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Distribution
from hyperscout.space.infer import intersection_space
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

QMC_SEED_KEY = "qmc_seed"
_SEED_ATTR = "sampler:" + QMC_SEED_KEY
_TYPES = ("sobol", "halton")


class QMCSampler(Sampler):
    """Scrambled Sobol or Halton sequences over the study's joint space (via ``scipy.stats.qmc``).

    Args:
        qmc_type: ``"sobol"`` (default) or ``"halton"``.
        scramble: Randomise the sequence (Owen scrambling for Sobol, permutations for Halton).
            Without it, Sobol's first point is the space's lower corner.
        seed: An int (reproducible), a numpy Generator, or ``None``; seeds the scrambling and the
            random draws for parameters outside the joint space.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(sampler=hs.samplers.QMCSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2
        ...                + t.suggest_int("n", 1, 8), n_trials=16)
        >>> study.best_value < 5
        True
    """

    def __init__(
        self,
        qmc_type: Literal["sobol", "halton"] = "sobol",
        scramble: bool = True,
        seed: SeedLike = None,
    ) -> None:
        if qmc_type not in _TYPES:
            raise ValueError(
                f"QMCSampler(qmc_type={qmc_type!r}): use one of {', '.join(map(repr, _TYPES))}"
            )
        if not isinstance(scramble, (bool, np.bool_)):
            raise TypeError(f"QMCSampler(scramble={scramble!r}): scramble must be True or False")
        self._qmc_type = qmc_type
        self._scramble = bool(scramble)
        super().__init__(seed)
        self._draw_qmc_seed()

    def reseed(self, seed: SeedLike) -> None:
        """Restart from ``seed``: a new scrambling and a new random stream."""
        super().reseed(seed)
        self._draw_qmc_seed()

    def _draw_qmc_seed(self) -> None:
        self._qmc_seed = int(self._rng.integers(2**31))
        # (qmc_seed, dimension) -> points generated so far; extended by doubling
        self._points: dict[tuple[int, int], np.ndarray] = {}
        self._space_cache: tuple[FrozenTrial | None, int, dict[str, Distribution]] = (None, 0, {})

    # -- the sampler contract ---------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        """The parameters every complete trial has, with the same distribution (sorted names)."""
        space = self._intersection(history.complete())
        return {n: space[n] for n in sorted(space) if not space[n].is_single}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        names = list(space)
        if not names:
            return Proposal()
        seed = self._study_seed(history)
        u = self.point(trial.number, len(names), seed)
        params = {n: space[n].from_unit(float(x)) for n, x in zip(names, u)}
        return Proposal(params=params, state={QMC_SEED_KEY: seed})

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return distribution.sample(self._rng)

    # -- the sequence -----------------------------------------------------------------------
    def point(self, index: int, dim: int, qmc_seed: int | None = None) -> np.ndarray:
        """Point ``index`` (0-based) of the ``dim``-dimensional sequence, in ``[0, 1)^dim``.

        Example:
            >>> s = QMCSampler(seed=0)
            >>> bool(((s.point(3, 2) >= 0) & (s.point(3, 2) < 1)).all())
            True
            >>> bool((s.point(3, 2) == QMCSampler(seed=0).point(3, 2)).all())
            True
        """
        if index < 0 or dim < 1:
            raise ValueError(f"point(index={index}, dim={dim}): need index >= 0 and dim >= 1")
        seed = self._qmc_seed if qmc_seed is None else int(qmc_seed)
        key = (seed, dim)
        pts = self._points.get(key)
        if pts is None or len(pts) <= index:
            n = 1 << max(4, int(index).bit_length())  # a power of 2 > index (Sobol balance)
            pts = self._generate(n, dim, seed)
            self._points[key] = pts
        return pts[index].copy()

    def _generate(self, n: int, dim: int, seed: int) -> np.ndarray:
        """The first ``n`` points of the sequence (``n`` a power of 2), shape ``(n, dim)``."""
        from scipy.stats import qmc

        cls = qmc.Sobol if self._qmc_type == "sobol" else qmc.Halton
        try:
            engine = cls(dim, scramble=self._scramble, rng=np.random.default_rng(seed))
        except TypeError:  # scipy < 1.15 names it seed
            engine = cls(dim, scramble=self._scramble, seed=np.random.default_rng(seed))
        return np.asarray(engine.random(n), dtype=float)  # n a power of 2: Sobol does not warn

    # -- helpers ----------------------------------------------------------------------------
    def _study_seed(self, history: History) -> int:
        """The scrambling seed of the study's first complete jointly sampled trial, else ours."""
        for t in history.complete():
            seed = t.system_attrs.get(_SEED_ATTR)
            if isinstance(seed, int) and not isinstance(seed, bool):
                return seed
        return self._qmc_seed

    def _intersection(self, complete: list[FrozenTrial]) -> dict[str, Distribution]:
        """``intersection_space(complete)``, folding in only the trials added since the last
        call (complete trials are append-only within a study)."""
        first, n_seen, space = self._space_cache
        if not complete:
            return {}
        if first is not complete[0] or n_seen > len(complete):
            first, n_seen, space = complete[0], 0, {}
        if n_seen == 0:
            space = intersection_space(complete)
        elif n_seen < len(complete) and space:
            space = intersection_space([_as_trial(space), *complete[n_seen:]])
        self._space_cache = (first, len(complete), space)
        return space

    def __repr__(self) -> str:
        return (f"QMCSampler(qmc_type={self._qmc_type!r}, scramble={self._scramble}, "
                f"seed={self._seed!r})")


def _as_trial(space: dict[str, Distribution]) -> FrozenTrial:
    """A stand-in trial carrying ``space``, to fold it into ``intersection_space``."""
    return FrozenTrial.build(number=-1, trial_id=-1, state=TrialState.COMPLETE,
                             distributions=dict(space))
