"""Lightning with real training: reports equal the logged metrics, pruning ends fit early, and
only global rank 0 touches the trial."""

from __future__ import annotations

import pickle
import sys

import pytest

torch = pytest.importorskip("torch")
try:
    import lightning.pytorch as pl
except ImportError:
    pytest.skip("lightning is not installed", allow_module_level=True)
except Exception as exc:  # e.g. a torchvision wheel built for another torch breaks the import
    pytest.skip(f"lightning cannot be imported here: {exc}", allow_module_level=True)

import hyperscout as hs  # noqa: E402
from hyperscout.exceptions import OptionalDependencyError  # noqa: E402
from hyperscout.integrations import lightning as hl  # noqa: E402
from hyperscout.trial import TrialState  # noqa: E402

X = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()


class Net(pl.LightningModule):
    def __init__(self, lr: float = 0.05) -> None:
        super().__init__()
        self.lr = lr
        self.layer = torch.nn.Linear(4, 2)
        self.val_losses: list[float] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.layer(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.layer(x), y)
        self.log("val_loss", loss)
        self.val_losses.append(float(loss))  # one batch per validation: the epoch value

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def _loader():
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=64)


def _trainer(cb, epochs: int, **kw):
    return pl.Trainer(max_epochs=epochs, callbacks=[cb], logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                      devices=1, num_sanity_val_steps=1, **kw)


def test_reports_the_logged_metric_each_epoch_after_the_sanity_check() -> None:
    trial = hs.create_study().ask()
    net = Net()
    _trainer(hl.PruningCallback(trial, "val_loss"), 4).fit(net, _loader(), _loader())
    # net.val_losses[0] is the sanity check, which is not reported
    assert len(net.val_losses) == 5
    assert [trial.intermediate_values[e] for e in range(4)] == pytest.approx(
        net.val_losses[1:], rel=1e-6)


def test_pruning_ends_fit_early(prune_from_step) -> None:
    study = hs.create_study(pruner=prune_from_step(1), seed=0)
    nets = []

    def objective(trial):
        net = Net(lr=trial.suggest_float("lr", 0.01, 0.1))
        nets.append(net)
        _trainer(hl.PruningCallback(trial), 30).fit(net, _loader(), _loader())
        return 0.0

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PRUNED
    assert sorted(study.trials[0].intermediate_values) == [0, 1]
    assert len(nets[0].val_losses) == 3  # sanity check + epochs 0 and 1 of 30


class _NotRankZero(pl.strategies.SingleDeviceStrategy):
    """A real strategy that says this process is global rank 1 of 2 (the callback must then
    leave the trial alone and only follow the broadcast decision)."""

    decision = False

    # Lightning writes these during setup; this strategy keeps saying "rank 1 of 2"
    global_rank = property(lambda self: 1, lambda self, value: None)
    world_size = property(lambda self: 2, lambda self, value: None)

    @property
    def is_global_zero(self) -> bool:
        return False

    def broadcast(self, obj, src=0):
        return type(self).decision


class _Untouchable:
    """A trial that fails the test if anything touches it."""

    number = 0

    def report(self, *a, **k):
        raise AssertionError("a non-zero rank reported")

    def should_prune(self):
        raise AssertionError("a non-zero rank asked the pruner")


@pytest.mark.parametrize("decision", [False, True])
def test_non_zero_ranks_never_touch_the_trial_and_follow_rank_zero(decision) -> None:
    _NotRankZero.decision = decision
    cb = hl.PruningCallback(_Untouchable())
    net = Net()
    trainer = _trainer(cb, 5, strategy=_NotRankZero(device=torch.device("cpu")))
    trainer.fit(net, _loader(), _loader())
    assert cb.pruned is decision
    assert trainer.current_epoch == (1 if decision else 5)  # stopped after epoch 0 if pruned
    if decision:
        with pytest.raises(hs.TrialPruned):
            cb.check_pruned()
    else:
        cb.check_pruned()


def test_the_trial_is_not_pickled_and_errors_name_the_argument(monkeypatch) -> None:
    trial = hs.create_study().ask()
    cb = hl.PruningCallback(trial, "val_loss")
    assert pickle.loads(pickle.dumps(cb)).trial is None
    with pytest.raises(ValueError, match=r"monitor='val_acc'.*'val_loss'"):
        _trainer(hl.PruningCallback(trial, "val_acc"), 1).fit(Net(), _loader(), _loader())
    with pytest.raises(ValueError, match="trial must live in rank 0"):
        _trainer(hl.PruningCallback(None), 1).fit(Net(), _loader(), _loader())
    with pytest.raises(TypeError, match="pass the hyperscout Trial"):
        hl.PruningCallback("trial")
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.setitem(sys.modules, "pytorch_lightning", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[lightning\]"):
        hl._build()

