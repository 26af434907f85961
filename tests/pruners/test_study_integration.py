"""Pruners inside real studies: threads, SQLite, reproducibility, every pruner end to end."""

from __future__ import annotations

import math

import pytest

import hyperscout as hs


def curve_objective(trial, max_step=27):
    x = trial.suggest_float("x", -3, 3)
    for step in range(1, max_step + 1):
        trial.report((x - 1) ** 2 + 2.0 / step, step)
        if trial.should_prune():
            raise hs.TrialPruned()
    return (x - 1) ** 2


PRUNERS = {
    "median": lambda: hs.pruners.MedianPruner(n_startup_trials=3),
    "percentile": lambda: hs.pruners.PercentilePruner(25.0, n_startup_trials=3),
    "threshold": lambda: hs.pruners.ThresholdPruner(upper=4.0),
    "patient": lambda: hs.pruners.PatientPruner(hs.pruners.MedianPruner(n_startup_trials=3),
                                                patience=2),
    "asha": lambda: hs.pruners.ASHAPruner(min_resource=1, max_resource=27),
    "asha-auto": lambda: hs.pruners.ASHAPruner(),
    "hyperband": lambda: hs.pruners.HyperbandPruner(min_resource=1, max_resource=27),
}


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_each_pruner_prunes_in_a_study_and_is_reproducible(name) -> None:
    def run():
        study = hs.create_study(pruner=PRUNERS[name](), sampler=hs.samplers.RandomSampler(seed=1))
        study.optimize(curve_objective, n_trials=30)
        return [(t.state.name, t.last_step) for t in study.trials], study

    a, study = run()
    b, _ = run()
    assert a == b
    pruned = study.get_trials(["pruned"])
    if name == "patient":  # this curve always improves: patience never runs out
        assert not pruned
    else:
        assert pruned
    assert all(t.last_step < 27 for t in pruned)
    assert study.best_value < 1.0


def test_asha_and_mf_sampler_with_threads_on_sqlite(tmp_path) -> None:
    study = hs.create_study(
        storage=f"sqlite:///{tmp_path / 'hs.db'}",
        sampler=hs.samplers.MultiFidelityTPESampler(seed=0, budgets=[1, 3, 9]),
        pruner=hs.pruners.HyperbandPruner(min_resource=1, max_resource=27, seed=0),
    )
    study.optimize(curve_objective, n_trials=40, n_jobs=2)
    trials = study.trials
    assert len(trials) == 40
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    assert study.get_trials(["pruned"])
    assert math.isfinite(study.best_value)


def test_maximize_study_prunes_the_low_curves() -> None:
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(1, 10):
            trial.report(x * step / 9, step)
            if trial.should_prune():
                raise hs.TrialPruned()
        return x

    study = hs.create_study(direction="maximize", sampler=hs.samplers.RandomSampler(seed=0),
                            pruner=hs.pruners.MedianPruner(n_startup_trials=5))
    study.optimize(objective, n_trials=40)
    pruned = [t.params["x"] for t in study.get_trials(["pruned"])]
    complete = [t.params["x"] for t in study.get_trials(["complete"])]
    assert pruned and sum(pruned) / len(pruned) < sum(complete) / len(complete)


class _CountingStorage(hs.storage.InMemoryStorage):
    """Counts the reads of unfinished trials (one per snapshot that includes running trials)."""

    def __init__(self) -> None:
        super().__init__()
        self.unfinished_reads = 0

    def get_unfinished_trials(self, study_id):
        self.unfinished_reads += 1
        return super().get_unfinished_trials(study_id)


@pytest.mark.parametrize(
    ("name", "reads_running"),
    [("median", False), ("percentile", False), ("patient", False), ("asha", True),
     ("hyperband", True)],
)
def test_should_prune_reads_running_trials_only_for_pruners_that_use_them(
    name, reads_running
) -> None:
    storage = _CountingStorage()
    study = hs.create_study(storage=storage, pruner=PRUNERS[name](),
                            sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(curve_objective, n_trials=6)
    reports = sum(len(t.intermediate_values) for t in study.trials)
    # RandomSampler needs no history, so only should_prune can read the running trials
    assert (storage.unfinished_reads >= reports) is reads_running
    assert (storage.unfinished_reads == 0) is not reads_running
    assert PRUNERS[name]().needs_running is reads_running
