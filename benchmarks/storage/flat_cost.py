"""Per-trial cost as a study grows: time per trial for 300 trials on an empty study vs on one
that already holds 10,000 finished trials, with heartbeats on (the heartbeat and reaping reads
must not scan the study) and a random sampler (a model-based sampler's own cost grows with
the history by design; this measures the storage).

Usage::

    nice -n 10 python benchmarks/storage/flat_cost.py [URL]
"""

from __future__ import annotations

import json
import sys
import time

import hyperscout as hs
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState


def per_trial_ms(url: str, prefill: int, sampler, n: int = 300) -> float:
    study = hs.create_study(storage=url, sampler=sampler, heartbeat_interval=0.05)
    if prefill:
        dist = {"x": hs.Float(-5.0, 5.0)}
        recs = [FrozenTrial.build(number=i, trial_id=-1, state=TrialState.COMPLETE,
                                  params={"x": (i % 1000) / 100 - 5}, distributions=dist,
                                  values=(float(i),)) for i in range(prefill)]
        for k in range(0, prefill, 2000):
            study.storage.add_trials(study._study_id, recs[k:k + 2000])
    study.trials  # noqa: B018 - warm the cache as a long-running worker would have it
    t0 = time.perf_counter()
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=n)
    dt = (time.perf_counter() - t0) / n * 1000
    if not url.startswith("sqlite"):
        study.storage.delete_study(study._study_id)
    return dt


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/hs-flat-cost.db"
    hs.set_verbosity("error")
    out: dict[int, list[float]] = {0: [], 10_000: []}
    for _ in range(3):  # alternate, so both sizes see the same machine load
        for n in out:
            out[n].append(round(per_trial_ms(url, n, hs.samplers.RandomSampler(seed=0)), 2))
    print(json.dumps({"url": url.split("@")[-1], "ms_per_trial_random_sampler": out}))


if __name__ == "__main__":
    main()
