"""Every Plotly plot renders for every kind of study and draws its data (Matplotlib:
test_matplotlib.py)."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("plotly")

from hyperscout.visualization import plotly as plotly_backend  # noqa: E402

PLOTS = [
    "plot_optimization_history",
    "plot_param_importances",
    "plot_slice",
    "plot_contour",
    "plot_parallel_coordinate",
    "plot_intermediate_values",
    "plot_pareto_front",
    "plot_edf",
    "plot_timeline",
]
KINDS = ["single", "conditional", "multi2", "multi3", "empty", "running-only", "one-categorical"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("plot", PLOTS)
def test_plotly_renders(studies, kind: str, plot: str) -> None:
    fig = getattr(plotly_backend, plot)(studies[kind])
    spec = fig.to_plotly_json()  # validated by plotly as it was built
    assert spec["layout"]["title"]["text"]
    html = fig.to_html(include_plotlyjs=False, full_html=False)
    assert "Plotly.newPlot" in html


def test_history_has_best_so_far_line(studies) -> None:
    fig = plotly_backend.plot_optimization_history(studies["single"])
    points, best = fig.data
    assert best.name == "best so far"
    assert list(best.y) == [min(points.y[: i + 1]) for i in range(len(points.y))]


def test_log_and_categorical_axes(studies) -> None:
    fig = plotly_backend.plot_slice(studies["single"])
    types = {fig.layout[f"xaxis{'' if i == 1 else i}"].title.text:
             fig.layout[f"xaxis{'' if i == 1 else i}"].type for i in range(1, 5)}
    assert types["lr"] == "log"
    assert types["act"] == "category"
    assert types["x"] in (None, "linear", "-")


def test_intermediate_marks_pruned_trials(studies) -> None:
    study = studies["single"]
    fig = plotly_backend.plot_intermediate_values(study)
    traces = {tr.name: tr for tr in fig.data}
    assert {"complete", "pruned", "pruned here"} <= set(traces)
    marks = traces["pruned here"]
    assert marks.marker.symbol == "x"
    pruned = [t for t in study.trials if t.state.value == "pruned"]
    assert sorted(marks.text) == sorted(f"trial {t.number} pruned" for t in pruned)
    assert list(marks.x) == [max(t.intermediate_values) for t in
                             sorted(pruned, key=lambda t: t.number)]


def test_pareto_marks_front_and_infeasible(studies) -> None:
    fig = plotly_backend.plot_pareto_front(studies["multi2"])
    names = {tr.name: tr for tr in fig.data}
    assert {"Pareto front", "dominated", "infeasible"} <= set(names)
    fig3 = plotly_backend.plot_pareto_front(studies["multi3"])
    assert fig3.data[0].type == "scatter3d"
    single = plotly_backend.plot_pareto_front(studies["single"])
    assert "2 or more objectives" in single.layout.annotations[0].text


def test_empty_study_says_so(studies) -> None:
    fig = plotly_backend.plot_optimization_history(studies["empty"])
    assert fig.layout.annotations[0].text == "no complete trials yet"


def test_timeline_rows_per_worker(studies) -> None:
    fig = plotly_backend.plot_timeline(studies["multi2"])
    workers = {w for tr in fig.data for w in tr.y}
    assert workers == {"w0", "w1"}
    assert any(tr.name == "running" for tr in fig.data)


def test_parallel_coordinates_log_axis(studies) -> None:
    fig = plotly_backend.plot_parallel_coordinate(studies["single"])
    dims = {d.label: d for d in fig.data[0].dimensions}
    lr = dims["lr (log)"]
    assert all(-5.0 <= v <= -1.0 for v in lr.values)
    assert list(dims["act"].ticktext) == ["relu", "tanh", "None"]


def test_contour_has_surface_and_points(studies) -> None:
    fig = plotly_backend.plot_contour(studies["single"], params=["x", "lr"])
    kinds = [tr.type for tr in fig.data]
    assert kinds == ["contour", "scatter"]
    z = [v for row in fig.data[0].z for v in row if v is not None]
    assert z and all(math.isfinite(v) for v in z)


def test_edf_of_several_studies(studies) -> None:
    fig = plotly_backend.plot_edf([studies["single"], studies["conditional"]])
    assert [tr.name for tr in fig.data] == ["single", "conditional"]
    assert fig.data[0].y[-1] == pytest.approx(1.0)


def test_bad_arguments_are_named(studies) -> None:
    with pytest.raises(ValueError, match="objective=3"):
        plotly_backend.plot_optimization_history(studies["single"], objective=3)
    with pytest.raises(ValueError, match=r"params=\['nope'\]"):
        plotly_backend.plot_slice(studies["single"], params=["nope"])
    with pytest.raises(ValueError, match="objectives="):
        plotly_backend.plot_pareto_front(studies["multi3"], objectives=[0, 0])
    with pytest.raises(TypeError, match="expected a hyperscout Study"):
        plotly_backend.plot_slice(object())
