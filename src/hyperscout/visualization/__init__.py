"""Plots of a study: Plotly (interactive, the default here) and Matplotlib (static) backends.

Both backends draw the same data records from :mod:`hyperscout.visualization._data`:

- ``plot_optimization_history`` (with the best value so far), ``plot_param_importances``,
  ``plot_slice``, ``plot_contour``, ``plot_parallel_coordinate``,
  ``plot_intermediate_values`` (pruned trials marked), ``plot_pareto_front`` (2-D / 3-D,
  infeasible trials marked), ``plot_edf``, ``plot_timeline`` (per worker).

Log parameters get log axes and categorical parameters category axes. ``pip install
'hyperscout[viz]'``; plotting packages are imported only when a plot is drawn.

Example:
    >>> import hyperscout as hs
    >>> from hyperscout import visualization as vis
    >>> study = hs.create_study(seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> vis.history_data(study).numbers
    [0, 1, 2]
    >>> fig = vis.plot_optimization_history(study)  # doctest: +SKIP
    >>> fig = vis.matplotlib.plot_optimization_history(study)  # doctest: +SKIP
"""

from __future__ import annotations

from hyperscout.visualization._data import (
    StudySnapshot,
    contour_data,
    edf_data,
    history_data,
    importance_data,
    intermediate_data,
    parallel_data,
    pareto_data,
    slice_data,
    snapshot,
    timeline_data,
)
from hyperscout.visualization.plotly import (
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_slice,
    plot_timeline,
)

__all__ = [
    "StudySnapshot",
    "contour_data",
    "edf_data",
    "history_data",
    "importance_data",
    "intermediate_data",
    "parallel_data",
    "pareto_data",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_slice",
    "plot_timeline",
    "slice_data",
    "snapshot",
    "timeline_data",
]
