"""FROZEN copy of the version-1 schema (src/hyperscout/storage/sql/schema.py at b0a6820), used to
build version-1 databases for the migration tests. Never edit it: it is what old databases hold.
"""

from __future__ import annotations

import datetime as _dt

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

#: Version of the tables below; bump it (and write a migration) whenever they change.
SCHEMA_VERSION = 1

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

_TABLE_OPTS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

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
