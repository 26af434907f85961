"""Same seed, same suggestions: in one process and across freshly spawned interpreters
(Optuna's test_reproducible_in_other_process), whose string hashing differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import hyperscout as hs

SAMPLERS = {
    "random": lambda seed: hs.samplers.RandomSampler(seed=seed),
    "grid": lambda seed: hs.samplers.GridSampler(
        {"x": [-1.0, 0.0, 1.5], "act": ["relu", "gelu", "tanh"], "n": [1, 4]}, seed=seed),
    "qmc": lambda seed: hs.samplers.QMCSampler(seed=seed),
    "halton": lambda seed: hs.samplers.QMCSampler("halton", seed=seed),
}


def objective(trial: hs.Trial) -> float:
    """Mixed and conditional: string choices would expose any dependence on str hashing."""
    x = trial.suggest_float("x", -2, 2)
    act = trial.suggest_categorical("act", ["relu", "gelu", "tanh"])
    n = trial.suggest_int("n", 1, 4)
    if act == "gelu" and not isinstance(trial.study.sampler, hs.samplers.GridSampler):
        trial.suggest_float("alpha", 1e-3, 1.0, log=True)
    return x * x + n + len(act)


def run(name: str, seed: int, n_trials: int = 12) -> list[dict]:
    study = hs.create_study(sampler=SAMPLERS[name](seed))
    study.optimize(objective, n_trials=n_trials)
    return [dict(t.params) for t in study.trials]


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_suggestions(name: str) -> None:
    assert run(name, 0) == run(name, 0)


@pytest.mark.parametrize("name", ["random", "qmc", "grid"])
def test_another_seed_other_suggestions(name: str) -> None:
    assert run(name, 0) != run(name, 1)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_create_study_seed_overrides_the_samplers(name: str) -> None:
    def via_study(seed: int) -> list[dict]:
        study = hs.create_study(sampler=SAMPLERS[name](12345), seed=seed)
        study.optimize(objective, n_trials=8)
        return [dict(t.params) for t in study.trials]

    assert via_study(3) == via_study(3) == run(name, 3, n_trials=8)


_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests_dir!r})
    import hyperscout as hs
    from test_reproducibility import SAMPLERS, run
    hs.set_verbosity("warning")
    print(json.dumps({{"hash": hash("hyperscout"),
                       "params": {{name: run(name, 7) for name in sorted(SAMPLERS)}}}}))
    """
)


def test_reproducible_in_other_processes() -> None:
    code = _CHILD.format(tests_dir=os.path.dirname(os.path.abspath(__file__)))
    results = []
    for hash_seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert len({r["hash"] for r in results}) == 3  # the interpreters really differ
    assert results[0]["params"] == results[1]["params"] == results[2]["params"]
    # ... and agree with this process
    here = json.loads(json.dumps({name: run(name, 7) for name in sorted(SAMPLERS)}))
    assert results[0]["params"] == here
