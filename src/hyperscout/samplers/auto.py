"""AutoSampler: the default strategy; picks a sampler per trial from the space and the history.

The rule (evaluated for every new trial, from the history alone, so it is deterministic and the
same on every worker):

1. Several objectives (``_choose_multi``):

   a. a conditional space -> multi-objective TPE (the only one that models parameter groups);
   b. a flat space of at most ``gp_max_dims`` encoded columns with fewer than
      ``mo_gp_max_trials`` complete trials -> :class:`~hyperscout.samplers.ParEGOSampler`
      (GP with random Chebyshev scalarisations: the most sample-efficient for small budgets);
   c. afterwards, or for larger spaces: 2 objectives ->
      :class:`~hyperscout.samplers.NSGAIISampler`, 3 or more ->
      :class:`~hyperscout.samplers.NSGAIIISampler` (reference-point niching keeps a
      many-objective front spread). Their parents are selected from every earlier trial,
      including the GP's, so the switch keeps what was found.

   Constraints (``create_study(constraints=...)``) are honoured by all three. The numbers
   behind this rule are in ``benchmarks/RESULTS.md`` (multi-objective section).
2. A conditional space (some finished or running trial lacks a parameter another one has) ->
   TPE, which models each group of co-occurring parameters on the trials that have it.
3. A large joint space (more than ``gp_max_dims`` columns once categoricals are one-hot
   encoded) -> TPE.
4. At least ``gp_max_trials`` complete trials -> TPE (its cost per suggestion stays small as the
   study grows, where a GP's does not).
5. Otherwise -> :class:`~hyperscout.samplers.GPSampler` (its first ``n_startup_trials`` points
   are a scrambled Sobol design), the most sample-efficient choice for small budgets over flat
   mixed spaces.

   Optionally (``tpe_share > 0``, off by default) a share of these trials goes to TPE while the
   GP's latest fit calls the scores noisy or rugged: its noise variance is above
   ``tpe_min_noise_ratio`` (default 1e-3) of its signal variance. CV scores and rugged functions
   fit 1e-2 or more, smooth deterministic functions ~1e-6, so these stay with the GP alone. The
   turns are spread evenly by trial number, so parallel workers agree on them: the
   ``(number + 1)``-th trial is TPE's when ``floor(k * tpe_share)`` steps up at
   ``k = number + 1`` (every other trial for 0.5), and TPE's turns start once the GP has fitted
   once. The idea: TPE's density ratio is not misled by step-like or noisy scores, where a GP's
   expected improvement can stall on a plateau, and the two models see each other's points.
   Measured (``benchmarks/RESULTS.md``, issue 3) with ``tpe_share=0.5`` and
   ``gp_options={"lengthscale_prior": "inverse-square"}``: better than the GP alone on the
   14-task subset (sequential 0.308 vs 0.341, batch 0.269 vs 0.322), but level on the 16 held-out
   tasks (0.342 vs 0.331) and on all 30 sequentially (0.314 vs 0.324, seed std 0.05-0.07; batch
   not run on all 30), so it is not the default.

Every sampler sees the whole history, so a switch loses nothing. The choice for a trial is
stored with it (``system_attrs["sampler:auto"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.gp import GPSampler
from hyperscout.samplers.tpe import TPESampler
from hyperscout.space.distributions import Categorical, Distribution
from hyperscout.trial.record import FrozenTrial


def is_conditional(history: History) -> bool:
    """Whether the trials so far disagree on which parameters they have."""
    keys: frozenset[str] | None = None
    for t in history.iter_finished():
        if not t.params:
            continue
        k = frozenset(t.params)
        if keys is None:
            keys = k
        elif k != keys:
            return True
    return False


def encoded_width(space: Mapping[str, Distribution]) -> int:
    """Columns of the space once categoricals are one-hot encoded."""
    return sum(d.n_values if isinstance(d, Categorical) else 1 for d in space.values())


class AutoSampler(Sampler):
    """The default sampler: GP-based BO for small flat spaces, TPE for the rest (see the module
    docstring for the rule).

    Args:
        seed: Seeds the inner samplers (each gets its own child stream).
        gp_max_trials: Complete trials after which TPE takes over from the GP.
        gp_max_dims: Largest one-hot-encoded space the GP is used for.
        mo_gp_max_trials: Complete trials of a multi-objective study after which NSGA-II/III
            take over from the ParEGO GP.
        tpe_share: Fraction of the trials of rule 5 (after the GP's start-up) given to TPE,
            interleaved by trial number so parallel workers agree (0, the default, runs the GP
            alone; 0.5 is the measured setting).
        tpe_min_noise_ratio: TPE gets its share only while the GP's latest fit has a noise
            variance above this fraction of its signal variance (noisy or rugged scores); a
            smooth deterministic objective stays with the GP alone.
        gp_options: Keyword arguments for the inner :class:`GPSampler` (e.g.
            ``{"lengthscale_prior": "inverse-square"}``); ``seed`` is AutoSampler's.
        tpe_options: Keyword arguments for the inner :class:`TPESampler`.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(sampler=AutoSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
        >>> study.trials[-1].system_attrs["sampler:auto"]
        'gp'
    """

    def __init__(
        self, seed: SeedLike = None, *, gp_max_trials: int = 250, gp_max_dims: int = 24,
        mo_gp_max_trials: int = 150, tpe_share: float = 0.0, tpe_min_noise_ratio: float = 1e-3,
        gp_options: Mapping[str, Any] | None = None,
        tpe_options: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(gp_max_trials, bool) or not isinstance(gp_max_trials, int) or (
            gp_max_trials < 1
        ):
            raise ValueError(f"AutoSampler(gp_max_trials={gp_max_trials!r}): use an int >= 1")
        if isinstance(gp_max_dims, bool) or not isinstance(gp_max_dims, int) or gp_max_dims < 1:
            raise ValueError(f"AutoSampler(gp_max_dims={gp_max_dims!r}): use an int >= 1")
        if isinstance(mo_gp_max_trials, bool) or not isinstance(mo_gp_max_trials, int) or (
            mo_gp_max_trials < 0
        ):
            raise ValueError(
                f"AutoSampler(mo_gp_max_trials={mo_gp_max_trials!r}): use an int >= 0"
            )
        self.gp_max_trials = gp_max_trials
        self.gp_max_dims = gp_max_dims
        if isinstance(tpe_share, bool) or not isinstance(tpe_share, (int, float)) or not (
            0.0 <= tpe_share <= 1.0
        ):
            raise ValueError(f"AutoSampler(tpe_share={tpe_share!r}): give a fraction in [0, 1] "
                             "(0 runs the GP alone)")
        if isinstance(tpe_min_noise_ratio, bool) or not isinstance(
            tpe_min_noise_ratio, (int, float)
        ) or not tpe_min_noise_ratio >= 0:
            raise ValueError(f"AutoSampler(tpe_min_noise_ratio={tpe_min_noise_ratio!r}): give a "
                             "number >= 0 (e.g. 1e-3; 0 gives TPE its share whatever the GP fits)")
        self.mo_gp_max_trials = mo_gp_max_trials
        self.tpe_min_noise_ratio = float(tpe_min_noise_ratio)
        self.tpe_share = float(tpe_share)
        self.gp_options = dict(gp_options or {})
        self.tpe_options = dict(tpe_options or {})
        for name, options in (("gp_options", self.gp_options), ("tpe_options", self.tpe_options)):
            if "seed" in options:
                raise ValueError(f"AutoSampler({name}={{'seed': ...}}): the inner samplers are "
                                 "seeded from AutoSampler(seed=...); leave 'seed' out")
        self.reseed(seed)  # builds the inner samplers: a bad option fails here, named by them

    def reseed(self, seed: SeedLike) -> None:
        super().reseed(seed)
        # child seeds: SeedSequences spawned from seed, or ints drawn from a Generator
        gp_seed: int | np.random.SeedSequence
        tpe_seed: int | np.random.SeedSequence
        mo_seeds: list[int] | list[np.random.SeedSequence]
        if isinstance(seed, (int, np.integer, np.random.SeedSequence)) or seed is None:
            ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
            gp_seed, tpe_seed, *mo_seeds = ss.spawn(5)
        else:  # a Generator: derive the children's seeds from it
            gp_seed, tpe_seed, *mo_seeds = (int(x) for x in self._rng.integers(2**63, size=5))
        from hyperscout.samplers.gp import ParEGOSampler
        from hyperscout.samplers.nsga import NSGAIIISampler, NSGAIISampler

        self._samplers: dict[str, Sampler] = {
            "gp": GPSampler(seed=gp_seed, **self.gp_options),
            "tpe": TPESampler(seed=tpe_seed, **self.tpe_options),
            "parego": ParEGOSampler(seed=mo_seeds[0]),
            "nsga2": NSGAIISampler(seed=mo_seeds[1]),
            "nsga3": NSGAIIISampler(seed=mo_seeds[2]),
        }
        self._last: tuple[History, str] | None = None

    def choose(self, history: History, trial: FrozenTrial | None = None) -> str:
        """The name of the sampler to use next for this history: ``"gp"`` or ``"tpe"``; for
        several objectives ``"parego"``, ``"nsga2"``, ``"nsga3"`` or ``"tpe"``. With ``trial``,
        also applies ``tpe_share`` to that trial (by its number, so every worker agrees)."""
        return self._with_share(self._choose_for_history(history), history, trial)

    def _choose_for_history(self, history: History) -> str:
        """Rules 1-5 of the module docstring, without the share (the same for every trial of
        the snapshot)."""
        if history.is_multi_objective:
            return self._choose_multi(history)
        if is_conditional(history):
            return "tpe"
        if encoded_width(history.distributions()) > self.gp_max_dims:
            return "tpe"
        if history.n_complete >= self.gp_max_trials:
            return "tpe"
        return "gp"

    def _with_share(self, name: str, history: History, trial: FrozenTrial | None) -> str:
        """``name`` (rules 1-5), or ``"tpe"`` where rule 5's GP trial is one of TPE's turns."""
        gp = self._samplers["gp"]
        assert isinstance(gp, GPSampler)
        if (name != "gp" or trial is None or self.tpe_share <= 0
                or history.n_complete < gp.n_startup_trials):
            return name
        # the (number + 1)-th trial goes to TPE when floor(k * share) steps up at k, which
        # spreads TPE's turns evenly (every 2nd trial for 0.5, every 3rd for 1/3), if the GP's
        # latest fit says the scores are noisy or rugged
        k = trial.number + 1
        noise = gp.last_noise_ratio
        if (np.floor(k * self.tpe_share) != np.floor((k - 1) * self.tpe_share)
                and noise is not None and noise > self.tpe_min_noise_ratio):
            return "tpe"
        return name

    def _choose_multi(self, history: History) -> str:
        if is_conditional(history):
            return "tpe"
        small = encoded_width(history.distributions()) <= self.gp_max_dims
        if small and history.n_complete < self.mo_gp_max_trials:
            return "parego"
        return "nsga3" if len(history.directions) >= 3 else "nsga2"

    def _inner(self, history: History, trial: FrozenTrial | None = None) -> tuple[str, Sampler]:
        # the study calls infer_space, sample_joint and sample_one with the same snapshot, so
        # the history's rules run once per snapshot and only the share is applied per trial
        # compare the snapshot itself, not its id(): a new snapshot may reuse a freed one's id
        if self._last is not None and self._last[0] is history:
            name = self._last[1]
        else:
            name = self._choose_for_history(history)
            self._last = (history, name)
        name = self._with_share(name, history, trial)
        return name, self._samplers[name]

    def infer_space(self, history: History) -> dict[str, Distribution]:
        # the share only picks between the GP and TPE, which infer the same flat space
        return self._inner(history)[1].infer_space(history)

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        name, inner = self._inner(history, trial)
        prop = inner.sample_joint(history, trial, space)
        return Proposal(params=prop.params, state={**prop.state, "auto": name})

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return self._inner(history, trial)[1].sample_one(history, trial, name, distribution)

    def __repr__(self) -> str:
        return (f"AutoSampler(seed={self._seed!r}, gp_max_trials={self.gp_max_trials}, "
                f"gp_max_dims={self.gp_max_dims}, mo_gp_max_trials={self.mo_gp_max_trials}, "
                f"tpe_share={self.tpe_share}, tpe_min_noise_ratio={self.tpe_min_noise_ratio}, "
                f"gp_options={self.gp_options!r}, "
                f"tpe_options={self.tpe_options!r})")

