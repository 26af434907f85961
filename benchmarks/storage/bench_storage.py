"""Storage at scale: trials/s with 1, 2, 4, 8 worker processes, and the time to load a
10,000-trial study, hyperscout vs Optuna's RDBStorage, on SQLite, PostgreSQL and MariaDB.

Both frameworks run the same trivial objective (one float, x*x) with a random sampler, in
worker processes that import everything first and then start together; trials/s is the
number of trials over the wall time from the start signal to the last worker's exit.
Afterwards every study is checked: trials stored, numbers 0..N-1 with no gap or duplicate,
every trial COMPLETE with its value; worker exceptions are counted as errors.

hyperscout workers share one budget stored in the study (``study.set_budget(N)`` then
``run_trials``); Optuna workers each run ``N / workers`` trials (``study.optimize``).

The 10,000-trial studies are built with each framework's bulk API (hyperscout
``storage.add_trials``, Optuna ``study.add_trials``); loading = open the study with a fresh
storage object and read all its trials; the two frameworks' loads alternate (median of
``--load-repeats``).

Usage (2-core machine: run it niced in the background)::

    nice -n 10 python benchmarks/storage/bench_storage.py --out benchmarks/storage/results.json
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid

URLS = {
    "sqlite": "sqlite:///{dir}/{name}.db",
    "postgres": os.environ.get("BENCH_POSTGRES_URL",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/hs_issue6"),
    "mariadb": os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/hs_issue6"),
}


def objective_hs(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    return x * x


def objective_optuna(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    return x * x


def _worker(fw: str, url: str, name: str, n: int, seed: int, ready, go, out) -> None:
    errors = 0
    done = 0
    try:
        if fw == "hyperscout":
            import hyperscout as hs
            from hyperscout.execution.worker import run_trials

            hs.set_verbosity("error")
            study = hs.load_study(name, url, sampler=hs.samplers.RandomSampler(seed=seed))
            ready.put(1)
            go.wait()
            done = run_trials(study, objective_hs)
        else:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.ERROR)
            study = optuna.load_study(study_name=name, storage=url,
                                      sampler=optuna.samplers.RandomSampler(seed=seed))
            ready.put(1)
            go.wait()
            study.optimize(objective_optuna, n_trials=n)
            done = n
    except Exception as exc:  # noqa: BLE001 - counted and reported
        errors += 1
        print(f"[{fw} worker] {type(exc).__name__}: {exc}", file=sys.stderr)
        ready.put(1)
    out.put((done, errors))


def _create(fw: str, url: str, name: str, n_total: int) -> None:
    if fw == "hyperscout":
        import hyperscout as hs

        study = hs.create_study(name=name, storage=url)
        study.set_budget(n_trials=n_total)
        study.storage.close()
    else:
        import optuna

        optuna.create_study(study_name=name, storage=url)


def _check(fw: str, url: str, name: str, n_total: int) -> dict:
    if fw == "hyperscout":
        import hyperscout as hs

        trials = hs.load_study(name, url).trials
        rows = [(t.number, t.state.name, t.values[0] if t.values else None) for t in trials]
    else:
        import optuna

        trials = optuna.load_study(study_name=name, storage=url).trials
        rows = [(t.number, t.state.name, t.value) for t in trials]
    numbers = [r[0] for r in rows]
    complete = [r for r in rows if r[1] == "COMPLETE" and r[2] is not None]
    uniq = set(numbers)
    return {"stored": len(rows), "complete_with_value": len(complete),
            "duplicated": len(numbers) - len(uniq),
            "lost": n_total - len({r[0] for r in complete}),
            "gap_free": sorted(uniq) == list(range(len(uniq)))}


def _delete(fw: str, url: str, name: str) -> None:
    if url.startswith("sqlite"):
        return
    if fw == "hyperscout":
        from hyperscout.storage.sql import SQLStorage

        s = SQLStorage(url)
        s.delete_study(s.get_study_id(name))
        s.close()
    else:
        import optuna

        optuna.delete_study(study_name=name, storage=url)


def throughput(fw: str, backend: str, workers: int, n_total: int, tmpdir: str) -> dict:
    name = f"bench-{fw[:2]}-{uuid.uuid4().hex[:8]}"
    url = URLS[backend].format(dir=tmpdir, name=name)
    _create(fw, url, name, n_total)
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = n_total // workers
    procs = [ctx.Process(target=_worker, args=(fw, url, name, per, 1000 + i, ready, go, out))
             for i in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    t0 = time.perf_counter()
    go.set()
    results = [out.get(timeout=1800) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    check = _check(fw, url, name, n_total)
    _delete(fw, url, name)
    errors = sum(e for _, e in results)
    return {"fw": fw, "backend": backend, "workers": workers, "n_trials": n_total,
            "wall_s": wall, "trials_per_s": check["complete_with_value"] / wall,
            "errors": errors, **check}


def _build_big(fw: str, url: str, name: str, n: int) -> None:
    if fw == "hyperscout":
        import hyperscout as hs
        from hyperscout.trial.record import FrozenTrial
        from hyperscout.trial.state import TrialState

        study = hs.create_study(name=name, storage=url)
        dist = {"x": hs.Float(-5.0, 5.0)}
        recs = [FrozenTrial.build(number=i, trial_id=-1, state=TrialState.COMPLETE,
                                  params={"x": (i % 1000) / 100 - 5}, distributions=dist,
                                  values=(float(i),), intermediate_values={0: float(i)})
                for i in range(n)]
        for k in range(0, n, 2000):
            study.storage.add_trials(study._study_id, recs[k:k + 2000])
        study.storage.close()
    else:
        import optuna
        from optuna.distributions import FloatDistribution

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        storage = optuna.storages.RDBStorage(url, engine_kwargs=_fast_build_kwargs(url))
        if url.startswith("sqlite"):
            import sqlalchemy

            @sqlalchemy.event.listens_for(storage.engine, "connect")
            def _nosync(dbapi_conn, _rec):  # pragma: no cover - the build is not measured
                dbapi_conn.execute("PRAGMA synchronous=OFF")

            storage.engine.dispose()
        study = optuna.create_study(study_name=name, storage=storage)
        dist = {"x": FloatDistribution(-5.0, 5.0)}
        recs = [optuna.trial.create_trial(params={"x": (i % 1000) / 100 - 5},
                                          distributions=dist, value=float(i),
                                          intermediate_values={0: float(i)})
                for i in range(n)]
        from concurrent.futures import ThreadPoolExecutor

        chunks = [recs[k:k + 500] for k in range(0, n, 500)]
        with ThreadPoolExecutor(8) as pool:  # group commits: the build is not what we measure
            list(pool.map(study.add_trials, chunks))


def _fast_build_kwargs(url: str) -> dict:
    """Building a big Optuna study takes one commit per row it writes; on PostgreSQL this
    session skips waiting for the WAL flush (loading, which is measured, is unaffected)."""
    if url.startswith("postgresql"):
        return {"connect_args": {"options": "-c synchronous_commit=off"}}
    return {}


def _load_once(fw: str, url: str, name: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    if fw == "hyperscout":
        import hyperscout as hs
        from hyperscout.storage.sql import SQLStorage

        store = SQLStorage(url)
        n = len(hs.load_study(name, store).trials)
        dt = time.perf_counter() - t0
        store.close()
    else:
        import optuna

        storage = optuna.storages.RDBStorage(url)
        n = len(optuna.load_study(study_name=name, storage=storage).trials)
        dt = time.perf_counter() - t0
        storage.engine.dispose()
    return dt, n


def load_time(backend: str, n: int, tmpdir: str, repeats: int = 3) -> list[dict]:
    """Build a 10k-trial study with each framework, then load them alternately (hyperscout,
    Optuna, hyperscout, ...) so both see the same machine load."""
    names, urls, builds = {}, {}, {}
    for fw in ("hyperscout", "optuna"):
        names[fw] = f"big-{fw[:2]}-{uuid.uuid4().hex[:8]}"
        urls[fw] = URLS[backend].format(dir=tmpdir, name=names[fw])
        t0 = time.perf_counter()
        _build_big(fw, urls[fw], names[fw], n)
        builds[fw] = time.perf_counter() - t0
    times: dict[str, list[float]] = {"hyperscout": [], "optuna": []}
    counts: dict[str, list[int]] = {"hyperscout": [], "optuna": []}
    for _ in range(repeats):
        for fw in ("hyperscout", "optuna"):
            dt, got = _load_once(fw, urls[fw], names[fw])
            times[fw].append(dt)
            counts[fw].append(got)
    for fw in ("hyperscout", "optuna"):
        _delete(fw, urls[fw], names[fw])
    return [{"fw": fw, "backend": backend, "n_trials": n, "build_s": builds[fw],
             "load_s_median": statistics.median(times[fw]), "load_s_all": times[fw],
             "loaded": counts[fw]} for fw in ("hyperscout", "optuna")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="sqlite,postgres,mariadb")
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--trials", type=int, default=400, help="trials per run (all workers)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--load-trials", type=int, default=10_000)
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--load-repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/storage/results.json")
    ap.add_argument("--tmpdir", default="/tmp/hs-bench-storage")
    args = ap.parse_args()
    os.makedirs(args.tmpdir, exist_ok=True)
    import optuna
    import sqlalchemy

    import hyperscout

    res: dict = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                 "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
                 "versions": {"hyperscout": hyperscout.__version__, "optuna": optuna.__version__,
                              "sqlalchemy": sqlalchemy.__version__,
                              "python": sys.version.split()[0]},
                 "cpus": os.cpu_count(), "throughput": [], "load": []}
    backends = args.backends.split(",")
    for backend in backends if not args.skip_throughput else ():
        for w in [int(x) for x in args.workers.split(",")]:
            for rep in range(args.repeats):
                for fw in ("hyperscout", "optuna"):
                    r = throughput(fw, backend, w, args.trials, args.tmpdir)
                    r["repeat"] = rep
                    res["throughput"].append(r)
                    print(json.dumps(r), flush=True)
                    _save(res, args.out)
    if not args.skip_load:
        for backend in backends:
            for r in load_time(backend, args.load_trials, args.tmpdir, args.load_repeats):
                res["load"].append(r)
                print(json.dumps(r), flush=True)
            _save(res, args.out)


def _save(res: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
