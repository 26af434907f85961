"""Conformance checks for :class:`~hyperscout.storage.Storage` implementations.

Each check is a plain function taking a *storage factory*: a callable returning a handle onto
one backing store. Calling it twice must give two handles onto the same data (a new
connection to the same database, or the same in-memory object), which lets the checks test
that one handle's writes are visible through another one (caches must not go stale). Checks
use fresh random study names, so they can run against a shared database. A failed check
raises ``AssertionError`` with what was expected.

Run them all with :func:`run_storage_suite`, or parametrize a test over :data:`CHECKS`.

Example:
    >>> from hyperscout.storage import InMemoryStorage
    >>> from hyperscout.testing.storage_suite import run_storage_suite
    >>> store = InMemoryStorage()
    >>> run_storage_suite(lambda: store)
"""

from __future__ import annotations

import datetime as _dt
import math
import threading
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from hyperscout.exceptions import DuplicatedStudyError, StaleTrialError, StudyNotFoundError
from hyperscout.space.distributions import Categorical, Distribution, Float, Int
from hyperscout.storage.base import Storage
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

StorageFactory = Callable[[], Storage]

__all__ = ["CHECKS", "StorageFactory", "check_multiprocess_numbering", "run_storage_suite"]


# -- helpers ----------------------------------------------------------------------------------
def _eq(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def _true(cond: Any, what: str) -> None:
    if not cond:
        raise AssertionError(what)


def _raises(exc: type[BaseException], fn: Callable[[], Any], what: str) -> BaseException:
    try:
        fn()
    except exc as e:
        return e
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        raise AssertionError(f"{what}: expected {exc.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"{what}: expected {exc.__name__}, nothing was raised")


def _name(tag: str) -> str:
    return f"suite-{tag}-{uuid.uuid4().hex[:12]}"


def _aware_utc(dt: _dt.datetime | None, what: str) -> None:
    _true(dt is not None and dt.tzinfo is not None and dt.utcoffset() == _dt.timedelta(0),
          f"{what} must be a timezone-aware UTC datetime, got {dt!r}")


def _same_record(a: FrozenTrial, b: FrozenTrial, what: str) -> None:
    for field in ("number", "trial_id", "state", "values", "error", "datetime_start",
                  "datetime_complete"):
        _eq(getattr(b, field), getattr(a, field), f"{what}: {field}")
    for field in ("params", "distributions", "intermediate_values", "user_attrs",
                  "system_attrs"):
        _eq(dict(getattr(b, field)), dict(getattr(a, field)), f"{what}: {field}")
    for k, v in a.params.items():
        _eq(type(b.params[k]), type(v), f"{what}: type of param {k!r}")


# -- studies ----------------------------------------------------------------------------------
def check_study_lifecycle(make: StorageFactory) -> None:
    """create / get id / get name / duplicate / not found / delete."""
    s = make()
    name = _name("life")
    sid = s.create_study(name, ["minimize"], user_attrs={"owner": "ana"})
    _eq(s.get_study_id(name), sid, "get_study_id after create_study")
    _eq(s.get_study_name(sid), name, "get_study_name")
    _eq(tuple(s.get_study_directions(sid)), ("minimize",), "get_study_directions")
    _raises(DuplicatedStudyError, lambda: s.create_study(name, ["minimize"]),
            "create_study with a taken name")
    _raises(StudyNotFoundError, lambda: s.get_study_id(_name("missing")),
            "get_study_id of a missing study")
    other = make()
    _eq(other.get_study_id(name), sid, "get_study_id through a second handle")
    upper = s.create_study(name.upper(), ["minimize"])  # names are case-sensitive
    _true(upper != sid, "a name differing only in case is another study")
    _eq(other.get_study_id(name.upper()), upper, "get_study_id of the upper-case name")
    uni = name + "-é-λ-✓"
    uid = s.create_study(uni, ["minimize"])
    _eq((other.get_study_name(uid), other.get_study_id(uni)), (uni, uid), "a unicode name")
    s.delete_study(sid)
    _raises(StudyNotFoundError, lambda: s.get_study_id(name), "get_study_id after delete")
    _raises(StudyNotFoundError, lambda: other.get_study_name(sid), "get_study_name after delete")
    _raises(StudyNotFoundError, lambda: s.delete_study(sid), "delete_study twice")
    sid2 = s.create_study(name, ["maximize"])
    _eq(s.get_study_directions(sid2), ("maximize",), "a deleted study's name can be reused")


def check_directions(make: StorageFactory) -> None:
    """Directions of single- and multi-objective studies round-trip in order."""
    s = make()
    for dirs in (["maximize"], ["minimize", "maximize"], ["maximize", "maximize", "minimize"]):
        sid = s.create_study(_name("dirs"), dirs)
        _eq(tuple(make().get_study_directions(sid)), tuple(dirs), "directions")


def check_study_attrs(make: StorageFactory) -> None:
    """User and system attributes of a study are separate, merged by key, and copied out."""
    s = make()
    sid = s.create_study(_name("attrs"), ["minimize"], user_attrs={"a": 1})
    s.set_study_attr(sid, "b", {"nested": [1, 2.5, None, "x"]})
    s.set_study_attr(sid, "b2", "λ ✓")
    s.set_study_attr(sid, "state", {"k": True}, system=True)
    user, system = make().get_study_attrs(sid)
    _eq(user, {"a": 1, "b": {"nested": [1, 2.5, None, "x"]}, "b2": "λ ✓"}, "study user_attrs")
    _eq(system, {"state": {"k": True}}, "study system_attrs")
    user["a"] = 99
    _eq(s.get_study_attrs(sid)[0]["a"], 1, "get_study_attrs must return a copy")
    s.set_study_attr(sid, "a", 2)
    _eq(s.get_study_attrs(sid)[0]["a"], 2, "set_study_attr overwrites a key")
    _raises(StudyNotFoundError, lambda: s.set_study_attr(10**9, "a", 1),
            "set_study_attr on a missing study")


def check_list_studies(make: StorageFactory) -> None:
    """list_studies: name, directions, trial count, best values, user attrs."""
    s = make()
    lo, hi, multi = _name("min"), _name("max"), _name("multi")
    ids = {lo: s.create_study(lo, ["minimize"], user_attrs={"tag": 1}),
           hi: s.create_study(hi, ["maximize"]),
           multi: s.create_study(multi, ["minimize", "maximize"])}
    for v in (3.0, 1.0, 2.0):
        for n in (lo, hi):
            t = s.create_trial(ids[n])
            s.finish_trial(t.trial_id, TrialState.COMPLETE, [v])
    s.create_trial(ids[lo])  # running: counted, not a best
    t = s.create_trial(ids[multi])
    s.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0, 2.0])
    by_name = {x.name: x for x in make().list_studies()}
    _true(all(n in by_name for n in ids), "list_studies must list every study")
    _eq(by_name[lo].study_id, ids[lo], "summary study_id")
    _eq(by_name[lo].n_trials, 4, "summary n_trials (running included)")
    _eq(tuple(by_name[lo].best_values or ()), (1.0,), "best of a minimize study")
    _eq(tuple(by_name[hi].best_values or ()), (3.0,), "best of a maximize study")
    _eq(by_name[multi].best_values, None, "best of a multi-objective study")
    _eq(tuple(by_name[multi].directions), ("minimize", "maximize"), "summary directions")
    _eq(dict(by_name[lo].user_attrs), {"tag": 1}, "summary user_attrs")
    _aware_utc(by_name[lo].datetime_start, "summary datetime_start")


