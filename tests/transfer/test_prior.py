"""Space matching: carried-over values, changed ranges, new and removed choices."""

from __future__ import annotations

import pytest

from hyperscout.space import Categorical, Float, Int
from hyperscout.transfer import PriorStudy, compare_spaces, match_params
from hyperscout.transfer.prior import match_value
from hyperscout.trial import FrozenTrial, TrialState


def _trial(params, dists, value=1.0, state=TrialState.COMPLETE, number=0):
    return FrozenTrial.build(number=number, trial_id=number, state=state, params=params,
                             distributions=dists, values=[value] if value is not None else None)


def test_values_inside_the_new_range_carry_over_unchanged() -> None:
    assert match_value(0.3, Float(0, 1), Float(0, 2)) == (True, 0.3)
    assert match_value(4, Int(1, 8), Int(2, 6)) == (True, 4)
    assert match_value("b", Categorical(["a", "b"]), Categorical(["b", "c"])) == (True, "b")


def test_out_of_range_values_are_clipped_or_dropped() -> None:
    assert match_value(15.0, Float(0, 20), Float(0, 10), "clip") == (True, 10.0)
    assert match_value(-3.0, Float(-5, 5), Float(0, 10), "clip") == (True, 0.0)
    assert match_value(15.0, Float(0, 20), Float(0, 10), "drop") == (False, None)
    # an int clipped onto a stepped grid lands on the grid
    assert match_value(17, Int(0, 20), Int(0, 12, step=4), "clip") == (True, 12)
    # a float that fell between grid points of a new stepped range is snapped
    ok, v = match_value(0.33, Float(0, 1), Float(0, 1, step=0.25), "clip")
    assert ok and v == 0.25


def test_removed_choices_and_type_changes_are_missing() -> None:
    assert match_value("gone", Categorical(["gone", "kept"]), Categorical(["kept"])) == (
        False, None)
    assert match_value(0.5, Float(0, 1), Categorical(["a"])) == (False, None)
    assert match_value("a", Categorical(["a"]), Float(0, 1), "clip") == (False, None)


def test_match_value_rejects_an_unknown_policy() -> None:
    with pytest.raises(ValueError, match="out_of_range='wrap'.*'clip' or 'drop'"):
        match_value(1.0, Float(0, 1), Float(0, 1), "wrap")


def test_match_params_leaves_out_what_does_not_map() -> None:
    t = _trial({"x": 15.0, "k": "gone", "old": 1.0},
               {"x": Float(0, 20), "k": Categorical(["gone", "b"]), "old": Float(0, 2)})
    new = {"x": Float(0, 10), "k": Categorical(["b", "c"]), "fresh": Int(1, 3)}
    assert match_params(t, new, "clip") == {"x": 10.0}
    assert match_params(t, new, "drop") == {}


def test_compare_spaces_kinds() -> None:
    a = {"x": Float(0, 1), "k": Categorical(["a", "b"])}
    assert compare_spaces(a, dict(a)).kind == "identical"
    m = compare_spaces(a, {"x": Float(0, 2), "z": Int(1, 4)})
    assert m.kind == "overlapping"
    assert m.shared == ("x",) and m.added == ("z",) and m.removed == ("k",)
    assert m.changed == ("x",)
    assert compare_spaces(a, {"z": Float(0, 1)}).kind == "disjoint"
    # same name but nothing carries over (disjoint ranges, no common choice)
    assert compare_spaces({"x": Float(0, 1)}, {"x": Float(2, 3)}).kind == "disjoint"
    assert compare_spaces({"k": Categorical(["a"])}, {"k": Categorical(["b"])}).kind == "disjoint"


def test_prior_study_keeps_complete_trials_and_checks_directions() -> None:
    d = {"x": Float(0, 1)}
    trials = (_trial({"x": 0.1}, d, 2.0, number=0),
              _trial({"x": 0.2}, d, None, TrialState.FAIL, number=1),
              _trial({"x": 0.3}, d, 1.0, number=2))
    p = PriorStudy("p", ("maximize",), trials)
    assert p.n_trials == 2
    assert p.losses() == [-2.0, -1.0]
    with pytest.raises(ValueError, match="only single-objective"):
        PriorStudy("mo", ("minimize", "minimize"), trials)
    with pytest.raises(ValueError, match="'sideways'"):
        PriorStudy("bad", ("sideways",), trials)
