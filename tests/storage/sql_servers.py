"""The SQL test servers: their URLs and a probe that skips (fails under ``CI=true``).

A module of its own, not ``conftest``: test modules import it by name, and a bare
``from conftest import ...`` picks whichever ``conftest`` was imported first (tests/visualization
has one too), so collecting tests/visualization before tests/storage broke the import.

The servers are expected on 127.0.0.1 (override with HYPERSCOUT_TEST_POSTGRES_URL /
HYPERSCOUT_TEST_MYSQL_URL). A reachable test database written by an older hyperscout schema is
upgraded (``migrations.upgrade``) first.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get(
    "HYPERSCOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("HYPERSCOUT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
SERVER_URLS = {"postgres": POSTGRES_URL, "mariadb": MYSQL_URL}

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
