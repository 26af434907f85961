"""Studies of every shape the plots must handle: single-, multi-objective, conditional, empty."""

from __future__ import annotations

import datetime as dt

import pytest

import hyperscout as hs
from hyperscout.space import Categorical, Float, Int
from hyperscout.trial import FrozenTrial, TrialState
from hyperscout.visualization import StudySnapshot

hs.set_verbosity("warning")


def _single() -> hs.Study:
    def objective(t: hs.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = t.suggest_int("layers", 1, 4)
        act = t.suggest_categorical("act", ["relu", "tanh", None])
        x = t.suggest_float("x", -2, 2)
        for step in range(4):
            t.report(x * x + step * 0.1, step)
            if t.number % 5 == 4 and step == 2:
                raise hs.TrialPruned()
        if t.number == 7:
            raise RuntimeError("boom")
        return x * x + layers * 0.1 + (act == "relu") * 0.5 + abs(lr - 1e-3)

    study = hs.create_study(name="single", sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=24, catch=(RuntimeError,))
    return study


def _conditional() -> hs.Study:
    def objective(t: hs.Trial) -> float:
        kind = t.suggest_categorical("kind", ["svm", "tree"])
        if kind == "svm":
            return t.suggest_float("C", 1e-3, 1e3, log=True) * 1e-3
        return t.suggest_int("depth", 1, 10) / 10

    study = hs.create_study(name="conditional", sampler=hs.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=20)
    return study


def _multi(n_obj: int) -> StudySnapshot:
    """Built from records so it can carry the "constraints" system attribute."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    trials = []
    for i in range(30):
        x = (i * 0.37) % 1.0
        vals = [x, 1 - x + 0.1 * (i % 3), (x - 0.5) ** 2][:n_obj]
        trials.append(FrozenTrial.build(
            number=i, trial_id=i, state=TrialState.COMPLETE if i != 29 else TrialState.RUNNING,
            params={"x": x, "n": i % 4}, distributions={"x": Float(0, 1), "n": Int(0, 3)},
            values=vals if i != 29 else None,
            system_attrs={"constraints": [0.5 - x], "worker": f"w{i % 2}"} if i % 4 == 0
            else {"worker": f"w{i % 2}"},
            datetime_start=t0 + dt.timedelta(seconds=i),
            datetime_complete=t0 + dt.timedelta(seconds=i + 1.5) if i != 29 else None))
    return StudySnapshot(f"multi{n_obj}", ("minimize", "maximize", "minimize")[:n_obj], trials)


@pytest.fixture(scope="session")
def studies() -> dict[str, object]:
    empty = hs.create_study(name="empty")
    running_only = hs.create_study(name="running-only")
    running_only.ask({"x": Float(0, 1)})
    return {
        "single": _single(),
        "conditional": _conditional(),
        "multi2": _multi(2),
        "multi3": _multi(3),
        "empty": empty,
        "running-only": running_only,
        "one-categorical": _one_cat(),
    }


def _one_cat() -> hs.Study:
    study = hs.create_study(name="one-categorical", sampler=hs.samplers.RandomSampler(seed=2))
    study.optimize(lambda t: len(t.suggest_categorical("c", ["a", "bb", "ccc"])), n_trials=6)
    return study


__all__ = ["Categorical", "studies"]
