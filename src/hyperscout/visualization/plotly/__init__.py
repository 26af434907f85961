"""Interactive Plotly figures of a study (``pip install 'hyperscout[viz]'``).

Every function takes a ``Study`` (or a ``StudySnapshot``) and returns a
``plotly.graph_objects.Figure``; an empty study gives a figure that says so.
"""

from hyperscout.visualization.plotly._plots import (
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
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_slice",
    "plot_timeline",
]
