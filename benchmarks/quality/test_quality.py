"""Tests of the quality-benchmark harness: ``pytest benchmarks/quality/test_quality.py -q``."""

from __future__ import annotations

import itertools
import json
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import optimizers  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import search_space as sp  # noqa: E402
import tasks  # noqa: E402

SPACE = (sp.real("x", -2.0, 3.0), sp.real("lr", 1e-4, 1e-1, log=True),
         sp.integer("n", 1, 9), sp.integer("k", 1, 128, log=True),
         sp.choice("c", ("a", None, True, 2)))


# -- space ---------------------------------------------------------------------------------------
def test_canonical_rounds_clips_and_matches_choices() -> None:
    out = sp.canonical(SPACE, {"x": 7.0, "lr": 0.5, "n": 3.6, "k": np.float64(0.2),
                               "c": np.int64(2)})
    assert out == {"x": 3.0, "lr": 0.1, "n": 4, "k": 1, "c": 2}
    assert type(out["n"]) is int and type(out["c"]) is int
    assert sp.canonical(SPACE, {"x": 0, "lr": 0.01, "n": 1, "k": 2, "c": "None"})["c"] is None
    assert sp.canonical(SPACE, {"x": 0, "lr": 0.01, "n": 1, "k": 2, "c": "True"})["c"] is True


def test_canonical_errors_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="'c'.*'zzz'"):
        sp.canonical(SPACE, {"x": 0, "lr": 0.01, "n": 1, "k": 2, "c": "zzz"})
    with pytest.raises(ValueError, match="'lr' missing"):
        sp.canonical(SPACE, {"x": 0, "n": 1, "k": 2, "c": "a"})


def test_param_validation() -> None:
    with pytest.raises(ValueError, match="log=True needs low > 0"):
        sp.real("lr", 0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="low=2.0 must be < high=1.0"):
        sp.real("x", 2.0, 1.0)
    with pytest.raises(ValueError, match="at least two choices"):
        sp.choice("c", ("a",))


def test_sample_stays_in_bounds_and_covers_log_ranges() -> None:
    rng = np.random.default_rng(0)
    draws = [sp.sample(SPACE, rng) for _ in range(2000)]
    for d in draws:
        assert sp.canonical(SPACE, d) == d
    ks = np.array([d["k"] for d in draws])
    assert ks.min() == 1 and ks.max() == 128
    assert 0.4 < np.mean(ks <= 11) < 0.6  # log-uniform: about half below sqrt(128)
    lrs = np.array([d["lr"] for d in draws])
    assert 0.4 < np.mean(lrs < 10 ** -2.5) < 0.6


@pytest.mark.parametrize("name", sorted(tasks.all_tasks()))
def test_every_task_space_translates(name: str) -> None:
    t = tasks.get_task(name)
    assert set(sp.to_hyperscout(t.space)) == {p.name for p in t.space}
    assert set(sp.to_optuna(t.space)) == {p.name for p in t.space}
    assert set(sp.to_hyperopt(t.space)) == {p.name for p in t.space}


def test_from_hyperopt_maps_choice_index_and_float_ints() -> None:
    vals = {"x": [0.5], "lr": [0.01], "n": [4.0], "k": [7.0], "c": [1]}
    assert sp.from_hyperopt(SPACE, vals) == {"x": 0.5, "lr": 0.01, "n": 4, "k": 7, "c": None}


# -- tasks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", tasks.synthetic_tasks(), ids=lambda t: t.name)
def test_synthetic_optimum_is_reached_at_argmin_and_nowhere_lower(task: tasks.Task) -> None:
    assert task.evaluate(task.optimum_params) == pytest.approx(task.optimum, abs=1e-4)
    rng = np.random.default_rng(1)
    vals = [task.evaluate(sp.canonical(task.space, sp.sample(task.space, rng)))
            for _ in range(500)]
    assert min(vals) >= task.optimum - 1e-9


def test_branin_has_three_global_minima() -> None:
    for x1, x2 in ((-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)):
        assert tasks.branin(x1, x2) == pytest.approx(0.397887, abs=1e-5)