def check_delete_study(make: StorageFactory) -> None:
    """Deleting a study removes its trials and leaves other studies alone."""
    s = make()
    a = s.create_study(_name("del-a"), ["minimize"])
    b = s.create_study(_name("del-b"), ["minimize"])
    ta = s.create_trial(a)
    s.finish_trial(ta.trial_id, TrialState.COMPLETE, [1.0])
    s.read_finished(a, 0)  # let a cache fill
    tb = s.create_trial(b)
    s.finish_trial(tb.trial_id, TrialState.COMPLETE, [2.0])
    s.delete_study(a)
    _raises(StudyNotFoundError, lambda: s.get_trials(a), "get_trials of a deleted study")
    _raises(KeyError, lambda: make().get_trial(ta.trial_id), "get_trial of a deleted study's trial")
    _eq([t.values for t in s.get_trials(b)], [(2.0,)], "the other study's trials")


# -- trials -----------------------------------------------------------------------------------
def check_trial_numbering(make: StorageFactory) -> None:
    """Numbers are 0, 1, 2, ... per study, across create/start/claim; ids are unique."""
    s = make()
    a = s.create_study(_name("num-a"), ["minimize"])
    b = s.create_study(_name("num-b"), ["minimize"])
    recs = [s.create_trial(a), s.start_trial(a), s.create_trial(a, state=TrialState.WAITING),
            s.create_trial(b), s.create_trial(a, state=TrialState.WAITING), s.start_trial(b),
            s.start_trial(a)]
    _eq([r.number for r in recs], [0, 1, 2, 0, 3, 1, 2], "trial numbers per study")
    _eq(recs[6].trial_id, recs[2].trial_id, "start_trial claims the oldest waiting trial")
    _eq(len({r.trial_id for r in recs[:6]}), 6, "trial ids must be unique")
    _eq(s.n_trials(a, [TrialState.WAITING]), 1, "n_trials of WAITING")
    _eq(s.start_trial(a).number, 3, "the next waiting trial")
    _eq(make().start_trial(a).number, 4, "a new trial once none waits")
    _eq([t.number for t in make().get_trials(a)], [0, 1, 2, 3, 4], "get_trials order")
    _eq(s.n_trials(a), 5, "n_trials")
    _eq(s.n_trials(a, [TrialState.WAITING]), 0, "n_trials of WAITING after claims")
    _raises(StudyNotFoundError, lambda: s.create_trial(10**9), "create_trial on a missing study")
    _raises(StudyNotFoundError, lambda: s.start_trial(10**9), "start_trial on a missing study")


