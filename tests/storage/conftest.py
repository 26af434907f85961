"""Storage backends for the storage tests: memory, SQLite (tmp_path), PostgreSQL, MariaDB.

The servers are expected on 127.0.0.1 (override with HYPERSCOUT_TEST_POSTGRES_URL /
HYPERSCOUT_TEST_MYSQL_URL). A server that can't be reached skips its tests, except under
``CI=true``, where it fails them: CI must not pass by testing nothing. A reachable test
database written by an older hyperscout schema is upgraded (``migrations.upgrade``) first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sql_servers import require_server  # tests/storage is on sys.path (rootdir-relative)

from hyperscout.exceptions import StudyNotFoundError
from hyperscout.storage import InMemoryStorage, Storage

BACKENDS = ("memory", "sqlite", "postgres", "mariadb")


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
