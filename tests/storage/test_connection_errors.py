"""An unreachable database or wrong credentials give a clear StorageError with the password
masked, after at most the connect timeout (never a hang)."""

from __future__ import annotations

import pytest
from sql_servers import MYSQL_URL, POSTGRES_URL, require_server

import hyperscout as hs
from hyperscout.exceptions import StorageError
from hyperscout.storage.sql import SQLStorage
from hyperscout.storage.sql._engine import CONNECT_TIMEOUT_S


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://bob:s3cret@127.0.0.1:1/db",
    "mysql+pymysql://bob:s3cret@127.0.0.1:1/db",
])
def test_a_closed_port_is_a_clear_error_with_the_password_masked(url: str) -> None:
    with pytest.raises(StorageError) as err:
        hs.create_study(storage=url)
    msg = str(err.value)
    assert "could not open the storage" in msg and "bob:***@127.0.0.1:1" in msg
    assert "s3cret" not in msg
    assert "check that the server is running" in msg


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://bob:s3cret@192.0.2.1:5432/db",   # TEST-NET-1: packets go nowhere
    "mysql+pymysql://bob:s3cret@192.0.2.1:3306/db",
])
def test_a_blackholed_host_fails_after_the_connect_timeout(url: str) -> None:
    # the default is CONNECT_TIMEOUT_S; a shorter one keeps the test quick
    assert CONNECT_TIMEOUT_S <= 10
    with pytest.raises(StorageError, match=r"could not open the storage .*bob:\*\*\*@192\.0\.2\.1"):
        SQLStorage(url, engine_kwargs={"connect_args": {"connect_timeout": 1}})


def test_wrong_postgres_user_is_a_clear_error() -> None:
    url = require_server("postgres")
    bad = POSTGRES_URL.replace("://postgres@", "://no_such_user_hs:wrongpw@")
    assert bad != url
    with pytest.raises(StorageError) as err:
        SQLStorage(bad)
    assert "no_such_user_hs:***@" in str(err.value) and "wrongpw" not in str(err.value)


def test_wrong_mariadb_password_is_a_clear_error() -> None:
    require_server("mariadb")
    bad = MYSQL_URL.replace("://root@", "://root:wrongpw@")
    with pytest.raises(StorageError) as err:
        SQLStorage(bad)
    msg = str(err.value)
    assert "root:***@" in msg and "wrongpw" not in msg
    assert "Access denied" in msg
