"""SQLStorage beyond the shared contract: schema versions, URLs and passwords, SQLite settings,
caching of finished trials, statements per trial event, several processes."""

from __future__ import annotations

import multiprocessing
import pickle
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

import hyperscout as hs
from hyperscout.exceptions import SchemaVersionError, StorageError
from hyperscout.storage import get_storage
from hyperscout.storage.sql import SCHEMA_VERSION, SQLStorage
from hyperscout.storage.sql import storage as sql_storage_module
from hyperscout.storage.sql._engine import mask
from hyperscout.testing.storage_suite import (
    check_multiprocess_numbering,
    check_threads_numbering,
)
from hyperscout.trial.state import TrialState

SECRET = "s3cr3t-pw-Zq9"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hs.db'}"


def _finish_n(storage: SQLStorage, sid: int, n: int) -> None:
    for _ in range(n):
        t = storage.start_trial(sid)
        storage.finish_trial(t.trial_id, TrialState.COMPLETE, [float(t.number)])


# -- URLs, routing, imports -------------------------------------------------------------------
def test_get_storage_routes_urls_to_sql_storage(sqlite_url) -> None:
    storage = get_storage(sqlite_url)
    assert isinstance(storage, SQLStorage)
    assert repr(storage) == f"SQLStorage({sqlite_url!r})"
    storage.close()


def test_import_hyperscout_does_not_import_sqlalchemy() -> None:
    code = "import sys, hyperscout; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("url, match", [
    ("not a url", "is not a database URL"),
    ("oracle://scott@host/db", "backend 'oracle' is not supported"),
])
def test_bad_urls_raise_clear_errors(url, match) -> None:
    with pytest.raises(ValueError, match=match):
        SQLStorage(url)


def test_sqlite_file_in_missing_directory(tmp_path) -> None:
    with pytest.raises(StorageError, match="directory exists and is writable"):
        SQLStorage(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://"])
def test_sqlite_in_memory_is_one_database_shared_by_threads(url) -> None:
    storage = SQLStorage(url)
    check_threads_numbering(lambda: storage, n_threads=4, n_each=10)
    assert len(storage.list_studies()) == 1


def test_engine_kwargs_reach_the_engine(sqlite_url) -> None:
    storage = SQLStorage(sqlite_url, engine_kwargs={"pool_size": 3,
                                                    "connect_args": {"timeout": 2.5}})
    assert storage._engine.pool.size() == 3
    assert storage.create_study("kw", ["minimize"]) == 1
    storage.close()


def test_pickled_storage_reconnects(sqlite_url) -> None:
    storage = SQLStorage(sqlite_url)
    sid = storage.create_study("p", ["minimize"])
    clone = pickle.loads(pickle.dumps(storage))
    assert clone is not storage and clone.get_study_id("p") == sid


# -- schema -----------------------------------------------------------------------------------
def _set_version(url: str, version: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE hyperscout_meta SET meta_value = :v WHERE meta_key = 'schema_version'"
        ), {"v": version})
    engine.dispose()