def check_transitions(make: StorageFactory) -> None:
    """RUNNING -> update (merged) -> COMPLETE with everything written in one finish."""
    s = make()
    sid = s.create_study(_name("trans"), ["minimize"])
    _raises(ValueError, lambda: s.create_trial(sid, state=TrialState.COMPLETE),
            "create_trial in a finished state")
    t = s.start_trial(sid)
    _eq(t.state, TrialState.RUNNING, "start_trial state")
    _aware_utc(t.datetime_start, "datetime_start of a running trial")
    fx, ix = Float(0.0, 1.0), Int(1, 9)
    s.update_trial(t.trial_id, params={"x": 0.25}, distributions={"x": fx},
                   intermediate_values={0: 1.5}, user_attrs={"u": 1})
    s.update_trial(t.trial_id, params={"k": 3}, distributions={"k": ix},
                   intermediate_values={1: 1.25}, user_attrs={"v": 2}, system_attrs={"s": "x"})
    live = make().get_trial(t.trial_id)
    _eq(dict(live.params), {"x": 0.25, "k": 3}, "params merged by update_trial")
    _eq(dict(live.intermediate_values), {0: 1.5, 1: 1.25}, "intermediate values merged")
    _eq(dict(live.user_attrs), {"u": 1, "v": 2}, "user attrs merged")
    _raises(ValueError, lambda: s.finish_trial(t.trial_id, TrialState.RUNNING),
            "finish_trial to an unfinished state")
    done = s.finish_trial(t.trial_id, TrialState.COMPLETE, [0.5], params={"c": None},
                          distributions={"c": Categorical([None, "a"])},
                          intermediate_values={2: 1.0}, user_attrs={"w": 3}, error=None)
    _eq(done.state, TrialState.COMPLETE, "finished state")
    _eq(done.values, (0.5,), "values")
    _eq(dict(done.params), {"x": 0.25, "k": 3, "c": None}, "params after finish")
    _eq(dict(done.distributions), {"x": fx, "k": ix, "c": Categorical([None, "a"])},
        "distributions after finish")
    _eq(dict(done.intermediate_values), {0: 1.5, 1: 1.25, 2: 1.0}, "iv after finish")
    _eq(dict(done.user_attrs), {"u": 1, "v": 2, "w": 3}, "user attrs after finish")
    _eq(dict(done.system_attrs), {"s": "x"}, "system attrs after finish")
    _aware_utc(done.datetime_complete, "datetime_complete")
    _true(done.datetime_complete is not None and done.datetime_start is not None
          and done.datetime_complete >= done.datetime_start, "complete must not precede start")
    _same_record(done, make().get_trial(t.trial_id), "finished trial read back")
    _same_record(done, s.get_trial(t.trial_id), "finished trial read back (same handle)")
    f = s.start_trial(sid)
    failed = s.finish_trial(f.trial_id, TrialState.FAIL, error="Traceback: boom")
    _eq((failed.values, failed.error), (None, "Traceback: boom"), "a failed trial")
    p = s.start_trial(sid)
    _eq(s.finish_trial(p.trial_id, TrialState.PRUNED).state, TrialState.PRUNED, "pruned")
    _raises(KeyError, lambda: s.get_trial(10**12), "get_trial of a missing id")


