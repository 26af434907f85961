"""Helpers for the execution tests: database URLs (a fresh SQLite file, or the PostgreSQL / MariaDB
servers (skipped when unreachable, failed under CI=true; see tests/storage/sql_servers.py)."""

from __future__ import annotations

import importlib.util
import pathlib
import uuid
from collections.abc import Iterator

import pytest

_spec = importlib.util.spec_from_file_location(
    "_hs_storage_servers", pathlib.Path(__file__).parents[1] / "storage" / "sql_servers.py")
_servers = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(_servers)  # type: ignore[union-attr]
require_server = _servers.require_server

SRC = str(pathlib.Path(__file__).parents[2] / "src")
HERE = pathlib.Path(__file__).parent


@pytest.fixture(name="db_url", params=["sqlite", "postgres", "mariadb"])
def db_url_fixture(request, tmp_path) -> Iterator[str]:
    """A database URL; studies a test creates on a server are deleted afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hs.db'}"
        return
    url = require_server(request.param)
    yield url
    from hyperscout.storage.sql import SQLStorage

    store = SQLStorage(url)
    try:
        for s in store.list_studies():
            if s.name.startswith("t6-"):
                store.delete_study(s.study_id)
    finally:
        store.close()


def study_name() -> str:
    return f"t6-{uuid.uuid4().hex[:10]}"
