"""TorchTrial with real PyTorch training: bit-identical checkpoint restore, resume of a failed
trial from its checkpoint, pruning that really stops the loop, device selection."""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import hyperscout as hs  # noqa: E402
from hyperscout.artifacts import InMemoryArtifactStore  # noqa: E402
from hyperscout.exceptions import OptionalDependencyError  # noqa: E402
from hyperscout.integrations.torch import (  # noqa: E402
    TorchTrial,
    load_state,
    select_device,
    state_bytes,
)
from hyperscout.trial import TrialState  # noqa: E402

X = torch.randn(64, 6, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _parts(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    return model, opt, sched


def _epoch(model, opt, sched) -> float:
    """One epoch with RNG use everywhere it usually is: shuffling, dropout, numpy noise."""
    model.train()
    perm = torch.randperm(len(X))
    noise = float(np.random.normal(scale=1e-3))
    for i in range(0, len(X), 16):
        idx = perm[i:i + 16]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X[idx] + noise), Y[idx])
        loss.backward()
        opt.step()
    sched.step()
    model.eval()
    with torch.no_grad():
        return float((model(X).argmax(1) == Y).float().mean())


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_state_bytes_restores_bit_identical_training() -> None:
    torch.manual_seed(1)
    np.random.seed(1)
    model, opt, sched = _parts(0)
    for _ in range(2):
        _epoch(model, opt, sched)
    blob = state_bytes(model, opt, sched, epoch=1, extra={"best": 0.5})
    for _ in range(3):  # the uninterrupted run
        _epoch(model, opt, sched)
    want = {k: v.clone() for k, v in model.state_dict().items()}
    # a fresh model from another seed, RNGs scrambled: the checkpoint puts everything back
    other, opt2, sched2 = _parts(99)
    torch.manual_seed(12345)
    np.random.seed(12345)
    payload = load_state(blob, other, opt2, sched2)
    assert payload["epoch"] == 1 and payload["extra"] == {"best": 0.5}
    assert sched2.last_epoch == 2
    for _ in range(3):
        _epoch(other, opt2, sched2)
    assert _same(other.state_dict(), want)
    assert opt2.state_dict()["state"].keys() == opt.state_dict()["state"].keys()
    for k, st in opt.state_dict()["state"].items():
        assert all(torch.equal(st[n], opt2.state_dict()["state"][k][n]) for n in st)


def test_a_failed_trial_resumes_from_its_checkpoint_bit_identically() -> None:
    study = hs.create_study(direction="maximize", artifact_store=InMemoryArtifactStore())
    final = {}

    def objective(trial, crash_at=None):
        model, opt, sched = _parts(0)
        torch.manual_seed(7)
        np.random.seed(7)
        tt = TorchTrial(trial, model, opt, sched, device="cpu")
        acc = 0.0
        for epoch in tt.epochs(5):
            if epoch == crash_at:
                raise RuntimeError("worker died")
            acc = _epoch(model, opt, sched)
            tt.report(acc)
        final[trial.number] = {k: v.clone() for k, v in model.state_dict().items()}
        return acc

    t0 = study.ask()
    with pytest.raises(RuntimeError):
        objective(t0, crash_at=3)
    study.tell(t0, state="fail")
    # a retry of trial 0 (what an executor's retry does): it inherits 0's checkpoint
    study.storage.create_trial(study._study_id, state=TrialState.WAITING,
                               system_attrs={"checkpoint_from": 0})
    t1 = study.ask()
    study.tell(t1, objective(t1))
    assert sorted(study.trials[1].intermediate_values) == [3, 4]  # epochs 0-2 were not rerun
    t2 = study.ask()  # the same training without a crash
    study.tell(t2, objective(t2))
    assert _same(final[1], final[2])
    assert study.trials[1].value == study.trials[2].value


