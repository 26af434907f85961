"""Artifact stores and trial checkpoints (save/load, inheritance, defaults, errors)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

import hyperscout as hs
from hyperscout.artifacts import (
    FileArtifactStore,
    InMemoryArtifactStore,
    checkpoint_key,
    default_artifact_store,
)
from hyperscout.trial import TrialState


@pytest.fixture(params=["file", "memory"])
def store(request, tmp_path):
    return FileArtifactStore(tmp_path / "a") if request.param == "file" else InMemoryArtifactStore()


def test_store_roundtrip_replace_delete(store) -> None:
    assert store.get("s/trial-0/checkpoint") is None
    assert not store.exists("s/trial-0/checkpoint")
    store.put("s/trial-0/checkpoint", b"one")
    store.put("s/trial-0/checkpoint", bytearray(b"two"))
    assert store.get("s/trial-0/checkpoint") == b"two"
    assert store.exists("s/trial-0/checkpoint")
    store.delete("s/trial-0/checkpoint")
    store.delete("s/trial-0/checkpoint")  # idempotent
    assert store.get("s/trial-0/checkpoint") is None


@pytest.mark.parametrize("key", ["", "../x", "a//b", "/abs", "a/./b", "a/b c", "a/..", 3])
def test_store_rejects_unsafe_keys(store, key) -> None:
    with pytest.raises(ValueError, match="artifact key"):
        store.put(key, b"x")


def test_store_rejects_non_bytes(store) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        store.put("a/b", "text")


def test_file_store_writes_atomically_and_leaves_no_temp(tmp_path) -> None:
    store = FileArtifactStore(tmp_path)
    store.put("s/trial-1/checkpoint", b"x" * 100_000)
    files = sorted(p.name for p in (tmp_path / "s" / "trial-1").iterdir())
    assert files == ["checkpoint"]
    # concurrent writers: every read sees one complete version, never a torn one
    payloads = [bytes([i]) * 50_000 for i in range(8)]
    seen: list[bytes | None] = []

    def write(p: bytes) -> None:
        for _ in range(5):
            store.put("s/trial-1/checkpoint", p)
            seen.append(store.get("s/trial-1/checkpoint"))

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s in payloads for s in seen)
    assert not [p for p in (tmp_path / "s" / "trial-1").iterdir() if p.name.startswith(".tmp")]


def test_file_store_root_must_be_a_directory(tmp_path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        FileArtifactStore(f)
    with pytest.raises(TypeError, match="directory path"):
        FileArtifactStore(None)  # type: ignore[arg-type]


def test_checkpoint_key_is_one_safe_segment_per_part() -> None:
    assert checkpoint_key("a/b", 2) == "a%2Fb/trial-2/checkpoint"
    assert checkpoint_key("..", 0).split("/")[0] not in ("..", ".")
    with pytest.raises(ValueError, match="trial_number"):
        checkpoint_key("s", -1)
    with pytest.raises(ValueError, match="checkpoint name"):
        checkpoint_key("s", 0, "../evil")


def test_default_store_locations(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_artifact_store(None).root == tmp_path / "hyperscout-artifacts"
    assert default_artifact_store(":memory:").root == tmp_path / "hyperscout-artifacts"
    db = tmp_path / "runs" / "hs.db"
    db.parent.mkdir()
    study = hs.create_study(storage=f"sqlite:///{db}")
    assert study.artifact_store.root == tmp_path / "runs" / "hyperscout-artifacts"
    assert not (tmp_path / "runs" / "hyperscout-artifacts").exists()  # created on first save
    assert hs.create_study().artifact_store.root == tmp_path / "hyperscout-artifacts"


def test_create_study_rejects_a_non_store() -> None:
    with pytest.raises(TypeError, match="artifact_store=.*FileArtifactStore"):
        hs.create_study(artifact_store="/tmp/x")  # type: ignore[arg-type]


def test_save_load_records_the_key_and_persists(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    study = hs.create_study(name="ck", storage=url)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        assert trial.load_checkpoint() is None
        trial.save_checkpoint(b"first")
        trial.save_checkpoint(b"latest")
        trial.save_checkpoint(b"opt", name="optimizer")
        assert trial.load_checkpoint() == b"latest"
        assert trial.system_attrs["checkpoint:checkpoint"] == "ck/trial-0/checkpoint"
        return x

    study.optimize(objective, n_trials=1)
    rec = study.trials[0]
    assert rec.system_attrs["checkpoint:optimizer"] == "ck/trial-0/optimizer"
    assert "x" in rec.params  # the unsaved parameter went out with the checkpoint record
    # another process sees the same files through the default store next to the database
    code = (
        "import hyperscout as hs; from hyperscout.artifacts import checkpoint_key;"
        f"s = hs.load_study('ck', {url!r});"
        "print(s.artifact_store.get(checkpoint_key('ck', 0)).decode())"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path / "..", check=True)
    assert out.stdout.strip() == "latest"


def _waiting_with(study, **system_attrs):
    study.storage.create_trial(study._study_id, state=TrialState.WAITING,
                               system_attrs=system_attrs)


def test_load_follows_checkpoint_from_lineage() -> None:
    study = hs.create_study(name="lin", artifact_store=InMemoryArtifactStore())
    t0 = study.ask()
    t0.save_checkpoint(b"gen0")
    study.tell(t0, 1.0)
    _waiting_with(study, checkpoint_from=0)  # trial 1: a retry of 0 that fails before saving
    t1 = study.ask()
    assert t1.load_checkpoint() == b"gen0"
    study.tell(t1, state="fail")
    _waiting_with(study, checkpoint_from=1)  # trial 2: retry of 1 -> 1 saved nothing -> 0
    t2 = study.ask()
    assert t2.load_checkpoint() == b"gen0"
    assert t2.load_checkpoint("optimizer") is None
    t2.save_checkpoint(b"own")
    assert t2.load_checkpoint() == b"own"  # its own checkpoint wins over the inherited one


def test_lineage_cycles_and_bad_values_end_cleanly() -> None:
    study = hs.create_study(artifact_store=InMemoryArtifactStore())
    _waiting_with(study, checkpoint_from=1)
    _waiting_with(study, checkpoint_from=0)
    a, b = study.ask(), study.ask()
    assert a.load_checkpoint() is None and b.load_checkpoint() is None
    _waiting_with(study, checkpoint_from="not a number")
    assert study.ask().load_checkpoint() is None


def test_save_checkpoint_errors() -> None:
    study = hs.create_study(artifact_store=InMemoryArtifactStore())
    t = study.ask()
    with pytest.raises(TypeError, match="data must be bytes"):
        t.save_checkpoint({"w": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="checkpoint name="):
        t.save_checkpoint(b"x", name="a/b")
    study.tell(t, 0.0)
    with pytest.raises(RuntimeError, match="finished"):
        t.save_checkpoint(b"x")