def test_mixed_function_optimum_needs_every_parameter() -> None:
    base = dict(tasks.MIXED_ARGMIN)
    for change in ({"kind": "a"}, {"act": "tanh"}, {"n": 8}, {"k": 16}, {"lr": 0.02},
                   {"x": 1.6}):
        assert tasks.mixed({**base, **change}) > 0.01


def test_sklearn_task_loss_is_deterministic_and_in_range() -> None:
    t = tasks.get_task("knn-iris")
    p = {"n_neighbors": 5, "weights": "uniform", "p": 2, "scaler": "standard"}
    a, b = t.evaluate(p), t.evaluate(p)
    assert a == b and 0.0 <= a < 0.2
    r = tasks.get_task("lasso-diabetes").evaluate(
        {"alpha": 0.01, "fit_intercept": True, "selection": "cyclic", "tol": 1e-4})
    assert 0.3 < r < 1.0  # normalised MSE: below predicting the mean


def test_resolve_task_names() -> None:
    assert tasks.resolve_task_names(["branin", "synthetic"])[0] == "branin"
    assert len(tasks.resolve_task_names(["all"])) == len(tasks.all_tasks())
    with pytest.raises(ValueError, match="'nope' is unknown"):
        tasks.resolve_task_names(["nope"])


# -- optimisers ----------------------------------------------------------------------------------
ADAPTERS = ["random", "hs-random", "hs-default", "optuna-tpe", "optuna-random", "hyperopt"]


@pytest.mark.parametrize("name", ADAPTERS)
def test_batch_of_eight_before_any_observe(name: str) -> None:
    opt = optimizers.make_optimizer(name, SPACE, seed=3, budget=40)
    for _ in range(3):
        X = opt.suggest(8)
        assert len(X) == 8
        for x in X:
            assert sp.canonical(SPACE, x) == x
        opt.observe(list(reversed(X)), [float(i) for i in range(8)])


@pytest.mark.parametrize("name", ADAPTERS)
def test_same_seed_same_suggestions(name: str) -> None:
    def first(seed: int) -> list[dict]:
        opt = optimizers.make_optimizer(name, SPACE, seed=seed, budget=30)
        out = []
        for i in range(25):
            X = opt.suggest(1)
            opt.observe(X, [float((i * 7) % 5)])
            out += X
        return out

    assert first(5) == first(5)


def test_observe_rejects_unknown_points() -> None:
    opt = optimizers.make_optimizer("optuna-random", SPACE, seed=0, budget=5)
    opt.suggest(1)
    with pytest.raises(ValueError, match="was not suggested"):
        opt.observe([{"x": 99}], [1.0])


def test_parse_spec_and_unknown_names() -> None:
    assert optimizers.parse_spec("hs-tpe:multivariate=False,gamma=0.2") == (
        "hs-tpe", {"multivariate": False, "gamma": 0.2})
    assert optimizers.parse_spec("optuna-tpe") == ("optuna-tpe", {})
    with pytest.raises(ValueError, match="Python literal"):
        optimizers.parse_spec("hs-tpe:kind=foo")
    with pytest.raises(ValueError, match="is unknown"):
        optimizers.optimizer_class("nevergrad")
    with pytest.raises(ValueError, match="available now: .*hs-random"):
        optimizers.resolve_hs_sampler("no-such-sampler")
    with pytest.raises(ValueError, match="optuna-nope"):
        optimizers.make_optimizer("optuna-nope", SPACE, seed=0, budget=5)


def test_options_reach_the_sampler() -> None:
    opt = optimizers.make_optimizer("optuna-tpe:n_startup_trials=3", SPACE, seed=0, budget=5)
    assert opt.study.sampler._n_startup_trials == 3
    with pytest.raises(TypeError):
        optimizers.make_optimizer("hs-random:bogus=1", SPACE, seed=0, budget=5)


