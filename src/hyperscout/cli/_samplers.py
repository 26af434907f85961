"""``--sampler NAME``: resolve a short name to a class of :mod:`hyperscout.samplers` at run time.

Names come from the classes that exist when the command runs: ``TPESampler`` answers to ``tpe``,
``GPSampler`` to ``gp``, ``RandomSampler`` to ``random``; so a sampler added to the package is
usable from the command line without touching this module.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import click

import hyperscout.samplers as _samplers
from hyperscout.samplers import Sampler


def short_name(cls_name: str) -> str:
    """``"TPESampler"`` -> ``"tpe"``; also normalises what the user typed (``"Nsga-II"``).

    Example:
        >>> short_name("TPESampler"), short_name("nsga-ii"), short_name("random")
        ('tpe', 'nsgaii', 'random')
    """
    name = cls_name.replace("-", "").replace("_", "").lower()
    return name[: -len("sampler")] if name.endswith("sampler") and name != "sampler" else name


def available_samplers() -> dict[str, type[Sampler]]:
    """Short name -> class, for every concrete public sampler in :mod:`hyperscout.samplers`.

    Example:
        >>> available_samplers()["random"].__name__
        'RandomSampler'
    """
    found: dict[str, type[Sampler]] = {}
    for attr in sorted(dir(_samplers)):
        if attr.startswith("_"):
            continue
        obj = getattr(_samplers, attr)
        if (
            isinstance(obj, type)
            and issubclass(obj, Sampler)
            and obj is not Sampler
            and not inspect.isabstract(obj)
        ):
            found.setdefault(short_name(attr), obj)
    return found


def make_sampler(name: str, seed: int | None, kwargs_json: str | None) -> tuple[Sampler, bool]:
    """Build the sampler called ``name``; returns it and whether ``seed`` went to its constructor.

    ``kwargs_json`` is a JSON object of constructor arguments (``--sampler-kwargs``), e.g.
    ``'{"search_space": {"x": [0, 1, 2]}}'`` for the grid sampler.

    Example:
        >>> sampler, seeded = make_sampler("random", 0, None)
        >>> type(sampler).__name__, seeded
        ('RandomSampler', True)
    """
    table = available_samplers()
    cls = table.get(short_name(name))
    if cls is None:
        raise click.BadParameter(
            f"no sampler called {name!r}; available: {', '.join(sorted(table))}",
            param_hint="'--sampler'",
        )
    kwargs = _parse_kwargs(kwargs_json)
    params = inspect.signature(cls).parameters
    takes_seed = "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    if seed is not None and takes_seed and "seed" not in kwargs:
        kwargs["seed"] = seed
    seeded = "seed" in kwargs
    missing = [
        p.name
        for p in params.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in kwargs
    ]
    if missing:
        example = json.dumps({m: "..." for m in missing})
        raise click.BadParameter(
            f"{cls.__name__} needs {', '.join(missing)}; pass them as a JSON object with "
            f"--sampler-kwargs '{example}'",
            param_hint="'--sampler'",
        )
    try:
        sampler = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(
            f"{cls.__name__}(**{kwargs!r}) failed: {exc}", param_hint="'--sampler-kwargs'"
        ) from exc
    return sampler, seeded


def _parse_kwargs(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{text!r} is not JSON ({exc}); give an object such as '{{\"n_startup_trials\": 10}}'",
            param_hint="'--sampler-kwargs'",
        ) from exc
    if not isinstance(value, dict):
        raise click.BadParameter(
            f"{text!r} is a JSON {type(value).__name__}, not an object of constructor arguments",
            param_hint="'--sampler-kwargs'",
        )
    return value
