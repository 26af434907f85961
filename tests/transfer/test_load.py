"""The study layer: create_study(warm_start=..., meta=...), sources, find_similar_studies."""

from __future__ import annotations

import pytest

import hyperscout as hs
from hyperscout.transfer import as_prior, find_similar_studies, meta_similarity, parse_source
from hyperscout.transfer.load import META_KEY, WARM_START_KEY


def _f(t):
    return (t.suggest_float("x", 0, 1) - 0.3) ** 2


def test_warm_start_from_a_name_and_url_pair(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    old = hs.create_study(name="old", storage=url, seed=0)
    old.optimize(_f, n_trials=6)
    new = hs.create_study(name="new", seed=0, warm_start=[("old", url)])
    new.optimize(_f, n_trials=2)
    assert new.trials[0].params == old.best_params
    assert new.user_attrs[WARM_START_KEY] == ["old"]


def test_a_bare_name_is_looked_up_in_the_new_studys_storage() -> None:
    store = hs.storage.InMemoryStorage()
    old = hs.create_study(name="old", storage=store, seed=0)
    old.optimize(_f, n_trials=4)
    new = hs.create_study(storage=store, seed=0, warm_start=["old"])
    assert new.sampler.priors[0].name == "old"  # type: ignore[attr-defined]
    assert new.sampler.priors[0].n_trials == 4  # type: ignore[attr-defined]


def test_prior_is_read_once_and_is_immutable_data() -> None:
    store = hs.storage.InMemoryStorage()
    old = hs.create_study(name="old", storage=store, seed=0)
    old.optimize(_f, n_trials=3)
    prior = as_prior(old)
    old.optimize(_f, n_trials=3)  # later trials of the old study do not leak in
    assert prior.n_trials == 3
    with pytest.raises(AttributeError):
        prior.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("warm_start, exc, match", [
    ("old", TypeError, "give a list"),
    ([42], TypeError, "entry 42"),
    (["missing"], hs.StudyNotFoundError, "missing"),
])
def test_bad_warm_start_entries(warm_start, exc, match) -> None:
    store = hs.storage.InMemoryStorage()
    hs.create_study(name="old", storage=store).optimize(_f, n_trials=1)
    with pytest.raises(exc, match=match):
        hs.create_study(storage=store, warm_start=warm_start)


def test_warm_start_rejects_multi_objective_and_self() -> None:
    store = hs.storage.InMemoryStorage()
    old = hs.create_study(name="old", storage=store)
    old.optimize(_f, n_trials=1)
    with pytest.raises(ValueError, match="single objective"):
        hs.create_study(storage=store, directions=["minimize", "maximize"], warm_start=[old])
    with pytest.raises(ValueError, match="from itself"):
        hs.create_study(name="old", storage=store, load_if_exists=True, warm_start=[old])
    mo = hs.create_study(name="mo", storage=store, directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="only single-objective"):
        as_prior(mo)
    with pytest.raises(ValueError, match="needs a storage"):
        as_prior("old")


def test_meta_is_stored_and_validated() -> None:
    s = hs.create_study(meta={"n_samples": 569, "model": "svc"})
    assert s.user_attrs[META_KEY] == {"n_samples": 569, "model": "svc"}
    with pytest.raises(TypeError, match="meta=\\[1\\]"):
        hs.create_study(meta=[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="x=\\[1, 2\\]"):
        hs.create_study(meta={"x": [1, 2]})
    with pytest.raises(ValueError, match="not finite"):
        hs.create_study(meta={"x": float("nan")})


def test_find_similar_studies_ranks_by_meta_similarity() -> None:
    store = hs.storage.InMemoryStorage()
    metas = {
        "svc-big": {"n_samples": 5000, "n_features": 30, "model": "svc"},
        "svc-small": {"n_samples": 500, "n_features": 30, "model": "svc"},
        "knn-big": {"n_samples": 5000, "n_features": 30, "model": "knn"},
        "no-meta": None,
    }
    for name, meta in metas.items():
        hs.create_study(name=name, storage=store, meta=meta).optimize(_f, n_trials=1)
    hs.create_study(name="empty", storage=store, meta={"model": "svc"})  # no trials
    ranked = find_similar_studies(store, {"n_samples": 4000, "n_features": 30, "model": "svc"})
    assert [r.name for r in ranked] == ["svc-big", "svc-small", "knn-big"]
    assert ranked[0].similarity > ranked[1].similarity > ranked[2].similarity
    assert ranked[0].n_trials == 1 and ranked[0].best_value is not None
    assert [r.name for r in hs.find_similar_studies(store, {"model": "svc"}, limit=1)] == [
        "svc-big"]
    with pytest.raises(ValueError, match="limit=0"):
        find_similar_studies(store, {}, limit=0)


def test_meta_similarity_properties() -> None:
    a = {"n": 100, "model": "svc", "flag": True}
    assert meta_similarity(a, a) == 1.0
    assert meta_similarity(a, {}) == 0.0
    assert meta_similarity({"n": 100}, {"n": 200}) > meta_similarity({"n": 100}, {"n": 1000})
    assert meta_similarity({"flag": True}, {"flag": 1}) == 0.0  # a bool is not a number
    assert meta_similarity({"a": 1, "b": "x"}, {"a": 1, "b": "y"}, weights={"b": 0}) == 1.0
    with pytest.raises(ValueError, match="weights.*b=-1"):
        meta_similarity({"b": 1}, {"b": 1}, weights={"b": -1})


def test_meta_orders_the_initial_design() -> None:
    store = hs.storage.InMemoryStorage()
    far = hs.create_study(name="far", storage=store, meta={"n_samples": 10})
    far.enqueue_trial({"x": 0.9})
    far.optimize(_f, n_trials=1)
    near = hs.create_study(name="near", storage=store, meta={"n_samples": 1000})
    near.enqueue_trial({"x": 0.1})
    near.optimize(_f, n_trials=1)
    new = hs.create_study(storage=store, warm_start=[far, near], meta={"n_samples": 900})
    new.optimize(_f, n_trials=2)
    assert [t.params["x"] for t in new.trials] == [0.1, 0.9]


def test_parse_source() -> None:
    assert parse_source("a@postgresql+psycopg://u@h/db") == ("a", "postgresql+psycopg://u@h/db")
    with pytest.raises(ValueError, match="NAME@STORAGE_URL"):
        parse_source("a@")
    with pytest.raises(ValueError, match="NAME@STORAGE_URL"):
        parse_source("@url")
