"""A real 2-process DDP run (CPU, gloo) of examples/lightning_ddp.py: the trial lives in rank 0,
the worker rank never touches it. Its own module: it takes ~10-30 s."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("torch")
try:
    import lightning.pytorch  # noqa: F401
except ImportError:
    pytest.skip("lightning is not installed", allow_module_level=True)
except Exception as exc:  # e.g. a torchvision wheel built for another torch breaks the import
    pytest.skip(f"lightning cannot be imported here: {exc}", allow_module_level=True)

import hyperscout as hs  # noqa: E402
from hyperscout.trial import TrialState  # noqa: E402


@pytest.mark.slow
def test_real_ddp_run_prunes_in_rank_zero_only(tmp_path) -> None:
    """examples/lightning_ddp.py: 2 CPU processes (gloo); rank 0 holds the trial, the worker
    rank gets the parameters through the environment and PruningCallback(None)."""
    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "lightning_ddp.py"
    url = f"sqlite:///{tmp_path}/ddp.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, str(script), "--storage", url, "--epochs", "3"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    study = hs.load_study("lightning-ddp", url)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [0, 1, 2]  # rank 0 reported every epoch, once
    assert trial.value == pytest.approx(trial.intermediate_values[2], rel=1e-6)
