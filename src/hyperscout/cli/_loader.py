"""Load ``FILE.py:FUNCTION`` (the user's objective) by path, the way ``python FILE.py`` would."""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import click


def split_target(target: str) -> tuple[Path, str]:
    """Split ``"dir/file.py:func"`` into a path and a function name (the last ``:`` separates).

    Example:
        >>> split_target("examples/quadratic.py:objective")
        (PosixPath('examples/quadratic.py'), 'objective')
    """
    file_part, sep, func = target.rpartition(":")
    if not sep or not file_part or not func:
        raise click.BadParameter(
            f"{target!r} is not FILE.py:FUNCTION; give the objective's file and function, "
            "e.g. examples/quadratic.py:objective",
            param_hint="'FILE.py:FUNCTION'",
        )
    if not func.isidentifier():
        raise click.BadParameter(
            f"{func!r} (in {target!r}) is not a Python function name; give FILE.py:FUNCTION, "
            "e.g. examples/quadratic.py:objective",
            param_hint="'FILE.py:FUNCTION'",
        )
    return Path(file_part), func


def default_study_name(path: Path, func: str) -> str:
    """The study name ``run`` uses without ``--study``: ``<file stem>-<function>``.

    Example:
        >>> default_study_name(Path("examples/quadratic.py"), "objective")
        'quadratic-objective'
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-") or "objective"
    return f"{stem}-{func}"


def load_objective(target: str) -> tuple[Callable[..., Any], Path, str]:
    """Import the file of ``target`` and return ``(function, resolved path, function name)``.

    The file's directory goes first on ``sys.path`` so that the file can import its neighbours.
    Errors name the file and the function: a missing file or function is a usage error (exit
    code 2); an exception while importing the file is shown with its traceback (exit code 1).
    """
    path, func_name = split_target(target)
    if path.suffix != ".py":
        raise click.BadParameter(
            f"{str(path)!r} is not a .py file; give FILE.py:FUNCTION",
            param_hint="'FILE.py:FUNCTION'",
        )
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise click.BadParameter(
            f"no file {str(path)!r} (looked at {resolved}); give the path of the Python file "
            f"that defines {func_name}()",
            param_hint="'FILE.py:FUNCTION'",
        )
    module = _import_file(resolved)
    func = getattr(module, func_name, None)
    if func is None:
        defined = sorted(
            name
            for name, obj in vars(module).items()
            if callable(obj)
            and not name.startswith("_")
            and getattr(obj, "__module__", None) == module.__name__
        )
        listing = ", ".join(defined) if defined else "none"
        raise click.BadParameter(
            f"{str(path)!r} has no function {func_name!r}; functions defined there: {listing}",
            param_hint="'FILE.py:FUNCTION'",
        )
    if not callable(func):
        raise click.BadParameter(
            f"{func_name!r} in {str(path)!r} is a {type(func).__name__}, not a function; "
            "give a function that takes a trial and returns its value",
            param_hint="'FILE.py:FUNCTION'",
        )
    return func, resolved, func_name


def _import_file(path: Path) -> ModuleType:
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    # Register under the file's stem (so pickling and dataclasses work) unless that would shadow
    # a module that is already imported, such as a user file called random.py.
    name = path.stem if path.stem.isidentifier() else "_hyperscout_objective"
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(path):
        # already imported from this file (by the caller, or an earlier load): the same module,
        # as `import` gives, so its functions stay the objects that pickle finds by name (a
        # fresh copy would make the caller's references unpicklable for worker processes)
        return loaded
    if loaded is not None:
        name = f"_hyperscout_user_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        raise click.ClickException(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        summary = format_user_traceback(exc, path)
        raise click.ClickException(
            f"importing {str(path)!r} raised {type(exc).__name__}:\n{summary}"
        ) from exc
    return module


def format_user_traceback(exc: BaseException, user_file: Path | None) -> str:
    """The traceback of ``exc`` from the first frame in ``user_file`` on (all frames if none).

    Frames of hyperscout and click above the user's code are noise for the person reading it.
    """
    frames: list[traceback.FrameSummary] = traceback.extract_tb(exc.__traceback__)
    if user_file is not None:
        target = str(user_file)
        for i, frame in enumerate(frames):
            if frame.filename == target:
                frames = frames[i:]
                break
    lines = traceback.StackSummary.from_list(frames).format()
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()
