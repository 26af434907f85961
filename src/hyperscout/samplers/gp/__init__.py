"""Gaussian-process Bayesian optimisation (numpy/scipy only).

Modules: ``kernels`` (Matérn-5/2 ARD + input warping), ``likelihood`` (marginal likelihood,
priors, fit, posterior), ``transforms`` (robust output transform), ``acquisition`` (log-EI,
log-PI, UCB), ``fantasy`` (q-EI given running trials), ``optimize`` (acquisition optimisation
on valid points), ``sampler``
(:class:`GPSampler`), ``constraints`` (probability of feasibility), ``multiobjective``
(:class:`ParEGOSampler`).
"""

from __future__ import annotations

from hyperscout.samplers.gp.multiobjective import ParEGOSampler
from hyperscout.samplers.gp.sampler import GPSampler

__all__ = ["GPSampler", "ParEGOSampler"]
