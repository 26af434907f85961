"""Engines tuned per backend: SQLite pragmas and locking, server timeouts, driver errors."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from hyperscout.exceptions import OptionalDependencyError, StorageError

#: How long a SQLite writer waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 60_000
#: How long connecting to a database server may take before it is reported unreachable.
CONNECT_TIMEOUT_S = 10

_DRIVER_EXTRAS = {"psycopg": "postgres", "psycopg2": "postgres", "pymysql": "mysql"}


@dataclass(frozen=True)
class Backend:
    """What the storage needs to know about the database behind an engine."""

    engine: Engine
    reader: Engine  # for reads outside transactions (a second pool on MySQL, else ``engine``)
    name: str  # "sqlite", "postgresql" or "mysql" (MariaDB included)
    memory: bool  # an in-process SQLite database (one shared connection)
    update_returning: bool  # UPDATE ... RETURNING saves a round trip


def mask(url: URL) -> str:
    """The URL as text with its password (also a ``?password=`` query) replaced by ``***``."""
    if any("password" in k.lower() for k in url.query):
        url = url.set(query={k: ("***" if "password" in k.lower() else v)
                             for k, v in url.query.items()})
    return unquote(url.render_as_string(hide_password=True))


def parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError(
            f"storage URL {url!r} is not a database URL; use e.g. 'sqlite:///hyperscout.db', "
            "'postgresql+psycopg://user@host:5432/db' or 'mysql+pymysql://user@host:3306/db'"
        ) from None


def _is_memory_sqlite(url: URL) -> bool:
    db = url.database or ""
    return db in ("", ":memory:") or (db.startswith("file:") and "mode=memory" in db)


def create_backend(url: URL, engine_kwargs: Mapping[str, Any] | None) -> Backend:
    """An engine for ``url``: WAL SQLite, or a server with bounded connect time."""
    name = url.get_backend_name()
    kwargs: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    memory = False
    if name == "sqlite":
        memory = _is_memory_sqlite(url)
        connect_args["check_same_thread"] = False  # n_jobs threads share the pool
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        if memory:
            kwargs["poolclass"] = StaticPool  # one connection, else each one is a new database
    elif name == "postgresql":
        if url.get_driver_name() in ("psycopg", "psycopg2"):
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    elif name in ("mysql", "mariadb"):
        name = "mysql"
        if url.get_driver_name() in ("pymysql", "mysqldb"):
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        connect_args.setdefault("charset", "utf8mb4")
        # READ COMMITTED: no gap locks between workers, and each statement sees fresh commits.
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["pool_recycle"] = 3600  # below the server's wait_timeout
    else:
        raise ValueError(
            f"storage URL {mask(url)!r}: backend {name!r} is not supported; use sqlite, "
            "postgresql+psycopg or mysql+pymysql"
        )
    user = dict(engine_kwargs or {})
    connect_args.update(user.pop("connect_args", {}) or {})
    kwargs.update(user)
    if name == "sqlite" and url.query.get("timeout"):
        connect_args.pop("timeout")
    try:
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    except ModuleNotFoundError as exc:
        driver = url.get_driver_name()
        extra = _DRIVER_EXTRAS.get(driver, name)
        raise OptionalDependencyError(
            f"storage URL {mask(url)!r} needs the database driver {driver!r}, which is not "
            f"installed; install it with: pip install 'hyperscout[{extra}]'"
        ) from exc
    if name == "sqlite":
        _tune_sqlite(engine, memory)
    reader = engine
    if name == "sqlite":
        # each read statement is its own read transaction (see _tune_sqlite)
        reader = engine.execution_options(hyperscout_autocommit=True)
    elif name == "postgresql":
        # psycopg's autocommit is a client-side flag: no BEGIN / ROLLBACK round trips
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    elif name == "mysql":
        # PyMySQL switches autocommit with a round trip each way, and a pool that resets
        # connections sends ROLLBACK on every return: a pool of autocommit connections
        # halves the cost of a read
        reader = sa.create_engine(url, connect_args=connect_args, **{
            **kwargs, "isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None})
    returning = bool(engine.dialect.update_returning)
    if name == "sqlite":
        returning = returning and sqlite3.sqlite_version_info >= (3, 35)
    return Backend(engine, reader, name, memory, returning)


def _tune_sqlite(engine: Engine, memory: bool) -> None:
    """WAL, synchronous=NORMAL, a busy timeout, and transactions we begin ourselves.

    pysqlite's own transaction handling defers BEGIN and can't take the write lock up front; a
    deferred transaction that later writes can fail with SQLITE_BUSY (no waiting) when another
    process wrote meanwhile. So the driver is put in autocommit mode and every write
    transaction starts with ``BEGIN IMMEDIATE``: it waits (busy timeout) for the write lock
    before reading anything, which also makes "read the counter, then bump it" atomic.
    Reads that need no snapshot across statements run without BEGIN (``hyperscout_autocommit``).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via sqlite
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _enable_wal(cur)
            # WAL + NORMAL: a commit survives the process being killed (not a power cut).
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        opts = conn.get_execution_options()
        if opts.get("hyperscout_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif not opts.get("hyperscout_autocommit", False):
            conn.exec_driver_sql("BEGIN")
        # else: each statement is its own read transaction (reads that need no snapshot)


def _enable_wal(cur: sqlite3.Cursor) -> None:
    """Switch a database file to WAL (a persistent setting of the file), once.

    Changing the journal mode needs an exclusive lock and SQLite answers "database is locked"
    at once, without its busy handler, when other connections are opening the same new file
    (several workers starting together). So: skip when the file is already in WAL mode, and
    retry with backoff, within the busy timeout, while another connection holds the lock.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.002
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(2 * delay, 0.1)


def connection_error(url: URL, exc: BaseException) -> StorageError:
    """A clear error for a database that can't be reached (the password is masked)."""
    orig = getattr(exc, "orig", None) or exc
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    pw = url.password
    if pw:
        detail = detail.replace(str(pw), "***")
    if url.get_backend_name() == "sqlite":
        advice = "check that the file's directory exists and is writable"
    else:
        advice = ("check that the server is running and reachable, and the user, password and "
                  "database name")
    return StorageError(f"could not open the storage {mask(url)!r}: {detail}; {advice}.")
