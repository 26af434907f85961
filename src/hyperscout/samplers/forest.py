"""Random-forest Bayesian optimisation (SMAC-style) for large, mixed and conditional spaces.

The surrogate is a scikit-learn extra-trees (or random forest) regressor on the codec's unit
encoding (:class:`~hyperscout.space.SpaceCodec`, one column per parameter); a parameter a trial
does not have (conditional spaces) is imputed with the sentinel ``-1``, below every real value, so
trees can split "absent" from "present". The predictive mean and variance are the mean and variance
of the trees' predictions, and expected improvement (EI) over them is maximised by

1. ``n_candidates`` random configurations (each with the active/absent pattern of a random observed
   trial), and
2. a local search in the one-exchange neighbourhood (one coordinate at a time: Gaussian steps for
   continuous parameters, adjacent values for integers and steps, every other choice for
   categoricals) started from the best observed configurations and the best random candidates,
   moving while EI improves.

Every ``random_interleave``-th trial is drawn at random, which keeps exploring regions the forest
is wrongly sure about. Running trials enter the model with the worst observed value (a
pessimistic constant liar), so parallel workers spread out.

Cost per suggestion is bounded: the forest is fitted on at most ``max_history`` trials (the best
half and the most recent half), with ``n_trees`` trees, and the acquisition search evaluates a
fixed number of points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr

from hyperscout._imports import optional_import
from hyperscout._rng import SeedLike
from hyperscout.history import History
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

MISSING = -1.0
"""The value that stands for an absent (inactive conditional) parameter in the forest's inputs."""
_LOCAL_SIGMA = 0.2
_CONT_SIGMAS = (0.2, 0.1, 0.03, 0.01)  # one neighbour per scale: coarse moves and refinement
_MIN_SAMPLES_SPLIT = 2
_MIN_SAMPLES_LEAF = 1
_MAX_FEATURES = 1.0
_MAX_CAT_NEIGHBOURS = 8
_MAX_LOCAL_STEPS = 20
_MODELS = ("rf", "extra_trees")


def expected_improvement(mu: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """EI of a Gaussian ``N(mu, var)`` below ``best`` (minimisation).

    Example:
        >>> round(float(expected_improvement(np.array([0.0]), np.array([1.0]), 0.0)[0]), 6)
        0.398942
    """
    sd = np.sqrt(np.maximum(var, 1e-24))
    z = (best - mu) / sd
    return (best - mu) * ndtr(z) + sd * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def transform_y(y: np.ndarray, log: bool) -> np.ndarray:
    """The forest's targets: ``y`` as is, or ``log(y - min + delta)`` to tame heavy tails.

    ``delta`` is the gap between the minimum and the 5th percentile (at least 1e-3 of the
    range), as in SMAC's log-scaled encoder: the best points keep distinct, finite values without
    ripples near the minimum being blown up into cliffs.

    Example:
        >>> transform_y(np.array([1.0, 2.0, 1001.0]), log=True).round(2).tolist()
        [0.0, 0.69, 6.91]
    """
    if not log:
        return y.astype(float)
    low = float(y.min())
    span = float(y.max()) - low
    delta = max(float(np.percentile(y, 5)) - low, 1e-3 * span, 1e-12)
    return np.log(y - low + delta)


def cap_history(trials: list[FrozenTrial], sign: float, cap: int) -> list[FrozenTrial]:
    """At most ``cap`` trials: the best ``cap // 2`` and then the latest others, by number.

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> ts = [FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE, values=[v])
        ...       for i, v in enumerate([0.0, 5.0, 1.0, 7.0, 8.0, 9.0])]
        >>> [t.number for t in cap_history(ts, 1.0, 4)]
        [0, 2, 4, 5]
    """
    if len(trials) <= cap:
        return trials
    half = cap // 2
    best = sorted(trials, key=lambda t: (sign * t.values[0], t.number))[:half]  # type: ignore
    chosen = {t.number for t in best}
    latest = [t for t in reversed(trials) if t.number not in chosen][: cap - half]
    return sorted(best + latest, key=lambda t: t.number)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"ForestSampler: {name}={value!r}; give an int >= {low}")
    return int(value)


