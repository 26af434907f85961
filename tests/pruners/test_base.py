"""Pruners that cache shared state behind a lock can still be pickled and copied."""

from __future__ import annotations

import copy
import pickle
import threading

import pytest

from hyperscout.pruners import ASHAPruner, HyperbandPruner, MedianPruner, PercentilePruner


@pytest.mark.parametrize(
    "pruner",
    [MedianPruner(n_warmup_steps=2), PercentilePruner(25.0), ASHAPruner(min_resource=1),
     HyperbandPruner(min_resource=1, max_resource=27)],
    ids=lambda p: type(p).__name__,
)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_locked_pruner_copies_get_a_fresh_lock(pruner, how):
    twin = pickle.loads(pickle.dumps(pruner)) if how == "pickle" else copy.deepcopy(pruner)
    assert type(twin) is type(pruner)
    assert isinstance(twin._lock, type(threading.Lock()))
    assert twin._lock is not pruner._lock
    public = {k: v for k, v in vars(pruner).items() if not k.startswith("_")}
    assert {k: v for k, v in vars(twin).items() if not k.startswith("_")} == public
    assert pruner._lock.acquire(blocking=False)  # the original's lock is untouched
    pruner._lock.release()
