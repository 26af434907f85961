"""End to end with a real PyTorch model (a tiny MLP on scikit-learn's digits, CPU, seconds):
pruning stops bad trials early, and PBT members resume from their parents' checkpoints."""

from __future__ import annotations

import io

import pytest

import hyperscout as hs
from hyperscout.samplers.pbt import PBTSampler, pbt_info

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    torch.set_num_threads(1)
    X, y = datasets.load_digits(return_X_y=True)
    X = torch.tensor(X / 16.0, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.int64)
    return X[:1000], y[:1000], X[1000:1400], y[1000:1400]


def _net(seed: int):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def _epoch(net, opt, X, y) -> None:
    for i in range(0, len(X), 250):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X[i:i + 250]), y[i:i + 250]).backward()
        opt.step()


def _acc(net, X, y) -> float:
    with torch.no_grad():
        return float((net(X).argmax(1) == y).float().mean())


@pytest.mark.parametrize("pruner", [
    hs.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    hs.pruners.ASHAPruner(min_resource=1, max_resource=8, reduction_factor=2),
    hs.pruners.HyperbandPruner(min_resource=1, max_resource=8, reduction_factor=2, seed=0),
])
def test_pruning_stops_bad_trials_of_a_real_model(digits, pruner) -> None:
    Xtr, ytr, Xva, yva = digits
    epochs = 8

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
        net = _net(trial.number)
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        acc = 0.0
        for epoch in range(1, epochs + 1):
            _epoch(net, opt, Xtr, ytr)
            acc = _acc(net, Xva, yva)
            trial.report(acc, epoch)
            if trial.should_prune():
                raise hs.TrialPruned()
        return acc

    study = hs.create_study(direction="maximize", pruner=pruner,
                            sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=14)
    pruned = study.get_trials(["pruned"])
    assert pruned, "some trials must be pruned"
    assert all(t.last_step < epochs for t in pruned)  # they stopped early
    assert study.best_value > 0.85
    # what pruning saved: fewer epochs than 14 full trainings
    assert sum(t.last_step for t in study.trials) < 14 * epochs


def _state_bytes(net, opt, epoch: int) -> bytes:
    buf = io.BytesIO()
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": epoch}, buf)
    return buf.getvalue()


def _checksum(net) -> float:
    return float(sum(p.detach().double().sum() for p in net.parameters()))


def test_pbt_members_resume_from_their_parents_checkpoints(digits, tmp_path) -> None:
    Xtr, ytr, Xva, yva = digits
    space = {"lr": hs.Float(1e-4, 0.5, log=True)}
    study = hs.create_study(
        direction="maximize", sampler=PBTSampler(space, population_size=4, seed=0),
        artifact_store=hs.artifacts.FileArtifactStore(tmp_path / "ckpt"),
    )

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 0.5, log=True)
        net = _net(0)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        epoch = 0
        blob = trial.load_checkpoint()
        if blob is not None:
            state = torch.load(io.BytesIO(blob), weights_only=True)
            net.load_state_dict(state["model"])
            epoch = state["epoch"]
            trial.set_user_attr("loaded_sum", _checksum(net))
        for _ in range(2):  # one PBT segment = 2 epochs
            _epoch(net, opt, Xtr, ytr)
            epoch += 1
        trial.set_user_attr("saved_sum", _checksum(net))
        trial.set_user_attr("epoch", epoch)
        trial.save_checkpoint(_state_bytes(net, opt, epoch))
        return _acc(net, Xva, yva)

    study.optimize(objective, n_trials=16)  # 4 members x 4 generations
    trials = study.trials
    for t in trials:
        info = pbt_info(t)
        if info["action"] == "start":
            assert "loaded_sum" not in t.user_attrs and t.user_attrs["epoch"] == 2
            continue
        parent = trials[info["parent"]]
        # the weights it started from are exactly what its parent saved
        assert t.user_attrs["loaded_sum"] == pytest.approx(parent.user_attrs["saved_sum"])
        assert t.user_attrs["epoch"] == parent.user_attrs["epoch"] + 2
        assert t.system_attrs["sampler:checkpoint_from"] == parent.number
    assert [pbt_info(t)["generation"] for t in trials] == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    gen = [max(t.value for t in trials[4 * g:4 * g + 4]) for g in range(4)]
    assert gen[3] > gen[0]
