"""The data step: records are right independent of any plotting package."""

from __future__ import annotations

import math

import numpy as np

from hyperscout.space import Float
from hyperscout.trial import FrozenTrial, TrialState
from hyperscout.visualization import _data as D


def _snap(n: int) -> D.StudySnapshot:
    rng = np.random.default_rng(0)
    trials = []
    for i in range(n):
        x, y = rng.random(2)
        trials.append(FrozenTrial.build(
            number=i, trial_id=i, state=TrialState.COMPLETE, values=[float(x + 2 * y)],
            params={"x": float(x), "y": float(y)},
            distributions={"x": Float(0, 1), "y": Float(0, 1)}))
    return D.StudySnapshot("big", ("minimize",), trials)


def test_bin_means_average_points_per_cell() -> None:
    px = np.array([0.0, 0.01, 1.0])
    py = np.array([0.0, 0.01, 1.0])
    mx, my, mz = D._bin_means(px, py, np.array([1.0, 3.0, 5.0]), bins=4)
    assert sorted(mz.tolist()) == [2.0, 5.0]
    assert sorted(mx.tolist()) == [0.005, 1.0]


def test_contour_of_a_big_study_is_binned_and_faithful() -> None:
    n = D.MAX_INTERP_POINTS + 400
    data = D.contour_data(_snap(n), resolution=11)
    (panel,) = data.panels
    assert len(panel.points_z) == n  # every trial is still drawn
    z = np.array(panel.z, dtype=float)
    gx, gy = np.meshgrid(panel.grid_x, panel.grid_y)
    inner = (gx > 0.1) & (gx < 0.9) & (gy > 0.1) & (gy < 0.9)
    assert np.all(np.isfinite(z))
    assert np.max(np.abs(z - (gx + 2 * gy))[inner]) < 0.1  # the plane x + 2y is recovered


def test_history_of_a_maximized_objective() -> None:
    snap = _snap(5)
    snap = D.StudySnapshot("max", ("maximize",), snap.trials)
    h = D.history_data(snap)
    assert h.best_so_far == [max(h.values[: i + 1]) for i in range(5)]
    assert all(not math.isnan(v) for v in h.values)
