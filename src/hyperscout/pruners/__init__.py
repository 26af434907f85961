"""Pruners stop unpromising trials early; pass one as ``create_study(pruner=...)``.

- :class:`NopPruner`: never prunes (the default).
- :class:`MedianPruner`, :class:`PercentilePruner`: worse than most complete trials at the step.
- :class:`ThresholdPruner`: a value outside ``[lower, upper]`` (or nan).
- :class:`PatientPruner`: wraps another; acts only after no improvement for ``patience`` reports.
- :class:`ASHAPruner` (alias :data:`SuccessiveHalvingPruner`): asynchronous successive halving.
- :class:`HyperbandPruner`: asynchronous Hyperband over several ASHA brackets.
- :class:`LearningCurvePruner`: prunes at a rung only if even an optimistic extrapolation of the
  trial's curve (matched to the study's complete curves) ends worse than the best final values.
- :class:`AdaptiveHyperbandPruner`: Hyperband (or ASHA) whose brackets follow how well each
  rung ranks the study's trials (Kendall tau against the final values).
- :class:`SegmentPruner`: pauses a trial at the end of the segment a pause-and-resume sampler
  (:class:`hyperscout.samplers.PromotionASHASampler`, ASHA by promotion) assigned it.

The model-based multi-fidelity sampler (BOHB-style) and population-based training are samplers:
:class:`hyperscout.samplers.multifidelity.MultiFidelityTPESampler` and
:class:`hyperscout.samplers.pbt.PBTSampler`.

Pruners rank the reported values by the study's first direction (multi-objective studies:
report the objective to prune on). Names are imported on first use, so ``import hyperscout``
stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hyperscout.pruners.base import Decision, NopPruner, Pruner

if TYPE_CHECKING:
    from hyperscout.pruners.asha import ASHAPruner
    from hyperscout.pruners.hyperband import HyperbandPruner
    from hyperscout.pruners.learning_curve import LearningCurvePruner
    from hyperscout.pruners.patient import PatientPruner
    from hyperscout.pruners.percentile import MedianPruner, PercentilePruner
    from hyperscout.pruners.segment import SegmentPruner
    from hyperscout.pruners.threshold import ThresholdPruner

    SuccessiveHalvingPruner = ASHAPruner

_LAZY = {
    "ASHAPruner": ("hyperscout.pruners.asha", "ASHAPruner"),
    "AdaptiveHyperbandPruner": ("hyperscout.pruners.adaptive_hyperband",
                                "AdaptiveHyperbandPruner"),
    "SuccessiveHalvingPruner": ("hyperscout.pruners.asha", "ASHAPruner"),
    "SegmentPruner": ("hyperscout.pruners.segment", "SegmentPruner"),
    "HyperbandPruner": ("hyperscout.pruners.hyperband", "HyperbandPruner"),
    "LearningCurvePruner": ("hyperscout.pruners.learning_curve", "LearningCurvePruner"),
    "MedianPruner": ("hyperscout.pruners.percentile", "MedianPruner"),
    "PercentilePruner": ("hyperscout.pruners.percentile", "PercentilePruner"),
    "PatientPruner": ("hyperscout.pruners.patient", "PatientPruner"),
    "ThresholdPruner": ("hyperscout.pruners.threshold", "ThresholdPruner"),
}

__all__ = [
    "ASHAPruner",
    "AdaptiveHyperbandPruner",
    "Decision",
    "HyperbandPruner",
    "LearningCurvePruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "Pruner",
    "SegmentPruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'hyperscout.pruners' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
