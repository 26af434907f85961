"""Storages: in-memory and SQL (SQLite, PostgreSQL, MariaDB/MySQL through SQLAlchemy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hyperscout.storage.base import Storage, StudySummary
from hyperscout.storage.memory import InMemoryStorage

if TYPE_CHECKING:
    from hyperscout.storage.sql import SQLStorage

__all__ = ["InMemoryStorage", "SQLStorage", "Storage", "StudySummary", "get_storage"]


def __getattr__(name: str):  # lazy: SQLAlchemy is imported only when SQL storage is used
    if name == "SQLStorage":
        from hyperscout.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(name)


def get_storage(storage: Storage | str | None) -> Storage:
    """Resolve a storage argument: ``None`` -> in-memory, a URL -> :class:`SQLStorage`.

    Example:
        >>> type(get_storage(None)).__name__
        'InMemoryStorage'
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        from hyperscout.storage.sql import SQLStorage

        return SQLStorage(storage)
    raise TypeError(
        f"storage={storage!r}: expected None, a URL such as 'sqlite:///hyperscout.db', "
        "or a Storage instance"
    )