def check_stale_transitions(make: StorageFactory) -> None:
    """A finished trial can't change: a second finish or an update raises StaleTrialError."""
    s = make()
    sid = s.create_study(_name("stale"), ["minimize"])
    t = s.start_trial(sid)
    first = s.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0], params={"x": 1.0},
                           distributions={"x": Float(0.0, 2.0)})
    other = make()
    for st in (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED):
        _raises(StaleTrialError, partial(
            other.finish_trial, t.trial_id, st, [2.0] if st is TrialState.COMPLETE else None,
            params={"x": 2.0}), f"finishing a COMPLETE trial again as {st.name}")
    _raises(StaleTrialError, lambda: other.update_trial(t.trial_id, user_attrs={"a": 1}),
            "update_trial on a finished trial")
    _same_record(first, make().get_trial(t.trial_id), "record after rejected writes")
    _eq(len(s.read_finished(sid, 0)[0]), 1, "a rejected finish must not add to the finish log")
    w = s.create_trial(sid, state=TrialState.WAITING)
    _raises(StaleTrialError, lambda: s.update_trial(w.trial_id, params={"x": 1.0}),
            "update_trial on a WAITING trial")
    failed = s.finish_trial(w.trial_id, TrialState.FAIL, error="cancelled")
    _eq(failed.state, TrialState.FAIL, "a WAITING trial may fail")
    _aware_utc(failed.datetime_start, "datetime_start of a trial failed while waiting")
    _eq(s.claim_waiting_trial(sid), None, "a failed waiting trial is not claimable")


def check_read_finished_cursor(make: StorageFactory) -> None:
    """read_finished returns trials in finishing order after a cursor, and a new cursor."""
    s = make()
    sid = s.create_study(_name("cursor"), ["minimize"])
    t = [s.start_trial(sid) for _ in range(4)]
    fresh, c0 = make().read_finished(sid, 0)
    _eq(fresh, [], "read_finished with nothing finished")
    s.finish_trial(t[2].trial_id, TrialState.COMPLETE, [2.0])
    s.finish_trial(t[0].trial_id, TrialState.FAIL)
    new, c1 = s.read_finished(sid, c0)
    _eq([x.number for x in new], [2, 0], "finishing order")
    again, c1b = s.read_finished(sid, c1)
    _eq((again, c1b), ([], c1), "nothing new after the cursor")
    reader = make()
    s.finish_trial(t[1].trial_id, TrialState.PRUNED)
    new2, c2 = reader.read_finished(sid, c1)
    _eq([x.number for x in new2], [1], "only trials finished after the cursor")
    allr, c_all = reader.read_finished(sid, 0)
    _eq([x.number for x in allr], [2, 0, 1], "from cursor 0 in finishing order")
    _eq(c_all, c2, "the cursor after reading everything")
    _eq([x.state for x in allr], [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED],
        "states in the log")
    unf = reader.get_unfinished_trials(sid)
    _eq([(x.number, x.state) for x in unf], [(3, TrialState.RUNNING)], "unfinished trials")


