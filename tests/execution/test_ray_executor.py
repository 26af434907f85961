"""RayExecutor end to end on a local Ray cluster (skipped when ray is not installed)."""

from __future__ import annotations

import os

import pytest
from exec_helpers import HERE, SRC
from worker_objectives import boom, quadratic

import hyperscout as hs
from hyperscout.execution import RayExecutor
from hyperscout.trial.state import TrialState


def test_ray_executor_refuses_in_memory_storage_before_importing_ray() -> None:
    with pytest.raises(ValueError, match="in-memory storage"):
        hs.create_study().optimize(quadratic, n_trials=1, executor=RayExecutor())
    with pytest.raises(ValueError, match=r"resources_per_trial=\{'gpu': -1\}"):
        RayExecutor(resources_per_trial={"gpu": -1})
    assert "gpu': 0.5" in repr(RayExecutor(resources_per_trial={"cpu": 1, "gpu": 0.5}))


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    path = os.pathsep.join([SRC, str(HERE), os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_executor_runs_trials_as_tasks_against_the_storage(local_ray, tmp_path) -> None:
    study = hs.create_study(storage=f"sqlite:///{tmp_path / 'ray.db'}",
                            sampler=hs.samplers.RandomSampler(seed=0), heartbeat_interval=1.0)
    seen: list[int] = []
    study.optimize(quadratic, n_trials=8, n_jobs=2,
                   executor=RayExecutor(resources_per_trial={"cpu": 1}),
                   callbacks=[lambda s, rec: seen.append(rec.number)])
    trials = study.trials
    assert [t.number for t in trials] == list(range(8))
    assert all(t.state is TrialState.COMPLETE and t.values == (t.params["x"] * t.params["x"],)
               for t in trials)
    assert sorted(seen) == list(range(8))
    assert len({t.params["x"] for t in trials}) == 8

    with pytest.raises(RuntimeError, match="objective exploded"):
        study.optimize(boom, n_trials=2, n_jobs=1, executor=RayExecutor())
    assert study.get_trials([TrialState.FAIL])
