"""Stage-1 search: the run folder it writes, training, and resume after a kill."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_core.errors import UserInputError
from fer_edge_search import runner
from fer_edge_search.datasets.base import SplitSpec
from fer_edge_search.model import build_model
from fer_edge_search.train import TrainResult, train_config

DATA = "synthetic:n=300"
TINY_SPACE = {
    "schema_version": 1,
    "blocks": [2, 3],
    "kernels": [{"min": 4, "max": 8, "step": 2}, {"min": 4, "max": 8, "step": 4},
                {"min": 4, "max": 4, "step": 1}],
    "fc1": {"min": 8, "max": 24, "step": 8},
    "fc2": {"min": 8, "max": 16, "step": 8},
    "dropout1": {"min": 0.1, "max": 0.3, "step": 0.01},
    "dropout2": {"min": 0.1, "max": 0.2, "step": 0.05},
}


@pytest.fixture
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-space.json"
    path.write_text(json.dumps(TINY_SPACE))
    return path


class CountingTrainer:
    """Wraps the trainer to count trainings; `fake` skips fitting (an untrained model and an
    accuracy made from the config, so TPE still has a signal); `stop_after` raises
    KeyboardInterrupt on that call, as a kill during a trial would."""

    def __init__(self, fake: bool = False, stop_after: int | None = None) -> None:
        self.calls: list[dict] = []
        self.fake, self.stop_after = fake, stop_after

    def __call__(self, config, train, val, settings, *, seed=0, n_classes=7):
        self.calls.append(config)
        if self.stop_after is not None and len(self.calls) > self.stop_after:
            raise KeyboardInterrupt
        if not self.fake:
            return train_config(config, train, val, settings, seed=seed, n_classes=n_classes)
        score = 50 + config["fc1"] - 10 * config["dropout1"] + sum(config["kernels"]) / 10
        return TrainResult(model=build_model(config, n_classes=n_classes), val_accuracy=score,
                           epochs_run=1, train_seconds=0.0)


def search(out: Path, space: Path, trials: int, trainer: CountingTrainer, monkeypatch,
           **kw) -> list[dict]:
    monkeypatch.setattr(runner, "train_config", trainer)
    args = {"epochs": 1, "top_k": 5, "seed": 0, **kw}
    return runner.run_search(DATA, SplitSpec(rule="subject"), trials, out_dir=out,
                             space_path=space, show_progress=False, **args)


def snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    files = sorted((out / "trials").glob("*/*"))
    return {str(f.relative_to(out)): (f.stat().st_mtime_ns, f.read_bytes()) for f in files}


@pytest.mark.slow
def test_real_tiny_search_writes_the_run_folder(tmp_path, space_file, monkeypatch):
    out = tmp_path / "run"
    trainer = CountingTrainer()
    rows = search(out, space_file, 2, trainer, monkeypatch, epochs=2, top_k=1)
    assert len(trainer.calls) == 2
    run = json.loads((out / "run.json").read_text())
    assert run["schema_version"] == 1 and run["data"]["spec"] == DATA
    assert run["data"]["split"]["rule"] == "subject" and run["data"]["last_frames"] == 1
    assert run["space"] == TINY_SPACE and run["epochs"] == 2 and run["seed"] == 0
    assert run["class_names"][0] == "anger" and run["input_shape"] == [48, 48, 1]
    results = [json.loads((out / f"trials/{t}/result.json").read_text()) for t in (0, 1)]
    assert [r["config"] for r in results] == trainer.calls
    best = max(results, key=lambda r: r["val_accuracy"])
    assert len(rows) == 1 and rows[0]["rank"] == 1 and rows[0]["trial_id"] == best["trial_id"]
    assert json.loads((out / "top.json").read_text()) == rows
    row = rows[0]
    assert 0 <= row["val_accuracy"] <= 100 and 1 <= row["epochs_run"] <= 2
    assert row["params"] > 0 and row["flops"] > 0 and row["train_seconds"] > 0
    assert row["model_path"] == f"trials/{row['trial_id']}/model.keras"
    with open(out / "top.csv") as stream:
        table = list(csv.DictReader(stream))
    assert len(table) == 1 and int(table[0]["trial_id"]) == row["trial_id"]
    assert int(table[0]["K1"]) == row["config"]["kernels"][0]
    assert not (out / "trials.pkl").exists()  # no pickle: the result.json files are the state


def test_saved_model_reproduces_the_recorded_accuracy(tmp_path, space_file, monkeypatch):
    import keras

    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.train import accuracy_percent, prepare_images

    out = tmp_path / "run"
    row = search(out, space_file, 1, CountingTrainer(), monkeypatch, epochs=2)[0]
    model = keras.models.load_model(out / row["model_path"])
    split = split_dataset(load_dataset(DATA), SplitSpec(rule="subject"))
    images, labels = split.part("val")
    assert accuracy_percent(model, prepare_images(images), labels) == row["val_accuracy"]
    assert not model.compiled  # saved without Adam state


def test_resume_after_kill_keeps_finished_trials(tmp_path, space_file, monkeypatch):
    out = tmp_path / "run"
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    before = snapshot(out)
    assert len(before) == 4  # two trials, model.keras + result.json each

    # Killed during the third trial: nothing of it is kept, the first two are untouched.
    killed = CountingTrainer(fake=True, stop_after=0)
    with pytest.raises(KeyboardInterrupt):
        search(out, space_file, 3, killed, monkeypatch)
    assert snapshot(out) == before
    # ... and killed while saving a trial: a folder without result.json.
    (out / "trials/2").mkdir()
    (out / "trials/2/.partial-model.keras").write_bytes(b"half a zip")

    again = CountingTrainer(fake=True)
    rows = search(out, space_file, 3, again, monkeypatch)
    assert len(again.calls) == 1  # exactly one new trial trained
    after = snapshot(out)
    assert {k: v for k, v in after.items() if not k.startswith("trials/2/")} == before
    assert sorted(k for k in after if k.startswith("trials/2/")) == [
        "trials/2/model.keras", "trials/2/result.json"]
    assert json.loads((out / "trials/2/result.json").read_text())["config"] == again.calls[0]
    assert sorted(p.name for p in (out / "trials").iterdir()) == ["0", "1", "2"]
    assert not (out / "trials.pkl").exists()  # no pickle: the result.json files are the state
    assert sorted(r["trial_id"] for r in rows) == [0, 1, 2]


def test_resumed_search_suggests_what_an_uninterrupted_one_does(tmp_path, space_file,
                                                               monkeypatch):
    whole, parts = CountingTrainer(fake=True), CountingTrainer(fake=True)
    rows = search(tmp_path / "a", space_file, 4, whole, monkeypatch)
    search(tmp_path / "b", space_file, 2, parts, monkeypatch)
    resumed = search(tmp_path / "b", space_file, 4, parts, monkeypatch)
    assert parts.calls == whole.calls
    assert resumed == rows
    assert [r["val_accuracy"] for r in rows] == sorted(
        (r["val_accuracy"] for r in rows), reverse=True)
    other_seed = CountingTrainer(fake=True)
    search(tmp_path / "c", space_file, 4, other_seed, monkeypatch, seed=1)
    assert other_seed.calls != whole.calls


def test_asking_for_fewer_trials_than_done_trains_nothing(tmp_path, space_file, monkeypatch):
    search(tmp_path / "a", space_file, 3, CountingTrainer(fake=True), monkeypatch)
    idle = CountingTrainer(fake=True)
    rows = search(tmp_path / "a", space_file, 2, idle, monkeypatch, top_k=2)
    assert idle.calls == [] and len(rows) == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"epochs": 2}, "epochs"), ({"seed": 5}, "seed"), ({"batch_size": 8}, "train")])
def test_resume_refuses_a_different_run(tmp_path, space_file, monkeypatch, change, field):
    out = tmp_path / "a"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    with pytest.raises(UserInputError, match=f"cannot resume: '{field}' differs") as err:
        search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch, **change)
    assert err.value.where == str(out / "run.json")


def test_resume_refuses_another_space_or_dataset(tmp_path, space_file, monkeypatch):
    out = tmp_path / "a"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    wider = tmp_path / "wider.json"
    wider.write_text(json.dumps({**TINY_SPACE, "fc2": {"min": 8, "max": 32, "step": 8}}))
    with pytest.raises(UserInputError, match="'space' differs"):
        search(out, wider, 2, CountingTrainer(fake=True), monkeypatch)
    monkeypatch.setattr(runner, "train_config", CountingTrainer(fake=True))
    with pytest.raises(UserInputError, match="'data' differs"):
        runner.run_search("synthetic:n=350", SplitSpec(), 2, 1, 5, out, space_path=space_file,
                          show_progress=False)


def test_resume_refuses_changed_data_behind_the_same_spec(tmp_path, space_file, monkeypatch):
    import dataclasses

    from fer_edge_search import datasets

    out = tmp_path / "a"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    real_load = datasets.load_dataset

    def edited(spec, **kw):
        ds = real_load(spec, **kw)
        return dataclasses.replace(ds, images=ds.images ^ 1)

    monkeypatch.setattr(datasets, "load_dataset", edited)
    with pytest.raises(UserInputError, match="'data' differs"):
        search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)


def test_missing_files_of_a_finished_trial_are_reported(tmp_path, space_file, monkeypatch):
    out = tmp_path / "a"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    (out / "trials/0/model.keras").unlink()
    with pytest.raises(UserInputError, match=r"result\.json records this trial as finished"):
        search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)


@pytest.mark.slow
def test_cli_search_then_same_command_resumes(tmp_path, space_file):
    out = tmp_path / "run"
    code = "from fer_edge.cli import main; main()"
    cmd = [sys.executable, "-c", code, "search", "--data", DATA, "--trials", "2", "--epochs",
           "1", "--top", "2", "--out", str(out), "--space", str(space_file)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    top = (out / "top.json").read_text()
    before = snapshot(out)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "resuming: 2 of 2 trials done" in second.stderr
    assert snapshot(out) == before and (out / "top.json").read_text() == top
    changed = subprocess.run([*cmd, "--seed", "3"], capture_output=True, text=True, timeout=300)
    assert changed.returncode == 2 and "Traceback" not in changed.stderr
    assert f"error: {out / 'run.json'}: cannot resume: 'seed' differs" in changed.stderr


class FailingTrainer(CountingTrainer):
    """A stand-in trainer whose second training raises, as a model too big for memory would."""

    def __call__(self, config, train, val, settings, *, seed=0, n_classes=7):
        if len(self.calls) == 1:
            self.calls.append(config)
            raise ValueError("cannot allocate tensor")
        return super().__call__(config, train, val, settings, seed=seed, n_classes=n_classes)


def test_a_trial_that_raises_is_recorded_and_the_search_goes_on(tmp_path, space_file,
                                                                 monkeypatch):
    out = tmp_path / "run"
    trainer = FailingTrainer(fake=True)
    rows = search(out, space_file, 3, trainer, monkeypatch)
    assert len(trainer.calls) == 3
    failed = json.loads((out / "trials/1/result.json").read_text())
    assert failed["status"] == "failed"
    assert failed["error"] == "ValueError: cannot allocate tensor"
    assert failed["config"] == trainer.calls[1]
    assert not (out / "trials/1/model.keras").exists()
    assert sorted(r["trial_id"] for r in rows) == [0, 2]  # the failed trial is never ranked

    # Resuming counts the failed trial as finished: nothing is retrained.
    again = CountingTrainer(fake=True)
    search(out, space_file, 3, again, monkeypatch)
    assert again.calls == []
