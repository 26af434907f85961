"""Learn from earlier studies: warm starts, transfer-learning samplers and meta-features.

- ``hs.create_study(warm_start=[old_study, ("name", "sqlite:///runs.db")], meta={...})``
  reads the prior studies once (:func:`as_prior`), stores the meta-features with the new
  study, and wraps its sampler in a :class:`TransferSampler`.
- :class:`TransferSampler`: a diverse initial design from the priors' best configurations
  (:func:`initial_design`), then GP (RGPE) or TPE models that weigh each prior by how well it
  ranks the current study's results (:func:`rgpe_weights`), falling back to the base sampler
  alone when the current study's evidence overrules the priors.
- :func:`find_similar_studies`: earlier studies ranked by meta-feature similarity.
- Space matching rules (missing parameters, changed ranges, new or removed choices):
  :mod:`hyperscout.transfer.prior`.

Example:
    >>> import hyperscout as hs
    >>> store = hs.storage.InMemoryStorage()
    >>> f = lambda t: (t.suggest_float("x", -5, 5) - 1.0) ** 2
    >>> old = hs.create_study(name="old", storage=store, seed=0, meta={"n_samples": 100})
    >>> old.optimize(f, n_trials=12)
    >>> new = hs.create_study(storage=store, seed=0, warm_start=[old], meta={"n_samples": 120})
    >>> new.optimize(f, n_trials=3)
    >>> new.trials[0].params == old.best_params
    True
"""

from hyperscout.transfer.design import DesignPoint, initial_design
from hyperscout.transfer.load import (
    SimilarStudy,
    as_prior,
    find_similar_studies,
    meta_similarity,
    parse_source,
)
from hyperscout.transfer.prior import PriorStudy, SpaceMatch, compare_spaces, match_params
from hyperscout.transfer.sampler import TransferSampler
from hyperscout.transfer.weights import rgpe_weights

__all__ = [
    "DesignPoint",
    "PriorStudy",
    "SimilarStudy",
    "SpaceMatch",
    "TransferSampler",
    "as_prior",
    "compare_spaces",
    "find_similar_studies",
    "initial_design",
    "match_params",
    "meta_similarity",
    "parse_source",
    "rgpe_weights",
]