def check_unfinished_are_fresh(make: StorageFactory) -> None:
    """Running trials are read fresh: another handle sees updates and the final state."""
    s = make()
    reader = make()
    sid = s.create_study(_name("fresh"), ["minimize"])
    a = s.start_trial(sid)
    w = s.create_trial(sid, state=TrialState.WAITING, params={"x": 0.5},
                       distributions={"x": Float(0.0, 1.0)})
    _eq([(x.number, x.state) for x in reader.get_unfinished_trials(sid)],
        [(0, TrialState.RUNNING), (1, TrialState.WAITING)], "unfinished, ordered by number")
    _eq(dict(reader.get_unfinished_trials(sid)[1].params), {"x": 0.5}, "waiting params")
    s.update_trial(a.trial_id, intermediate_values={0: 3.0})
    _eq(dict(reader.get_trials(sid)[0].intermediate_values), {0: 3.0}, "update seen by reader")
    s.finish_trial(a.trial_id, TrialState.COMPLETE, [3.0])
    _eq([x.state for x in reader.get_trials(sid)], [TrialState.COMPLETE, TrialState.WAITING],
        "finish seen by a reader that listed the trial while running")
    _eq([x.number for x in reader.get_trials(sid, [TrialState.COMPLETE])], [0], "state filter")
    _eq([x.number for x in reader.get_trials(sid, [TrialState.WAITING])], [1], "state filter")
    _eq(reader.get_trial(w.trial_id).state, TrialState.WAITING, "get_trial of a waiting trial")


def check_waiting_claim(make: StorageFactory) -> None:
    """WAITING trials are claimed oldest first, by claim_waiting_trial or start_trial."""
    s = make()
    sid = s.create_study(_name("claim"), ["minimize"])
    _eq(s.claim_waiting_trial(sid), None, "claim with nothing waiting")
    w0 = s.create_trial(sid, state=TrialState.WAITING, params={"x": 1},
                        distributions={"x": Int(0, 3)}, system_attrs={"fixed_params": {"x": 1}})
    _eq(w0.datetime_start, None, "a waiting trial has not started")
    w1 = s.create_trial(sid, state=TrialState.WAITING, user_attrs={"q": 1})
    c = make().claim_waiting_trial(sid)
    if c is None:
        raise AssertionError("claim_waiting_trial must return the waiting trial")
    _eq((c.number, c.trial_id, c.state), (0, w0.trial_id, TrialState.RUNNING), "oldest first")
    _eq((dict(c.params), dict(c.system_attrs)), ({"x": 1}, {"fixed_params": {"x": 1}}),
        "a claimed trial keeps its params and attrs")
    _aware_utc(c.datetime_start, "datetime_start of a claimed trial")
    st = s.start_trial(sid)
    _eq((st.trial_id, st.state, dict(st.user_attrs)), (w1.trial_id, TrialState.RUNNING, {"q": 1}),
        "start_trial claims a waiting trial before creating one")
    new = s.start_trial(sid)
    _eq((new.number, new.state), (2, TrialState.RUNNING), "start_trial creates when none waits")
    _eq(s.claim_waiting_trial(sid), None, "nothing left to claim")


