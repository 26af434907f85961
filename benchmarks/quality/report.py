"""Score a results file the way Bayesmark does and print markdown tables for RESULTS.md.

    python benchmarks/quality/report.py results.json [more.json ...] [--per-task] [--json s.json]

For each task p, optimiser m, budget and seed n, with S = the best loss found within the budget:

    score(p, m, n) = (S - opt_p) / (rand_p - opt_p)        lower is better; random search ~ 1

- ``opt_p``: the best loss any optimiser found on task p in any run of the file(s) (``--ref
  known`` also lets a synthetic task's known optimum count);
- ``rand_p``: random search's expected best after the same number of evaluations. By default
  (``--baseline pooled``) it is Bayesmark's pooled estimator: all of ``random``'s evaluations on
  p (every seed and budget; they are i.i.d.) give an unbiased, distribution-free estimate of
  E[min of k draws]; ``--baseline seeds`` uses the plain mean over seeds of random's best.
- A task where random's expected best is within 1% (``--saturation``) of the gap between a
  top-10% random draw and ``opt_p`` is left out of this score for that budget, and listed:
  random search solves it, every optimiser ties, and the ratio would divide noise by ~0.

Second metric, Bayesmark's mean score, which counts every task: per task ``(min(S, clip_p) -
opt_p) / (clip_p - opt_p)`` with ``clip_p`` the median loss of a single random draw, averaged
over tasks and seeds and divided by the same average for random search (random = 1).

Per budget and optimiser the table shows the mean score over tasks and seeds, its seed-to-seed
spread (std over seeds of the per-seed mean over tasks), a 95% bootstrap CI (resampling seeds
within each task), ``100 * (1 - score)`` as Bayesmark reports it, Bayesmark's normalised mean
score with its seed spread, the mean rank (rank of the optimisers on each task and seed, ties
averaged) with its std over seeds, the score at half the budget, and the mean optimiser time per
suggestion (CPU time in ``suggest`` + ``observe``, evaluation excluded). Rows are sorted by score.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy.special import gammaln
from scipy.stats import rankdata

Key = tuple[str, str, str, int]  # task, optimizer, budget, seed
SATURATION = 0.01
GOOD_QUANTILE = 0.1


def load(paths: Iterable[str]) -> tuple[dict[Key, dict[str, Any]], list[dict[str, Any]]]:
    """Successful records by key (the last one wins) and the failed ones."""
    ok: dict[Key, dict[str, Any]] = {}
    failed: list[dict[str, Any]] = []
    for path in paths:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line torn by a killed run
                if r.get("error") is not None:
                    failed.append(r)
                    continue
                ok[(r["task"], r["optimizer"], r["budget"], int(r["seed"]))] = r
    # a job that failed first and succeeded on a rerun is not a failure
    failed = [r for r in failed
              if (r["task"], r["optimizer"], r["budget"], int(r["seed"])) not in ok]
    return ok, failed


def expected_min(samples: Sequence[float], k: int) -> float:
    """Unbiased estimate of E[min of k i.i.d. draws] from a pooled sample of n >= k draws.

    The U-statistic ``sum_i x_(i) C(n - i, k - 1) / C(n, k)`` over the sorted sample: the
    average, over all size-k subsets, of the subset's minimum.

    >>> expected_min([3.0, 1.0, 2.0], 1)
    2.0
    >>> expected_min([3.0, 1.0, 2.0], 3)
    1.0
    """
    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    if not 1 <= k <= n:
        raise ValueError(f"expected_min: k={k} needs 1 <= k <= n={n} pooled samples; run random "
                         "search with more seeds or a larger budget")
    i = np.arange(1, n - k + 2)  # 1-based ranks that can be a subset's minimum

    def log_comb(a: np.ndarray | int, b: int) -> np.ndarray | float:
        return gammaln(np.asarray(a) + 1) - gammaln(b + 1) - gammaln(np.asarray(a) - b + 1)

    w = np.exp(log_comb(n - i, k - 1) - log_comb(n, k))
    return float(np.dot(w / w.sum(), x[: n - k + 1]))


def _evals_at(rec: dict[str, Any], frac: float) -> int:
    """Evaluations after ``frac`` of the rounds (whole rounds, at least one)."""
    rounds = max(1, int(round(rec["rounds"] * frac)))
    return rounds * int(rec["batch_size"])


Scores = dict[tuple[str, str], dict[str, dict[int, float]]]  # (budget, opt) -> task -> seed -> s


def score_table(recs: dict[Key, dict[str, Any]], *, baseline_opt: str = "random",
                baseline: str = "pooled", ref: str = "found", frac: float = 1.0,
                saturation: float = SATURATION
                ) -> tuple[Scores, Scores, dict[tuple[str, str], float], dict[str, list[str]]]:
    """Both normalised scores of every run.

    Returns ``(rel, clip, rand_clip, skipped)``:

    - ``rel``: the score normalised by random's expected best at the same budget (left out, per
      budget, on tasks in ``skipped[budget]``, where that expected best is within ``saturation``
      times the gap between a good random draw (its 10% quantile; the median if that is already
      the best) and the best found: random search solves them, and the score would divide noise
      by ~0);
    - ``clip``: Bayesmark's mean-score normalisation ``(min(S, clip_p) - opt_p) / (clip_p -
      opt_p)`` with ``clip_p`` the median loss of one random draw (0 = best found, 1 = a typical
      random configuration);
    - ``rand_clip[(budget, task)]``: random search's expected ``clip`` score at that budget.
    """
    opt_p: dict[str, float] = {}
    pool: dict[str, list[float]] = defaultdict(list)
    for (task, opt, _b, _s), r in recs.items():
        opt_p[task] = min(opt_p.get(task, math.inf), r["best"])
        if ref == "known" and r.get("optimum") is not None:
            opt_p[task] = min(opt_p[task], float(r["optimum"]))
        if opt == baseline_opt:
            pool[task].extend(r["losses"])
    missing = sorted({k[0] for k in recs} - set(pool))
    if missing:
        raise ValueError(f"no '{baseline_opt}' results to normalise tasks {missing}; run them "
                         f"with --optimizers {baseline_opt}")
    clip_p = {t: float(np.median(v)) for t, v in pool.items()}
    good_p = {t: float(np.quantile(v, GOOD_QUANTILE)) for t, v in pool.items()}
    rand_seeds: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for (task, opt, budget, _s), r in recs.items():
        if opt == baseline_opt:
            k = _evals_at(r, frac)
            rand_seeds[(task, budget, k)].append(min(r["losses"][:k]))

    rel: Scores = defaultdict(dict)
    clip: Scores = defaultdict(dict)
    rand_clip: dict[tuple[str, str], float] = {}
    skipped: dict[str, set[str]] = defaultdict(set)
    cache: dict[tuple[str, str, int], tuple[float, float]] = {}
    for (task, opt, budget, seed), r in sorted(recs.items()):
        k = _evals_at(r, frac)
        o, c = opt_p[task], clip_p[task]
        span = c - o
        if not span > 0:  # random's median draw is already the best: nothing to compare
            skipped[budget].add(task)
            continue
        ck = (task, budget, k)
        if ck not in cache:
            if baseline == "pooled":
                rand_k = expected_min(pool[task], k)
            elif rand_seeds.get(ck):
                rand_k = float(np.mean(rand_seeds[ck]))
            else:
                raise ValueError(f"--baseline seeds: '{baseline_opt}' has no {budget} run on "
                                 f"{task}")
            rand_c = (expected_min(np.minimum(pool[task], c), k) - o) / span
            cache[ck] = (rand_k, rand_c)
        rand_k, rand_c = cache[ck]
        rand_clip[(budget, task)] = rand_c
        S = min(r["losses"][:k])
        clip[(budget, opt)].setdefault(task, {})[seed] = (min(S, c) - o) / span
        ref_gap = good_p[task] - o if good_p[task] > o else span
        if rand_k - o > saturation * ref_gap:
            rel[(budget, opt)].setdefault(task, {})[seed] = (S - o) / (rand_k - o)
        else:
            skipped[budget].add(task)
    for (budget, _o), tasks in rel.items():
        for t in skipped.get(budget, ()):
            tasks.pop(t, None)
    return dict(rel), dict(clip), rand_clip, {b: sorted(v) for b, v in skipped.items()}


def summarise(scores: dict[str, dict[int, float]], rng: np.random.Generator,
              n_boot: int = 2000) -> dict[str, float]:
    """Mean, seed spread and bootstrap CI of one optimiser's scores ``{task: {seed: s}}``."""
    tasks = sorted(scores)
    all_s = np.array([s for t in tasks for s in scores[t].values()])
    seeds = sorted({sd for t in tasks for sd in scores[t]})
    per_seed = [np.mean([scores[t][sd] for t in tasks if sd in scores[t]]) for sd in seeds]
    arrs = [np.array(list(scores[t].values())) for t in tasks]
    boot = np.empty(n_boot)
    for b in range(n_boot):
        boot[b] = np.mean([a[rng.integers(a.size, size=a.size)].mean() for a in arrs])
    return {"mean": float(all_s.mean()),
            "seed_std": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0,
            "ci_lo": float(np.percentile(boot, 2.5)), "ci_hi": float(np.percentile(boot, 97.5)),
            "median": float(np.median(all_s)), "n_tasks": len(tasks), "n_runs": int(all_s.size)}


