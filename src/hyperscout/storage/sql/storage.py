"""SQLStorage: the Storage contract on SQLite, PostgreSQL and MariaDB/MySQL (SQLAlchemy Core).

Every trial event is one transaction:

- ``start_trial`` / ``create_trial``: lock the study row, take ``next_trial_number`` (or claim
  the oldest WAITING trial), insert. Two or three statements.
- ``update_trial``: lock the trial row, check it is RUNNING, merge, update.
- ``finish_trial``: bump the study's ``finish_counter`` (this locks the study row until
  commit, so commit order is finishing order), lock the trial row, check it may finish, write
  everything with ``finish_seq``.

Locks are always taken study row first, then trial row, so workers can't deadlock. On SQLite
every write transaction is ``BEGIN IMMEDIATE`` (and threads of one process queue on a lock
instead of polling SQLite's busy handler).

Finished trials never change, so this process keeps them: per study, the trials in finishing
order with their ``finish_seq``. ``read_finished`` and ``get_trials`` only fetch rows whose
``finish_seq`` is above what is cached, plus the few unfinished ones, which keeps a snapshot
O(new trials) however large the study grows.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as _dt
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hyperscout.exceptions import (
    DuplicatedStudyError,
    SchemaVersionError,
    StaleTrialError,
    StorageError,
    StudyNotFoundError,
)
from hyperscout.space.distributions import Distribution
from hyperscout.storage.base import (
    CHECKPOINT_FROM_KEY,
    FIXED_PARAMS_KEY,
    RETRIED_FROM_KEY,
    RETRY_COUNT_KEY,
    Budget,
    Storage,
    StudySummary,
)
from hyperscout.storage.sql import migrations, schema
from hyperscout.storage.sql._engine import (
    Backend,
    connection_error,
    create_backend,
    mask,
    parse_url,
)
from hyperscout.storage.sql._rows import (
    EMPTY,
    STATES,
    DistributionCache,
    build_trial,
    check_json,
    dict_json,
    dists_to_json,
    dumps,
    iv_from_json,
    iv_to_json,
    loads_dict,
    loads_list,
)
from hyperscout.storage.sql._statements import RUNNING, SEQ, Statements
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState, can_transition

S = schema.studies
T = schema.trials
_NULL = contextlib.nullcontext()


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class _FinishedLog:
    """This process's copy of one study's finished trials, in finishing order."""

    __slots__ = ("lock", "trials", "seqs", "by_number")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trials: list[FrozenTrial] = []
        self.seqs: list[int] = []
        self.by_number: list[FrozenTrial] | None = []  # sorted view, rebuilt lazily

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0


class SQLStorage(Storage):
    """Studies and trials in a SQL database: SQLite, PostgreSQL or MariaDB/MySQL.

    Args:
        url: A SQLAlchemy URL, e.g. ``"sqlite:///hyperscout.db"``,
            ``"postgresql+psycopg://user:password@host:5432/db"`` or
            ``"mysql+pymysql://user:password@host:3306/db"``. The tables are created on first
            use; a database written by another schema version raises
            :class:`~hyperscout.exceptions.SchemaVersionError`.
        engine_kwargs: Extra arguments for :func:`sqlalchemy.create_engine` (e.g.
            ``{"pool_size": 20}``; ``connect_args`` are merged with hyperscout's own).

    Safe to share between threads; several processes and machines may use the same database.

    Example:
        >>> import hyperscout as hs
        >>> storage = SQLStorage("sqlite:///:memory:")
        >>> study = hs.create_study(name="demo", storage=storage, seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
        >>> [s.name for s in storage.list_studies()], [t.number for t in study.trials]
        (['demo'], [0, 1, 2])
    """

    def __init__(self, url: str | sa.URL, *, engine_kwargs: Mapping[str, Any] | None = None):
        self._url = parse_url(url)
        self._engine_kwargs = dict(engine_kwargs or {})
        backend = create_backend(self._url, self._engine_kwargs)
        self._setup(backend)
        try:
            self._init_schema()
        except BaseException:
            self._dispose()
            raise

    def _setup(self, backend: Backend) -> None:
        self._backend = backend
        self._engine = backend.engine
        self._returning = backend.update_returning
        sqlite = backend.name == "sqlite"
        self._writer = (
            self._engine.execution_options(hyperscout_write=True) if sqlite else self._engine
        )
        # Reads run outside transactions: each is a single statement, or (get_trials) ordered
        # so that it needs no snapshot.
        self._reader = backend.reader
        self._make_locks()
        self._q = Statements()
        self._dists = DistributionCache()
        self._finished: dict[int, FrozenTrial] = {}  # trial_id -> finished record
        self._logs: dict[int, _FinishedLog] = {}  # study_id -> finished trials in seq order
        self._logs_lock = threading.Lock()
        self._trial_study: dict[int, int] = {}  # trial_id -> study_id (immutable facts)

    def _make_locks(self) -> None:
        self._pid = os.getpid()
        if self._backend.memory:  # one shared connection: one caller at a time
            lock = threading.RLock()
            self._wlock: Any = lock
            self._rlock: Any = lock
        elif self._backend.name == "sqlite":  # one writer at a time anyway: queue here
            self._wlock = threading.Lock()
            self._rlock = _NULL
        else:
            self._wlock = self._rlock = _NULL

    # -- plumbing ---------------------------------------------------------------------------
    def _check_fork(self) -> None:
        if os.getpid() != self._pid:  # a forked child must not use the parent's connections
            self._dispose(close=False)
            self._make_locks()
            for log in self._logs.values():  # a lock held by a parent thread stays held
                log.lock = threading.Lock()
            self._logs_lock = threading.Lock()
            self._dists = DistributionCache()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite); commits on success."""
        self._check_fork()
        with self._wlock, self._writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        self._check_fork()
        with self._rlock, self._reader.connect() as conn:
            yield conn

    def _init_schema(self) -> None:
        try:
            with self._read() as conn:
                found = migrations.read_version(conn)
            if found == schema.SCHEMA_VERSION:
                return
            if found is None:
                self._create_schema()
                return
        except (SchemaVersionError, StorageError):
            raise
        except sa.exc.DBAPIError as exc:
            raise connection_error(self._url, exc) from exc
        raise self._version_error(found)

    def _version_error(self, found: int) -> SchemaVersionError:
        expected = schema.SCHEMA_VERSION
        if found > expected:
            advice = "it was written by a newer hyperscout: upgrade hyperscout to open it"
        else:
            advice = ("it was written by an older hyperscout: move it forward with "
                      f"`hyperscout storage upgrade '{mask(self._url)}'` (back it up first)")
        return SchemaVersionError(
            f"storage {mask(self._url)!r} has hyperscout schema version {found}, but this "
            f"hyperscout uses schema version {expected}; {advice}."
        )

    def _create_schema(self) -> None:
        """Create the tables once, even when many workers open a new database together."""
        with self._write() as conn:
            found = migrations.read_version(conn)
            if found is None:
                migrations.migrate(conn, self._backend.name)
            elif found != schema.SCHEMA_VERSION:
                raise self._version_error(found)

    def _log(self, study_id: int) -> _FinishedLog:
        log = self._logs.get(study_id)
        if log is None:
            with self._logs_lock:
                log = self._logs.setdefault(study_id, _FinishedLog())
        return log

    def _absorb(self, log: _FinishedLog, rows: Sequence[Any]) -> None:
        """Append newly finished rows to ``log`` (caller holds ``log.lock``)."""
        if not rows:
            return
        cache = self._finished
        for row in rows:
            seq = row[SEQ]
            if seq <= log.last_seq:
                continue
            rec = cache.get(row[0])
            if rec is None:
                rec = build_trial(row, self._dists)
                cache[row[0]] = rec
            log.trials.append(rec)
            log.seqs.append(seq)
        log.by_number = None

    def _sync(self, conn: Connection, log: _FinishedLog, study_id: int) -> None:
        rows = conn.execute(
            self._q.finished_since, {"sid": study_id, "seq": log.last_seq}
        ).all()
        self._absorb(log, rows)

    def _not_found(self, study_id: int) -> StudyNotFoundError:
        return StudyNotFoundError(f"no study with id {study_id} in {mask(self._url)!r}")

    # -- studies ----------------------------------------------------------------------------
    def create_study(
        self, name: str, directions: Sequence[str], *, user_attrs: Mapping[str, Any] | None = None
    ) -> int:
        if not isinstance(name, str) or not name:
            raise ValueError(f"study name {name!r} must be a non-empty string")
        if len(name) > 512:
            raise ValueError(f"study name {name[:40]!r}... has {len(name)} characters; max 512")
        for k, v in (user_attrs or {}).items():
            check_json("create_study(user_attrs)", k, v)
        try:
            with self._write() as conn:
                res = conn.execute(sa.insert(S).values(
                    name=name,
                    directions=dumps(list(directions)),
                    user_attrs=dict_json(user_attrs),
                    system_attrs=EMPTY,
                    next_trial_number=0,
                    n_waiting=0,
                    finish_counter=0,
                    created=_utcnow(),
                ))
                # a single-row INSERT always has its key (SQLAlchemy types it Optional)
                return int(cast(sa.Row[Any], res.inserted_primary_key)[0])
        except sa.exc.IntegrityError:
            raise DuplicatedStudyError(
                f"a study named {name!r} exists already; pass load_if_exists=True to resume it"
            ) from None

    def get_study_id(self, name: str) -> int:
        with self._read() as conn:
            sid = conn.execute(sa.select(S.c.id).where(S.c.name == name)).scalar()
        if sid is None:
            raise StudyNotFoundError(f"no study named {name!r} in {mask(self._url)!r}")
        return int(sid)

    def _study_row(self, study_id: int) -> Any:
        with self._read() as conn:
            row = conn.execute(self._q.study_row, {"sid": study_id}).first()
        if row is None:
            raise self._not_found(study_id)
        return row

    def get_study_name(self, study_id: int) -> str:
        return self._study_row(study_id)[0]

    def get_study_directions(self, study_id: int) -> tuple[str, ...]:
        return tuple(loads_list(self._study_row(study_id)[1]))

    def list_studies(self) -> list[StudySummary]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(S.c.id, S.c.name, S.c.directions, S.c.user_attrs,
                          S.c.next_trial_number, S.c.created).order_by(S.c.id)
            ).all()
            dirs = {r[0]: tuple(loads_list(r[2])) for r in rows}
            single = [sid for sid, d in dirs.items() if len(d) == 1]
            best: dict[int, tuple[float, ...]] = {}
            if single:
                vals = conn.execute(
                    sa.select(T.c.study_id, T.c.objective_values)
                    .where(T.c.study_id.in_(single), T.c.state == TrialState.COMPLETE.value)
                ).all()
                for sid, text in vals:
                    v = tuple(loads_list(text))
                    sign = 1.0 if dirs[sid][0] == "minimize" else -1.0
                    old = best.get(sid)
                    if old is None or sign * v[0] < sign * old[0]:
                        best[sid] = v
        return [
            StudySummary(int(r[0]), r[1], dirs[r[0]], int(r[4]), best.get(r[0]), r[5],
                         loads_dict(r[3]) or {})
            for r in rows
        ]

    def delete_study(self, study_id: int) -> None:
        with self._write() as conn:
            found = conn.execute(self._q.lock_study, {"sid": study_id}).first()
            if found is None:
                raise self._not_found(study_id)
            conn.execute(sa.delete(T).where(T.c.study_id == study_id))
            conn.execute(sa.delete(S).where(S.c.id == study_id))
        with self._logs_lock:
            log = self._logs.pop(study_id, None)
        for rec in log.trials if log else ():
            self._finished.pop(rec.trial_id, None)
        for tid in [t for t, s in list(self._trial_study.items()) if s == study_id]:
            self._trial_study.pop(tid, None)
            self._finished.pop(tid, None)

    def get_study_attrs(self, study_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        with self._read() as conn:
            row = conn.execute(
                sa.select(S.c.user_attrs, S.c.system_attrs).where(S.c.id == study_id)
            ).first()
        if row is None:
            raise self._not_found(study_id)
        return loads_dict(row[0]) or {}, loads_dict(row[1]) or {}

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        check_json("set_study_attr", key, value)
        col = S.c.system_attrs if system else S.c.user_attrs
        with self._write() as conn:
            text = conn.execute(
                sa.select(col).where(S.c.id == study_id).with_for_update()
            ).scalar()
            if text is None:
                raise self._not_found(study_id)
            attrs = loads_dict(text) or {}
            attrs[key] = value
            conn.execute(sa.update(S).where(S.c.id == study_id).values({col.key: dumps(attrs)}))

    # -- creating and claiming trials -------------------------------------------------------
    def _insert(
        self, conn: Connection, study_id: int, number: int, state: TrialState, now: _dt.datetime,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        hb: _dt.datetime | None = None,
    ) -> FrozenTrial:
        start = now if state is TrialState.RUNNING else None
        p = dict(params) if params else {}
        d = dict(distributions) if distributions else {}
        ua = _copy_json(user_attrs)
        sa_ = _copy_json(system_attrs)
        res = conn.execute(self._q.insert_trial, {
            "study_id": study_id, "number": number, "state": state.value,
            "params": dict_json(p), "distributions": dists_to_json(d),
            "objective_values": None, "intermediate_values": EMPTY,
            "user_attrs": dict_json(ua), "system_attrs": dict_json(sa_),
            "datetime_start": start, "datetime_complete": None, "error": None,
            "finish_seq": None, "heartbeat": hb,
        })
        # a single-row INSERT always has its key (SQLAlchemy types it Optional)
        tid = int(cast(sa.Row[Any], res.inserted_primary_key)[0])
        return FrozenTrial.build(
            number=number, trial_id=tid, state=state, params=p, distributions=d,
            user_attrs=ua, system_attrs=sa_, datetime_start=start,
        )

    def _claim(self, conn: Connection, study_id: int, now: _dt.datetime,
               hb: _dt.datetime | None = None) -> FrozenTrial | None:
        """Claim the oldest WAITING trial (the study row is locked by the caller)."""
        row = conn.execute(self._q.first_waiting, {"sid": study_id}).first()
        if row is None:
            conn.execute(self._q.fix_waiting, {"sid": study_id})  # the counter drifted
            return None
        conn.execute(self._q.claim, {"tid": row[0], "now": now, "hb": hb})
        conn.execute(self._q.add_waiting, {"sid": study_id, "w": -1})
        rec = build_trial(row, self._dists, TrialState.RUNNING)
        return dataclasses.replace(rec, datetime_start=now)

    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"state={state.name}: a new trial is RUNNING or WAITING")
        now = _utcnow()
        w = 1 if state is TrialState.WAITING else 0
        with self._write() as conn:
            if self._returning:
                nxt = conn.execute(self._q.create_returning, {"sid": study_id, "w": w}).scalar()
                if nxt is None:
                    raise self._not_found(study_id)
                number = nxt - 1
            else:
                row = conn.execute(self._q.lock_study, {"sid": study_id}).first()
                if row is None:
                    raise self._not_found(study_id)
                number = row[0]
                conn.execute(self._q.bump_next, {"sid": study_id, "w": w})
            rec = self._insert(conn, study_id, number, state, now, params, distributions,
                               user_attrs, system_attrs)
        return self._started(study_id, rec)

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        now = _utcnow()
        with self._write() as conn:
            row = conn.execute(self._q.lock_study, {"sid": study_id}).first()
            if row is None:
                raise self._not_found(study_id)
            if row[1] <= 0:
                return None
            rec = self._claim(conn, study_id, now)
        return None if rec is None else self._started(study_id, rec)

    def start_trial(self, study_id: int) -> FrozenTrial:
        """Claim the oldest WAITING trial or create a RUNNING one, in one transaction."""
        now = _utcnow()
        with self._write() as conn:
            if self._returning:
                row = conn.execute(self._q.start_returning, {"sid": study_id}).first()
                if row is None:
                    raise self._not_found(study_id)
                nxt, n_waiting = row
                reserved = n_waiting <= 0  # the number nxt - 1 is ours
            else:
                row = conn.execute(self._q.lock_study, {"sid": study_id}).first()
                if row is None:
                    raise self._not_found(study_id)
                nxt, n_waiting = row[0], row[1]
                reserved = False
            rec = self._claim(conn, study_id, now) if n_waiting > 0 else None
            if rec is None:
                if reserved:
                    number = nxt - 1
                else:
                    number = nxt
                    conn.execute(self._q.bump_next, {"sid": study_id, "w": 0})
                rec = self._insert(conn, study_id, number, TrialState.RUNNING, now)
        return self._started(study_id, rec)

    # -- the shared budget, heartbeats, retries ----------------------------------------------
    def set_budget(
        self, study_id: int, n_trials: int | None, deadline: _dt.datetime | None
    ) -> Budget:
        with self._write() as conn:
            row = conn.execute(self._q.lock_budget, {"sid": study_id}).first()
            if row is None:
                raise self._not_found(study_id)
            used = int(row[3])
            total = None if n_trials is None else used + int(n_trials)
            conn.execute(sa.update(S).where(S.c.id == study_id).values(
                budget_trials=total, budget_deadline=deadline, stopped=0))
        return Budget(total, used, deadline, False)

    def get_budget(self, study_id: int) -> Budget:
        with self._read() as conn:
            row = conn.execute(self._q.budget, {"sid": study_id}).first()
        if row is None:
            raise self._not_found(study_id)
        return Budget(row[0], int(row[1]), row[2], bool(row[3]))

    def stop_study(self, study_id: int) -> None:
        with self._write() as conn:
            res = conn.execute(sa.update(S).where(S.c.id == study_id).values(stopped=1))
            if res.rowcount == 0 and conn.execute(
                    self._q.study_row, {"sid": study_id}).first() is None:
                raise self._not_found(study_id)

    def start_trial_within_budget(
        self, study_id: int, *, heartbeat: bool = False
    ) -> FrozenTrial | None:
        """Take a budget slot and claim a WAITING trial or create a RUNNING one, in one
        transaction (one UPDATE ... RETURNING and one INSERT on PostgreSQL and SQLite)."""
        now = _utcnow()
        hb = now if heartbeat else None
        with self._write() as conn:
            if self._returning:
                row = conn.execute(self._q.start_budget_returning,
                                   {"sid": study_id, "now": now}).first()
                if row is None:
                    if conn.execute(self._q.study_row, {"sid": study_id}).first() is None:
                        raise self._not_found(study_id)
                    return None  # budget spent, deadline passed or stopped
                nxt, n_waiting = row
                reserved = n_waiting <= 0
            else:
                row = conn.execute(self._q.lock_budget, {"sid": study_id}).first()
                if row is None:
                    raise self._not_found(study_id)
                if not Budget(row[2], int(row[3]), row[4], bool(row[5])).allows(now):
                    return None
                nxt, n_waiting = row[0], row[1]
                if n_waiting > 0:
                    conn.execute(self._q.take_slot, {"sid": study_id})
                    reserved = False
                else:  # number and slot in one statement
                    conn.execute(self._q.bump_next_take_slot, {"sid": study_id})
                    reserved = True
                    nxt += 1
            rec = self._claim(conn, study_id, now, hb) if n_waiting > 0 else None
            if rec is None:
                if reserved:
                    number = nxt - 1
                else:
                    number = nxt
                    conn.execute(self._q.bump_next, {"sid": study_id, "w": 0})
                rec = self._insert(conn, study_id, number, TrialState.RUNNING, now, hb=hb)
        return self._started(study_id, rec)

    def heartbeat(self, trial_ids: Sequence[int]) -> None:
        if not trial_ids:
            return
        with self._write() as conn:
            conn.execute(self._q.beat, {"tids": list(trial_ids), "now": _utcnow()})

    def fail_stale_trials(
        self, study_id: int, grace_period: float, max_retries: int = 0
    ) -> list[FrozenTrial]:
        now = _utcnow()
        cutoff = now - _dt.timedelta(seconds=grace_period)
        with self._read() as conn:  # the few RUNNING trials, through the (study, state) index
            stale = conn.execute(self._q.stale, {"sid": study_id, "cutoff": cutoff}).all()
        failed: list[FrozenTrial] = []
        for row in stale:
            rec = self._reap(study_id, row, now, grace_period, max_retries)
            if rec is not None:
                failed.append(rec)
        return failed

    def _reap(self, study_id: int, row: Any, now: _dt.datetime, grace: float,
              max_retries: int) -> FrozenTrial | None:
        """Fail one stale trial and queue its retry in one transaction; ``None`` if another
        worker failed (or the trial's own worker beat or finished) it first."""
        old = build_trial(row, self._dists)
        hb = row[len(row) - 1]
        n_retries = int(old.system_attrs.get(RETRY_COUNT_KEY, 0) or 0)
        retry = n_retries < max_retries
        error = (f"heartbeat lost: trial {old.number} sent no heartbeat since "
                 f"{hb.isoformat()} (grace period {grace:g} s); its worker probably died")
        try:
            with self._write() as conn:
                if self._returning:
                    seq = conn.execute(self._q.finish_returning, {"sid": study_id}).scalar()
                else:
                    counter = conn.execute(self._q.lock_study, {"sid": study_id}).first()
                    seq = None if counter is None else counter[2] + 1
                    if seq is not None:
                        conn.execute(self._q.set_finish, {"sid": study_id, "seq": seq})
                if seq is None:
                    raise self._not_found(study_id)
                if retry:
                    error += f"; retried as a new trial ({n_retries + 1} of {max_retries})"
                res = conn.execute(self._q.reap, {
                    "tid": old.trial_id, "hb": hb, "now": now, "b_error": error, "b_seq": seq})
                if res.rowcount != 1:
                    raise _Lost()
                if retry:
                    # the study row was written (or locked) above in this transaction: it is
                    # there, so first() is not None
                    locked = conn.execute(self._q.lock_study, {"sid": study_id}).first()
                    number = cast(sa.Row[Any], locked)[0]
                    conn.execute(self._q.bump_next, {"sid": study_id, "w": 1})
                    conn.execute(self._q.refund_slot, {"sid": study_id})
                    self._insert(conn, study_id, number, TrialState.WAITING, now,
                                 user_attrs=old.user_attrs, system_attrs={
                                     FIXED_PARAMS_KEY: dict(old.params),
                                     RETRIED_FROM_KEY: old.number,
                                     CHECKPOINT_FROM_KEY: old.number,
                                     RETRY_COUNT_KEY: n_retries + 1,
                                 })
        except _Lost:
            return None
        rec = dataclasses.replace(old, state=TrialState.FAIL, datetime_complete=now, error=error)
        self._finished[old.trial_id] = rec
        self._append_own(study_id, seq, rec)
        return rec

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Insert finished trials in bulk: one transaction, one multi-row INSERT."""
        for t in trials:
            if not t.state.is_finished:
                raise ValueError(f"add_trials: trial {t.number} is {t.state.name}; only finished "
                                 "trials can be added")
        if not trials:
            return []
        now = _utcnow()
        n = len(trials)
        with self._write() as conn:
            row = conn.execute(self._q.lock_study, {"sid": study_id}).first()
            if row is None:
                raise self._not_found(study_id)
            first, seq0 = int(row[0]), int(row[2])
            conn.execute(sa.update(S).where(S.c.id == study_id).values(
                next_trial_number=first + n, finish_counter=seq0 + n))
            rows = []
            for i, t in enumerate(trials):
                rows.append({
                    "study_id": study_id, "number": first + i, "state": t.state.value,
                    "params": dict_json(dict(t.params)),
                    "distributions": dists_to_json(dict(t.distributions)),
                    "objective_values": None if t.values is None else dumps(list(t.values)),
                    "intermediate_values": iv_to_json(dict(t.intermediate_values)),
                    "user_attrs": dict_json(_copy_json(t.user_attrs)),
                    "system_attrs": dict_json(_copy_json(t.system_attrs)),
                    "datetime_start": t.datetime_start or now,
                    "datetime_complete": t.datetime_complete or now,
                    "error": t.error, "finish_seq": seq0 + 1 + i, "heartbeat": None,
                })
            conn.execute(sa.insert(T), rows)
        return [t for t in self.get_trials(study_id) if t.number >= first][:n]

    def _started(self, study_id: int, rec: FrozenTrial) -> FrozenTrial:
        # only once committed: SQLite may hand a rolled-back id out again
        self._trial_study[rec.trial_id] = study_id
        return rec

    # -- changing trials --------------------------------------------------------------------
    def _study_of(self, conn: Connection, trial_id: int) -> int:
        sid = self._trial_study.get(trial_id)
        if sid is None:
            sid = conn.execute(self._q.trial_study, {"tid": trial_id}).scalar()
            if sid is None:
                raise KeyError(f"no trial with id {trial_id} in {mask(self._url)!r}")
            self._trial_study[trial_id] = sid
        return sid

    def update_trial(
        self,
        trial_id: int,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        cols = [T.c.number, T.c.state]
        if params or distributions:
            cols += [T.c.params, T.c.distributions]
        if intermediate_values:
            cols.append(T.c.intermediate_values)
        if user_attrs:
            cols.append(T.c.user_attrs)
        if system_attrs:
            cols.append(T.c.system_attrs)
        with self._write() as conn:
            row = conn.execute(
                sa.select(*cols).where(T.c.id == trial_id).with_for_update()
            ).first()
            if row is None:
                raise KeyError(f"no trial with id {trial_id} in {mask(self._url)!r}")
            if row[1] != RUNNING:
                raise StaleTrialError(
                    f"trial {row[0]} is {STATES[row[1]].name}, not RUNNING; it cannot be updated"
                )
            old = dict(zip((c.key for c in cols[2:]), row[2:]))
            new: dict[str, str] = {}
            if params or distributions:
                p = loads_dict(old["params"]) or {}
                p.update(params or {})
                d = dict(self._dists.get(old["distributions"]) or {})
                d.update(distributions or {})
                new["params"] = dict_json(p)
                new["distributions"] = dists_to_json(d)
            if intermediate_values:
                iv = iv_from_json(old["intermediate_values"]) or {}
                iv.update(intermediate_values)
                new["intermediate_values"] = iv_to_json(iv)
            if user_attrs:
                ua = loads_dict(old["user_attrs"]) or {}
                ua.update(user_attrs)
                new["user_attrs"] = dict_json(ua)
            if system_attrs:
                s = loads_dict(old["system_attrs"]) or {}
                s.update(system_attrs)
                new["system_attrs"] = dict_json(s)
            if new:
                conn.execute(sa.update(T).where(T.c.id == trial_id).values(new))

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        if not state.is_finished:
            raise ValueError(f"state={state.name}: finish_trial needs COMPLETE, PRUNED or FAIL")
        vals = tuple(float(v) for v in values) if values is not None else None
        now = _utcnow()
        with self._write() as conn:
            sid = self._study_of(conn, trial_id)
            # the study row first (lock order study -> trial everywhere): the next finish_seq
            if self._returning:
                seq = conn.execute(self._q.finish_returning, {"sid": sid}).scalar()
            else:
                counter = conn.execute(self._q.lock_study, {"sid": sid}).first()
                seq = None if counter is None else counter[2] + 1
                if seq is not None:
                    conn.execute(self._q.set_finish, {"sid": sid, "seq": seq})
            row = conn.execute(self._q.trial_for_update, {"tid": trial_id}).first()
            if seq is None or row is None:
                raise KeyError(f"no trial with id {trial_id} in {mask(self._url)!r}")
            old = STATES[row[3]]
            if not can_transition(old, state):
                raise StaleTrialError(
                    f"trial {row[2]} is already {old.name}; it cannot become {state.name}"
                )
            p = loads_dict(row[4]) or {}
            if params:
                p.update(params)
            d = dict(self._dists.get(row[5]) or {})
            if distributions:
                d.update(distributions)
            iv = iv_from_json(row[7]) or {}
            if intermediate_values:
                iv.update(intermediate_values)
            ua = loads_dict(row[8]) or {}
            if user_attrs:
                ua.update(_copy_json(user_attrs))
            sa_ = loads_dict(row[9]) or {}
            if system_attrs:
                sa_.update(_copy_json(system_attrs))
            start = row[10] or now
            res = conn.execute(self._q.finish, {
                "tid": trial_id, "b_state": state.value, "b_params": dict_json(p),
                "b_dists": dists_to_json(d),
                "b_values": dumps(list(vals)) if vals is not None else None,
                "b_iv": iv_to_json(iv), "b_ua": dict_json(ua), "b_sa": dict_json(sa_),
                "b_start": start, "b_complete": now, "b_error": error, "b_seq": seq,
            })
            if res.rowcount != 1:  # unreachable under the row lock; never write a half finish
                raise StaleTrialError(f"trial {row[2]} was finished by another worker")
            if old is TrialState.WAITING:
                conn.execute(self._q.add_waiting, {"sid": sid, "w": -1})
        rec = FrozenTrial.build(
            number=row[2], trial_id=trial_id, state=state, params=p, distributions=d,
            values=vals, intermediate_values=iv, user_attrs=ua, system_attrs=sa_,
            datetime_start=start, datetime_complete=now, error=error,
        )
        self._finished[trial_id] = rec  # committed: immutable from now on
        self._append_own(sid, seq, rec)
        return rec

    def _append_own(self, study_id: int, seq: int, rec: FrozenTrial) -> None:
        """Put a trial this process just finished into the study's log if it is the very next
        one, so a later read doesn't fetch it again; otherwise the next sync will."""
        log = self._log(study_id)
        if log.lock.acquire(blocking=False):  # never wait behind a sync
            try:
                if seq == log.last_seq + 1:
                    log.trials.append(rec)
                    log.seqs.append(seq)
                    log.by_number = None
            finally:
                log.lock.release()

    # -- reading trials ---------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        rec = self._finished.get(trial_id)
        if rec is not None:
            return rec
        with self._read() as conn:
            row = conn.execute(self._q.trial, {"tid": trial_id}).first()
        if row is None:
            raise KeyError(f"no trial with id {trial_id} in {mask(self._url)!r}")
        rec = build_trial(row, self._dists)
        self._trial_study[trial_id] = row[1]
        if rec.state.is_finished:
            self._finished[trial_id] = rec
        return rec

    def get_trials(
        self, study_id: int, states: Sequence[TrialState] | None = None
    ) -> list[FrozenTrial]:
        wanted = None if states is None else {TrialState.parse(s) for s in states}
        want_unfinished = wanted is None or TrialState.RUNNING in wanted \
            or TrialState.WAITING in wanted
        want_finished = wanted is None or any(s.is_finished for s in wanted)
        log = self._log(study_id)
        with log.lock:
            with self._read() as conn:
                if conn.execute(self._q.study_row, {"sid": study_id}).first() is None:
                    raise self._not_found(study_id)
                # unfinished first: a trial finishing in between then shows up twice (deduped
                # below) instead of not at all
                rows = conn.execute(self._q.unfinished, {"sid": study_id}).all() \
                    if want_unfinished else []
                if want_finished:
                    self._sync(conn, log, study_id)
            if want_finished:
                if log.by_number is None:
                    log.by_number = sorted(log.trials, key=_number)
                finished = log.by_number
            else:
                finished = []
        done = {t.trial_id for t in finished} if rows else ()
        unfinished = sorted((build_trial(r, self._dists) for r in rows if r[0] not in done),
                            key=_number)
        out = _merge_by_number(finished, unfinished) if unfinished else list(finished)
        if wanted is not None:
            out = [t for t in out if t.state in wanted]
        return out

    def read_finished(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        log = self._log(study_id)
        with log.lock:
            with self._read() as conn:
                self._sync(conn, log, study_id)
            i = bisect.bisect_right(log.seqs, cursor)
            return log.trials[i:], max(cursor, log.last_seq)

    def get_unfinished_trials(self, study_id: int) -> list[FrozenTrial]:
        with self._read() as conn:
            rows = conn.execute(self._q.unfinished, {"sid": study_id}).all()
        if not rows:
            return []
        build = build_trial
        dists = self._dists
        return sorted((build(r, dists) for r in rows), key=_number)

    def n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        if states is None:
            return int(self._study_row(study_id)[2])
        wanted = [TrialState.parse(s).value for s in states]
        with self._read() as conn:
            n = conn.execute(
                sa.select(sa.func.count()).select_from(T)
                .where(T.c.study_id == study_id, T.c.state.in_(wanted))
            ).scalar()
        return int(n or 0)

    # -- lifecycle --------------------------------------------------------------------------
    def _dispose(self, close: bool = True) -> None:
        self._engine.dispose(close=close)
        if self._reader.pool is not self._engine.pool:  # MySQL's second pool
            self._reader.dispose(close=close)

    def close(self) -> None:
        """Close the pooled connections (the storage reconnects if used again)."""
        self._dispose()

    def __getstate__(self) -> dict[str, Any]:
        # a pickled storage (sent to a worker process) reconnects from its URL there
        return {"url": self._url.render_as_string(hide_password=False),
                "engine_kwargs": self._engine_kwargs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], engine_kwargs=state["engine_kwargs"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"SQLStorage({mask(self._url)!r})"


class _Lost(Exception):
    """Rolls a reaping transaction back: someone else changed the trial first."""


def _number(t: FrozenTrial) -> int:
    return t.number


def _merge_by_number(a: list[FrozenTrial], b: list[FrozenTrial]) -> list[FrozenTrial]:
    """Merge two lists sorted by number."""
    if not a:
        return list(b)
    out = list(a)
    if b[0].number > a[-1].number:
        out.extend(b)
        return out
    out.extend(b)
    out.sort(key=_number)
    return out


def _copy_json(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A deep copy through JSON (what a reader of the database would get back)."""
    return loads_dict(dumps(dict(attrs))) or {} if attrs else {}
