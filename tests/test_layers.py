"""Import layering, checked on the source with ast (every import counts, TYPE_CHECKING too).

- samplers/ and pruners/ are policies: they never import hyperscout.study or hyperscout.storage.
- space/ is the bottom layer: it imports nothing from trial, study, storage or samplers.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import hyperscout

PKG = pathlib.Path(hyperscout.__file__).parent

RULES = {
    "samplers": ("hyperscout.study", "hyperscout.storage"),
    "pruners": ("hyperscout.study", "hyperscout.storage"),
    "space": ("hyperscout.trial", "hyperscout.study", "hyperscout.storage",
              "hyperscout.samplers"),
}


def _module_name(path: pathlib.Path) -> str:
    parts = ("hyperscout", *path.relative_to(PKG).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path, module: str | None = None) -> set[str]:
    """Every module ``path`` (the module named ``module``, by default from its place in the
    package) imports, relative imports resolved, ``from a import b`` counted as both ``a`` and
    ``a.b`` (b may be a submodule)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module or _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def _violations(layer: str) -> list[str]:
    banned = RULES[layer]
    found = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for mod in sorted(imported_modules(path)):
            if any(mod == b or mod.startswith(b + ".") for b in banned):
                found.append(f"{path.relative_to(PKG)} imports {mod}")
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_rules(layer: str) -> None:
    assert (PKG / layer).is_dir()
    assert _violations(layer) == []


def test_the_checker_sees_every_kind_of_import(tmp_path: pathlib.Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "import hyperscout.storage.memory\n"
        "from hyperscout import study\n"
        "from ..storage import base\n"
        "from . import random\n"
        "if TYPE_CHECKING:\n"
        "    from hyperscout.study.study import Study\n"
        "def f():\n"
        "    import hyperscout.study._optimize\n"
    )
    mods = imported_modules(probe, module="hyperscout.samplers.probe")
    assert {"hyperscout.storage.memory", "hyperscout.study", "hyperscout.storage.base",
            "hyperscout.samplers.random", "hyperscout.study.study",
            "hyperscout.study._optimize"} <= mods