def test_schema_version_is_written_once(sqlite_url) -> None:
    SQLStorage(sqlite_url).close()
    SQLStorage(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT meta_key, meta_value FROM hyperscout_meta")).all()
    engine.dispose()
    assert rows == [("schema_version", str(SCHEMA_VERSION))]


@pytest.mark.parametrize("found, advice", [
    (SCHEMA_VERSION + 1, "upgrade hyperscout"),
    (SCHEMA_VERSION - 1, "older hyperscout"),
])
def test_schema_version_mismatch_is_refused(sqlite_url, found, advice) -> None:
    storage = SQLStorage(sqlite_url)
    storage.create_study("kept", ["minimize"])
    storage.close()
    _set_version(sqlite_url, str(found))
    with pytest.raises(SchemaVersionError) as info:
        SQLStorage(sqlite_url)
    msg = str(info.value)
    assert f"schema version {found}" in msg
    assert f"uses schema version {SCHEMA_VERSION}" in msg
    assert advice in msg and sqlite_url in msg
    _set_version(sqlite_url, str(SCHEMA_VERSION))  # the data is untouched
    assert SQLStorage(sqlite_url).get_study_id("kept") == 1


def test_concurrent_first_opens_create_the_schema_once(sqlite_url) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        barrier.wait()
        try:
            SQLStorage(sqlite_url).close()
        except BaseException as e:  # noqa: BLE001 - asserted below
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- passwords ----------------------------------------------------------------------------------
def test_password_is_masked_in_repr(postgres_url) -> None:
    url = sa.make_url(postgres_url).set(password=SECRET)
    try:  # a server that trusts 127.0.0.1 ignores the password
        storage = SQLStorage(url.render_as_string(hide_password=False))
    except StorageError as exc:  # one that checks it refuses: the error must mask it too
        assert SECRET not in _all_messages(exc) and "***" in str(exc)
        return
    study = hs.create_study(storage=storage)
    for text in (repr(storage), str(storage), repr(study)):
        assert SECRET not in text and "***" in text
    storage.delete_study(study._study_id)
    storage.close()


@pytest.mark.parametrize("url, shown", [
    (f"postgresql+psycopg://u:{SECRET}@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
    (f"mysql+pymysql://u@h/db?password={SECRET}&charset=utf8mb4",
     "mysql+pymysql://u@h/db?charset=utf8mb4&password=***"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
])
def test_mask_hides_passwords_in_urls(url, shown) -> None:
    assert mask(sa.make_url(url)) == shown


def _all_messages(exc: BaseException | None) -> str:
    out = []
    while exc is not None:
        out.append(f"{exc!r} {exc}")
        exc = exc.__cause__ or exc.__context__
    return " ".join(out)


@pytest.mark.parametrize("kind", ["wrong-password", "unreachable"])
def test_password_is_masked_in_connection_errors(mariadb_url, kind) -> None:
    url = sa.make_url(mariadb_url).set(password=SECRET)
    if kind == "unreachable":
        url = url.set(port=1)
    with pytest.raises(StorageError, match="could not open the storage") as info:
        SQLStorage(url.render_as_string(hide_password=False))
    assert SECRET not in _all_messages(info.value)
    assert "***" in str(info.value)


# -- SQLite settings ----------------------------------------------------------------------------
def test_sqlite_runs_in_wal_mode_with_normal_sync_and_busy_timeout(sqlite_url) -> None:
    storage = SQLStorage(sqlite_url)
    with storage._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    storage.close()


def test_datetimes_are_stored_as_utc(sqlite_url) -> None:
    storage = SQLStorage(sqlite_url)
    sid = storage.create_study("dt", ["minimize"])
    t = storage.start_trial(sid)
    rec = storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])
    with storage._engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT datetime_complete FROM hyperscout_trials").scalar()
    assert raw.startswith(rec.datetime_complete.strftime("%Y-%m-%d %H:%M:%S"))  # naive UTC
    fresh = SQLStorage(sqlite_url).get_trial(t.trial_id)
    assert fresh.datetime_complete == rec.datetime_complete
    assert fresh.datetime_complete.tzinfo is not None


# -- caching and round trips ----------------------------------------------------------------------
def test_finished_trials_are_decoded_once(sqlite_url, monkeypatch) -> None:
    writer, reader = SQLStorage(sqlite_url), SQLStorage(sqlite_url)
    sid = writer.create_study("cache", ["minimize"])
    _finish_n(writer, sid, 30)
    decoded: list[int] = []
    real = sql_storage_module.build_trial

    def counting(row, dists, state=None):
        decoded.append(row[0])
        return real(row, dists, state)

    monkeypatch.setattr(sql_storage_module, "build_trial", counting)
    fin, cursor = reader.read_finished(sid, 0)
    assert len(fin) == 30 and len(decoded) == 30
    assert writer.read_finished(sid, 0)[1] == cursor and len(decoded) == 30  # its own finishes
    _finish_n(writer, sid, 1)
    running = writer.start_trial(sid)
    decoded.clear()
    new, cursor2 = reader.read_finished(sid, cursor)
    assert [t.number for t in new] == [30] and decoded == [new[0].trial_id]
    decoded.clear()
    trials = reader.get_trials(sid)
    assert [t.number for t in trials] == list(range(32))
    assert decoded == [running.trial_id]  # only the unfinished trial is built again
    assert reader.get_trials(sid)[5] is trials[5]  # the very same immutable record


def test_statements_per_trial_event_do_not_grow_with_the_study(sql_factory) -> None:
    storage = sql_factory()
    sid = storage.create_study(f"stmts-{id(storage)}", ["minimize"])
    statements: list[str] = []

    @sa.event.listens_for(storage._engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    def cost(n_before: int) -> tuple[int, int, int, int]:
        _finish_n(storage, sid, n_before)
        storage.read_finished(sid, 0)
        out = []
        for step in ("start", "update", "finish", "read"):
            statements.clear()
            if step == "start":
                t = storage.start_trial(sid)
            elif step == "update":
                storage.update_trial(t.trial_id, intermediate_values={0: 1.0})
            elif step == "finish":
                storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])
            else:
                storage.read_finished(sid, 0)
            out.append(len(statements))
        return tuple(out)  # type: ignore[return-value]

    small = cost(2)
    large = cost(60)
    assert small == large
    start, update, finish, read = small
    assert start <= 4 and update <= 3 and finish <= 5 and read <= 2, small


def test_hot_queries_use_their_indexes_on_sqlite(sqlite_url) -> None:
    """Without statistics SQLite may walk a whole study for a few rows; pin the plans."""
    storage = SQLStorage(sqlite_url)
    expected = {
        "unfinished": "ix_hyperscout_trials_study_state",
        "first_waiting": "ix_hyperscout_trials_study_state",
        "finished_since": "ix_hyperscout_trials_study_finish_seq",
        "trial_for_update": "INTEGER PRIMARY KEY",
    }
    with storage._engine.connect() as conn:
        for name, index in expected.items():
            compiled = getattr(storage._q, name).compile(dialect=conn.dialect)
            args = tuple(1 if compiled.params[p] is None else compiled.params[p]
                         for p in compiled.positiontup)
            plan = " ".join(r[-1] for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), args))
            assert index in plan and "TEMP B-TREE" not in plan, (name, plan)
    storage.close()


# -- several processes --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_worker_processes_get_gap_free_numbers(sql_url_factory, kind) -> None:
    # fork: real processes with their own connections, without re-importing in each one
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    check_multiprocess_numbering(sql_url_factory(kind), n_procs=3, n_trials=20,
                                 start_method=method)


def test_study_threads_on_sqlite_share_one_storage(sqlite_url) -> None:
    study = hs.create_study(storage=sqlite_url, sampler=hs.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 0.5})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=4)
    trials = study.trials
    assert [t.number for t in trials] == list(range(40))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert any(t.params == {"x": 0.5} for t in trials)
    reloaded = hs.load_study(study.name, sqlite_url)
    assert reloaded.best_value == study.best_value
