"""Versioned schema migrations: move a database written by an older hyperscout forward.

Each step takes a database from version ``n`` to ``n + 1`` and records ``n + 1`` in the meta
table. Steps are idempotent (a column that exists already is left alone), because MySQL and
MariaDB commit every DDL statement on their own: a step interrupted half-way is simply run
again. The whole upgrade holds the same advisory lock as schema creation, so two processes
upgrading together don't interleave.

Run it from the command line (``hyperscout storage upgrade URL``) or from Python.

Example:
    >>> from hyperscout.storage.sql.migrations import upgrade
    >>> upgrade("sqlite:///:memory:")   # a new database is created at the current version
    (None, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hyperscout.exceptions import SchemaVersionError, StorageError
from hyperscout.storage.sql import schema
from hyperscout.storage.sql._engine import connection_error, create_backend, parse_url

Step = Callable[[Connection], None]


def _add_column(conn: Connection, table: sa.Table, column_name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a column of the current schema, unless it exists."""
    existing = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    if column_name in existing:
        return
    col = table.c[column_name]
    ddl = col.type.compile(dialect=conn.dialect)
    if col.server_default is not None:
        ddl += f" NOT NULL DEFAULT {col.server_default.arg}"  # type: ignore[attr-defined]
    elif not col.nullable:  # pragma: no cover - every added column has a default or is NULL
        raise AssertionError(f"column {column_name} needs a server default to be added")
    prep = conn.dialect.identifier_preparer
    conn.execute(sa.text(
        f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(column_name)} {ddl}"))


def _v1_to_v2(conn: Connection) -> None:
    """Version 2: the shared budget columns of the studies table."""
    for name in ("budget_trials", "budget_used", "budget_deadline", "stopped"):
        _add_column(conn, schema.studies, name)


#: ``from_version -> step`` to ``from_version + 1``.
MIGRATIONS: Mapping[int, Step] = {1: _v1_to_v2}


def read_version(conn: Connection) -> int | None:
    """The schema version recorded in the database (``None``: no hyperscout tables)."""
    if not sa.inspect(conn).has_table(schema.meta.name):
        return None
    raw = conn.execute(
        sa.select(schema.meta.c.meta_value).where(schema.meta.c.meta_key == "schema_version")
    ).scalar()
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


def _lock(conn: Connection, backend: str) -> None:
    if backend == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7236528394401)"))
    elif backend == "mysql":
        conn.execute(sa.text("SELECT GET_LOCK('hyperscout_schema', 60)"))


def _unlock(conn: Connection, backend: str) -> None:
    if backend == "mysql":
        conn.execute(sa.text("SELECT RELEASE_LOCK('hyperscout_schema')"))


def _set_version(conn: Connection, version: int) -> None:
    m = schema.meta
    conn.execute(sa.update(m).where(m.c.meta_key == "schema_version")
                 .values(meta_value=str(version)))


def migrate(conn: Connection, backend: str) -> tuple[int | None, int]:
    """Bring the schema on ``conn`` (inside a write transaction) to ``SCHEMA_VERSION``.

    Returns ``(version before, version after)``; ``before`` is ``None`` for a new database.
    """
    _lock(conn, backend)
    try:
        found = read_version(conn)
        if found is None:
            schema.metadata.create_all(conn)
            conn.execute(sa.insert(schema.meta).values(
                meta_key="schema_version", meta_value=str(schema.SCHEMA_VERSION)))
            return None, schema.SCHEMA_VERSION
        if found > schema.SCHEMA_VERSION or found < 1:
            raise SchemaVersionError(
                f"the database has hyperscout schema version {found}; this hyperscout knows "
                f"versions 1..{schema.SCHEMA_VERSION} and cannot move it"
                + (": upgrade hyperscout" if found > schema.SCHEMA_VERSION else "")
            )
        version = found
        while version < schema.SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
            _set_version(conn, version)
        return found, version
    finally:
        _unlock(conn, backend)


def upgrade(url: str | sa.URL, *, engine_kwargs: Mapping[str, Any] | None = None
            ) -> tuple[int | None, int]:
    """Move the database at ``url`` to the current schema version (creating it if empty).

    Returns ``(version before, version after)``; ``before`` is ``None`` for a new database.
    Raises :class:`~hyperscout.exceptions.StorageError` (password masked) if the database
    can't be reached, :class:`~hyperscout.exceptions.SchemaVersionError` if it is newer than
    this hyperscout.
    """
    parsed = parse_url(url)
    backend = create_backend(parsed, engine_kwargs)
    try:
        engine = backend.engine
        if backend.name == "sqlite":
            engine = engine.execution_options(hyperscout_write=True)
        with engine.begin() as conn:
            return migrate(conn, backend.name)
    except (SchemaVersionError, StorageError):
        raise
    except sa.exc.DBAPIError as exc:
        raise connection_error(parsed, exc) from exc
    finally:
        backend.engine.dispose()
        if backend.reader.pool is not backend.engine.pool:
            backend.reader.dispose()


__all__ = ["MIGRATIONS", "migrate", "read_version", "upgrade"]
