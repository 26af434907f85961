"""Summarise run.py's JSON lines: epochs to target and best accuracy at fixed budgets.

    python benchmarks/multifidelity/report.py /tmp/mf-synthetic.jsonl            # per task
    python benchmarks/multifidelity/report.py --compact benchmarks/multifidelity/results/*.gz

Censoring: a run that never reaches the target within its budget has an unknown epochs-to-
target, only known to exceed the budget. It is counted as ``budget + 1`` (so a mean with any
censored run is a lower bound, shown with ``>=``), and a median is only given when more than
half the runs reached the target (else ``>budget``). Every cell says how many runs reached it.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

OURS = "hs-mfgp+promoqm-r3"  # as in run.py


def _lines(path: str):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def load(paths: Iterable[str]) -> dict[tuple[str, str], list[dict]]:
    """Runs by ``(task, method)``. Files can be combined (e.g. the peers' rows of one run and
    a re-run of some methods): a run with the same task, method, seed and budget as one in an
    earlier file replaces it."""
    runs: dict[tuple, dict] = {}
    for p in paths:
        for line in _lines(p):
            r = json.loads(line)
            runs[(r["task"], r["method"], r["seed"], r["budget"])] = r
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in runs.values():
        by[(r["task"], r["method"])].append(r)
    return by


def epochs(rs: list[dict]) -> np.ndarray:
    """Epochs to target per run, censored runs as ``budget + 1``."""
    return np.array([r["epochs_to_target"] or r["budget"] + 1 for r in rs], float)


def censored_median(rs: list[dict]) -> float:
    """The median epochs to target, ``inf`` when half or more of the runs are censored.

    >>> censored_median([{"epochs_to_target": e, "budget": 9} for e in (3, None, 5)])
    5.0
    >>> censored_median([{"epochs_to_target": e, "budget": 9} for e in (3, None)])
    inf
    """
    hit = sum(r["epochs_to_target"] is not None for r in rs)
    if 2 * hit <= len(rs):
        return math.inf
    return float(np.median(epochs(rs)))


def _fmt_med(v: float, budget: int) -> str:
    return f">{budget}" if math.isinf(v) else f"{v:.0f}"


def _fmt_mean(rs: list[dict]) -> str:
    censored = any(r["epochs_to_target"] is None for r in rs)
    return ("≥" if censored else "") + f"{epochs(rs).mean():.0f}"


def summarise(path: str) -> str:
    by = load([path])
    out = []
    for task in sorted({k[0] for k in by}):
        any_r = next(r for (t, _), rs in by.items() if t == task for r in rs)
        out.append(f"\n**{task}** (target accuracy {any_r['target']:.4f}, budget "
                   f"{any_r['budget']} epochs per run)\n")
        out.append("| method | seeds | reached target | epochs to target: median [IQR] "
                   "| mean ± sd | seconds to target (median) | best acc at budget: mean ± sd "
                   "| trials (pruned) per run |")
        out.append("|---|---|---|---|---|---|---|---|")
        for (t, method), rs in sorted(by.items(), key=lambda kv: kv[0][1]):
            if t != task:
                continue
            n = len(rs)
            ep = epochs(rs)
            sec = [r["seconds_to_target"] for r in rs if r["seconds_to_target"] is not None]
            hit = sum(r["epochs_to_target"] is not None for r in rs)
            best = np.array([r["best_acc"] for r in rs])
            q1, q3 = np.percentile(ep, [25, 75])
            trials = np.mean([r["n_trials"] for r in rs])
            pruned = np.mean([r["n_pruned"] for r in rs])
            out.append(
                f"| {method} | {n} | {hit}/{n} | {_fmt_med(censored_median(rs), rs[0]['budget'])}"
                f" [{q1:.0f}, {q3:.0f}] | {_fmt_mean(rs)} ± {ep.std(ddof=1) if n > 1 else 0:.0f}"
                f" | {np.median(sec) if sec else float('nan'):.2f} | "
                f"{best.mean():.4f} ± {best.std(ddof=1) if n > 1 else 0:.4f} | "
                f"{trials:.0f} ({pruned:.0f}) |")
    out.append("\nCensored runs (target not reached) count as budget + 1 epochs: `≥` marks a "
               "mean that is a lower bound; a median is given only if more than half reached it.")
    return "\n".join(out)


def _acc_at(r: dict, checkpoint: str) -> float | None:
    return r.get("best_acc_at", {}).get(checkpoint)


def compact(paths: list[str]) -> str:
    """Three tables, one row per task: epochs to target (median / mean, runs that reached it,
    ratio of means to no pruning), best accuracy at the budget, and at each smaller checkpoint;
    then the issue's targets for ``OURS``."""
    by = load(paths)
    methods = sorted({m for _, m in by})
    tasks = sorted({t for t, _ in by})
    head = ["| task (seeds, budget) | " + " | ".join(methods) + " |",
            "|---|" + "---|" * len(methods)]
    ep_rows, acc_rows = list(head), list(head)
    checkpoints = sorted({c for rs in by.values() for r in rs for c in r.get("best_acc_at", {})
                          if int(c) != r["budget"]}, key=int)
    small_rows = {c: list(head) for c in checkpoints}
    ratios: dict[str, list[float]] = defaultdict(list)
    wins: dict[str, int] = defaultdict(int)
    for t in tasks:
        none = by[(t, "none")]
        budget = none[0]["budget"] if none else next(r for m in methods for r in by[(t, m)])[
            "budget"]
        none_mean = epochs(none).mean() if none else math.nan
        label = f"| {t} ({len(none)}, {budget}) | "
        cells, accs, small = [], [], {c: [] for c in checkpoints}
        acc_mean = {m: np.mean([r["best_acc"] for r in by[(t, m)]]) for m in methods
                    if by[(t, m)]}
        best = max(acc_mean.values())
        for m in methods:
            rs = by[(t, m)]
            if not rs:
                cells.append("—")
                accs.append("—")
                for c in checkpoints:
                    small[c].append("—")
                continue
            hit = sum(r["epochs_to_target"] is not None for r in rs)
            ratio = epochs(rs).mean() / none_mean
            ratios[m].append(ratio)
            cells.append(f"{_fmt_med(censored_median(rs), budget)} / {_fmt_mean(rs)} "
                         f"({hit}/{len(rs)}, {ratio:.2f}x)")
            a = np.array([r["best_acc"] for r in rs])
            mark = "**" if acc_mean[m] == best else ""
            wins[m] += acc_mean[m] == best
            accs.append(f"{mark}{a.mean():.4f}{mark} ± {a.std(ddof=1) if len(a) > 1 else 0:.4f}")
            for c in checkpoints:
                v = [_acc_at(r, c) for r in rs]
                small[c].append("—" if None in v else f"{np.mean(v):.4f}")
        ep_rows.append(label + " | ".join(cells) + " |")
        acc_rows.append(label + " | ".join(accs) + " |")
        for c in checkpoints:
            if all(x == "—" for x in small[c]):
                continue
            best_c = max(float(x) for x in small[c] if x != "—")
            small_rows[c].append(label + " | ".join(
                f"**{x}**" if x != "—" and float(x) == best_c else x for x in small[c]) + " |")
    out = ["Epochs to target: median / mean (runs that reached it, mean / no pruning's mean)",
           "", *ep_rows, "", "Best validation accuracy at the budget: mean ± sd over seeds "
           "(bold: best mean of the row)", "", *acc_rows]
    for c in checkpoints:
        out += ["", f"Best validation accuracy within the first {c} epochs (mean)", "",
                *small_rows[c]]
    out += ["", "Geometric mean over tasks of (mean epochs to target / no pruning's); "
            "tasks where the method has the best mean accuracy at the budget:", ""]
    for m in methods:
        if ratios[m]:
            gm = math.exp(np.mean(np.log(ratios[m])))
            out.append(f"- {m}: {gm:.2f}x over {len(ratios[m])} tasks "
                       f"(<= 0.5x on {sum(x <= 0.5 for x in ratios[m])}); best accuracy on "
                       f"{wins[m]}")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1] == "--compact":
        print(compact(sys.argv[2:]))
    else:
        for p in sys.argv[1:]:
            print(summarise(p))
