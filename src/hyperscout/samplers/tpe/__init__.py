"""Tree-structured Parzen estimator (TPE): the sampler and its Parzen-estimator math."""

from hyperscout.samplers.tpe.sampler import TPESampler

__all__ = ["TPESampler"]
