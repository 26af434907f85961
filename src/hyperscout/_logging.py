"""hyperscout's logger: one concise line per finished trial at INFO."""

from __future__ import annotations

import logging
import sys

_LOGGER_NAME = "hyperscout"
_handler: logging.Handler | None = None


def get_logger(name: str = _LOGGER_NAME) -> logging.Logger:
    global _handler
    root = logging.getLogger(_LOGGER_NAME)
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("[hyperscout %(asctime)s] %(message)s", "%H:%M:%S"))
        root.addHandler(_handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    return logging.getLogger(name)


def set_verbosity(level: int | str) -> None:
    """Set how much hyperscout logs: ``"info"`` (a line per trial, default), ``"warning"``, ...

    Example:
        >>> import hyperscout as hs
        >>> hs.set_verbosity("warning")
        >>> hs.set_verbosity("info")
    """
    if isinstance(level, str):
        named = logging.getLevelName(level.upper())
        if not isinstance(named, int):
            raise ValueError(f"set_verbosity({level!r}): use debug, info, warning or error")
        level = named
    get_logger().setLevel(level)
