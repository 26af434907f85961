"""Artifact stores: where trial checkpoints (and other binary artifacts) live.

The database holds only small JSON (a trial's system attribute ``"checkpoint:<name>"`` records
that a checkpoint exists and its key); the bytes go to an artifact store. Nothing is ever
unpickled from the database, and hyperscout never unpickles artifacts either: a checkpoint is the
``bytes`` the objective saved (``torch.save`` to a buffer, ``json.dumps``, ...), and loading it
back is the objective's business.

Keys are ``"<study>/trial-<number>/<name>"`` (see :func:`checkpoint_key`), so several studies
can share one root, and workers on several machines share checkpoints by pointing
:class:`FileArtifactStore` at one shared directory (NFS, a mounted bucket).

Default store of a study (``create_study(artifact_store=None)``): a :class:`FileArtifactStore` at
``<directory of the SQLite file>/hyperscout-artifacts`` for a file-backed SQLite storage, and
``./hyperscout-artifacts`` (resolved when the study is created) for every other storage. The
directory is created on the first save only.

Example:
    >>> import tempfile
    >>> store = FileArtifactStore(tempfile.mkdtemp())
    >>> key = checkpoint_key("my-study", 3, "checkpoint")
    >>> key
    'my-study/trial-3/checkpoint'
    >>> store.put(key, b"weights")
    >>> store.get(key), store.get(checkpoint_key("my-study", 4))
    (b'weights', None)
"""

from __future__ import annotations

import abc
import os
import re
import threading
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "ArtifactStore",
    "FileArtifactStore",
    "InMemoryArtifactStore",
    "checkpoint_key",
    "default_artifact_store",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9%._~-]+$")


def _check_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"checkpoint {what}={name!r}: use 1-128 characters from letters, digits, '.', '_' "
            "and '-', starting with a letter or digit"
        )
    return name


def checkpoint_key(study_name: str, trial_number: int, name: str = "checkpoint") -> str:
    """The artifact key of checkpoint ``name`` of trial ``trial_number`` in a study.

    The study name is percent-encoded so that any study name gives one safe path segment.

    Example:
        >>> checkpoint_key("lr search/v2", 7, "model")
        'lr%20search%2Fv2/trial-7/model'
    """
    if isinstance(trial_number, bool) or not isinstance(trial_number, int) or trial_number < 0:
        raise ValueError(f"checkpoint_key(trial_number={trial_number!r}): must be an int >= 0")
    study = quote(str(study_name), safe="") or "%00"
    if study in (".", ".."):
        study = quote(study.replace(".", "%2E"), safe="%")
    return f"{study}/trial-{trial_number}/{_check_name(name)}"


def _check_key(key: str) -> list[str]:
    if not isinstance(key, str) or not key:
        raise ValueError(f"artifact key {key!r}: must be a non-empty string such as 'a/b/c'")
    parts = key.split("/")
    for p in parts:
        if p in ("", ".", "..") or not _SEGMENT.match(p):
            raise ValueError(
                f"artifact key {key!r}: segment {p!r} is not allowed; use '/'-separated segments "
                "of letters, digits, '%', '.', '_' and '-' (no '..', no empty segment)"
            )
    return parts


class ArtifactStore(abc.ABC):
    """Where artifacts live: ``bytes`` under ``'/'``-separated keys.

    Implementations must make :meth:`put` atomic (a reader sees the old bytes or the new ones,
    never a partial write) and safe to call from several threads and processes.
    """

    @abc.abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, atomically."""

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or ``None`` if there are none."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` (no error if it does not exist)."""

    def exists(self, key: str) -> bool:
        return self.get(key) is not None


class FileArtifactStore(ArtifactStore):
    """Artifacts as files under a root directory (local disk, or a shared mount such as NFS).

    A write goes to a temporary file in the target directory, is flushed and fsynced, and is
    then renamed over the target with ``os.replace`` (atomic on POSIX and Windows; on NFS the
    rename is atomic for readers that open the file after it). A crash mid-write leaves at most
    a stray ``.tmp-*`` file, never a truncated checkpoint.

    Args:
        root: The directory (created on the first write).

    Example:
        >>> import tempfile
        >>> store = FileArtifactStore(tempfile.mkdtemp())
        >>> store.put("s/trial-0/checkpoint", b"abc")
        >>> store.exists("s/trial-0/checkpoint"), store.get("s/trial-0/checkpoint")
        (True, b'abc')
        >>> store.delete("s/trial-0/checkpoint"); store.get("s/trial-0/checkpoint") is None
        True
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not isinstance(root, (str, os.PathLike)) or not str(root):
            raise TypeError(f"FileArtifactStore(root={root!r}): give a directory path")
        self.root = Path(root).expanduser().resolve()
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(
                f"FileArtifactStore(root={str(root)!r}): exists and is not a directory; "
                "give a directory path"
            )

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key))

    def put(self, key: str, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"put({key!r}, data of type {type(data).__name__}): data must be bytes"
            )
        path = self._path(key)
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def __repr__(self) -> str:
        return f"FileArtifactStore({str(self.root)!r})"


class InMemoryArtifactStore(ArtifactStore):
    """Artifacts in a dict of this process (tests, notebooks; not shared between processes).

    Example:
        >>> store = InMemoryArtifactStore()
        >>> store.put("s/trial-0/checkpoint", b"x"); store.get("s/trial-0/checkpoint")
        b'x'
    """

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        _check_key(key)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"put({key!r}, data of type {type(data).__name__}): data must be bytes"
            )
        with self._lock:
            self._data[key] = bytes(data)

    def get(self, key: str) -> bytes | None:
        _check_key(key)
        with self._lock:
            return self._data.get(key)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __repr__(self) -> str:
        return f"InMemoryArtifactStore(n={len(self._data)})"


def default_artifact_store(sqlite_database: str | None = None) -> FileArtifactStore:
    """The default store: next to a SQLite file, else ``./hyperscout-artifacts``.

    Args:
        sqlite_database: The path of a file-backed SQLite database, or ``None``.

    Example:
        >>> default_artifact_store("/data/runs/hs.db").root.as_posix()
        '/data/runs/hyperscout-artifacts'
    """
    if sqlite_database and sqlite_database != ":memory:" and not sqlite_database.startswith(
        "file::memory:"
    ):
        return FileArtifactStore(Path(sqlite_database).expanduser().resolve().parent
                                 / "hyperscout-artifacts")
    return FileArtifactStore(Path.cwd() / "hyperscout-artifacts")
