"""PBTSampler: hand-computed exploit/explore decisions, lineage, reproducibility, errors."""

from __future__ import annotations

import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers.pbt import PBTSampler, pbt_info
from hyperscout.trial import FrozenTrial, TrialState

LR = hs.Float(0.01, 1.0)


def seg(number, member, gen, value, state=TrialState.COMPLETE, params=None, parent=None):
    attrs = {"sampler:pbt_member": member, "sampler:pbt_generation": gen,
             "sampler:pbt_parent": parent, "sampler:pbt_action": "start"}
    p = params if params is not None else {"lr": 0.1 * (number + 1)}
    return FrozenTrial.build(number=number, trial_id=number, state=state,
                             values=[value] if state is TrialState.COMPLETE else None,
                             params=p, distributions={k: LR for k in p},
                             system_attrs=attrs)


def asking(number):
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.RUNNING)


def gen0(values):
    return [seg(i, i, 0, v) for i, v in enumerate(values)]


def propose(sampler, finished, running=(), number=None, direction="maximize"):
    h = History([direction], list(finished), len(finished), list(running))
    n = number if number is not None else len(finished) + len(running)
    return sampler.sample_joint(h, asking(n), sampler.infer_space(h))


def test_generation_zero_starts_members_with_random_params() -> None:
    s = PBTSampler({"lr": LR}, population_size=3, seed=0)
    p = propose(s, [])
    assert p.state == {"pbt_member": 0, "pbt_generation": 0, "pbt_parent": None,
                       "checkpoint_from": None, "pbt_action": "start"}
    assert LR.contains(p.params["lr"])
    # members 0 and 1 running -> the next trial starts member 2
    running = [seg(0, 0, 0, 0.0, TrialState.RUNNING), seg(1, 1, 0, 0.0, TrialState.RUNNING)]
    assert propose(s, [], running).state["pbt_member"] == 2


def test_bottom_quantile_exploits_top_quantile_hand_computed() -> None:
    # maximize; generation 0 values: member0 0.1, member1 0.5, member2 0.9, member3 0.3
    # quantile 0.25 of 4 -> k = 1: bottom = trial 0, top = trial 2
    s = PBTSampler({"lr": LR}, population_size=4, seed=1, resample_probability=0.0)
    p = propose(s, gen0([0.1, 0.5, 0.9, 0.3]))
    assert p.state["pbt_member"] == 0 and p.state["pbt_generation"] == 1
    assert p.state["pbt_action"] == "exploit"
    assert p.state["pbt_parent"] == 2 and p.state["checkpoint_from"] == 2
    assert round(p.params["lr"], 6) in (round(0.3 * 0.8, 6), round(0.3 * 1.2, 6))
    # member 0 now runs generation 1; member 1 (0.5, not bottom) continues as it was
    running = [seg(4, 0, 1, 0.0, TrialState.RUNNING)]
    p2 = propose(s, gen0([0.1, 0.5, 0.9, 0.3]), running)
    assert p2.state == {"pbt_member": 1, "pbt_generation": 1, "pbt_parent": 1,
                        "checkpoint_from": 1, "pbt_action": "continue"}
    assert p2.params == {"lr": 0.2}


def test_quantile_half_and_minimize() -> None:
    # minimize: values 0.1 0.5 0.9 0.3 -> best trial 0; k = 2: bottom {2 (0.9), 1 (0.5)}
    s = PBTSampler({"lr": LR}, population_size=4, seed=0, quantile_fraction=0.5)
    fin = gen0([0.1, 0.5, 0.9, 0.3])
    assert propose(s, fin, direction="minimize").state["pbt_action"] == "continue"  # member 0
    run = [seg(4, 0, 1, 0, TrialState.RUNNING)]
    p = propose(s, fin, run, direction="minimize")  # member 1 is in the bottom half
    assert p.state["pbt_action"] == "exploit" and p.state["pbt_parent"] in (0, 3)


def test_failed_segments_rank_last_and_pruned_use_their_last_report() -> None:
    fin = gen0([0.9, 0.8, 0.7])
    fin.append(seg(3, 3, 0, 0.0, TrialState.FAIL))
    s = PBTSampler({"lr": LR}, population_size=4, seed=0)
    run = [seg(4 + i, i, 1, 0, TrialState.RUNNING) for i in range(3)]
    p = propose(s, fin, run)  # member 3 (failed) is the only ready one -> exploits trial 0
    assert p.state["pbt_member"] == 3
    assert p.state["pbt_action"] == "exploit" and p.state["pbt_parent"] == 0


def test_more_workers_than_members_start_new_members() -> None:
    s = PBTSampler({"lr": LR}, population_size=2, seed=0)
    fin = gen0([0.1, 0.2])
    run = [seg(2, 0, 1, 0, TrialState.RUNNING), seg(3, 1, 1, 0, TrialState.RUNNING)]
    p = propose(s, fin, run)
    assert p.state["pbt_member"] == 2 and p.state["pbt_action"] == "start"