def spread_by_task(scores: dict[str, dict[int, float]]) -> tuple[float, list[tuple[str, float]]]:
    """Where an optimiser's seed-to-seed spread comes from: the std over seeds of the per-seed
    mean score (as in :func:`summarise`), and for each task that std with the task left out,
    smallest first (the tasks whose own seed-to-seed swings make most of the spread).

    Example:
        >>> std, without = spread_by_task({"a": {0: 0.0, 1: 2.0}, "b": {0: 1.0, 1: 1.0}})
        >>> round(std, 3), [(t, round(v, 3)) for t, v in without]
        (0.707, [('a', 0.0), ('b', 1.414)])
    """
    tasks = sorted(scores)
    seeds = sorted({sd for t in tasks for sd in scores[t]})

    def std_over(ts: list[str]) -> float:
        per_seed = [np.mean([scores[t][sd] for t in ts if sd in scores[t]]) for sd in seeds]
        return float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0

    without = [(t, std_over([u for u in tasks if u != t])) for t in tasks]
    return std_over(tasks), sorted(without, key=lambda x: (x[1], x[0]))


def ranks(recs: dict[Key, dict[str, Any]], budget: str, optimizers: list[str]
          ) -> dict[str, dict[str, float]]:
    """Mean rank (1 = best) over (task, seed) cells that every optimiser ran, and its spread."""
    cells: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for (task, opt, b, seed), r in recs.items():
        if b == budget and opt in optimizers:
            cells[(task, seed)][opt] = r["best"]
    per_seed: dict[str, dict[int, list[float]]] = {o: defaultdict(list) for o in optimizers}
    per_task: dict[str, dict[str, list[float]]] = {o: defaultdict(list) for o in optimizers}
    for (task, seed), vals in cells.items():
        if len(vals) != len(optimizers):
            continue
        rk = rankdata([vals[o] for o in optimizers], method="average")
        for o, v in zip(optimizers, rk):
            per_seed[o][seed].append(float(v))
            per_task[o][task].append(float(v))
    out = {}
    for o in optimizers:
        seed_means = [np.mean(v) for v in per_seed[o].values()]
        task_means = [np.mean(v) for v in per_task[o].values()]
        if not seed_means:
            continue
        out[o] = {"mean": float(np.mean([x for v in per_seed[o].values() for x in v])),
                  "seed_std": float(np.std(seed_means, ddof=1)) if len(seed_means) > 1 else 0.0,
                  "task_std": float(np.std(task_means, ddof=1)) if len(task_means) > 1 else 0.0}
    return out