# -- runner --------------------------------------------------------------------------------------
def test_parse_budget() -> None:
    assert run.parse_budget("seq100") == (100, 1)
    assert run.parse_budget("batch16x8") == (16, 8)
    for bad in ("seq0", "batch16", "100"):
        with pytest.raises(ValueError, match="seqN"):
            run.parse_budget(bad)


def test_run_job_record() -> None:
    rec = run.run_job(run.Job("branin", "hyperopt", "batch2x4", 0))
    assert rec["error"] is None
    assert rec["n_evals"] == 8 and len(rec["losses"]) == 8 and len(rec["suggest_times"]) == 2
    assert rec["best_so_far"] == list(np.minimum.accumulate(rec["losses"]))
    assert rec["best"] == tasks.get_task("branin").evaluate(rec["best_params"])
    assert rec["opt_time"] >= 0 and "hyperopt" in rec["versions"]


def test_run_job_reports_failures_instead_of_raising() -> None:
    rec = run.run_job(run.Job("branin", "hs-no-such-sampler", "seq3", 0))
    assert rec["error"].startswith("ValueError") and "traceback" in rec


def test_run_is_resumable_and_retries_failed_jobs(tmp_path) -> None:
    out = str(tmp_path / "r.json")
    jobs = run.make_jobs(["branin", "mixed-6d"], ["random", "optuna-random"], ["seq4"], [0, 1])
    assert run.run(jobs, out, 1, []) == 0
    n = len(open(out).read().splitlines())
    assert n == 8
    assert run.run(jobs, out, 1, []) == 0
    assert len(open(out).read().splitlines()) == n  # nothing rerun
    with open(out, "a") as f:  # a failed record and a torn line are retried / ignored
        f.write(json.dumps({"task": "levy5", "optimizer": "random", "budget": "seq4",
                            "seed": 0, "error": "boom"}) + "\n{\"task\": \"le")
    assert ("levy5", "random", "seq4", 0) not in run.read_done(out)


def test_same_optimizer_seed_for_every_optimizer() -> None:
    a = run.run_job(run.Job("levy5", "random", "seq3", 2))
    b = run.run_job(run.Job("levy5", "optuna-random", "seq3", 2))
    assert a["optimizer_seed"] == b["optimizer_seed"] == run.job_seed("levy5", 2)


# -- report --------------------------------------------------------------------------------------
def test_expected_min_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=9)
    for k in range(1, 10):
        brute = np.mean([min(c) for c in itertools.combinations(x, k)])
        assert report.expected_min(x, k) == pytest.approx(brute, rel=1e-12)
    with pytest.raises(ValueError, match="k=10 needs"):
        report.expected_min(x, 10)


def _rec(task: str, opt: str, seed: int, losses: list[float], budget: str = "seq4") -> dict:
    rounds, batch = run.parse_budget(budget)
    return {"task": task, "optimizer": opt, "budget": budget, "seed": seed, "rounds": rounds,
            "batch_size": batch, "losses": losses, "best": min(losses), "n_evals": len(losses),
            "opt_time": 0.0, "opt_time_per_suggestion": 0.0, "error": None}


def test_scores_follow_the_formula() -> None:
    rand = [[5.0, 4.0, 6.0, 3.0], [2.0, 7.0, 8.0, 9.0]]
    recs = {}
    for s, ls in enumerate(rand):
        recs[("t", "random", "seq4", s)] = _rec("t", "random", s, ls)
    recs[("t", "good", "seq4", 0)] = _rec("t", "good", 0, [9.0, 1.0, 9.0, 9.0])
    recs[("t", "good", "seq4", 1)] = _rec("t", "good", 1, [9.0, 9.0, 9.0, 3.0])
    rel, clip, rand_clip, skipped = report.score_table(recs)
    pool = [v for ls in rand for v in ls]
    rand_k = report.expected_min(pool, 4)
    assert rel[("seq4", "good")]["t"] == {0: pytest.approx(0.0),
                                         1: pytest.approx((3.0 - 1.0) / (rand_k - 1.0))}
    clip_p = float(np.median(pool))
    assert clip[("seq4", "good")]["t"][1] == pytest.approx((3.0 - 1.0) / (clip_p - 1.0))
    rel_s, *_ = report.score_table(recs, baseline="seeds")
    assert rel_s[("seq4", "good")]["t"][1] == pytest.approx(2.0 / (np.mean([3.0, 2.0]) - 1.0))
    assert skipped == {}


