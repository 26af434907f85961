"""The dashboard's JSON API and pages, through Starlette's test client on a SQLite storage."""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path

import pytest

import hyperscout as hs
from hyperscout.dashboard import api, create_app, serve
from hyperscout.dashboard._store import DashboardStore

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # starlette 1.0 suggests httpx2 for its test client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

hs.set_verbosity("warning")
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hs.db'}"


@pytest.fixture
def filled(url: str) -> hs.Study:
    study = hs.create_study(name=f"s{EVIL}", storage=url, sampler=hs.samplers.RandomSampler(seed=0))

    def objective(t: hs.Trial) -> float:
        x = t.suggest_float("x", -1, 1)
        t.suggest_categorical("c", ["a", "b"])
        t.set_user_attr("note", EVIL)
        t.report(x * x, 0)
        if t.number == 3:
            raise ValueError(f"bad {EVIL}")
        return x * x

    study.optimize(objective, n_trials=12, catch=(ValueError,))
    return study


@pytest.fixture
def client(filled: hs.Study):
    with TestClient(create_app(filled.storage)) as c:
        yield c


def _sid(client) -> int:
    return client.get("/api/studies").json()[0]["study_id"]


def test_studies_and_summary(client, filled) -> None:
    studies = client.get("/api/studies").json()
    assert [s["name"] for s in studies] == [filled.name]
    summary = client.get(f"/api/studies/{_sid(client)}").json()
    assert summary["counts"]["complete"] == 11 and summary["counts"]["fail"] == 1
    assert summary["best_trials"][0]["values"] == [pytest.approx(filled.best_value)]
    assert set(summary["params"]) == {"x", "c"}


def test_trials_filter_sort_page(client) -> None:
    sid = _sid(client)
    page = client.get(f"/api/studies/{sid}/trials", params={"sort": "-value", "limit": 3}).json()
    vals = [t["values"][0] for t in page["trials"]]
    assert page["total"] == 12 and vals == sorted(vals, reverse=True)
    page = client.get(f"/api/studies/{sid}/trials", params={"state": "fail"}).json()
    assert [t["number"] for t in page["trials"]] == [3]
    page = client.get(f"/api/studies/{sid}/trials", params={"range": "x,0,", "state": "complete"})
    assert all(t["params"]["x"] >= 0 for t in page.json()["trials"])
    p1 = client.get(f"/api/studies/{sid}/trials", params={"limit": 5, "offset": 10}).json()
    assert [t["number"] for t in p1["trials"]] == [10, 11]
    only_a = client.get(f"/api/studies/{sid}/trials", params={"choice": "c,a"}).json()
    assert only_a["total"] > 0 and all(t["params"]["c"] == "a" for t in only_a["trials"])
    both = client.get(f"/api/studies/{sid}/trials", params=[("choice", "c,a"), ("choice", "c,b"),
                                                            ("limit", 100)]).json()
    assert both["total"] == 12
    by_param = client.get(f"/api/studies/{sid}/trials", params={"sort": "param:x"}).json()
    xs = [t["params"]["x"] for t in by_param["trials"]]
    assert xs == sorted(xs)


def test_trial_detail_has_traceback_and_attrs(client) -> None:
    t = client.get(f"/api/studies/{_sid(client)}/trials/3").json()
    assert t["state"] == "fail" and "ValueError" in t["error"] and "Traceback" in t["error"]
    assert t["user_attrs"] == {"note": EVIL}  # JSON carries the raw text; the page renders it inert
    assert t["intermediate_values"][0][0] == 0


@pytest.mark.parametrize("kind", api.PLOT_KINDS)
def test_every_plot_kind(client, kind: str) -> None:
    r = client.get(f"/api/studies/{_sid(client)}/plots/{kind}")
    assert r.status_code == 200
    fig = r.json()
    assert "data" in fig and fig["layout"]["title"]["text"]


def test_errors_are_json_and_name_the_value(client) -> None:
    sid = _sid(client)
    cases = {
        f"/api/studies/{sid + 99}": (404, f"no study with id {sid + 99}"),
        f"/api/studies/{sid}/trials/999": (404, "no trial number 999"),
        f"/api/studies/{sid}/trials?limit=0": (400, "limit=0"),
        f"/api/studies/{sid}/trials?limit=abc": (400, "limit='abc'"),
        f"/api/studies/{sid}/trials?state=done": (400, "state='done'"),
        f"/api/studies/{sid}/trials?range=x,a,b": (400, "range='x,a,b'"),
        f"/api/studies/{sid}/trials?sort=value7": (400, "sort='value7'"),
        f"/api/studies/{sid}/trials?choice=zz,1": (400, "choice='zz,1'"),
        f"/api/studies/{sid}/plots/pie": (404, "plot kind 'pie'"),
        f"/api/studies/{sid}/plots/history?objective=2": (400, "objective=2"),
    }
    for path, (status, msg) in cases.items():
        r = client.get(path)
        assert r.status_code == status, path
        assert msg in r.json()["error"], (path, r.json())


def test_read_only_and_security_headers(client) -> None:
    sid = _sid(client)
    for path in ("/api/studies", f"/api/studies/{sid}", f"/api/studies/{sid}/trials"):
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405
    r = client.get(f"/studies/{sid}")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"].split("script-src")[1] \
        .split(";")[0]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_pages_carry_no_user_text(client) -> None:
    sid = _sid(client)
    for path in ("/", f"/studies/{sid}", f"/studies/{sid}/trials/3"):
        r = client.get(path)
        assert r.status_code == 200
        assert "<script>alert" not in r.text and "note" not in r.text
        # every script is a same-origin file; nothing inline
        assert r.text.count("<script") == r.text.count('<script src="/static/')
    js = client.get("/static/app.js").text
    assert "innerHTML" not in js.replace("never innerHTML", "")
    assert client.get("/static/plotly.min.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_openapi_documents_every_api_route(client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    app = create_app(hs.create_study().storage).app
    api_paths = {r.path.replace(":int", "") for r in app.routes if r.path.startswith("/api/")}
    assert api_paths == set(doc["paths"])
    json.dumps(doc)


def test_live_update_sees_new_trials(url: str, filled: hs.Study) -> None:
    store = DashboardStore(hs.storage.get_storage(url))
    sid = store.study_ids()[filled.name]
    first = store.view(sid)
    running = filled.ask({"y": hs.Float(0, 1)})
    second = store.view(sid)
    assert second.version != first.version
    assert second.snapshot.trials[-1].state.value == "running"
    filled.tell(running, 0.5)
    third = store.view(sid)
    assert third.version != second.version
    assert [t.number for t in third.snapshot.trials] == list(range(13))
    assert third.snapshot.trials[-1].values == (0.5,)


def test_plot_cache_follows_the_version(url: str, filled: hs.Study) -> None:
    store = DashboardStore(hs.storage.get_storage(url))
    sid = store.study_ids()[filled.name]
    a = api.plot_json(store, sid, "history")
    assert api.plot_json(store, sid, "history") is a  # cached
    filled.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=1)
    b = api.plot_json(store, sid, "history")
    assert b != a and len(store.plot_cache(sid)) == 1


def test_binds_localhost_by_default() -> None:
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    from hyperscout.cli.report_commands import dashboard

    host = next(p for p in dashboard.params if p.name == "host")
    assert host.default == "127.0.0.1"