def check_json_round_trip(make: StorageFactory) -> None:
    """Parameter values keep their type (categorical None/bool/int/float/str), floats exactly."""
    s = make()
    sid = s.create_study(_name("json"), ["minimize"])
    choices = [None, True, False, 0, 1, 1.0, 2.5, "a", "λ"]
    cat = Categorical(choices)
    cases: list[dict[str, Any]] = [{"c": c} for c in choices]
    cases.append({"f": 0.1, "g": 1 / 3, "h": 1e-300, "i": 2**40, "neg": -7, "lg": 1e-5})
    dists_for: dict[str, Distribution] = {
        "c": cat, "f": Float(0.0, 1.0), "g": Float(0.0, 1.0, step=None),
        "h": Float(1e-300, 1.0, log=True), "i": Int(0, 2**41),
        "neg": Int(-10, 10, step=1), "lg": Float(1e-6, 1.0, log=True)}
    ids = []
    for params in cases:
        t = s.start_trial(sid)
        d = {k: dists_for[k] for k in params}
        s.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0], params=params, distributions=d,
                       intermediate_values={0: float("nan"), 1: float("inf"), 7: -0.0},
                       user_attrs={"nested": {"l": [1, "b", None, 2.5]}, "u": "✓"},
                       system_attrs={"sampler:gen": 3})
        ids.append((t.trial_id, params, d))
    reader = make()
    for tid, params, d in ids:
        rec = reader.get_trial(tid)
        for k, v in params.items():
            got = rec.params[k]
            _eq((type(got), got), (type(v), v), f"param {k!r} round trip")
        _eq(dict(rec.distributions), d, "distributions round trip")
        iv = rec.intermediate_values
        _true(math.isnan(iv[0]) and iv[1] == math.inf and iv[7] == 0.0,
              f"intermediate values nan/inf round trip, got {dict(iv)}")
        _eq(dict(rec.user_attrs), {"nested": {"l": [1, "b", None, 2.5]}, "u": "✓"}, "user attrs")
        _eq(dict(rec.system_attrs), {"sampler:gen": 3}, "system attrs")
        _eq(rec.values, (1.0,), "values")
    multi = s.create_study(_name("json-mo"), ["minimize", "maximize"])
    t = s.start_trial(multi)
    s.finish_trial(t.trial_id, TrialState.COMPLETE, [0.1, -2.0])
    _eq(reader.get_trial(t.trial_id).values, (0.1, -2.0), "multi-objective values")


def check_threads_numbering(make: StorageFactory, n_threads: int = 4, n_each: int = 25) -> None:
    """Threads sharing one handle start and finish trials: numbers gap-free and unique."""
    s = make()
    sid = s.create_study(_name("threads"), ["minimize"])
    errors: list[BaseException] = []
    numbers: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(n_each):
                t = s.start_trial(sid)
                s.update_trial(t.trial_id, intermediate_values={0: float(t.number)})
                s.finish_trial(t.trial_id, TrialState.COMPLETE, [float(t.number)])
                with lock:
                    numbers.append(t.number)
        except BaseException as e:  # noqa: BLE001 - collected and re-raised below
            errors.append(e)

    _run_threads(work, n_threads)
    if errors:
        raise errors[0]
    n = n_threads * n_each
    _eq(sorted(numbers), list(range(n)), "numbers from concurrent start_trial")
    fin, cursor = make().read_finished(sid, 0)
    _eq(sorted(t.number for t in fin), list(range(n)), "every finish is in the finish log once")
    _eq(s.read_finished(sid, cursor), ([], cursor), "nothing after the final cursor")
    own, own_cursor = s.read_finished(sid, 0)
    _eq([t.trial_id for t in own], [t.trial_id for t in fin],
        "the writing handle's finish log (same order as a fresh reader's)")
    _eq(own_cursor, cursor, "cursor of the writing handle")
    _true(all(t.values == (float(t.number),) and t.intermediate_values[0] == t.number
              for t in fin), "values and reports of concurrent trials")


