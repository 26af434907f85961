"""Importing the edges loads no plotting, web or ML package; ``hs.importance`` works lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hyperscout

# the subprocess must import this checkout's source, not another installed copy
SRC = str(Path(hyperscout.__file__).resolve().parents[1])

HEAVY = ("sklearn", "plotly", "matplotlib", "starlette", "uvicorn", "pandas", "scipy")


def _loaded(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + f"\nimport sys, json\nprint(json.dumps([m for m in "
                                      f"{HEAVY!r} if m in sys.modules]))"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_edges_import_light() -> None:
    assert _loaded("import hyperscout") == []
    assert _loaded("import hyperscout.importance, hyperscout.visualization, "
                   "hyperscout.visualization.matplotlib, hyperscout.dashboard, "
                   "hyperscout.visualization.report, hyperscout.cli") == []


def test_hs_importance_is_reachable_from_the_package() -> None:
    code = ("import hyperscout as hs\n"
            "assert callable(hs.importance.param_importances)\n"
            "assert callable(hs.visualization.plot_contour)\n"
            "try:\n    hs.nope\nexcept AttributeError as e:\n    assert 'nope' in str(e)\n")
    assert _loaded(code) == []
