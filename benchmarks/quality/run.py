"""Run the quality benchmark: every (task, optimiser, budget, seed), results as JSON lines.

    python benchmarks/quality/run.py --optimizers hs-tpe optuna-tpe hyperopt random \\
        --tasks all --budget seq100 batch16x8 --seeds 5 --out results.json --workers 2
    python benchmarks/quality/report.py results.json > table.md

Budgets: ``seqN`` is N rounds of one suggestion; ``batchRxB`` is R rounds of B suggestions, all
B proposed before any is evaluated (16 x 8 = 128 evaluations). Seeds are ``0 .. --seeds - 1``
(or ``--seed-list``); job ``(task, seed)`` gets the same optimiser seed for every optimiser.

The output file holds one JSON object per finished job and is appended to as jobs finish, so a
killed run resumes where it stopped: jobs already in the file (without an error) are skipped.
Each record has the losses in evaluation order, the best-so-far curve, the best parameters, the
wall time, the optimiser time (time inside ``suggest``/``observe``, evaluation excluded; wall
and CPU), the evaluation time (wall and CPU), the time of each round's suggest, the package
versions and the command line. CPU times are the ones to compare on a shared machine.

Each worker process runs one job at a time with BLAS/OpenMP limited to one thread (set before
numpy loads), so ``--workers`` is the number of cores used.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from optimizers import make_optimizer, optimizer_class, parse_spec  # noqa: E402
from search_space import canonical  # noqa: E402
from tasks import get_task, resolve_task_names  # noqa: E402

DEFAULT_BUDGETS = ("seq100", "batch16x8")


def parse_budget(text: str) -> tuple[int, int]:
    """``"seq100"`` -> (100 rounds, batch 1); ``"batch16x8"`` -> (16 rounds, batch 8)."""
    m = re.fullmatch(r"seq(\d+)", text)
    if m and int(m.group(1)) > 0:
        return int(m.group(1)), 1
    m = re.fullmatch(r"batch(\d+)x(\d+)", text)
    if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
        return int(m.group(1)), int(m.group(2))
    raise ValueError(f"--budget {text!r}: use seqN (N sequential trials) or batchRxB (R rounds "
                     "of B parallel suggestions), e.g. seq100 or batch16x8")


@dataclass(frozen=True)
class Job:
    task: str
    optimizer: str
    budget: str
    seed: int

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.task, self.optimizer, self.budget, self.seed)


def job_seed(task: str, seed: int) -> int:
    """The seed every optimiser gets on ``(task, seed)``: same across optimisers."""
    return zlib.crc32(f"{task}:{seed}".encode()) & 0x7FFFFFFF


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def run_job(job: Job, argv: list[str] | None = None) -> dict[str, Any]:
    """Run one job; failures come back as a record with ``error`` set, never raised."""
    rounds, batch = parse_budget(job.budget)
    seed = job_seed(job.task, job.seed)
    rec: dict[str, Any] = {**asdict(job), "rounds": rounds, "batch_size": batch,
                           "optimizer_seed": seed, "error": None}
    t_start = time.perf_counter()
    try:
        task = get_task(job.task)
        _seed_everything(seed)
        opt_time = opt_cpu = 0.0
        t0 = time.perf_counter()
        opt = make_optimizer(job.optimizer, task.space, seed=seed, budget=rounds * batch)
        setup_time = time.perf_counter() - t0
        _seed_everything(seed)  # torch may have been imported by the optimiser just now
        losses: list[float] = []
        suggest_times: list[float] = []
        best_x: dict[str, Any] | None = None
        eval_time = 0.0
        eval_cpu = 0.0
        for _ in range(rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            X = opt.suggest(batch)
            dt = time.perf_counter() - t0
            suggest_times.append(dt)
            opt_time += dt
            opt_cpu += time.process_time() - c0
            if len(X) != batch:
                raise RuntimeError(f"{job.optimizer}.suggest({batch}) returned {len(X)} points")
            ys = []
            t0, c0 = time.perf_counter(), time.process_time()
            for x in X:
                params = canonical(task.space, x)
                y = float(task.evaluate(params))
                ys.append(y)
                if not losses or y < min(losses):
                    best_x = params
                losses.append(y)
            eval_time += time.perf_counter() - t0
            eval_cpu += time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            opt.observe(X, ys)
            opt_time += time.perf_counter() - t0
            opt_cpu += time.process_time() - c0
        best_so_far = np.minimum.accumulate(losses).tolist()
        cls, _ = optimizer_class(parse_spec(job.optimizer)[0])
        rec.update(
            losses=losses, best_so_far=best_so_far, best=best_so_far[-1], best_params=best_x,
            n_evals=len(losses), opt_time=opt_time, opt_cpu_time=opt_cpu, setup_time=setup_time,
            opt_time_per_suggestion=opt_time / len(losses), eval_time=eval_time,
            eval_cpu_time=eval_cpu,
            suggest_times=suggest_times, versions=cls.versions(), optimum=task.optimum,
        )
    except Exception as e:  # noqa: BLE001  (a failing optimiser must not stop the others)
        rec["error"] = f"{type(e).__name__}: {e}"
        rec["traceback"] = traceback.format_exc()
    rec["wall_time"] = time.perf_counter() - t_start
    rec["host"] = {"python": platform.python_version(), "machine": platform.machine(),
                   "cpus": os.cpu_count()}
    rec["command"] = argv
    return rec


def _run_job_star(args: tuple[Job, list[str]]) -> dict[str, Any]:
    return run_job(*args)


def read_done(path: str) -> set[tuple[str, str, str, int]]:
    """Keys of the jobs already in ``path`` without an error (a torn last line is ignored)."""
    done: set[tuple[str, str, str, int]] = set()
    if not os.path.exists(path):
        return done
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if r.get("error") is None:
                done.add((r["task"], r["optimizer"], r["budget"], int(r["seed"])))
    return done


def make_jobs(tasks: list[str], optimizers: list[str], budgets: list[str],
              seeds: list[int]) -> list[Job]:
    """Ordered so that every optimiser's run of one (budget, seed, task) finishes together."""
    return [Job(t, o, b, s) for b in budgets for s in seeds for t in tasks for o in optimizers]


