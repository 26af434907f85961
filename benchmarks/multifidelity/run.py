"""Run the multi-fidelity comparison: hyperscout's pruners and samplers vs Optuna, same run.

Each (method, seed) run is sequential and stops when its epoch budget is spent; every epoch of
every trial is logged with the running epoch count and wall time, so both "epochs to reach the
target" and "best accuracy at the budget" come from the same run.

    nice -n 10 python benchmarks/multifidelity/run.py --task synthetic --seeds 20 \
        --budget 2000 --acc-at 400 --out /tmp/mf-synthetic.jsonl

The budget should be large enough that no pruning reaches the target in (nearly) every run:
a run that never reaches it is censored (its epochs to target are only known to exceed the
budget), and report.py says how many were.

Method names: those in ``METHODS``, ``hs-auto`` (AutoSampler, no pruning),
``hs-tpe+adaptive-asha``, and any of ``hs-tpe+asha``, ``hs-tpe+hyperband``, ``hs-auto+asha``,
``hs-bohb``, ``hs-mf+asha``, ``hs-bohb-adaptive`` with a suffix ``-r<R>``: the same method with
its first rung (the pruner's ``min_resource``, the sampler's lowest budget) at epoch ``R``, e.g.
``hs-tpe+asha-r9`` (a grace period of 9 epochs), and then ``-e<eta>`` for a reduction factor
other than 3 (``hs-tpe+asha-r9-e4``); ``hs-bohb-s<R>``: ``hs-bohb`` whose sampler
models only the budgets from epoch ``R`` on (the pruner's rungs unchanged); ``hs-tpe+lce``,
``hs-mf+lce`` (TPE or the multi-fidelity sampler with ``LearningCurvePruner``),
``hs-tpe+asha+lce``, ``hs-bohb+lce`` (the LearningCurvePruner vetoes ASHA's / Hyperband's
prunes), optionally with
``-n<n_neighbors>``, ``-k<top_k>``, ``-f<percent never pruned>`` and then ``-r<R>``, e.g.
``hs-tpe+lce-n5-k3-r3``. Resuming methods (``PromotionASHASampler``, the objective continues
from a checkpoint): ``hs-tpe+promo``, ``hs-mf+promo`` (Li et al.'s rule), ``hs-tpe+promoq``,
``hs-mf+promoq`` (quota), ``hs-mf+promohb`` (Hyperband brackets), ``hs-mfgp+promoq`` (the
multi-fidelity GP as the base) and ``hs-mfgp+promoqm`` (the same, paused configurations ranked
by the GP's full-budget prediction), each with ``-r<R>`` and ``-e<eta>``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS  # noqa: E402

METHODS = ["none", "optuna-tpe+median", "optuna-tpe+hyperband", "hs-tpe+asha",
           "hs-tpe+hyperband", "hs-bohb", "hs-mf+asha", "ray-tune-asha",
           "hs-bohb-adaptive", "hs-mf+adaptive-asha",  # these two: AdaptiveHyperbandPruner
           "hs-mfgp+promoqm-r3"]
# "our best" multi-fidelity method, the one README points to: ASHA by promotion (pause and
# resume) over the multi-fidelity GP, paused configurations ranked by its full-budget
# prediction (benchmarks/RESULTS.md, issue 4); the targets are checked against it.
# For objectives that cannot resume from a checkpoint: "hs-bohb" (MultiFidelityTPESampler +
# HyperbandPruner)
OURS = "hs-mfgp+promoqm-r3"


class BudgetSpent(Exception):
    pass


def make_study(method: str, seed: int, max_epochs: int):
    """``(study, pruned_exception)`` for a method."""
    if method.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruner = {"optuna-tpe+median": optuna.pruners.MedianPruner(),
                  "optuna-tpe+hyperband": optuna.pruners.HyperbandPruner(
                      min_resource=1, max_resource=max_epochs, reduction_factor=3),
                  "optuna-tpe+asha": optuna.pruners.SuccessiveHalvingPruner(
                      min_resource=1, reduction_factor=3),
                  "optuna-tpe": optuna.pruners.NopPruner()}[method]
        study = optuna.create_study(direction="maximize", pruner=pruner,
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        return study, optuna.TrialPruned
    import hyperscout as hs

    hs.set_verbosity("WARNING")
    from hyperscout.pruners.asha import rung_steps

    if method.startswith("hs-bohb-s"):  # "hs-bohb-s3": the sampler's lowest budget at 3 only
        budgets = rung_steps(int(method[len("hs-bohb-s"):]), 3, 0, max_epochs)
        hb = hs.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs, seed=seed)
        sampler = hs.samplers.MultiFidelityTPESampler(seed=seed, budgets=budgets)
        return hs.create_study(direction="maximize", sampler=sampler, pruner=hb), hs.TrialPruned
    eta = 3
    if re.search(r"-r\d+-e\d+$", method):  # e.g. "hs-tpe+asha-r9-e4": reduction factor 4
        method, _, e = method.rpartition("-e")
        eta = int(e)
    if "-r" in method.rsplit("+", 1)[-1]:  # e.g. "hs-bohb-r3": the same method, min_resource 3
        base, _, r = method.rpartition("-r")
        return _with_min_resource(base, int(r), seed, max_epochs, eta)
    if method in _RUNG_METHODS or _lce_options(method) is not None:
        return _with_min_resource(method, 1, seed, max_epochs)
    sampler, pruner = {
        "none": (hs.samplers.TPESampler(seed=seed), None),
        "hs-auto": (hs.samplers.AutoSampler(seed=seed), None),
        "hs-tpe+median": (hs.samplers.TPESampler(seed=seed), hs.pruners.MedianPruner()),
        "hs-mf+adaptive-asha": (
            hs.samplers.MultiFidelityTPESampler(seed=seed,
                                                budgets=rung_steps(1, 3, 0, max_epochs)),
            hs.pruners.AdaptiveHyperbandPruner(min_resource=1, max_resource=max_epochs,
                                               seed=seed, prior="asha")),
        "hs-tpe+adaptive-asha": (hs.samplers.TPESampler(seed=seed),
                                 hs.pruners.AdaptiveHyperbandPruner(
                                     min_resource=1, max_resource=max_epochs, seed=seed,
                                     prior="asha")),
    }[method]
    return hs.create_study(direction="maximize", sampler=sampler, pruner=pruner), hs.TrialPruned


# methods whose first rung (the pruner's min_resource, the sampler's lowest budget) is a
# parameter: epoch 1 by default, epoch R with the suffix "-r<R>"
# methods that pause and resume trials (PromotionASHASampler): the objective resumes from a
# checkpoint, so a resumed segment costs only its own epochs
_RESUMING = ("hs-tpe+promo", "hs-mf+promo", "hs-tpe+promoq", "hs-mf+promoq", "hs-mf+promohb",
             "hs-mfgp+promoq", "hs-mfgp+promoqm")
_RUNG_METHODS = ("hs-tpe+asha", "hs-tpe+hyperband", "hs-auto+asha", "hs-bohb", "hs-mf+asha",
                 "hs-bohb-adaptive", *_RESUMING)


def _lce_options(method: str) -> tuple[str, dict[str, Any]] | None:
    """``("hs-tpe+lce", {"n_neighbors": 5, "top_k": 3})`` for ``"hs-tpe+lce-n5-k3"``: a
    ``LearningCurvePruner`` method (``hs-tpe+lce``: TPESampler; ``hs-mf+lce``:
    MultiFidelityTPESampler; ``hs-tpe+asha+lce``, ``hs-bohb+lce``: ``hs-tpe+asha``, ``hs-bohb``
    whose prune decisions the LearningCurvePruner can veto) with ``-n<n_neighbors>``,
    ``-k<top_k>`` and ``-f<percent>`` (``reference_fraction``) options; else ``None``."""
    for base in ("hs-tpe+lce", "hs-mf+lce", "hs-tpe+asha+lce", "hs-bohb+lce"):
        if method == base or method.startswith(base + "-"):
            names = {"n": "n_neighbors", "k": "top_k", "f": "reference_fraction"}
            opts: dict[str, Any] = {}
            for o in method[len(base) + 1:].split("-"):
                if o:  # -f<percent>: reference_fraction in percent
                    opts[names[o[0]]] = int(o[1:]) / 100 if o[0] == "f" else int(o[1:])
            return base, opts
    return None


def _with_min_resource(method: str, r: int, seed: int, max_epochs: int, eta: int = 3):
    """``method`` (one of ``_RUNG_METHODS``) with its first rung at epoch ``r``: the pruner's
    ``min_resource`` and the multi-fidelity sampler's budgets ``r, 3r, 9r, ...`` below
    ``max_epochs`` (``[1, 3, 9, 27]`` for ``r = 1`` and 27 or 52 epochs); ``eta``: the
    reduction factor of the pruner and of the sampler's budgets (suffix ``-e<eta>`` after
    ``-r<R>``)."""
    import hyperscout as hs
    from hyperscout.pruners.asha import rung_steps

    rungs = rung_steps(r, eta, 0, max_epochs)
    lce = _lce_options(method)
    if lce is not None:
        wrapped = {"hs-tpe+asha+lce": hs.pruners.ASHAPruner(
                       min_resource=r, max_resource=max_epochs, reduction_factor=eta),
                   "hs-bohb+lce": hs.pruners.HyperbandPruner(
                       min_resource=r, max_resource=max_epochs, seed=seed,
                       reduction_factor=eta)}.get(lce[0])
        lc = hs.pruners.LearningCurvePruner(min_resource=r, max_resource=max_epochs, seed=seed,
                                            wrapped=wrapped, **lce[1])
        sampler = (hs.samplers.TPESampler(seed=seed) if lce[0].startswith("hs-tpe")
                   else hs.samplers.MultiFidelityTPESampler(seed=seed, budgets=rungs))
        return hs.create_study(direction="maximize", sampler=sampler, pruner=lc), hs.TrialPruned
    if method in _RESUMING:
        from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

        base = (hs.samplers.TPESampler(seed=seed) if method.startswith("hs-tpe")
                else MultiFidelityGPSampler(seed=seed, budgets=rungs)
                if method.startswith("hs-mfgp")
                else hs.samplers.MultiFidelityTPESampler(seed=seed, budgets=rungs))
        promo = hs.samplers.PromotionASHASampler(base, min_resource=r, max_resource=max_epochs,
                                                 reduction_factor=eta,
                                                 quota=not method.endswith("promo"),
                                                 brackets=len(rungs) + 1 if method.endswith("hb")
                                                 else 1,
                                                 rank_by_model=method.endswith("qm"))
        return hs.create_study(direction="maximize", sampler=promo, pruner=promo.pruner,
                               artifact_store=hs.artifacts.InMemoryArtifactStore()), hs.TrialPruned
    hb = hs.pruners.HyperbandPruner(min_resource=r, max_resource=max_epochs, seed=seed,
                                    reduction_factor=eta)
    asha = hs.pruners.ASHAPruner(min_resource=r, max_resource=max_epochs, reduction_factor=eta)
    mf = hs.samplers.MultiFidelityTPESampler
    sampler, pruner = {
        "hs-tpe+asha": (hs.samplers.TPESampler(seed=seed), asha),
        "hs-tpe+hyperband": (hs.samplers.TPESampler(seed=seed), hb),
        "hs-auto+asha": (hs.samplers.AutoSampler(seed=seed), asha),
        "hs-bohb": (mf(seed=seed, budgets=rungs), hb),
        "hs-mf+asha": (mf(seed=seed, budgets=rungs), asha),
        "hs-bohb-adaptive": (mf(seed=seed, budgets=rungs), hs.pruners.AdaptiveHyperbandPruner(
            min_resource=r, max_resource=max_epochs, seed=seed)),
    }[method]
    return hs.create_study(direction="maximize", sampler=sampler, pruner=pruner), hs.TrialPruned


def best_at(accs: list[float], checkpoints: list[int]) -> dict[str, float]:
    """Best accuracy within the first ``c`` epochs, for each checkpoint ``c`` (fixed budgets).

    >>> best_at([0.1, 0.5, 0.3, 0.7], [2, 3, 10])
    {'2': 0.5, '3': 0.5, '10': 0.7}
    """
    out = {}
    for c in checkpoints:
        head = accs[:c]
        if head:
            out[str(c)] = max(head)
    return out


def run_one(task, method: str, seed: int, budget: int,
            checkpoints: tuple[int, ...] = ()) -> dict[str, Any]:
    if method == "ray-tune-asha":
        from ray_asha import run_scheduler

        return run_scheduler(task, seed, budget, checkpoints)
    study, pruned = make_study(method, seed, task.max_epochs)
    resuming = method.split("-r")[0] in _RESUMING
    paused: dict[int, Any] = {}  # configuration -> its paused curve generator
    log: list[tuple[int, float, float]] = []  # (epochs so far, seconds so far, accuracy)
    t0 = time.perf_counter()
    n_trials = [0, 0]  # started, pruned

    def objective(trial):
        if len(log) >= budget:
            study.stop()
            raise pruned()
        n_trials[0] += 1
        cfg = task.suggest(trial)
        acc = 0.0
        # a resumed segment continues its configuration's training where the paused one stopped:
        # the checkpoint names the configuration and epoch, and the paused curve generator (the
        # live model, for the PyTorch tasks) is kept in memory, so no epoch is trained twice
        ckpt = trial.load_checkpoint() if resuming else None
        root, start = (trial.number, 0) if ckpt is None else tuple(json.loads(ckpt))
        curve = paused.pop(root, None) or task.curve(cfg, seed * 100_003 + root)
        for epoch, acc in enumerate(curve, start=start + 1):
            log.append((len(log) + 1, time.perf_counter() - t0, acc))
            trial.report(acc, epoch)
            if len(log) >= budget:
                study.stop()
                return acc
            if trial.should_prune():
                n_trials[1] += 1
                if resuming:
                    trial.save_checkpoint(json.dumps([root, epoch]).encode())
                    paused[root] = curve
                raise pruned()
        return acc

    study.optimize(objective, n_trials=100_000)
    hit = next(((e, s) for e, s, a in log if a >= task.target), (None, None))
    return {"task": task.name, "method": method, "seed": seed, "budget": budget,
            "target": task.target, "epochs_to_target": hit[0], "seconds_to_target": hit[1],
            "best_acc": max(a for _, _, a in log), "epochs": len(log),
            "best_acc_at": best_at([a for _, _, a in log], [*checkpoints, budget]),
            "seconds": log[-1][1], "n_trials": n_trials[0], "n_pruned": n_trials[1]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, required=True, help="total epochs per run")
    ap.add_argument("--seed-start", type=int, default=0)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--acc-at", default="",
                    help="comma-separated smaller epoch budgets to also record the best "
                         "accuracy at (e.g. 800)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    task = TASKS[args.task]()
    with open(args.out, "a") as f:
        checkpoints = tuple(int(c) for c in args.acc_at.split(",") if c)
        for seed in range(args.seed_start, args.seed_start + args.seeds):
            for method in args.methods.split(","):
                r = run_one(task, method, seed, args.budget, checkpoints)
                f.write(json.dumps(r) + "\n")
                f.flush()
                print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
