"""Versioned migrations: a database written by schema version 1 is refused with advice, moved
forward by ``hyperscout storage upgrade URL`` with its studies intact, and then usable."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Iterator

import pytest
import schema_v1
import sqlalchemy as sa
from click.testing import CliRunner
from sql_servers import require_server

import hyperscout as hs
from hyperscout.cli import cli
from hyperscout.exceptions import SchemaVersionError
from hyperscout.storage.sql import SCHEMA_VERSION, SQLStorage
from hyperscout.storage.sql.migrations import read_version, upgrade
from hyperscout.trial.state import TrialState

MIGRATION_DB = "hyperscout_migration_test"


def _scratch_server_db(kind: str) -> Iterator[str]:
    """A fresh database on the server (created and dropped here), for a v1 schema."""
    url = sa.make_url(require_server(kind))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {MIGRATION_DB}"))
            conn.execute(sa.text(f"CREATE DATABASE {MIGRATION_DB}"))
    except sa.exc.DBAPIError as exc:
        admin.dispose()
        pytest.skip(f"can't create a scratch database on the {kind} server: {exc}")
    try:
        yield url.set(database=MIGRATION_DB).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {MIGRATION_DB}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def empty_db(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield from _scratch_server_db(request.param)


def _make_v1_database(url: str) -> None:
    """What hyperscout with schema version 1 wrote: its tables, a study, two trials."""
    engine = sa.create_engine(url)
    now = _dt.datetime.now(_dt.timezone.utc)
    with engine.begin() as conn:
        schema_v1.metadata.create_all(conn)
        conn.execute(sa.insert(schema_v1.meta).values(meta_key="schema_version",
                                                      meta_value="1"))
        sid = conn.execute(sa.insert(schema_v1.studies).values(
            name="old", directions='["minimize"]', user_attrs='{"owner": "ann"}',
            system_attrs="{}", next_trial_number=2, n_waiting=0, finish_counter=1,
            created=now)).inserted_primary_key[0]
        dist = json.dumps({"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False,
                                 "step": None}})
        base = {"study_id": sid, "distributions": "{}", "intermediate_values": "{}",
                "user_attrs": "{}", "system_attrs": "{}", "datetime_start": now}
        conn.execute(sa.insert(schema_v1.trials).values(
            **base | {"number": 0, "state": "complete", "params": '{"x": 0.5}',
                      "distributions": dist, "objective_values": "[0.25]",
                      "intermediate_values": '{"0": 0.3}', "datetime_complete": now,
                      "finish_seq": 1}))
        conn.execute(sa.insert(schema_v1.trials).values(
            **base | {"number": 1, "state": "running", "params": "{}"}))
    engine.dispose()


def test_a_version_1_database_is_refused_then_upgraded_by_the_cli(empty_db: str) -> None:
    _make_v1_database(empty_db)
    with pytest.raises(SchemaVersionError, match="storage upgrade") as err:
        SQLStorage(empty_db)
    assert "version 1" in str(err.value)

    result = CliRunner().invoke(cli, ["storage", "upgrade", empty_db])
    assert result.exit_code == 0, result.output
    assert f"upgraded schema version 1 -> {SCHEMA_VERSION}" in result.output

    engine = sa.create_engine(empty_db)
    with engine.connect() as conn:
        assert read_version(conn) == SCHEMA_VERSION
    engine.dispose()

    study = hs.load_study("old", empty_db)
    [done, running] = study.trials
    assert (done.state, done.values, dict(done.params)) == (TrialState.COMPLETE, (0.25,),
                                                            {"x": 0.5})
    assert dict(done.intermediate_values) == {0: 0.3}
    assert running.state is TrialState.RUNNING
    assert study.user_attrs == {"owner": "ann"}
    b = study.storage.get_budget(study._study_id)
    assert (b.n_trials, b.used, b.stopped) == (None, 0, False)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # the new columns work
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    study.storage.close()

    again = CliRunner().invoke(cli, ["storage", "upgrade", empty_db])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_upgrade_creates_an_empty_database_and_refuses_a_newer_one(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert upgrade(url) == (None, SCHEMA_VERSION)
    assert upgrade(url) == (SCHEMA_VERSION, SCHEMA_VERSION)
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute("UPDATE hyperscout_meta SET meta_value='99'")
    with pytest.raises(SchemaVersionError, match="upgrade hyperscout"):
        upgrade(url)
    result = CliRunner().invoke(cli, ["storage", "version", url])
    assert result.exit_code == 0 and "schema version 99" in result.output


def test_upgrade_of_an_unreachable_server_names_the_masked_url() -> None:
    result = CliRunner().invoke(
        cli, ["storage", "upgrade", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/db"])
    assert result.exit_code == 1
    assert "could not open the storage" in result.output and "***" in result.output
    assert "s3cret" not in result.output
