"""Summarise run.py's JSON lines: epochs to target and best accuracy at the budget, per method.

    python benchmarks/multifidelity/report.py /tmp/mf-synthetic.jsonl
    python benchmarks/multifidelity/report.py --compact benchmarks/multifidelity/results/*.gz
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict

import numpy as np


def _lines(path: str):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def summarise(path: str) -> str:
    rows = [json.loads(line) for line in _lines(path)]
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["task"], r["method"])].append(r)
    out = []
    for task in sorted({k[0] for k in by}):
        any_r = next(r for (t, _), rs in by.items() if t == task for r in rs)
        out.append(f"\n**{task}** (target accuracy {any_r['target']}, budget "
                   f"{any_r['budget']} epochs per run)\n")
        out.append("| method | seeds | reached target | epochs to target: median [IQR] "
                   "| mean | seconds to target (median) | best acc at budget: mean ± sd "
                   "| trials (pruned) per run |")
        out.append("|---|---|---|---|---|---|---|---|")
        for (t, method), rs in sorted(by.items(), key=lambda kv: kv[0][1]):
            if t != task:
                continue
            n = len(rs)
            # a run that never reached the target counts as needing the whole budget + 1
            ep = np.array([r["epochs_to_target"] or r["budget"] + 1 for r in rs], float)
            sec = [r["seconds_to_target"] for r in rs if r["seconds_to_target"] is not None]
            hit = sum(r["epochs_to_target"] is not None for r in rs)
            best = np.array([r["best_acc"] for r in rs])
            q1, med, q3 = np.percentile(ep, [25, 50, 75])
            trials = np.mean([r["n_trials"] for r in rs])
            pruned = np.mean([r["n_pruned"] for r in rs])
            out.append(
                f"| {method} | {n} | {hit}/{n} | {med:.0f} [{q1:.0f}, {q3:.0f}] | "
                f"{ep.mean():.0f} | {np.median(sec) if sec else float('nan'):.2f} | "
                f"{best.mean():.4f} ± {best.std(ddof=1) if n > 1 else 0:.4f} | "
                f"{trials:.0f} ({pruned:.0f}) |")
    out.append("\nRuns that never reached the target count as budget + 1 epochs in the "
               "median and mean.")
    return "\n".join(out)


def compact(paths: list[str]) -> str:
    """One row per task: per method, mean epochs to target (runs that reached it) and mean best
    accuracy at the budget; then the ratio of each method's mean epochs to no pruning's."""
    rows = [json.loads(line) for p in paths for line in _lines(p)]
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["task"], r["method"])].append(r)
    methods = sorted({r["method"] for r in rows})
    tasks = sorted({r["task"] for r in rows})
    out = ["| task (seeds) | " + " | ".join(methods) + " |",
           "|---|" + "---|" * len(methods)]
    for t in tasks:
        cells = []
        none = np.mean([r["epochs_to_target"] or r["budget"] + 1 for r in by[(t, "none")]])
        best = max(np.mean([r["best_acc"] for r in by[(t, m)]]) for m in methods if by[(t, m)])
        for m in methods:
            rs = by[(t, m)]
            if not rs:
                cells.append("—")
                continue
            ep = np.mean([r["epochs_to_target"] or r["budget"] + 1 for r in rs])
            hit = sum(r["epochs_to_target"] is not None for r in rs)
            acc = np.mean([r["best_acc"] for r in rs])
            mark = "**" if acc == best else ""
            cells.append(f"{ep:.0f} ({ep / none:.2f}x, {hit}/{len(rs)}) / {mark}{acc:.4f}{mark}")
        out.append(f"| {t} ({len(by[(t, 'none')])}) | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1] == "--compact":
        print(compact(sys.argv[2:]))
    else:
        for p in sys.argv[1:]:
            print(summarise(p))