def _budget_order(b: str) -> tuple[int, str]:
    return (0 if b.startswith("seq") else 1, b)


def summarise_bayesmark(clip: dict[str, dict[int, float]], rand_clip: dict[str, float]
                        ) -> dict[str, float]:
    """Bayesmark's normalised mean: mean clip score over tasks / random's (random = 1)."""
    tasks = sorted(clip)
    denom = float(np.mean([rand_clip[t] for t in tasks]))
    if not denom > 0:
        return {"mean": math.nan, "seed_std": math.nan}
    mean = float(np.mean([np.mean(list(clip[t].values())) for t in tasks])) / denom
    seeds = sorted({sd for t in tasks for sd in clip[t]})
    per_seed = [np.mean([clip[t][sd] for t in tasks if sd in clip[t]]) / denom for sd in seeds]
    return {"mean": mean,
            "seed_std": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0}


def report(recs: dict[Key, dict[str, Any]], failed: list[dict[str, Any]], *,
           baseline_opt: str = "random", baseline: str = "pooled", ref: str = "found",
           per_task: bool = False, saturation: float = SATURATION, seed: int = 0
           ) -> tuple[str, dict[str, Any]]:
    """The markdown text and a JSON-able summary."""
    rng = np.random.default_rng(seed)
    kw = dict(baseline_opt=baseline_opt, baseline=baseline, ref=ref, saturation=saturation)
    rel, clip, rand_clip, skipped = score_table(recs, **kw)
    half, _, _, _ = score_table(recs, frac=0.5, **kw)
    budgets = sorted({b for b, _ in clip}, key=_budget_order)
    tasks = sorted({t for v in clip.values() for t in v})
    optimizers = sorted({o for _, o in clip})
    seeds = sorted({k[3] for k in recs})
    lines = [
        f"Tasks: {len(tasks)} ({', '.join(tasks)}); seeds: {len(seeds)}; "
        f"optimisers: {', '.join(optimizers)}.",
        "",
        "- **score**: (best - best any optimiser found) / (random search's expected best at the "
        f"same budget - best found), per task; random's expectation is the {baseline} estimator "
        f"over '{baseline_opt}' runs. Lower is better, random ~ 1, 0 = found the best any "
        "optimiser found. **Bayesmark** = 100 (1 - score).",
        "- **BM normed mean**: Bayesmark's mean score: per task (min(best, clip) - best found) / "
        "(clip - best found) with clip = random's median single draw, averaged over tasks and "
        "divided by random search's value (random = 1). Counts every task, saturated or not.",
        "- **mean rank**: rank among the optimisers on each (task, seed), ties averaged.",
        "- **opt. ms / suggestion**: CPU time in suggest + observe per evaluation (objective "
        "excluded), mean over runs (max over runs).",
    ]
    for b, ts in skipped.items():
        if ts:
            lines.append(f"- Left out of **score** for {b} (random search's expected best is "
                         f"closer to the best found than {saturation:.0%} of the gap between a "
                         f"top-10% random draw and the best): {', '.join(ts)}.")
    if failed:
        lines.append(f"- Failed runs (not scored): {len(failed)}: "
                     + "; ".join(sorted({f"{r['optimizer']} on {r['task']} ({r['error'][:80]})"
                                         for r in failed})))
    summary: dict[str, Any] = {"tasks": tasks, "skipped": skipped, "budgets": {}}
    for b in budgets:
        opts_b = [o for o in optimizers if (b, o) in clip]
        rk = ranks(recs, b, opts_b)
        rc_b = {t: v for (bb, t), v in rand_clip.items() if bb == b}
        rows = []
        for o in opts_b:
            s = summarise(rel[(b, o)], rng) if rel.get((b, o)) else None
            h = summarise(half[(b, o)], rng, n_boot=1) if half.get((b, o)) else None
            bm = summarise_bayesmark(clip[(b, o)], rc_b)
            times = [r.get("opt_cpu_time", r["opt_time"]) / r["n_evals"]
                     for k, r in recs.items() if k[1] == o and k[2] == b]
            rows.append((o, s, h, bm, rk.get(o), float(np.mean(times)), float(np.max(times))))
        rows.sort(key=lambda row: (row[1]["mean"] if row[1] else math.inf, row[3]["mean"]))
        n_evals = next(r["n_evals"] for k, r in recs.items() if k[2] == b)
        lines += ["", f"### Budget {b} ({n_evals} evaluations)", "",
                  "| optimiser | score | seed std | 95% CI | Bayesmark | BM normed mean (± seed "
                  "std) | mean rank (± seed std) | score @50% | opt. ms / suggestion (max) | "
                  "tasks x seeds |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        summary["budgets"][b] = {}
        for o, s, h, bm, r, t_mean, t_max in rows:
            rank_txt = f"{r['mean']:.2f} ± {r['seed_std']:.2f}" if r else "n/a"
            half_txt = f"{h['mean']:.3f}" if h else "n/a"
            if s:
                s_txt = (f"{s['mean']:.3f} | {s['seed_std']:.3f} | [{s['ci_lo']:.3f}, "
                         f"{s['ci_hi']:.3f}] | {100 * (1 - s['mean']):.1f}")
                n_txt = f"{s['n_tasks']} x {s['n_runs'] // max(1, s['n_tasks'])}"
            else:
                s_txt, n_txt = "n/a | n/a | n/a | n/a", "0"
            lines.append(f"| {o} | {s_txt} | {bm['mean']:.3f} ± {bm['seed_std']:.3f} | "
                         f"{rank_txt} | {half_txt} | {1000 * t_mean:.1f} ({1000 * t_max:.0f}) | "
                         f"{n_txt} |")
            summary["budgets"][b][o] = {"score": s, "score_half": h, "bayesmark_normed_mean": bm,
                                        "rank": r, "opt_time_per_suggestion_mean": t_mean,
                                        "opt_time_per_suggestion_max": t_max}
        if per_task:
            opts = [row[0] for row in rows]
            lines += ["", f"Per task, budget {b}: mean score over seeds (BM clip score where "
                      "the task is left out of score, in brackets)", "",
                      "| task | " + " | ".join(opts) + " |", "|---|" + "---|" * len(opts)]
            for t in tasks:
                cells = []
                for o in opts:
                    v = rel.get((b, o), {}).get(t)
                    c = clip.get((b, o), {}).get(t)
                    if v:
                        cells.append(f"{np.mean(list(v.values())):.2f}")
                    elif c:
                        cells.append(f"({np.mean(list(c.values())):.3f})")
                    else:
                        cells.append("n/a")
                lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines), summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", help="files written by run.py")
    ap.add_argument("--baseline-optimizer", default="random",
                    help="the random-search optimiser to normalise by (default: random)")
    ap.add_argument("--baseline", choices=("pooled", "seeds"), default="pooled")
    ap.add_argument("--ref", choices=("found", "known"), default="found",
                    help="opt_p: best found by any optimiser, or also the known optimum")
    ap.add_argument("--per-task", action="store_true", help="add a per-task score table")
    ap.add_argument("--spread", action="store_true",
                    help="add, per budget and optimiser, the seed std of the score and the five "
                         "tasks whose omission lowers it most")
    ap.add_argument("--saturation", type=float, default=SATURATION,
                    help="leave a task out of the score where random's expected best is within "
                         "this fraction of (random's 10%% quantile - best found) (default 0.01)")
    ap.add_argument("--json", help="also write the summary as JSON here")
    ap.add_argument("--optimizers", nargs="+",
                    help="score only these optimisers (the normalisation then uses only their "
                         "runs); default: every optimiser in the files")
    ap.add_argument("--budgets", nargs="+", help="report only these budgets (e.g. seq100)")
    ap.add_argument("--seeds", nargs="+", type=int,
                    help="report only these seeds (e.g. the seeds every file has)")
    args = ap.parse_args(argv)
    recs, failed = load(args.results)
    for wanted, field, name in ((args.optimizers, 1, "optimizer"), (args.budgets, 2, "budget"),
                                (args.seeds, 3, "seed")):
        if wanted:
            recs = {k: r for k, r in recs.items() if k[field] in wanted}
            failed = [r for r in failed if r[name] in wanted]
    if not recs:
        print(f"no successful runs in {args.results}", file=sys.stderr)
        return 1
    text, summary = report(recs, failed, baseline_opt=args.baseline_optimizer,
                           baseline=args.baseline, ref=args.ref, per_task=args.per_task,
                           saturation=args.saturation)
    print(text)
    if args.spread:
        rel = score_table(recs, baseline_opt=args.baseline_optimizer, baseline=args.baseline,
                          ref=args.ref, saturation=args.saturation)[0]
        print("\nSeed std of the score, and without each of the five tasks that lower it most:\n")
        for (budget, opt), scores in sorted(rel.items()):
            std, without = spread_by_task(scores)
            top = ", ".join(f"{t} {v:.3f}" for t, v in without[:5])
            print(f"- {budget} {opt}: {std:.3f}; without: {top}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