def test_report_values_are_the_loop_values_and_pruning_stops_it(prune_from_step) -> None:
    study = hs.create_study(direction="maximize", pruner=prune_from_step(2),
                            artifact_store=InMemoryArtifactStore())
    seen: list[list[float]] = []

    def objective(trial):
        model, opt, sched = _parts(trial.number)
        tt = TorchTrial(trial, model, opt, sched, checkpoint_every=2)
        accs: list[float] = []
        seen.append(accs)
        for _ in tt.epochs(10):
            accs.append(_epoch(model, opt, sched))
            tt.report(accs[-1])
        return accs[-1]

    study.optimize(objective, n_trials=2)
    for t, accs in zip(study.trials, seen):
        assert t.state is TrialState.PRUNED
        assert len(accs) == 3  # epochs 0, 1, 2 ran; 3..9 never did
        assert [t.intermediate_values[i] for i in range(3)] == accs
        # checkpoint_every=2: the 2nd report (epoch 1) saved, the 3rd did not
        ck = load_state(study.artifact_store.get(t.system_attrs["checkpoint:checkpoint"]),
                        _parts(0)[0], rng=False)
        assert ck["epoch"] == 1


def test_device_selection() -> None:
    assert select_device(device="cpu") == torch.device("cpu")
    study = hs.create_study(artifact_store=InMemoryArtifactStore())
    study.storage.create_trial(study._study_id, state=TrialState.WAITING,
                               system_attrs={"device": "cpu"})
    trial = study.ask()
    assert select_device(trial) == torch.device("cpu")
    if not torch.cuda.is_available():
        assert select_device() == torch.device("cpu") or select_device().type == "mps"
        with pytest.raises(ValueError, match="CUDA is not available.*device='cpu'"):
            select_device(device="cuda:0")
    else:  # pragma: no cover - exercised on GPU machines
        n = torch.cuda.device_count()
        assert select_device() == torch.device("cuda", 0)
        with pytest.raises(ValueError, match="CUDA device"):
            select_device(device=f"cuda:{n}")
    with pytest.raises(ValueError, match="not a torch device"):
        select_device(device="gpu-please")


def test_bad_arguments_and_checkpoints_are_reported(monkeypatch) -> None:
    trial = hs.create_study(artifact_store=InMemoryArtifactStore()).ask()
    model = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        TorchTrial(trial, "model")
    with pytest.raises(ValueError, match="checkpoint_every=-1"):
        TorchTrial(trial, model, checkpoint_every=-1)
    with pytest.raises(TypeError, match="pass the hyperscout Trial"):
        TorchTrial(None, model)
    with pytest.raises(ValueError, match="n_epochs=-2"):
        list(TorchTrial(trial, model).epochs(-2))
    with pytest.raises(ValueError, match="could not be read"):
        load_state(b"not a checkpoint", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_state(state_bytes(model), model, torch.optim.SGD(model.parameters(), lr=0.1))
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[torch\]"):
        select_device()


def test_promotion_asha_resumes_real_training_bit_identically() -> None:
    """ASHA by promotion with TorchTrial: a configuration paused at epochs 1 and 3 and resumed
    twice ends with the same weights and accuracy as the same training run without pauses."""
    promo = hs.samplers.PromotionASHASampler(hs.samplers.RandomSampler(seed=0), min_resource=1,
                                             max_resource=6)
    study = hs.create_study(direction="maximize", sampler=promo, pruner=promo.pruner,
                            artifact_store=InMemoryArtifactStore())
    final = {}

    def train(trial, lr: float):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(),
                                    torch.nn.Dropout(0.3), torch.nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        torch.manual_seed(7)
        np.random.seed(7)
        tt = TorchTrial(trial, model, opt, sched, device="cpu")
        acc = 0.0
        for _ in tt.epochs(7):  # steps 0..6: pauses at 1 and 3, the last segment ends at 6
            acc = _epoch(model, opt, sched)
            tt.report(acc)
        final[trial.number] = {k: v.clone() for k, v in model.state_dict().items()}
        return acc

    study.optimize(lambda t: train(t, t.suggest_float("lr", 1e-3, 0.5, log=True)), n_trials=14)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert done
    t = done[0]
    chain = [t]
    while chain[-1].system_attrs["sampler:segment_parent"] is not None:
        chain.append(study.trials[chain[-1].system_attrs["sampler:segment_parent"]])
    # three segments: epochs 0-1, 2-3, 4-6, each trained once
    assert [sorted(s.intermediate_values) for s in reversed(chain)] == [[0, 1], [2, 3],
                                                                         [4, 5, 6]]
    # the same training without pauses
    plain = hs.create_study(direction="maximize", artifact_store=InMemoryArtifactStore())
    trial = plain.ask()
    value = train(trial, t.params["lr"])
    assert value == t.value
    assert _same(final[trial.number], final[t.number])
