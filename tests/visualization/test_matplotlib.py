"""Every Matplotlib plot renders for every kind of study, with log and category axes."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("matplotlib")

from hyperscout.visualization import matplotlib as mpl_backend  # noqa: E402

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
def test_matplotlib_renders(studies, kind: str, plot: str) -> None:
    fig = getattr(mpl_backend, plot)(studies[kind])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_log_and_categorical_axes(studies) -> None:
    fig = mpl_backend.plot_slice(studies["single"])
    scales = {ax.get_xlabel(): ax.get_xscale() for ax in fig.axes}
    assert scales["lr"] == "log"
    assert scales["x"] == "linear"
    act = next(a for a in fig.axes if a.get_xlabel() == "act")
    assert [t.get_text() for t in act.get_xticklabels()] == ["relu", "tanh", "None"]


def test_pruned_trials_get_a_cross(studies) -> None:
    study = studies["single"]
    fig = mpl_backend.plot_intermediate_values(study)
    by_label = {c.get_label(): c for c in fig.axes[0].collections}
    assert {"complete", "pruned", "pruned here"} <= set(by_label)
    n_pruned = sum(t.state.value == "pruned" for t in study.trials)
    assert len(by_label["pruned here"].get_offsets()) == n_pruned
    assert len(by_label["pruned"].get_segments()) == n_pruned


def test_pareto_3d_and_empty(studies) -> None:
    fig = mpl_backend.plot_pareto_front(studies["multi3"])
    assert fig.axes[0].name == "3d"
    fig = mpl_backend.plot_optimization_history(studies["empty"])
    assert fig.axes[0].texts[0].get_text() == "no complete trials yet"