def _fmt(rec: dict[str, Any]) -> str:
    head = f"{rec['task']} {rec['optimizer']} {rec['budget']} seed={rec['seed']}"
    if rec["error"]:
        return f"{head}: ERROR {rec['error']}"
    return (f"{head}: best={rec['best']:.6g} wall={rec['wall_time']:.1f}s "
            f"opt={1000 * rec['opt_time_per_suggestion']:.1f}ms/suggestion")


def run(jobs: list[Job], out: str, workers: int, argv: list[str]) -> int:
    """Run ``jobs`` (skipping those done in ``out``); returns the number of failed jobs."""
    done = read_done(out)
    todo = [j for j in jobs if j.key not in done]
    print(f"{len(jobs)} jobs, {len(jobs) - len(todo)} already in {out}, {len(todo)} to run "
          f"on {workers} worker(s)", file=sys.stderr, flush=True)
    failures = 0
    t0 = time.perf_counter()
    results: Iterable[dict[str, Any]]
    pool = None
    if workers <= 1:
        results = (run_job(j, argv) for j in todo)
    else:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers)
        results = pool.imap_unordered(_run_job_star, [(j, argv) for j in todo])
    # one write() per record on an O_APPEND descriptor: runs from two environments (e.g. the
    # SMAC venv and the main one) may share a file without tearing each other's lines
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for i, rec in enumerate(results, 1):
            os.write(fd, (json.dumps(rec) + "\n").encode())
            failures += rec["error"] is not None
            el = time.perf_counter() - t0
            eta = el / i * (len(todo) - i)
            print(f"[{i}/{len(todo)} {el:.0f}s, eta {eta:.0f}s] {_fmt(rec)}",
                  file=sys.stderr, flush=True)
    finally:
        os.close(fd)
        if pool is not None:
            pool.terminate()
            pool.join()
    return failures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--optimizers", nargs="+", required=True,
                    help="e.g. hs-tpe hs-gp hs-auto optuna-tpe optuna-gp hyperopt random "
                         "(options after a colon: hs-tpe:multivariate=False)")
    ap.add_argument("--tasks", nargs="+", default=["all"],
                    help="task names, or all / synthetic / sklearn")
    ap.add_argument("--budget", nargs="+", default=list(DEFAULT_BUDGETS),
                    help="seqN and/or batchRxB (default: seq100 batch16x8)")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    ap.add_argument("--seed-list", type=int, nargs="+", help="explicit seeds instead")
    ap.add_argument("--out", required=True, help="results file (JSON lines, appended)")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--list-tasks", action="store_true", help="print the task names and exit")
    args = ap.parse_args(argv)

    if args.list_tasks:
        print("\n".join(resolve_task_names(["all"])))
        return 0
    tasks = resolve_task_names(args.tasks)
    for b in args.budget:
        parse_budget(b)
    for o in args.optimizers:  # fail fast on unknown names, before any job runs
        name = parse_spec(o)[0]
        optimizer_class(name)
        if name.startswith("hs-") and name != "hs-default":
            from optimizers import resolve_hs_sampler

            resolve_hs_sampler(name[3:])
    seeds = args.seed_list if args.seed_list else list(range(args.seeds))
    jobs = make_jobs(tasks, args.optimizers, args.budget, seeds)
    failures = run(jobs, args.out, args.workers, ["python", "benchmarks/quality/run.py", *argv])
    if failures:
        print(f"{failures} job(s) failed; see 'error' in {args.out} (rerun to retry them)",
              file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