class ForestSampler(Sampler):
    """Bayesian optimisation with a random-forest surrogate and expected improvement.

    Needs scikit-learn (``pip install 'hyperscout[sklearn]'``), imported on first use.

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.
        n_startup_trials: Random trials before the forest is used.
        n_trees: Trees in the forest.
        model: ``"extra_trees"`` (default: random split points, smoother means and more
            spread between trees) or ``"rf"`` (random forest with bootstrap, as SMAC).
        log_y: Model ``log(y - min + delta)`` (default, like SMAC's log-scaled encoder) rather
            than ``y``: the model then resolves differences among good configurations instead
            of fitting the worst ones (losses that explode, run times). ``False`` models ``y``.
        n_candidates: Random configurations scored per suggestion.
        n_local_starts: Starting points of the local search (half the best observed
            configurations, half the best random candidates).
        random_interleave: Every ``random_interleave``-th trial is random (0: never).
        max_history: Most trials the forest is fitted on (the best half and the latest half).
        constant_liar: Let running trials count as the worst value seen, so parallel workers
            don't propose the same point.

    Example:
        >>> import hyperscout as hs
        >>> hs.set_verbosity("warning")
        >>> def objective(t):
        ...     kind = t.suggest_categorical("kind", ["a", "b", "c"])
        ...     return (t.suggest_float("x", -5, 5) - 1) ** 2 + (kind != "b")
        >>> study = hs.create_study(sampler=hs.samplers.ForestSampler(seed=0))
        >>> study.optimize(objective, n_trials=30)
        >>> study.best_value < 0.5
        True
    """

    def __init__(
        self,
        seed: SeedLike = None,
        n_startup_trials: int = 10,
        n_trees: int = 10,
        model: str = "extra_trees",
        log_y: bool = True,
        n_candidates: int = 500,
        n_local_starts: int = 6,
        random_interleave: int = 5,
        max_history: int = 500,
        constant_liar: bool = True,
    ) -> None:
        super().__init__(seed)
        self._n_startup = _check_int("n_startup_trials", n_startup_trials, 0)
        self._n_trees = _check_int("n_trees", n_trees, 1)
        if model not in _MODELS:
            raise ValueError(f"ForestSampler: model={model!r}; use 'rf' or 'extra_trees'")
        self._model = model
        self._log_y = bool(log_y)
        self._n_candidates = _check_int("n_candidates", n_candidates, 1)
        self._n_local = _check_int("n_local_starts", n_local_starts, 0)
        self._interleave = _check_int("random_interleave", random_interleave, 0)
        self._max_history = _check_int("max_history", max_history, 2)
        self._liar = bool(constant_liar)
        self._union: dict[str, Distribution] = {}
        self._seen = 0
        self._last_id: int | None = None

    # -- the sampler contract -------------------------------------------------------------------
    def infer_space(self, history: History) -> dict[str, Distribution]:
        if history.is_multi_objective:
            raise NotImplementedError(
                "ForestSampler optimises a single objective; for multi-objective studies use the "
                "NSGA-II sampler (NSGAIISampler)"
            )
        if history.n_complete < max(self._n_startup, 2):
            return {}
        space = self._union_space(history)
        return {k: d for k, d in space.items() if not d.is_single}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        if not space:
            return Proposal()
        if self._interleave and trial.number % self._interleave == self._interleave - 1:
            return Proposal()  # an interleaved random configuration
        codec = SpaceCodec(space)
        X, y, X_seen = self._training_data(history, trial, codec)
        if len(y) < 2 or np.ptp(y) == 0:
            return Proposal()
        forest = self._fit(X, y)
        row = self._maximise_ei(forest, codec, X, y, X_seen)
        params = {name: dist.from_unit(float(row[j]))
                  for j, (name, dist) in enumerate(space.items()) if row[j] >= 0}
        return Proposal(params=params)

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return distribution.sample(self._rng)

    # -- data ---------------------------------------------------------------------------------
    def _union_space(self, history: History) -> dict[str, Distribution]:
        finished = history.finished()
        if self._seen > len(finished) or (
            self._seen and finished[self._seen - 1].trial_id != self._last_id
        ):
            self._union, self._seen = {}, 0
        for t in finished[self._seen:]:
            if t.state is TrialState.COMPLETE:
                self._union.update(t.distributions)
        self._seen = len(finished)
        self._last_id = finished[-1].trial_id if finished else None
        return dict(self._union)

    def _training_data(
        self, history: History, trial: FrozenTrial, codec: SpaceCodec
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encoded inputs (sentinel for absent), targets to minimise, and every seen row."""
        sign = history.sign()
        names = set(codec.names)
        trials = [t for t in history.complete()
                  if t.values is not None and np.isfinite(t.values[0]) and names & set(t.params)]
        trials = cap_history(trials, sign, self._max_history)
        X = self._encode(codec, [t.params for t in trials])
        y = transform_y(np.array([sign * t.values[0] for t in trials]),  # type: ignore[index]
                        self._log_y)
        running = [t for t in history.running
                   if t.number != trial.number and names & set(t.params)]
        X_run = self._encode(codec, [t.params for t in running])
        if self._liar and len(running) and len(y):
            X = np.vstack([X, X_run])
            y = np.concatenate([y, np.full(len(running), y.max())])
        return X, y, np.vstack([X, X_run])

    @staticmethod
    def _encode(codec: SpaceCodec, params_list: list[Mapping[str, Any]]) -> np.ndarray:
        fitted = []
        for p in params_list:
            fitted.append({k: v for k, v in p.items()
                           if k in codec.space and codec.space[k].contains(v)})
        X = codec.encode(fitted) if fitted else np.empty((0, codec.n_columns))
        return np.where(np.isnan(X), MISSING, X)

    # -- model --------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        ensemble = optional_import("sklearn.ensemble", extra="sklearn", feature="ForestSampler")
        cls = (ensemble.RandomForestRegressor if self._model == "rf"
               else ensemble.ExtraTreesRegressor)
        forest = cls(
            n_estimators=self._n_trees,
            max_features=_MAX_FEATURES if X.shape[1] > 1 else 1.0,
            min_samples_split=_MIN_SAMPLES_SPLIT,
            min_samples_leaf=_MIN_SAMPLES_LEAF,
            bootstrap=self._model == "rf",
            random_state=int(self._rng.integers(2**31 - 1)),
            n_jobs=1,
        )
        forest.fit(X, y)
        return forest

    @staticmethod
    def _predict(forest: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        preds = np.stack([tree.predict(X32, check_input=False) for tree in forest.estimators_])
        return preds.mean(axis=0), preds.var(axis=0)

    # -- acquisition --------------------------------------------------------------------------
    def _random_rows(self, codec: SpaceCodec, X: np.ndarray, n: int) -> np.ndarray:
        rng = self._rng
        R = codec.round_to_grid(rng.random((n, codec.n_columns)))
        masks = X[rng.integers(len(X), size=n)] == MISSING
        R[masks] = MISSING
        return R

    def _neighbours(self, codec: SpaceCodec, row: np.ndarray) -> np.ndarray:
        """The one-exchange neighbourhood of ``row``: one active coordinate changed at a time."""
        rng = self._rng
        out = []
        for j, dist in enumerate(codec.space.values()):
            u = row[j]
            if u == MISSING:
                continue
            if isinstance(dist, Categorical):
                cur = dist.index(dist.from_unit(u))
                others = [c for c in range(dist.n_values) if c != cur]
                if len(others) > _MAX_CAT_NEIGHBOURS:
                    others = list(rng.choice(others, _MAX_CAT_NEIGHBOURS, replace=False))
                vals = [(c + 0.5) / dist.n_values for c in others]
            elif isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None):
                v = dist.from_unit(u)
                step = 1 if isinstance(dist, Int) and dist.log else (dist.step or 1)
                vals = [dist.to_unit(w) for w in (v - step, v + step) if dist.low <= w <= dist.high]
                jump = dist.from_unit(float(np.clip(u + _LOCAL_SIGMA * rng.standard_normal(),
                                                    0, 1)))
                if jump != v:
                    vals.append(dist.to_unit(jump))
            else:
                sig = np.array(_CONT_SIGMAS)
                vals = list(np.clip(u + sig * rng.standard_normal(sig.size), 0.0, 1.0))
            for w in vals:
                nb = row.copy()
                nb[j] = w
                out.append(nb)
        return np.array(out) if out else np.empty((0, row.size))

    def _maximise_ei(self, forest: Any, codec: SpaceCodec, X: np.ndarray, y: np.ndarray,
                     X_seen: np.ndarray) -> np.ndarray:
        best = float(y.min())
        cand = self._random_rows(codec, X, self._n_candidates)
        mu, var = self._predict(forest, cand)
        ei = expected_improvement(mu, var, best)
        pool_rows, pool_ei = [cand], [ei]
        if self._n_local:
            n_obs = max(1, self._n_local // 2)
            starts = np.vstack([X[np.argsort(y, kind="stable")[:n_obs]],
                                cand[np.argsort(-ei, kind="stable")[: self._n_local - n_obs]]])
            s_mu, s_var = self._predict(forest, starts)
            cur, cur_ei = starts, expected_improvement(s_mu, s_var, best)
            active = np.ones(len(cur), dtype=bool)
            for _ in range(_MAX_LOCAL_STEPS):
                if not active.any():
                    break
                nbs, owner = [], []
                for i in np.flatnonzero(active):
                    nb = self._neighbours(codec, cur[i])
                    nbs.append(nb)
                    owner.extend([i] * len(nb))
                if not owner:
                    break
                N = np.vstack(nbs)
                owner_arr = np.array(owner)
                n_mu, n_var = self._predict(forest, N)
                n_ei = expected_improvement(n_mu, n_var, best)
                pool_rows.append(N)
                pool_ei.append(n_ei)
                for i in np.flatnonzero(active):
                    mine = np.flatnonzero(owner_arr == i)
                    k = mine[int(np.argmax(n_ei[mine]))]
                    if n_ei[k] > cur_ei[i] * (1 + 1e-9) + 1e-300:
                        cur[i], cur_ei[i] = N[k], n_ei[k]
                    else:
                        active[i] = False
            pool_rows.append(cur)
            pool_ei.append(cur_ei)
        rows = np.vstack(pool_rows)
        scores = np.concatenate(pool_ei)
        seen = {_key(r) for r in snap(codec, X_seen)}
        for k in np.argsort(-scores, kind="stable"):
            r = snap(codec, rows[k : k + 1])[0]
            if _key(r) not in seen:
                return r
        return snap(codec, self._random_rows(codec, X, 1))[0]

    def __repr__(self) -> str:
        return (f"ForestSampler(seed={self._seed!r}, n_startup_trials={self._n_startup}, "
                f"n_trees={self._n_trees}, model={self._model!r}, log_y={self._log_y})")


def snap(codec: SpaceCodec, R: np.ndarray) -> np.ndarray:
    """Snap rows onto the grid, keeping the ``MISSING`` sentinel.

    Example:
        >>> from hyperscout.space import Int
        >>> snap(SpaceCodec({"n": Int(0, 1), "m": Int(0, 1)}), np.array([[0.1, MISSING]])).tolist()
        [[0.25, -1.0]]
    """
    R = np.atleast_2d(R)
    miss = R == MISSING
    out = codec.round_to_grid(np.where(miss, 0.5, R))
    out[miss] = MISSING
    return out


def _key(row: np.ndarray) -> bytes:
    """Identity of a configuration: unit values to 1e-9, so near-duplicates compare equal."""
    return (np.round(row, 9) + 0.0).tobytes()