def test_explore_perturbs_clips_and_resamples() -> None:
    space = {"lr": hs.Float(0.01, 1.0), "units": hs.Int(8, 64), "act": hs.Categorical(
        ["a", "b", "c"]), "wd": hs.Float(0.0, 1.0, step=0.25)}
    s = PBTSampler(space, population_size=2, seed=0, resample_probability=0.0)
    for _ in range(20):
        out = s.explore({"lr": 0.9, "units": 60, "act": "b", "wd": 0.5}, space)
        assert out["lr"] in (pytest.approx(0.72), 1.0)   # 0.9 * 1.2 clipped to 1.0
        assert out["units"] in (48, 64)                   # 60 * 0.8, 72 -> 64
        assert out["act"] in ("a", "c")                   # a neighbouring choice
        assert out["wd"] == 0.5  # 0.4 and 0.6 snap back onto the 0.25 grid at 0.5
    s1 = PBTSampler(space, population_size=2, seed=0, resample_probability=1.0)
    vals = {s1.explore({"lr": 0.9, "units": 60, "act": "b", "wd": 0.5}, space)["lr"]
            for _ in range(20)}
    assert len(vals) == 20  # resampled every time


def test_end_to_end_lineage_and_reproducibility() -> None:
    def run(seed):
        store = hs.artifacts.InMemoryArtifactStore()
        sampler = PBTSampler({"lr": hs.Float(1e-3, 1.0, log=True)}, population_size=4,
                             seed=seed)
        study = hs.create_study(sampler=sampler, direction="maximize", artifact_store=store)

        def objective(trial):
            lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
            extra = trial.suggest_int("batch", 1, 10)  # not in the PBT space: inherited
            ck = trial.load_checkpoint()
            w = float(ck) if ck else 0.0
            info = pbt_info(trial)
            if info["action"] != "start":
                assert ck is not None  # resumed from the parent's checkpoint
                parent = study.trials[info["parent"]]
                assert extra == parent.params["batch"]
            w += 1.0 - abs(lr - 0.1)
            trial.save_checkpoint(str(w).encode())
            return w

        study.optimize(objective, n_trials=16)
        return [(pbt_info(t), dict(t.params), t.values) for t in study.trials]

    a, b = run(3), run(3)
    assert a == b
    assert [x[0]["generation"] for x in a] == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    assert any(x[0]["action"] == "exploit" for x in a)
    # the population improves: generation 3's best beats generation 0's best
    assert max(x[2][0] for x in a[12:]) > max(x[2][0] for x in a[:4])


@pytest.mark.parametrize(
    "kwargs, err, match",
    [({"space": {}}, ValueError, "space="), ({"space": {"x": 1}}, TypeError, "'x' maps to"),
     ({"population_size": 1}, ValueError, "population_size=1"),
     ({"quantile_fraction": 0.6}, ValueError, "quantile_fraction=0.6"),
     ({"resample_probability": 2}, ValueError, "resample_probability=2"),
     ({"perturbation_factors": (0.8, -1)}, ValueError, "perturbation_factors")],
)
def test_errors(kwargs, err, match) -> None:
    args = {"space": {"lr": LR}, "population_size": 4, **kwargs}
    with pytest.raises(err, match=match):
        PBTSampler(**args)


def test_load_checkpoint_before_any_suggest_sees_the_pbt_decision() -> None:
    study = hs.create_study(sampler=PBTSampler({"lr": LR}, population_size=2, seed=0),
                            direction="maximize",
                            artifact_store=hs.artifacts.InMemoryArtifactStore())

    def objective(trial):
        blob = trial.load_checkpoint()  # first call of the trial: the proposal is made here
        info = pbt_info(trial)
        assert (blob is None) == (info["action"] == "start")
        trial.save_checkpoint(f"{trial.number}".encode())
        lr = trial.suggest_float("lr", LR.low, LR.high)
        if blob is not None:
            assert int(blob) == info["parent"]
        return lr

    study.optimize(objective, n_trials=6)
    assert [pbt_info(t)["generation"] for t in study.trials] == [0, 0, 1, 1, 2, 2]


def test_parallel_workers_keep_the_lineage_consistent() -> None:
    study = hs.create_study(sampler=PBTSampler({"lr": LR}, population_size=3, seed=0),
                            direction="maximize",
                            artifact_store=hs.artifacts.InMemoryArtifactStore())

    def objective(trial):
        lr = trial.suggest_float("lr", LR.low, LR.high)
        blob = trial.load_checkpoint()
        w = float(blob) if blob else 0.0
        trial.save_checkpoint(str(w + lr).encode())
        return w + lr

    study.optimize(objective, n_trials=15, n_jobs=2)
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    for t in trials:
        info = pbt_info(t)
        if info["action"] == "start":
            assert info["generation"] == 0
            continue
        parent = trials[info["parent"]]
        assert parent.number < t.number
        assert pbt_info(parent)["generation"] == info["generation"] - 1
        # the parent had finished when the child started
        assert parent.datetime_complete <= t.datetime_start
        # weights continue: the child's value builds on the parent's saved value
        assert t.value == pytest.approx(parent.value + t.params["lr"])


def test_the_members_lineage_reaches_the_storage_with_the_proposal(tmp_path) -> None:
    """Other processes see which member a running segment trains before its first report."""
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    study = hs.create_study(name="pbt", storage=url,
                            sampler=PBTSampler({"lr": LR}, population_size=2, seed=0))
    trial = study.ask()
    trial.suggest_float("lr", LR.low, LR.high)
    other = hs.load_study(name="pbt", storage=url)
    (seen,) = other.storage.get_unfinished_trials(other._study_id)
    assert pbt_info(seen) == {"member": 0, "generation": 0, "parent": None, "action": "start"}