def check_threads_claim_exclusive(make: StorageFactory, n_threads: int = 6,
                                  n_waiting: int = 20) -> None:
    """Threads claiming waiting trials each get a different one; every one is claimed once."""
    s = make()
    sid = s.create_study(_name("claim-threads"), ["minimize"])
    waiting = {s.create_trial(sid, state=TrialState.WAITING).trial_id for _ in range(n_waiting)}
    claimed: list[int] = []
    created: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    handles = [make() for _ in range(n_threads)]

    def work(i: int) -> None:
        try:
            h = handles[i]
            while True:
                rec = h.claim_waiting_trial(sid) if i % 2 else h.start_trial(sid)
                if rec is None:
                    return
                with lock:
                    if rec.trial_id in waiting:
                        claimed.append(rec.trial_id)
                    else:
                        created.append(rec.number)
                        return
        except BaseException as e:  # noqa: BLE001 - collected and re-raised below
            errors.append(e)

    _run_threads(work, n_threads, with_index=True)
    if errors:
        raise errors[0]
    _eq(sorted(claimed), sorted(waiting), "each waiting trial claimed exactly once")
    _eq(sorted(created), list(range(n_waiting, n_waiting + len(created))),
        "trials created after the queue ran dry")


def _run_threads(fn: Callable[..., None], n: int, with_index: bool = False) -> None:
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        fn(i) if with_index else fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


#: Every check, by name (parametrize a test over ``CHECKS.items()``).
CHECKS: dict[str, Callable[[StorageFactory], None]] = {
    f.__name__.removeprefix("check_"): f
    for f in (
        check_study_lifecycle, check_directions, check_study_attrs, check_list_studies,
        check_delete_study, check_trial_numbering, check_transitions, check_stale_transitions,
        check_read_finished_cursor, check_unfinished_are_fresh, check_waiting_claim,
        check_json_round_trip, check_threads_numbering, check_threads_claim_exclusive,
    )
}


def run_storage_suite(make: StorageFactory, skip: Sequence[str] = ()) -> None:
    """Run every check in :data:`CHECKS` (except those named in ``skip``)."""
    for name, check in CHECKS.items():
        if name not in skip:
            check(make)


# -- several processes (SQL storages) ---------------------------------------------------------
def _process_worker(url: str, study_name: str, n_trials: int) -> list[int]:
    from hyperscout.storage import get_storage

    storage = get_storage(url)
    try:
        sid = storage.get_study_id(study_name)
        out = []
        for _ in range(n_trials):
            t = storage.start_trial(sid)
            storage.update_trial(t.trial_id, intermediate_values={0: float(t.number)})
            storage.finish_trial(t.trial_id, TrialState.COMPLETE, [float(t.number)])
            out.append(t.number)
        return out
    finally:
        storage.close()


def check_multiprocess_numbering(
    url: str, n_procs: int = 3, n_trials: int = 20, start_method: str = "spawn"
) -> None:
    """Worker processes on one study through ``url``: gap-free unique numbers, each finished
    exactly once, every report present. Each worker opens its own storage from the URL.
    ``start_method="fork"`` starts faster where available (Linux).

    Example:
        >>> check_multiprocess_numbering("sqlite:///mp.db", n_procs=2, n_trials=5)  # doctest: +SKIP
    """
    import multiprocessing as mp

    from hyperscout.storage import get_storage

    storage = get_storage(url)
    name = _name("mp")
    sid = storage.create_study(name, ["minimize"])
    ctx = mp.get_context(start_method)
    with ctx.Pool(n_procs) as pool:
        results = pool.starmap(_process_worker, [(url, name, n_trials)] * n_procs)
    total = n_procs * n_trials
    numbers = sorted(n for r in results for n in r)
    _eq(numbers, list(range(total)), "numbers from concurrent processes")
    fin, _ = storage.read_finished(sid, 0)
    _eq(sorted(t.number for t in fin), list(range(total)), "finish log of concurrent processes")
    trials = storage.get_trials(sid)
    _true(all(t.state is TrialState.COMPLETE and t.values == (float(t.number),)
              and t.intermediate_values.get(0) == t.number for t in trials),
          "every trial complete with its value and report")
    storage.delete_study(sid)
