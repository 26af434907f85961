"""Seeding: every component owns one numpy Generator; nothing touches global random state."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def make_rng(seed: SeedLike) -> np.random.Generator:
    """Return a new Generator from an int, a SeedSequence, a Generator (used as is) or None.

    Example:
        >>> bool(make_rng(0).integers(100) == make_rng(0).integers(100))
        True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(f"seed={seed!r}: expected an int, a numpy Generator or None")
    if isinstance(seed, (int, np.integer)) and seed < 0:
        raise ValueError(f"seed={seed}: a seed must be >= 0")
    return np.random.default_rng(seed)
