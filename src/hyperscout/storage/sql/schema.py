"""The SQL schema: one meta table, one row per study, one row per trial.

Everything a trial carries (parameters, distributions, values, intermediate values,
attributes) is a JSON text column of its row, so reading or writing a trial is one row and
one statement; nothing is ever pickled. ``SCHEMA_VERSION`` is stored in the meta table and
checked when a database is opened.

Columns that exist for concurrency:

- ``studies.next_trial_number``: the next gap-free trial number, bumped under the study's
  row lock in the transaction that inserts the trial.
- ``studies.n_waiting``: how many trials are WAITING, so starting a trial knows without a
  query whether there is one to claim.
- ``studies.finish_counter`` / ``trials.finish_seq``: each finish takes the next number of the
  study's counter in its own transaction, so commit order is sequence order and readers fetch
  ``finish_seq > cursor`` to get exactly the trials finished since they last looked.
- ``studies.budget_trials`` / ``budget_used`` / ``budget_deadline`` / ``stopped`` (version 2):
  the budget every worker of the study shares. Starting a trial takes a slot in the same
  statement that takes its number, so workers together never start more than the budget.
- ``trials.heartbeat``: when the process running the trial last said it is alive (only for
  studies with heartbeats); a RUNNING trial whose heartbeat is older than the grace period is
  failed by whoever notices first, guarded by this timestamp.

Version history (``migrations.py`` moves a database forward):

1. the first release.
2. the shared budget columns of ``studies`` (heartbeat and retry links need no new column: the
   heartbeat column existed, links are system attributes).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

#: Version of the tables below; bump it (and write a migration) whenever they change.
SCHEMA_VERSION = 2

TABLE_PREFIX = "hyperscout_"

_MYSQL = ("mysql", "mariadb")

#: JSON documents are stored as text we encode ourselves (exact float round trips, NaN in
#: intermediate values, one code path on every backend). MySQL's TEXT stops at 64 KiB.
JSONText = sa.Text().with_variant(mysql.LONGTEXT(), *_MYSQL)

#: Study names compare case- and accent-sensitively on every backend.
NameType = sa.String(512).with_variant(mysql.VARCHAR(512, collation="utf8mb4_bin"), *_MYSQL)

#: Trial ids: 64-bit on servers; SQLite needs exactly INTEGER for its rowid alias.
IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    PostgreSQL keeps ``timestamptz``; SQLite and MySQL keep naive UTC (MySQL with microseconds).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: _dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime {value!r} is naive; hyperscout stores aware UTC datetimes")
        value = value.astimezone(_dt.timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: _dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc)


metadata = sa.MetaData()

# dialect options, passed through Table's **kw (typed Any)
_TABLE_OPTS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

meta = sa.Table(
    TABLE_PREFIX + "meta",
    metadata,
    sa.Column("meta_key", sa.String(64), primary_key=True),
    sa.Column("meta_value", sa.String(256), nullable=False),
    **_TABLE_OPTS,
)

studies = sa.Table(
    TABLE_PREFIX + "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", NameType, nullable=False, unique=True),
    sa.Column("directions", JSONText, nullable=False),
    sa.Column("user_attrs", JSONText, nullable=False),
    sa.Column("system_attrs", JSONText, nullable=False),
    sa.Column("next_trial_number", sa.Integer, nullable=False),
    sa.Column("n_waiting", sa.Integer, nullable=False),
    sa.Column("finish_counter", sa.BigInteger, nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    # version 2: the budget shared by every worker (NULL: no limit)
    sa.Column("budget_trials", sa.Integer, nullable=True),
    sa.Column("budget_used", sa.Integer, nullable=False, server_default="0"),
    sa.Column("budget_deadline", UTCDateTime, nullable=True),
    sa.Column("stopped", sa.Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,  # never reuse a deleted study's id (caches are keyed by it)
    **_TABLE_OPTS,
)

trials = sa.Table(
    TABLE_PREFIX + "trials",
    metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey(studies.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("params", JSONText, nullable=False),
    sa.Column("distributions", JSONText, nullable=False),
    sa.Column("objective_values", JSONText, nullable=True),
    sa.Column("intermediate_values", JSONText, nullable=False),
    sa.Column("user_attrs", JSONText, nullable=False),
    sa.Column("system_attrs", JSONText, nullable=False),
    sa.Column("datetime_start", UTCDateTime, nullable=True),
    sa.Column("datetime_complete", UTCDateTime, nullable=True),
    sa.Column("error", JSONText, nullable=True),
    sa.Column("finish_seq", sa.BigInteger, nullable=True),
    sa.Column("heartbeat", UTCDateTime, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_hyperscout_trials_study_number"),
    sa.Index("ix_hyperscout_trials_study_finish_seq", "study_id", "finish_seq"),
    # (study_id, state) first, for the unfinished and WAITING trials; number last, so the oldest
    # WAITING trial is the first index entry
    sa.Index("ix_hyperscout_trials_study_state", "study_id", "state", "number"),
    sqlite_autoincrement=True,  # never reuse a trial id (finished trials are cached by id)
    **_TABLE_OPTS,
)
