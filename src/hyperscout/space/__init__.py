"""Search spaces: distributions and the unit-cube/one-hot codec."""

from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import (
    Categorical,
    CategoricalChoice,
    Distribution,
    Float,
    Int,
    check_compatible,
    distribution_from_json,
)

__all__ = [
    "Categorical",
    "CategoricalChoice",
    "Distribution",
    "Float",
    "Int",
    "SpaceCodec",
    "check_compatible",
    "distribution_from_json",
]
