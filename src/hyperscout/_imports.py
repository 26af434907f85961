"""Lazy imports of optional packages, with errors that name the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from hyperscout.exceptions import OptionalDependencyError


def optional_import(module: str, *, extra: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` or raise an error that names the pip extra providing it.

    Example:
        >>> np = optional_import("numpy", extra="core")
        >>> np.__name__
        'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = feature or module
        raise OptionalDependencyError(
            f"{what} needs the optional package '{module.split('.')[0]}', which is not installed; "
            f"install it with: pip install 'hyperscout[{extra}]'"
        ) from exc
