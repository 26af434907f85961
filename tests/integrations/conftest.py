"""Shared helpers for the integration tests: small real pruners (the pruner contract only)."""

from __future__ import annotations

import pytest

from hyperscout.pruners import Decision, Pruner


class PruneFromStep(Pruner):
    """Prunes every trial once it has reported step ``step`` (a pruner whose decision the
    tests know in advance: "did training really stop there?")."""

    needs_history = False

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, history, trial):
        last = max(trial.intermediate_values, default=-1)
        return Decision.PRUNE if last >= self.step else Decision.CONTINUE


class PruneBelow(Pruner):
    """Prunes a trial whose latest report is below ``threshold`` (maximize) or above it."""

    needs_history = False

    def __init__(self, threshold: float, *, maximize: bool = True) -> None:
        self.threshold = threshold
        self.maximize = maximize

    def decide(self, history, trial):
        if not trial.intermediate_values:
            return Decision.CONTINUE
        v = trial.intermediate_values[max(trial.intermediate_values)]
        bad = v < self.threshold if self.maximize else v > self.threshold
        return Decision.PRUNE if bad else Decision.CONTINUE


@pytest.fixture
def prune_from_step():
    return PruneFromStep


@pytest.fixture
def prune_below():
    return PruneBelow


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Tiny models: one BLAS/OpenMP thread is faster than several fighting for 2 cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn
        yield
        return
    with threadpool_limits(1):
        yield


def _importable_or_skip(name: str) -> None:
    """Skip unless ``name`` imports (a broken install, e.g. a torchvision built for another
    torch under lightning, skips with its error instead of failing collection)."""
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed")
    except Exception as exc:
        pytest.skip(f"{name} cannot be imported here: {exc}")


@pytest.fixture
def importable_or_skip():
    """``importable_or_skip(module_name)``: skip the test unless the module imports."""
    return _importable_or_skip


@pytest.fixture
def run_example():
    """``run_example(name, argv)``: load examples/<name>.py and call its ``main(argv)``."""
    import importlib.util
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "examples"

    def run(name: str, argv: list[str]):
        spec = importlib.util.spec_from_file_location(f"example_{name}", root / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.main(argv)

    return run
