"""Resuming a search from the run folder's JSON records: Hyperopt's state rebuilt without any
pickle, the same suggestions as an uninterrupted search, a crafted trials.pkl never loaded, and
only what a trial wrote removed from trials/.

On the main branch before issue 9 (items 1 and 3) this module fails as a whole (there was no
fer_edge_search.history: the state came from unpickling OUT/trials.pkl), and the run-folder tests
fail on their own too: the crafted pickle ran its command, a doctored result.json was ranked as
it was, and the user's folders in trials/ were deleted.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_search_runner import TINY_SPACE, CountingTrainer, search

from fer_edge_core.errors import UserInputError
from fer_edge_search.history import rebuild_trials
from fer_edge_search.space import load_space, parse_space

# A space with all three block counts, so the conditional kernels of deeper branches appear.
SPACE = load_space()


def next_config(space: Any, trials: Any, seed: int, losses: dict[str, float]) -> dict[str, Any]:
    """One fmin step exactly as fer_edge_search.runner takes it; the trial's config. The loss
    is a made-up function of the config, so TPE has a signal to follow."""
    from hyperopt import STATUS_OK, fmin, tpe

    picked: dict[str, Any] = {}

    def objective(point: dict[str, Any]) -> dict[str, Any]:
        config = picked["config"] = space.to_config(point)
        loss = -(config["fc1"] + sum(config["kernels"]) / 10 - 10 * config["dropout1"])
        losses[json.dumps(config)] = loss
        return {"loss": loss, "status": STATUS_OK, "config": config}

    done = len(trials.tids)
    fmin(objective, space.hyperopt_space(), algo=tpe.suggest, max_evals=done + 1,
         trials=trials, rstate=np.random.default_rng([seed, done]), show_progressbar=False,
         verbose=False, return_argmin=False)
    return picked["config"]


def records_of(trials: Any) -> list[dict[str, Any]]:
    """What a run folder's result.json files hold of each trial (ok ones only here)."""
    return [{"trial_id": t["tid"], "config": t["result"]["config"], "status": "ok",
             "val_accuracy": -t["result"]["loss"]} for t in trials.trials]


def test_rebuilt_trials_give_the_same_next_suggestion_at_every_step():
    """30 trials: the 20 random start-up ones of TPE and 10 of its model-based phase. After
    each, the Trials rebuilt from the records suggests exactly what the live one does."""
    from hyperopt import Trials

    live, losses = Trials(), {}
    for _ in range(30):
        rebuilt = rebuild_trials(SPACE, records_of(live))
        assert [t["misc"]["vals"] for t in rebuilt.trials] == \
            [t["misc"]["vals"] for t in live.trials]
        expected = next_config(SPACE, copy.deepcopy(live), 7, {})
        assert next_config(SPACE, rebuilt, 7, {}) == expected
        next_config(SPACE, live, 7, losses)
    assert len(live.trials) == 30


def test_failed_trials_are_rebuilt_as_failures():
    from hyperopt import STATUS_FAIL

    config = {"blocks": 2, "kernels": [10, 20], "fc1": 100, "fc2": 80, "dropout1": 0.1,
              "dropout2": 0.3}
    trials = rebuild_trials(SPACE, [{"trial_id": 0, "config": config, "status": "failed"}])
    assert trials.trials[0]["result"] == {"status": STATUS_FAIL}
    assert trials.trials[0]["misc"]["vals"]["K3_of_4_blocks"] == []


@pytest.mark.parametrize("change", [{"fc1": 101}, {"blocks": 5}, {"kernels": [10]},
                                    {"dropout1": 0.555}, {"fc2": "80"}])
def test_a_config_off_the_space_is_refused(change):
    config = {"blocks": 2, "kernels": [10, 20], "fc1": 100, "fc2": 80, "dropout1": 0.1,
              "dropout2": 0.3, **change}
    with pytest.raises(ValueError):
        SPACE.to_vals(config)


def test_to_vals_inverts_to_config_on_every_config_of_a_small_space():
    space = parse_space({
        "blocks": [1, 2, 3], "kernels": [{"min": 2, "max": 6, "step": 2}] * 3,
        "fc1": {"min": 5, "max": 10, "step": 5}, "fc2": {"min": 5, "max": 5, "step": 1},
        "dropout1": {"min": 0.1, "max": 0.3, "step": 0.1},
        "dropout2": {"min": 0.0, "max": 0.05, "step": 0.05}}, "small")
    configs = list(space.iter_configs())
    assert len(configs) == space.size
    for config in configs:
        vals = space.to_vals(config)
        point = {name: vals[name][0] for name in ("fc1", "fc2", "dropout1", "dropout2")}
        branch = space.blocks[vals["blocks"][0]]
        point["depth"] = {"blocks": branch, "extra": [
            vals[f"K{i + 1}_of_{branch}_blocks"][0] for i in range(1, branch)]}
        point["shared"] = [vals["K1"][0]]
        assert space.to_config(point) == config


class Detonator:
    """Unpickling this runs a shell command that writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_pickle_stand_in_is_live(tmp_path):
    """The crafted file below really runs its command when unpickled (so the next test's
    'nothing ran' means something)."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Detonator(marker)))
    assert marker.exists()


# -- the run folder end to end (the stand-in trainer of test_search_runner: no training) ----


@pytest.fixture
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-space.json"
    path.write_text(json.dumps(TINY_SPACE))
    return path


