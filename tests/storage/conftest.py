"""Storage backends for the storage tests: memory, SQLite (tmp_path), PostgreSQL, MariaDB.

The servers are expected on 127.0.0.1 (override with HYPERSCOUT_TEST_POSTGRES_URL /
HYPERSCOUT_TEST_MYSQL_URL). A server that can't be reached skips its tests, except under
``CI=true``, where it fails them: CI must not pass by testing nothing. A reachable test
database written by an older hyperscout schema is upgraded (``migrations.upgrade``) first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from hyperscout.exceptions import StudyNotFoundError
from hyperscout.storage import InMemoryStorage, Storage

POSTGRES_URL = os.environ.get(
    "HYPERSCOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("HYPERSCOUT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
SERVER_URLS = {"postgres": POSTGRES_URL, "mariadb": MYSQL_URL}
BACKENDS = ("memory", "sqlite", "postgres", "mariadb")

_probed: dict[str, str | None] = {}


def _probe(url: str) -> str | None:
    """``None`` if the server answers, else why not."""
    if url not in _probed:
        import sqlalchemy as sa

        from hyperscout.storage.sql._engine import mask

        engine = None
        try:  # a missing driver counts as unreachable too
            engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            # a test database left at an older hyperscout schema is moved forward once
            from hyperscout.storage.sql.migrations import upgrade

            upgrade(url)
            _probed[url] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            first = (str(exc).splitlines() or [""])[0]
            _probed[url] = f"{mask(sa.make_url(url))}: {type(exc).__name__}: {first}"
        finally:
            if engine is not None:
                engine.dispose()
    return _probed[url]


def require_server(kind: str) -> str:
    """The URL of a reachable server; skip (fail under CI=true) if it isn't reachable."""
    url = SERVER_URLS[kind]
    why = _probe(url)
    if why is not None:
        msg = f"{kind} server unreachable ({why})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{msg}; under CI=true the SQL servers must be running")
        pytest.skip(msg)
    return url


@pytest.fixture
def postgres_url() -> str:
    return require_server("postgres")


@pytest.fixture
def mariadb_url() -> str:
    return require_server("mariadb")


def _recording_storage(url: str, created: list[tuple[Storage, int]]) -> Storage:
    """A SQLStorage that remembers the studies it creates, to delete them afterwards."""
    from hyperscout.storage.sql import SQLStorage

    class Recording(SQLStorage):
        def create_study(self, name, directions, *, user_attrs=None):  # type: ignore[override]
            sid = super().create_study(name, directions, user_attrs=user_attrs)
            created.append((self, sid))
            return sid

    return Recording(url)


@pytest.fixture
def sql_url_factory(tmp_path) -> Callable[[str], str]:
    """``kind -> URL`` for "sqlite" (a fresh file) or a reachable server."""

    def url_for(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / 'hyperscout.db'}"
        return require_server(kind)

    return url_for


def _make_factory(kind: str, url_for: Callable[[str], str]) -> Iterator[Callable[[], Storage]]:
    if kind == "memory":
        store = InMemoryStorage()
        yield lambda: store
        return
    url = url_for(kind)
    handles: list[Storage] = []
    created: list[tuple[Storage, int]] = []

    def make() -> Storage:
        h = _recording_storage(url, created)
        handles.append(h)
        return h

    try:
        yield make
    finally:
        if kind != "sqlite" and handles:  # servers are shared: remove what this test made
            for _, sid in created:
                try:
                    handles[0].delete_study(sid)
                except StudyNotFoundError:
                    pass
        for h in handles:
            h.close()


@pytest.fixture(params=BACKENDS)
def storage_factory(request, sql_url_factory) -> Iterator[Callable[[], Storage]]:
    """A factory of handles onto one store, for every backend."""
    yield from _make_factory(request.param, sql_url_factory)


@pytest.fixture(params=BACKENDS[1:])
def sql_factory(request, sql_url_factory) -> Iterator[Callable[[], Storage]]:
    """Like ``storage_factory``, SQL backends only."""
    yield from _make_factory(request.param, sql_url_factory)
