"""TPESampler: the thin policy around the Parzen estimators of :mod:`.parzen` and :mod:`.split`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.multiobjective.constraints import violation
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.tpe.parzen import Column, ParzenEstimator, fit_parzen
from hyperscout.samplers.tpe.split import (
    age_weights,
    default_gamma,
    default_gamma_multiobjective,
    split_below,
)
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.space.infer import group_spaces
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_MODELLED = (TrialState.COMPLETE, TrialState.PRUNED)
_MAX_CACHED_SPACES = 512
_MAX_BAD = 1000  # bad-group observations modelled at most (the newest): bounded cost per call


class TPESampler(Sampler):
    """Tree-structured Parzen estimator: propose where good trials are dense and bad ones are not.

    After ``n_startup_trials`` random trials, the finished trials are split into a good group
    (the best ``gamma(n)``) and a bad group (the rest, plus running trials: *constant liar*).
    A Parzen estimator is fitted to each, ``l(x)`` and ``g(x)``; ``n_ei_candidates`` points are
    drawn from ``l`` and the one with the largest ``log l(x) - log g(x)`` is proposed (the
    density ratio is monotone in expected improvement, Bergstra et al. 2011).

    The modelling choices, all in the codec's unit cube (see :mod:`hyperscout.samplers.tpe.parzen`):

    - **Joint (multivariate)** kernels by default: one product kernel per trial over all the
      parameters of a group, so interactions between parameters are modelled. With
      ``multivariate=False`` every parameter gets its own one-dimensional model.
    - **Conditional spaces** (``group=True``): parameters that always occur together
      (:func:`~hyperscout.space.infer.group_spaces`) form a group, modelled jointly on the trials
      that have it, with its own good/bad split. A parameter no finished trial has yet is drawn
      by a one-dimensional model (``sample_one``).
    - **Types**: truncated Gaussians on ``[0, 1]`` for floats (log scales are linear in the
      codec), Gaussian mass integrated over each grid cell for ints and stepped floats (no
      rounding), Aitchison-Aitken kernels for categoricals.
    - **Bandwidth** (``bandwidth="neighbor"``, default): each kernel is as wide as the larger gap
      to its neighbours in that coordinate (hyperopt's and Optuna's rule); ``"scott"``: Scott's
      rule per coordinate. Widths are clipped to ``[1 / min(100, n + 2), 1]`` for ``n``
      observations (the "magic clip"), grid columns to at least a quarter of a cell.
      A fixed small clip for the good group (0.05, near Watanabe 2023's recommendation)
      exploits better on smooth synthetic functions (13 functions x 40 seeds) but lost to the
      magic clip on cross-validated scikit-learn tasks (8 tasks x 8 seeds: normalised score
      0.48 vs 0.32, Optuna 0.35; it re-samples plateaus and locks onto categorical
      combinations), so the default keeps the magic clip.
    - **Prior**: a uniform component of weight ``prior_weight`` (a full observation weighs 1),
      so ``l`` and ``g`` are positive everywhere and some candidates always explore.
    - **Split** ``gamma``: ``min(ceil(0.1 n), 25)`` good trials for one objective;
      ``ceil(0.1 n)`` by non-domination rank and hypervolume contribution for several (MOTPE).
      Complete trials rank first; pruned ones after, by the step they reached, then the value
      reported there; failed trials are ignored.
    - **Old trials**: ``weights(n)`` weighs the ``n`` trials of each group, oldest first
      (default :func:`~hyperscout.samplers.tpe.split.age_weights`: the newest 25 weigh 1, older
      ones less).

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.
        n_startup_trials: Random trials before the model is used (complete + pruned count,
            and with ``constant_liar`` the other running trials too).
        n_ei_candidates: Candidates drawn from ``l(x)`` per proposal.
        multivariate: Joint kernels over each group of parameters (else one model per parameter).
        group: Split conditional spaces into groups of co-occurring parameters; with
            ``False`` only the parameters every trial has are modelled jointly.
        gamma: ``n -> size of the good group``; default see above.
        prior_weight: Weight of the uniform prior component (> 0).
        bandwidth: ``"neighbor"`` or ``"scott"``.
        weights: ``n -> (n,) non-negative weights``, oldest trial first; ``None`` for all 1.
        constant_liar: Count running trials (other than the one being sampled) as bad
            observations, so parallel workers do not propose the same point; they then also
            count in the good/bad split size and towards ``n_startup_trials`` (as in Optuna).
            Rounds of 8 parallel suggestions, 14 tasks x 5 seeds: score 0.374 with this
            counting, 0.451 without it (``benchmarks/RESULTS.md``, issue 3).

    Example:
        >>> import hyperscout as hs
        >>> sampler = hs.samplers.TPESampler(seed=0)
        >>> study = hs.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=40)
        >>> study.best_value < 0.05
        True
    """

    def __init__(
        self,
        seed: SeedLike = None,
        *,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        group: bool = True,
        gamma: Callable[[int], int] | None = None,
        prior_weight: float = 1.0,
        bandwidth: str = "neighbor",
        weights: Callable[[int], np.ndarray] | None = age_weights,
        constant_liar: bool = True,
    ) -> None:
        super().__init__(seed)
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or (
            n_startup_trials < 0
        ):
            raise ValueError(
                f"TPESampler(n_startup_trials={n_startup_trials!r}): use an int >= 0 (e.g. 10)"
            )
        if isinstance(n_ei_candidates, bool) or not isinstance(n_ei_candidates, int) or (
            n_ei_candidates < 1
        ):
            raise ValueError(
                f"TPESampler(n_ei_candidates={n_ei_candidates!r}): use an int >= 1 (e.g. 24)"
            )
        if not (isinstance(prior_weight, (int, float)) and math.isfinite(prior_weight)
                and prior_weight > 0):
            raise ValueError(
                f"TPESampler(prior_weight={prior_weight!r}): use a finite number > 0 (e.g. 1.0)"
            )
        if bandwidth not in ("neighbor", "scott"):
            raise ValueError(f"TPESampler(bandwidth={bandwidth!r}): use 'neighbor' or 'scott'")
        if gamma is not None and not callable(gamma):
            raise TypeError(f"TPESampler(gamma={gamma!r}): give a function n -> int, or None")
        if weights is not None and not callable(weights):
            raise TypeError(f"TPESampler(weights={weights!r}): give a function n -> array, or None")
        self._n_startup = n_startup_trials
        self._n_candidates = n_ei_candidates
        self._multivariate = bool(multivariate)
        self._group = bool(group)
        self._gamma = gamma
        self._prior_weight = float(prior_weight)
        self._bandwidth = bandwidth
        self._weights = weights
        self._constant_liar = bool(constant_liar)
        self._records = _Records()
        self._space_cache: dict[tuple, tuple[tuple, SpaceCodec, list[Column]]] = {}

    def __repr__(self) -> str:
        return (
            f"TPESampler(seed={self._seed!r}, n_startup_trials={self._n_startup}, "
            f"multivariate={self._multivariate}, constant_liar={self._constant_liar})"
        )

    # -- the sampler contract ---------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        if not self._multivariate:
            return {}
        rec = self._sync(history)
        if not self._past_startup(rec, history):
            return {}
        out: dict[str, Distribution] = {}
        for g in self._joint_groups(rec):
            out.update({k: d for k, d in g.items() if not d.is_single})
        return out

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        rec = self._sync(history)
        if not self._past_startup(rec, history) or not space:
            return Proposal()
        params: dict[str, Any] = {}
        for g in self._joint_groups(rec):
            sub = {k: space[k] for k in g if k in space and not space[k].is_single}
            if sub:
                params.update(self._propose(rec, history, trial, sub))
        return Proposal(params)

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if distribution.is_single:
            return distribution.from_unit(0.5)
        rec = self._sync(history)
        if not self._past_startup(rec, history):
            return distribution.sample(self._rng)
        return self._propose(rec, history, trial, {name: distribution})[name]

    # -- internals --------------------------------------------------------------------------
    @staticmethod
    def _n_lied(history: History) -> int:
        """Running trials other than the one being sampled (it is running too)."""
        return max(len(history.running) - 1, 0)

    def _past_startup(self, rec: _Records, history: History) -> bool:
        """Whether the model is used: ``n_startup_trials`` finished trials, counting the other
        running ones under the constant liar (batch 8 with 10 start-up trials: 10 random
        suggestions, not 16), and at least one finished."""
        lied = self._n_lied(history) if self._constant_liar else 0
        return rec.n > 0 and rec.n + lied >= self._n_startup

    def _sync(self, history: History) -> _Records:
        self._records.sync(history)
        return self._records

    def _joint_groups(self, rec: _Records) -> list[dict[str, Distribution]]:
        if self._group:
            return rec.groups()
        return [rec.intersection()]

    def _space(
        self, space: dict[str, Distribution]
    ) -> tuple[tuple, tuple, SpaceCodec, list[Column]]:
        """``(key, items, codec, columns)`` of a space; the key uses the distributions' ids
        (hashing a categorical's choices on every suggestion is slow), and the cached items
        keep those objects alive so an id is never reused while it is a key."""
        key = tuple((k, id(d)) for k, d in space.items())
        hit = self._space_cache.get(key)
        if hit is None:
            if len(self._space_cache) >= _MAX_CACHED_SPACES:
                self._space_cache.clear()
            hit = (tuple(space.items()), SpaceCodec(space), [column_of(d) for d in space.values()])
            self._space_cache[key] = hit
        return key, hit[0], hit[1], hit[2]

    def _propose(
        self,
        rec: _Records,
        history: History,
        trial: FrozenTrial,
        space: dict[str, Distribution],
    ) -> dict[str, Any]:
        """One TPE step on ``space``: fit l and g, draw candidates from l, keep the best ratio."""
        if not self._multivariate and len(space) > 1:
            out: dict[str, Any] = {}
            for name, dist in space.items():
                out.update(self._propose(rec, history, trial, {name: dist}))
            return out
        pe_l, pe_g, codec = self._fit(rec, history, trial, space)
        cand = pe_l.sample(self._rng, self._n_candidates)
        score = pe_l.log_pdf(cand) - pe_g.log_pdf(cand)
        return codec.decode(cand[int(np.argmax(score))])

    def _fit(
        self,
        rec: _Records,
        history: History,
        trial: FrozenTrial,
        space: dict[str, Distribution],
    ) -> tuple[ParzenEstimator, ParzenEstimator, SpaceCodec]:
        """The good and bad Parzen estimators ``(l, g)`` of ``space``, and its codec."""
        key, items, codec, columns = self._space(space)
        rows, idx = rec.encoded(key, items)
        multi = len(history.directions) > 1
        gamma = self._gamma or (default_gamma_multiobjective if multi else default_gamma)
        # constant liar: the other running trials are (bad) observations, so they count in the
        # size of the split as well (Optuna does the same)
        n_split = len(idx) + (self._n_lied(history) if self._constant_liar else 0)
        below = split_below(
            gamma(n_split), rec.complete[idx], rec.loss[idx], rec.last_step[idx],
            rec.last_value[idx], violation=rec.violation[idx] if rec.constrained else None,
        )
        numbers = rec.number[idx]
        X_l, X_g = rows[below], rows[~below]
        num_g = numbers[~below]
        if len(num_g) > _MAX_BAD:  # bounded cost: keep the newest bad observations
            keep = np.sort(np.argsort(num_g, kind="stable")[-_MAX_BAD:])
            X_g, num_g = X_g[keep], num_g[keep]
        w_l = None if multi else self._age_weights(numbers[below])
        w_g = self._age_weights(num_g)
        if self._constant_liar and history.running:
            X_run = _encode_running(history.running, trial, items)
            if len(X_run):  # running trials are the newest: full weight
                X_g = np.concatenate([X_g, X_run])
                if w_g is not None:
                    w_g = np.concatenate([w_g, np.ones(len(X_run))])
        pe_l = fit_parzen(X_l, columns, weights=w_l, prior_weight=self._prior_weight,
                          bandwidth=self._bandwidth)
        pe_g = fit_parzen(X_g, columns, weights=w_g, prior_weight=self._prior_weight,
                          bandwidth=self._bandwidth)
        return pe_l, pe_g, codec

    def _age_weights(self, numbers: np.ndarray) -> np.ndarray | None:
        if self._weights is None or len(numbers) == 0:
            return None
        w = np.asarray(self._weights(len(numbers)), dtype=float)
        if w.shape != (len(numbers),) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(
                f"TPESampler(weights=...): weights({len(numbers)}) returned {w!r}; it must return "
                f"{len(numbers)} finite non-negative numbers"
            )
        out = np.empty_like(w)
        out[np.argsort(numbers, kind="stable")] = w
        return out


def column_of(dist: Distribution) -> Column:
    """The Parzen column kind TPE models ``dist`` with (shared by the multi-fidelity and
    transfer samplers)."""
    if isinstance(dist, Categorical):
        return Column.categorical(len(dist.choices))
    if isinstance(dist, Int):
        return Column.discrete(dist.n_values, log_low=dist.low if dist.log else None)
    if isinstance(dist, Float) and dist.step is not None:
        return Column.discrete(round((dist.high - dist.low) / dist.step) + 1)
    return Column.continuous()


def _accepts(dist: Distribution, trial_dist: Distribution | None, value: Any) -> bool:
    """Whether a trial's value for a parameter can be modelled under ``dist``."""
    if trial_dist is dist or trial_dist == dist:
        return True
    if isinstance(dist, Categorical) or trial_dist is None:
        return False
    return type(trial_dist) is type(dist) and dist.contains(value)


def _encode_row(t: FrozenTrial, items: tuple) -> list[float] | None:
    params = t.params
    dists = t.distributions
    row = []
    for name, dist in items:
        if name not in params:
            return None
        v = params[name]
        if not _accepts(dist, dists.get(name), v):
            return None
        row.append(dist.to_unit(v))
    return row


def _encode_running(
    running: tuple[FrozenTrial, ...], trial: FrozenTrial, items: tuple
) -> np.ndarray:
    rows = []
    for t in running:
        if t.number == trial.number:
            continue
        row = _encode_row(t, items)
        if row is not None:
            rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(items))


