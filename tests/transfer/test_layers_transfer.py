"""The transfer policies never touch storage: only ``transfer/load.py`` (the study layer) may."""

from __future__ import annotations

import ast
import pathlib

import hyperscout.transfer

PKG = pathlib.Path(hyperscout.transfer.__file__).parent
STUDY_LAYER = {"load.py", "__init__.py"}  # __init__ re-exports load's functions
BANNED = ("hyperscout.study", "hyperscout.storage")


def _imports(path: pathlib.Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            out.add(node.module or "")
    return out


def test_policy_modules_do_not_import_study_or_storage() -> None:
    checked = 0
    for path in sorted(PKG.glob("*.py")):
        if path.name in STUDY_LAYER:
            continue
        checked += 1
        bad = [m for m in _imports(path) if any(m == b or m.startswith(b + ".") for b in BANNED)]
        assert bad == [], f"{path.name} imports {bad}"
    assert checked >= 6


def test_the_study_layer_module_is_the_one_that_reads_storage() -> None:
    assert any(m.startswith("hyperscout.storage") for m in _imports(PKG / "load.py"))
