"""The public surface: ``__all__`` pinned, and ``import hyperscout`` stays light."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import types

import hyperscout as hs

# the namespaces hyperscout re-exports on purpose; other subpackages are reachable by import
PUBLIC_MODULES = {"artifacts", "pruners", "samplers", "stopping", "storage"}
HEAVY = ("scipy", "sqlalchemy", "pandas", "tqdm")


def test_all_is_sorted_and_names_exist() -> None:
    assert hs.__all__ == sorted(hs.__all__)
    assert len(set(hs.__all__)) == len(hs.__all__)
    missing = [n for n in hs.__all__ if not hasattr(hs, n)]
    assert not missing


def test_all_matches_the_public_names() -> None:
    public = {
        name for name, obj in vars(hs).items()
        if not name.startswith("_") and not isinstance(obj, types.ModuleType)
    }
    exported = set(hs.__all__)
    assert public <= exported, f"public but not in __all__: {sorted(public - exported)}"
    modules = {n for n in exported if isinstance(getattr(hs, n), types.ModuleType)}
    assert modules == PUBLIC_MODULES
    assert exported - modules - {"__version__"} == public


def test_the_issue_api_is_there() -> None:
    for name in ("create_study", "load_study", "Float", "Int", "Categorical", "TrialPruned",
                 "Study", "Trial", "FrozenTrial", "TrialState"):
        assert name in hs.__all__
    for name in ("RandomSampler", "GridSampler", "QMCSampler", "Sampler", "Proposal"):
        assert name in hs.samplers.__all__
    assert isinstance(hs.__version__, str)


def test_samplers_all_is_sorted_and_lists_every_sampler() -> None:
    mod = hs.samplers
    assert mod.__all__ == sorted(mod.__all__)
    assert all(hasattr(mod, n) for n in mod.__all__)
    classes = {
        name for name, obj in vars(mod).items()
        if not name.startswith("_") and inspect.isclass(obj)
        and issubclass(obj, hs.samplers.Sampler)
    }
    assert classes <= set(mod.__all__)


_CHILD = """
import json, sys, traceback

HEAVY = {heavy!r}
culprits = {{}}


class Spy:
    # records which hyperscout module first imports a heavy package
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in HEAVY and top not in culprits:
            frames = [f for f in traceback.extract_stack() if "/hyperscout/" in f.filename]
            culprits[top] = f"{{frames[-1].filename}}:{{frames[-1].lineno}}" if frames else "?"
        return None


sys.meta_path.insert(0, Spy())
import hyperscout  # noqa: E402
print(json.dumps({{m: culprits.get(m, "?") for m in HEAVY if m in sys.modules}}))
"""


def test_import_hyperscout_loads_no_heavy_package() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(heavy=HEAVY)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    assert loaded == {}, f"import hyperscout imported {loaded} (package: first importer)"