class _Grow:
    """An append-only numpy buffer (amortised doubling)."""

    def __init__(self, width: int | None, dtype: Any = float, fill: Any = 0) -> None:
        self._w = width
        self._fill = fill
        shape = (16,) if width is None else (16, width)
        self._a = np.full(shape, fill, dtype=dtype)
        self.n = 0

    def append(self, row: Any) -> None:
        if self.n == len(self._a):
            grown = np.full((2 * self.n, *self._a.shape[1:]), self._fill, dtype=self._a.dtype)
            grown[: self.n] = self._a
            self._a = grown
        self._a[self.n] = row
        self.n += 1

    @property
    def view(self) -> np.ndarray:
        return self._a[: self.n]


class _Encoded:
    """Unit-space rows of the records that have every parameter of one space."""

    def __init__(self, width: int, items: tuple) -> None:
        self.items = items  # keeps the distributions whose ids are in the key alive
        self.rows = _Grow(width)
        self.idx = _Grow(None, dtype=np.int64)
        self.n_done = 0


class _Records:
    """Complete and pruned trials of a history, ingested once each (finished trials never
    change, and a study's finished list only grows), with per-space encodings cached."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.trials: list[FrozenTrial] = []
        self._n_seen = 0
        self._first: FrozenTrial | None = None
        self._last: FrozenTrial | None = None
        self._signs: tuple[float, ...] = ()
        self._complete = _Grow(None, dtype=bool, fill=False)
        self._loss: _Grow | None = None
        self._step = _Grow(None, dtype=np.int64, fill=-1)
        self._value = _Grow(None)
        self._number = _Grow(None, dtype=np.int64)
        self._violation = _Grow(None)  # constraint violation (0 = feasible or unconstrained)
        self.constrained = False
        self._signatures: dict[frozenset[str], FrozenTrial] = {}
        self._latest: dict[str, Distribution] = {}
        self._groups: list[dict[str, Distribution]] | None = None
        self._encoded: dict[tuple, _Encoded] = {}

    @property
    def n(self) -> int:
        return len(self.trials)

    def sync(self, history: History) -> None:
        fin = history.finished()
        n = len(fin)
        signs = tuple(history.sign(i) for i in range(len(history.directions)))
        if self._n_seen and (
            n < self._n_seen
            or fin[0] is not self._first
            or fin[self._n_seen - 1] is not self._last
            or signs != self._signs
        ):
            self._reset()
        if not self._n_seen:
            self._signs = signs
            self._loss = _Grow(len(signs))
        for t in fin[self._n_seen:]:
            if t.state in _MODELLED:
                self._ingest(t)
        if n:
            self._first, self._last = fin[0], fin[n - 1]
        self._n_seen = n

    def _ingest(self, t: FrozenTrial) -> None:
        complete = t.state is TrialState.COMPLETE and t.values is not None
        self.trials.append(t)
        self._complete.append(complete)
        assert self._loss is not None
        if complete:
            self._loss.append([s * v for s, v in zip(self._signs, t.values)])  # type: ignore[arg-type]
            self._step.append(-1)
            self._value.append(np.nan)
        else:
            self._loss.append([np.nan] * len(self._signs))
            if t.intermediate_values:
                step = max(t.intermediate_values)
                self._step.append(step)
                self._value.append(self._signs[0] * float(t.intermediate_values[step]))
            else:
                self._step.append(-1)
                self._value.append(np.nan)
        self._number.append(t.number)
        v = violation(t) if complete else 0.0
        self._violation.append(v)
        self.constrained = self.constrained or v > 0
        sig = frozenset(t.distributions)
        if sig not in self._signatures:
            self._signatures[sig] = t
            self._groups = None
        for name, dist in t.distributions.items():
            if self._latest.get(name) is not dist:
                if name in self._latest and self._latest[name] != dist:
                    self._groups = None
                self._latest[name] = dist

    # array views over the records
    @property
    def complete(self) -> np.ndarray:
        return self._complete.view

    @property
    def loss(self) -> np.ndarray:
        assert self._loss is not None
        return self._loss.view

    @property
    def last_step(self) -> np.ndarray:
        return self._step.view

    @property
    def last_value(self) -> np.ndarray:
        return self._value.view

    @property
    def number(self) -> np.ndarray:
        return self._number.view

    @property
    def violation(self) -> np.ndarray:
        return self._violation.view

    def groups(self) -> list[dict[str, Distribution]]:
        """Groups of co-occurring parameters, each with its latest distributions."""
        if self._groups is None:
            groups = group_spaces(self._signatures.values())
            self._groups = [{k: self._latest[k] for k in sorted(g)} for g in groups]
        return self._groups

    def intersection(self) -> dict[str, Distribution]:
        names: set[str] | None = None
        for sig in self._signatures:
            names = set(sig) if names is None else names & sig
        return {k: self._latest[k] for k in sorted(names or ())}

    def encoded(self, key: tuple, items: tuple) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, record indices)`` of the records that have every parameter of ``items``
        (``key`` identifies ``items``, see ``TPESampler._space``)."""
        enc = self._encoded.get(key)
        if enc is None:
            if len(self._encoded) >= _MAX_CACHED_SPACES:
                self._encoded.clear()
            enc = self._encoded[key] = _Encoded(len(items), items)
        trials = self.trials
        for r in range(enc.n_done, len(trials)):
            row = _encode_row(trials[r], items)
            if row is not None:
                enc.rows.append(row)
                enc.idx.append(r)
        enc.n_done = len(trials)
        return enc.rows.view, enc.idx.view
