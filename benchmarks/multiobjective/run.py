"""Multi-objective benchmark: hyperscout's samplers vs Optuna's, same problems, same run.

For every (problem, sampler, seed) one sequential study of ``--trials`` trials is run; the
hypervolume of its feasible complete trials among the first ``b`` trials is recorded for every
budget ``b`` in ``--budgets`` (so the 100-trial number comes from the same run as the 300-trial
one). Samplers with a ``cap`` stop at that many trials and are reported only up to it (see
``SAMPLERS``). Problems: ``problems.PROBLEMS`` (ZDT1-3, DTLZ2, C2-DTLZ2, a digits MLP).

    PYTHONPATH=src nice -n 10 python benchmarks/multiobjective/run.py --seeds 5 --workers 2
    PYTHONPATH=src python benchmarks/multiobjective/run.py --problems zdt1 --seeds 2 \
        --samplers hs-auto,optuna-nsga2 --trials 100            # a quick look

Results (hypervolume per run and budget, CPU time) go to
``benchmarks/multiobjective/results/<name>.json`` and a markdown table to stdout (``--report FILE``
re-prints the table of a saved run; ``--compact FILE`` shrinks a file saved with trial values).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy / torch load: small matrices,
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a shared machine
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from problems import PROBLEMS, Problem, build_mlp_table  # noqa: E402

# name -> (library, trial cap or None)
SAMPLERS: dict[str, tuple[str, int | None]] = {
    "hs-auto": ("hs", None),
    "hs-parego": ("hs", 100),
    "hs-nsga2": ("hs", None),
    "hs-nsga3": ("hs", None),
    "hs-motpe": ("hs", None),
    "hs-random": ("hs", None),
    "optuna-nsga2": ("optuna", None),
    "optuna-tpe": ("optuna", None),
    "optuna-gp": ("optuna", 100),
}
CONSTRAINT_ATTR = "c"


def _hs_sampler(name: str, seed: int) -> Any:
    import hyperscout as hs

    s = hs.samplers
    return {
        "hs-auto": lambda: s.AutoSampler(seed=seed),
        "hs-parego": lambda: s.ParEGOSampler(seed=seed),
        "hs-nsga2": lambda: s.NSGAIISampler(seed=seed),
        "hs-nsga3": lambda: s.NSGAIIISampler(seed=seed),
        "hs-motpe": lambda: s.TPESampler(seed=seed),
        "hs-random": lambda: s.RandomSampler(seed=seed),
    }[name]()


def _optuna_sampler(name: str, seed: int, cons: Any) -> Any:
    import optuna

    s = optuna.samplers
    return {
        "optuna-nsga2": lambda: s.NSGAIISampler(seed=seed, constraints_func=cons),
        "optuna-tpe": lambda: s.TPESampler(seed=seed, constraints_func=cons),
        "optuna-gp": lambda: s.GPSampler(seed=seed, constraints_func=cons),
    }[name]()


def _wrap(problem: Problem) -> Any:
    """The objective; with constraints it stores them as a user attribute for both libraries'
    constraints functions to read."""
    if problem.constraints is None:
        return problem.objective

    def objective(trial: Any) -> tuple[float, ...]:
        f = problem.objective(trial)
        trial.set_user_attr(CONSTRAINT_ATTR, problem.constraints(dict(trial.params), f))
        return f

    return objective


def _read_constraints(frozen: Any) -> list[float]:
    return list(frozen.user_attrs[CONSTRAINT_ATTR])


def run_one(problem_name: str, sampler: str, seed: int, n_trials: int) -> dict[str, Any]:
    problem = PROBLEMS[problem_name]
    lib, cap = SAMPLERS[sampler]
    n = min(n_trials, cap) if cap else n_trials
    cons = _read_constraints if problem.constraints is not None else None
    dirs = ["minimize"] * problem.n_objectives
    t0 = time.process_time()
    w0 = time.perf_counter()
    if lib == "hs":
        import hyperscout as hs

        hs.set_verbosity("warning")
        study = hs.create_study(directions=dirs, sampler=_hs_sampler(sampler, seed),
                                constraints=cons)
        study.optimize(_wrap(problem), n_trials=n)
        trials = study.trials
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(directions=dirs,
                                    sampler=_optuna_sampler(sampler, seed, cons))
        study.optimize(_wrap(problem), n_trials=n)
        trials = study.trials
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        if t.values is None:
            rows.append(None)
            continue
        feasible = cons is None or all(c <= 0 for c in t.user_attrs[CONSTRAINT_ATTR])
        rows.append([list(map(float, t.values)), feasible])
    return {"problem": problem_name, "sampler": sampler, "seed": seed, "n_trials": n,
            "cpu_s": time.process_time() - t0, "wall_s": time.perf_counter() - w0, "rows": rows}


def hv_at(run: dict[str, Any], budget: int, reference: tuple[float, ...]) -> float | None:
    from hyperscout.multiobjective import hypervolume

    if run["n_trials"] < budget:
        return None
    if "hv" in run:  # a compacted run
        return run["hv"].get(str(budget))
    pts = [r[0] for r in run["rows"][:budget] if r is not None and r[1]]
    if not pts:
        return 0.0
    return hypervolume(np.array(pts), np.array(reference))


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """The results with each run's trial values replaced by its hypervolume at each budget
    (what the report needs; keeps the saved file small)."""
    out = dict(data)
    runs = []
    for r in data["runs"]:
        ref = tuple(data["references"][r["problem"]])
        hv = {str(b): hv_at(r, b, ref) for b in data["budgets"] if r["n_trials"] >= b}
        runs.append({k: v for k, v in r.items() if k != "rows"} | {"hv": hv})
    out["runs"] = runs
    return out


def merge(paths: list[str]) -> dict[str, Any]:
    """Several saved result files (e.g. one per problem) as one; where two files have a run of
    the same (problem, sampler, seed), the later file's run replaces the earlier one (a
    re-run of some samplers after a change)."""
    datas = []
    for path in paths:
        with open(path) as fh:
            datas.append(json.load(fh))
    out = dict(datas[0])
    out["problems"] = [p for d in datas for p in d["problems"]]
    out["samplers"] = list(dict.fromkeys(s for d in datas for s in d["samplers"]))
    out["references"] = {k: v for d in datas for k, v in d["references"].items()}
    runs: dict[tuple, dict[str, Any]] = {}
    for d in datas:
        for r in d["runs"]:
            runs[(r["problem"], r["sampler"], r["seed"])] = r
    out["runs"] = list(runs.values())
    out["problems"] = list(dict.fromkeys(out["problems"]))
    return out


def _task(args: tuple[str, str, int, int]) -> dict[str, Any]:
    return run_one(*args)


def report(data: dict[str, Any]) -> str:
    runs = data["runs"]
    budgets = data["budgets"]
    lines = []
    for b in budgets:
        lines.append(f"\nHypervolume after {b} evaluations: mean ± std over "
                     f"{len(data['seeds'])} seeds (higher is better; **bold** = best mean, "
                     "*italic* = within the seed spread of the best: mean + std >= "
                     "best mean - best std).\n")
        samplers = [s for s in data["samplers"]]
        lines.append("| problem | " + " | ".join(samplers) + " |")
        lines.append("|---" * (len(samplers) + 1) + "|")
        for p in data["problems"]:
            ref = tuple(data["references"][p])
            stats: dict[str, tuple[float, float] | None] = {}
            for s in samplers:
                vals = [hv_at(r, b, ref) for r in runs if r["problem"] == p and r["sampler"] == s]
                vals = [v for v in vals if v is not None]
                stats[s] = (statistics.fmean(vals), statistics.pstdev(vals)) if vals else None
            valid = {s: v for s, v in stats.items() if v is not None}
            best = max(valid, key=lambda s: valid[s][0]) if valid else None
            cells = []
            for s in samplers:
                v = stats[s]
                if v is None:
                    cells.append("—")
                    continue
                txt = f"{v[0]:.4f} ± {v[1]:.4f}"
                if s == best:
                    txt = f"**{txt}**"
                elif best is not None and v[0] + v[1] >= valid[best][0] - valid[best][1]:
                    txt = f"*{txt}*"
                cells.append(txt)
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines.append("\nCPU seconds per run (mean over seeds and problems):\n")
    lines.append("| sampler | cpu s / run | trials |")
    lines.append("|---|---|---|")
    for s in data["samplers"]:
        rs = [r for r in runs if r["sampler"] == s]
        if rs:
            lines.append(f"| {s} | {statistics.fmean(r['cpu_s'] for r in rs):.1f} | "
                         f"{rs[0]['n_trials']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--budgets", default="100,300")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--name", default="mo_benchmark")
    ap.add_argument("--report", default=None,
                    help="print the table of saved results files (comma-separated: merged)")
    ap.add_argument("--compact", default=None, help="rewrite a results file without trial values")
    args = ap.parse_args()
    if args.compact:
        with open(args.compact) as fh:
            data = compact(json.load(fh))
        with open(args.compact, "w") as fh:
            json.dump(data, fh)
        return
    if args.report:
        print(report(merge(args.report.split(","))))
        return
    problems = args.problems.split(",")
    samplers = args.samplers.split(",")
    for p in problems:
        if p not in PROBLEMS:
            raise SystemExit(f"--problems: unknown {p!r}; use some of {list(PROBLEMS)}")
    for s in samplers:
        if s not in SAMPLERS:
            raise SystemExit(f"--samplers: unknown {s!r}; use some of {list(SAMPLERS)}")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    if "mlp" in problems and not os.path.exists(os.path.join(out_dir, "mlp_digits_table.json")):
        t = time.perf_counter()
        build_mlp_table(args.workers)
        print(f"built the MLP table in {time.perf_counter() - t:.0f} s", flush=True)
    tasks = [(p, s, seed, args.trials) for p in problems for seed in range(args.seeds)
             for s in samplers]
    # the slow ones first, so the pool's tail is short
    tasks.sort(key=lambda t: (t[1] not in ("optuna-gp", "hs-auto", "hs-parego"),))
    runs = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for i, r in enumerate(pool.map(_task, tasks)):
            runs.append(r)
            print(f"[{i + 1}/{len(tasks)}] {r['problem']} {r['sampler']} seed={r['seed']} "
                  f"cpu={r['cpu_s']:.1f}s", flush=True)
    import optuna

    import hyperscout

    data = {
        "command": " ".join(sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "hyperscout": hyperscout.__version__,
                     "optuna": optuna.__version__, "numpy": np.__version__},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "problems": problems, "samplers": samplers, "seeds": list(range(args.seeds)),
        "budgets": [int(b) for b in args.budgets.split(",")],
        "references": {p: list(PROBLEMS[p].reference) for p in problems},
        "runs": runs,
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{args.name}.json")
    with open(path, "w") as fh:
        json.dump(compact(data), fh)
    print(f"saved {path}")
    print(report(data))


if __name__ == "__main__":
    main()