def test_saturated_task_is_left_out_of_the_score_only() -> None:
    recs = {}
    for s in range(3):  # random hits the optimum 0 in 20% of its draws: it always finds it
        ls = [0.0] * 4 + [float(i + s) for i in range(1, 17)]
        recs[("t", "random", "seq20", s)] = _rec("t", "random", s, ls, "seq20")
        recs[("t", "x", "seq20", s)] = _rec("t", "x", s, [0.0] + [1.0] * 19, "seq20")
    rel, clip, _, skipped = report.score_table(recs)
    assert skipped == {"seq20": ["t"]} and not rel.get(("seq20", "x"))
    assert clip[("seq20", "x")]["t"] == {0: 0.0, 1: 0.0, 2: 0.0}
    rel4, _, _, skipped4 = report.score_table(recs, frac=0.2)  # 4 draws: not solved yet
    assert skipped4 == {} and rel4[("seq20", "x")]["t"][0] == 0.0


def test_spread_by_task_finds_the_task_that_makes_the_spread() -> None:
    # "noisy" swings 0 / 3 between seeds, "steady" hardly moves: leaving out "noisy" removes
    # almost all of the per-seed mean's std, leaving out "steady" none of it
    scores = {"noisy": {0: 0.0, 1: 3.0, 2: 0.0}, "steady": {0: 0.5, 1: 0.5, 2: 0.6}}
    std, without = report.spread_by_task(scores)
    per_seed = [0.25, 1.75, 0.3]
    assert std == pytest.approx(np.std(per_seed, ddof=1))
    assert [t for t, _ in without] == ["noisy", "steady"]
    assert without[0][1] == pytest.approx(np.std([0.5, 0.5, 0.6], ddof=1))
    assert without[1][1] == pytest.approx(np.std([0.0, 3.0, 0.0], ddof=1))


def test_report_renders_every_budget(tmp_path) -> None:
    out = str(tmp_path / "r.json")
    jobs = run.make_jobs(["branin", "levy5"], ["random", "optuna-tpe"], ["seq12", "batch2x4"],
                         [0, 1, 2])
    run.run(jobs, out, 1, [])
    recs, failed = report.load([out])
    text, summary = report.report(recs, failed, per_task=True)
    assert "### Budget seq12" in text and "### Budget batch2x4" in text
    assert set(summary["budgets"]["seq12"]) == {"random", "optuna-tpe"}
    r = summary["budgets"]["seq12"]["random"]
    assert 0.2 < r["score"]["mean"] < 3.0 and r["rank"]["mean"] >= 1.0


def test_report_reads_gzip_and_scores_only_the_chosen_optimisers(tmp_path) -> None:
    import gzip
    import json

    rows = [_rec("t", "random", s, [5.0, 4.0, 6.0, 3.0 + s]) for s in range(2)]
    rows += [_rec("t", "good", 0, [9.0, 1.0, 9.0, 9.0]),
             _rec("t", "best", 0, [0.0, 9.0, 9.0, 9.0]),
             _rec("t", "random", 0, [1.0, 1.0, 1.0, 1.0], budget="seq8")]
    path = tmp_path / "r.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    out = tmp_path / "summary.json"
    assert report.main([str(path), "--optimizers", "random", "good", "--budgets", "seq4",
                        "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert set(summary["budgets"]) == {"seq4"}
    assert set(summary["budgets"]["seq4"]) == {"random", "good"}
    # without "best" in the scoring, "good" found the best value: its score is 0
    assert summary["budgets"]["seq4"]["good"]["score"]["mean"] == 0.0
    assert report.main([str(path), "--seeds", "1", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert set(summary["budgets"]["seq4"]) == {"random"}  # only random has a seed-1 run
