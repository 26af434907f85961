"""Shared look of both backends: colours per trial state and the empty-plot message."""

from __future__ import annotations

STATE_COLORS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "fail": "#d62728",
    "running": "#2ca02c",
    "waiting": "#7f7f7f",
}
BEST_COLOR = "#d62728"
FRONT_COLOR = "#d62728"
DOMINATED_COLOR = "#1f77b4"
INFEASIBLE_COLOR = "#9e9e9e"
NO_DATA = "no complete trials yet"


def empty_message(note: str = "") -> str:
    return note or NO_DATA
