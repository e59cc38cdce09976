"""`bundle create` and a resumed `search` on a run folder someone else made (issue 9, item 11):
run.json and top.json are checked by schema where they are read, and a run folder's model is
loaded as untrusted (Keras safe mode), each problem one line naming the file.

Fails on the main this branch started from: a Lambda model in a run folder, top.json holding
a dict or rows of the wrong type, and run.json with a split of unknown fields ended in
tracebacks (or ran the Lambda's code with safe mode off).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from merge_factory import run_cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CONFIG = {"blocks": 2, "kernels": [4, 8], "fc1": 16, "fc2": 16, "dropout1": 0.1,
          "dropout2": 0.1}
SPLIT = {"rule": "subject", "train": 0.7, "val": 0.15, "test": 0.15, "seed": 0}


def _run_folder(folder: Path, model) -> Path:
    """A run folder by `fer-edge search`'s layout around one saved model."""
    (folder / "trials" / "0").mkdir(parents=True)
    model.save(folder / "trials" / "0" / "model.keras")
    (folder / "run.json").write_text(json.dumps({
        "schema_version": 1, "data": {"spec": "synthetic:n=210,identities=30", "split": SPLIT,
                                      "last_frames": 1}, "seed": 0}))
    (folder / "top.json").write_text(json.dumps([{
        "rank": 1, "trial_id": 0, "config": CONFIG, "params": 10, "flops": 10,
        "val_accuracy": 50.0, "model_path": "trials/0/model.keras"}]))
    return folder


@pytest.fixture(scope="module")
def lambda_run(tmp_path_factory) -> Path:
    import keras

    inputs = keras.Input((48, 48, 1))
    doubled = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    outputs = keras.layers.Dense(7, activation="softmax")(keras.layers.Flatten()(doubled))
    return _run_folder(tmp_path_factory.mktemp("lambda") / "run", keras.Model(inputs, outputs))


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


def test_a_lambda_model_in_a_run_folder_is_refused_in_one_line(lambda_run, tmp_path, monkeypatch,
                                                               capsys):
    assert run_cli(monkeypatch, "bundle", str(lambda_run), "--out", str(tmp_path / "b"),
                   "--formats", "keras") == 2
    progress, err = capsys.readouterr().err.strip().rsplit("\n", 1)
    assert progress == "t0000 (rank 1): keras"  # the progress line, then the one error line
    assert err.startswith(f"error: {lambda_run / 'trials/0/model.keras'}: cannot be loaded in "
                          "Keras safe mode: ")
    assert "Lambda" in err and not (tmp_path / "b").exists()


@pytest.mark.parametrize(("file", "change", "problem"), [
    ("top.json", lambda d: {"rows": d}, "(the whole file): input should be a valid list"),
    ("top.json", lambda d: [list(d[0].values())], "[0]: input should be a valid dictionary"),
    ("top.json", lambda d: [dict(d[0], config="vgg")], "[0].config: input should be"),
    ("top.json", lambda d: [dict(d[0], model_path=7)], "[0].model_path: input should be a valid "
                                                       "string"),
    ("top.json", lambda d: [dict(d[0], config=dict(CONFIG, kernels="4,8"))],
     "[0].config.kernels: input should be a valid list"),
    ("run.json", lambda d: dict(d, data={**d["data"], "split": {**SPLIT, "folds": 5}}),
     "data.split.folds: extra inputs are not permitted"),
    ("run.json", lambda d: dict(d, data="synthetic"), "data: input should be a valid dictionary"),
    ("run.json", lambda d: dict(d, seed=-3), "seed: input should be greater than or equal to 0"),
])
def test_wrongly_typed_run_files_are_one_line(lambda_run, tmp_path, monkeypatch, capsys, file,
                                              change, problem):
    import shutil

    run = Path(shutil.copytree(lambda_run, tmp_path / "run"))
    _edit(run / file, change)
    assert run_cli(monkeypatch, "bundle", str(run), "--out", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {run / file}: {problem}"), err
    assert "\n" not in err and not (tmp_path / "b").exists()


def test_resuming_a_search_checks_run_json(tmp_path, monkeypatch, capsys):
    from fer_edge_search.trial_store import RunStore

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "data": ["synthetic"]}))
    with pytest.raises(Exception, match=r"run\.json: data: input should be a valid dictionary"):
        RunStore(run).check_resumable({"data": {}})