def test_a_malicious_trials_pkl_in_a_run_folder_runs_nothing(tmp_path, space_file, monkeypatch):
    """A run folder received from someone else, with a trials.pkl that runs a shell command
    when unpickled: resuming it reads the result.json files and never touches the pickle."""
    out = tmp_path / "run"
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    marker = tmp_path / "pwned"
    (out / "trials.pkl").write_bytes(pickle.dumps(Detonator(marker)))
    again = CountingTrainer(fake=True)
    rows = search(out, space_file, 3, again, monkeypatch)
    assert not marker.exists()
    assert len(again.calls) == 1 and sorted(r["trial_id"] for r in rows) == [0, 1, 2]


@pytest.mark.slow
def test_resume_in_tpe_phase_suggests_what_an_uninterrupted_search_does(tmp_path, space_file,
                                                                        monkeypatch):
    """Past TPE's 20 random start-up trials: cut at 21 of 23, the resumed search's last two
    configurations (model-based ones) are the uninterrupted search's."""
    whole, parts = CountingTrainer(fake=True), CountingTrainer(fake=True)
    rows = search(tmp_path / "a", space_file, 23, whole, monkeypatch, top_k=23)
    search(tmp_path / "b", space_file, 21, parts, monkeypatch, top_k=23)
    assert search(tmp_path / "b", space_file, 23, parts, monkeypatch, top_k=23) == rows
    assert parts.calls == whole.calls


def _edit_result(out: Path, tid: int, **change: Any) -> Path:
    path = out / f"trials/{tid}/result.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    return path


@pytest.mark.parametrize(("change", "problem"), [
    ({"val_accuracy": float("nan")}, "val_accuracy: Value error, must be a percentage"),
    ({"val_accuracy": "90"}, "val_accuracy: Input should be a valid number"),
    ({"status": "great"}, "does not match any of the expected tags"),
    ({"trial_id": 5}, "trial_id 5 is not its folder's 1"),
    ({"config": {"blocks": 9}}, "config is not in this run's space: blocks 9"),
    ({"params": None}, "params: Input should be a valid integer"),
])
def test_a_doctored_result_json_is_refused_by_name(tmp_path, space_file, monkeypatch, change,
                                                   problem):
    out = tmp_path / "run"
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    path = _edit_result(out, 1, **change)
    with pytest.raises(UserInputError, match=problem) as err:
        search(out, space_file, 3, CountingTrainer(fake=True), monkeypatch)
    assert err.value.where == str(path)


def test_a_model_path_in_result_json_is_not_followed(tmp_path, space_file, monkeypatch):
    """top.json gets the trial's own model path, whatever its result.json says."""
    out = tmp_path / "run"
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    _edit_result(out, 0, model_path="/etc/passwd")
    rows = search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    assert {r["trial_id"]: r["model_path"] for r in rows} == {
        0: "trials/0/model.keras", 1: "trials/1/model.keras"}


def test_trial_ids_with_a_gap_are_refused(tmp_path, space_file, monkeypatch):
    """Ids 0 and 2 only: trial 2 would be overwritten by the next new trial; refused."""
    out = tmp_path / "run"
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    (out / "trials/1").rename(out / "trials/2")
    _edit_result(out, 2, trial_id=2)
    with pytest.raises(UserInputError, match=r"finished trials \[0, 2\] are not numbered"):
        search(out, space_file, 3, CountingTrainer(fake=True), monkeypatch)


# -- item 3: what a resume removes -----------------------------------------------------------

def test_resume_keeps_the_users_own_folders_in_trials(tmp_path, space_file, monkeypatch):
    """Fails on main before issue 9 (item 3): every sub-folder of trials/ that was not a
    finished trial was deleted, the user's notes included."""
    out = tmp_path / "run"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    notes = out / "trials/my-notes"
    notes.mkdir()
    (notes / "plan.txt").write_text("keep me")
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    assert (notes / "plan.txt").read_text() == "keep me"


def test_an_unfinished_trial_folder_holding_user_files_is_refused(tmp_path, space_file,
                                                                  monkeypatch):
    """A trial folder without result.json is cleared only of what a trial writes; a file of the
    user's in it stops the run with one line and nothing is deleted."""
    out = tmp_path / "run"
    search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    folder = out / "trials/1"
    folder.mkdir()
    (folder / ".partial-model.keras").write_bytes(b"half a zip")
    (folder / "analysis.ipynb").write_text("{}")
    with pytest.raises(UserInputError, match=r"did not write \(analysis\.ipynb\)") as err:
        search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    assert err.value.where == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == [".partial-model.keras", "analysis.ipynb"]
    (folder / "analysis.ipynb").unlink()
    search(out, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    assert sorted(p.name for p in folder.iterdir()) == ["model.keras", "result.json"]


def test_a_folder_that_is_not_a_run_folder_is_refused(tmp_path, space_file, monkeypatch):
    """--out on a folder with a trials/ of someone else's and no run.json: nothing is touched."""
    out = tmp_path / "mine"
    (out / "trials/0").mkdir(parents=True)
    (out / "trials/0/photo.png").write_bytes(b"png")
    with pytest.raises(UserInputError, match="missing, though trials/ is there"):
        search(out, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    assert sorted(p.name for p in out.rglob("*")) == ["0", "photo.png", "trials"]
