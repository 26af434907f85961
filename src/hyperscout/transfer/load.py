"""The study-layer side of transfer: read prior studies once, store and compare meta-features.

This module reads storages; the policies (:class:`~hyperscout.transfer.TransferSampler`) only
ever see the immutable :class:`~hyperscout.transfer.PriorStudy` it returns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from hyperscout.storage import Storage, get_storage
from hyperscout.transfer.prior import PriorStudy
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.study.study import Study

META_KEY = "hyperscout:meta"
"""The study user attribute the meta-features are stored under."""
WARM_START_KEY = "hyperscout:warm_start"
"""The study user attribute listing the studies a study was warm-started from."""

PriorSource = Union["Study", PriorStudy, tuple[str, Any], str]


def parse_source(text: str) -> tuple[str, str | None]:
    """Split the CLI form ``NAME[@URL]`` into ``(name, url or None)``.

    Example:
        >>> parse_source("svc-wine@sqlite:///runs.db")
        ('svc-wine', 'sqlite:///runs.db')
        >>> parse_source("svc-wine")
        ('svc-wine', None)
    """
    name, sep, url = text.partition("@")
    if not name or (sep and not url):
        raise ValueError(f"--warm-start {text!r}: use NAME or NAME@STORAGE_URL")
    return name, (url or None)


def as_prior(source: PriorSource, storage: Storage | str | None = None) -> PriorStudy:
    """Read a prior study once: a :class:`~hyperscout.Study`, a ``(name, storage)`` pair, a
    name (in ``storage``), or a :class:`PriorStudy` (returned as is).

    Example:
        >>> import hyperscout as hs
        >>> store = hs.storage.InMemoryStorage()
        >>> old = hs.create_study(name="old", storage=store, seed=0)
        >>> old.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> as_prior(("old", store)).n_trials
        3
    """
    from hyperscout.study.study import Study

    if isinstance(source, PriorStudy):
        return source
    if isinstance(source, Study):
        return _read(source.storage, source.name)
    if isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], str):
        return _read(get_storage(source[1]), source[0])
    if isinstance(source, str):
        if storage is None:
            raise ValueError(f"warm_start={source!r}: a study name needs a storage; pass "
                             f"({source!r}, 'sqlite:///...') or the Study itself")
        return _read(get_storage(storage), source)
    raise TypeError(f"warm_start entry {source!r}: give a Study, a (name, storage URL) pair, "
                    "or a study name in the same storage")


def _read(store: Storage, name: str) -> PriorStudy:
    study_id = store.get_study_id(name)
    dirs = tuple(store.get_study_directions(study_id))
    if len(dirs) != 1:
        raise ValueError(f"warm_start: study {name!r} has directions={list(dirs)}; only "
                         "single-objective studies can be priors")
    trials = store.get_trials(study_id, [TrialState.COMPLETE])
    meta = store.get_study_attrs(study_id)[0].get(META_KEY) or {}
    return PriorStudy(name, dirs, tuple(trials), meta if isinstance(meta, Mapping) else {})


def check_meta(meta: Any) -> dict[str, Any]:
    """Validate meta-features: a JSON-serialisable dict of str -> number, str, bool or None."""
    if not isinstance(meta, Mapping):
        raise TypeError(f"create_study(meta={meta!r}): give a dict such as "
                        "{'n_samples': 569, 'n_features': 30, 'model': 'svc'}")
    for k, v in meta.items():
        if not isinstance(k, str):
            raise TypeError(f"create_study(meta=...): key {k!r} is not a string")
        if not (v is None or isinstance(v, (str, bool, int, float))):
            raise TypeError(f"create_study(meta=...): {k}={v!r} is not a number, string, bool "
                            "or None")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"create_study(meta=...): {k}={v!r} is not finite")
    json.dumps(dict(meta))
    return dict(meta)


def _value_similarity(a: Any, b: Any) -> float:
    if isinstance(a, bool) or isinstance(b, bool) or not (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
    ):
        return 1.0 if a == b and type(a) is type(b) else 0.0
    # numbers: the ratio on a log scale, so 1000 vs 2000 rows is as close as 10 vs 20 features
    la = math.copysign(math.log1p(abs(a)), a)
    lb = math.copysign(math.log1p(abs(b)), b)
    return math.exp(-abs(la - lb))


def meta_similarity(a: Mapping[str, Any], b: Mapping[str, Any],
                    weights: Mapping[str, float] | None = None) -> float:
    """Similarity of two meta-feature dicts in ``[0, 1]``: the (weighted) mean over the union of
    their keys of a per-key similarity (numbers: ``exp(-|log1p a - log1p b|)``; anything else:
    1 if equal; a key only one side has: 0).

    Example:
        >>> meta_similarity({"n": 1000, "model": "svc"}, {"n": 1000, "model": "svc"})
        1.0
        >>> round(meta_similarity({"n": 1000, "model": "svc"}, {"n": 2000, "model": "svc"}), 3)
        0.75
        >>> meta_similarity({"model": "svc"}, {"model": "knn"})
        0.0
    """
    keys = sorted(set(a) | set(b))
    if not keys:
        return 0.0
    total = wsum = 0.0
    for k in keys:
        w = 1.0 if weights is None else float(weights.get(k, 1.0))
        if w < 0 or not math.isfinite(w):
            raise ValueError(f"meta_similarity(weights): {k}={w!r}; use a finite weight >= 0")
        wsum += w
        if k in a and k in b:
            total += w * _value_similarity(a[k], b[k])
    return total / wsum if wsum > 0 else 0.0


@dataclass(frozen=True)
class SimilarStudy:
    """One line of :func:`find_similar_studies`."""

    name: str
    similarity: float
    meta: Mapping[str, Any]
    n_trials: int
    best_value: float | None


def find_similar_studies(
    storage: Storage | str,
    meta: Mapping[str, Any],
    *,
    limit: int | None = None,
    weights: Mapping[str, float] | None = None,
    min_trials: int = 1,
) -> list[SimilarStudy]:
    """Earlier studies in ``storage``, most similar meta-features first (see
    :func:`meta_similarity`); studies without meta-features or with fewer than ``min_trials``
    trials are left out. Ties: the larger study first, then by name.

    Example:
        >>> import hyperscout as hs
        >>> store = hs.storage.InMemoryStorage()
        >>> for name, n in (("a", 500), ("b", 5000)):
        ...     s = hs.create_study(name=name, storage=store, meta={"n_samples": n})
        ...     s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> [s.name for s in hs.find_similar_studies(store, {"n_samples": 4000})]
        ['b', 'a']
    """
    check_meta(meta)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"find_similar_studies(limit={limit!r}): use an int >= 1 or None")
    store = get_storage(storage)
    out = []
    for s in store.list_studies():
        m = s.user_attrs.get(META_KEY)
        if not isinstance(m, Mapping) or s.n_trials < min_trials:
            continue
        best = s.best_values[0] if s.best_values and len(s.best_values) == 1 else None
        out.append(SimilarStudy(s.name, meta_similarity(meta, m, weights), dict(m), s.n_trials,
                                best))
    out.sort(key=lambda r: (-r.similarity, -r.n_trials, r.name))
    return out[:limit] if limit else out


def attach(
    study: Study,
    warm_start: Sequence[PriorSource] | None,
    meta: Mapping[str, Any] | None,
    seed: Any,
) -> None:
    """What ``create_study(warm_start=..., meta=...)`` does after creating the study: store the
    meta-features, read the priors once, and wrap the study's sampler in a
    :class:`~hyperscout.transfer.TransferSampler` (prior order by meta similarity when both
    sides have meta-features)."""
    if meta is not None:
        study.set_user_attr(META_KEY, check_meta(meta))
    if not warm_start:
        return
    if isinstance(warm_start, (str, tuple)) or not isinstance(warm_start, Sequence):
        raise TypeError(f"create_study(warm_start={warm_start!r}): give a list, e.g. "
                        "[old_study, ('name', 'sqlite:///runs.db')]")
    if len(study.directions) != 1:
        raise ValueError(f"create_study(warm_start=...): the study has directions="
                         f"{list(study.directions)}; warm starts need a single objective")
    from hyperscout.transfer.sampler import TransferSampler

    priors = [as_prior(s, study.storage) for s in warm_start]
    names = [p.name for p in priors]
    if study.name in names:
        raise ValueError(f"create_study(warm_start=...): study {study.name!r} cannot warm-start "
                         "from itself")
    relatedness = None
    if meta and all(p.meta for p in priors):
        relatedness = [max(meta_similarity(meta, p.meta), 1e-6) for p in priors]
    study.set_user_attr(WARM_START_KEY, names)
    study.sampler = TransferSampler(priors, base=study.sampler, seed=seed,
                                    relatedness=relatedness)
