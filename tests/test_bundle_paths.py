"""`bundle create` follows no path of a run folder out of it, bundles no model under another
trial's configuration, and no bundle command writes over what it reads.

Each test fails on the main branch before issue 9 (item 2, and item 4 for the bundle
commands): there `model_path` in top.json was joined to the run folder as it was (an absolute
path, `../` or a link led anywhere and the foreign model was bundled, its agreement check 1.0),
and `--out ... --force` replaced whatever folder it named, the run folder itself included.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from test_bundle_formats import make_run

from fer_edge_core.errors import UserInputError


@pytest.fixture(scope="module")
def pristine_run(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("run")
    make_run(path)
    return path


@pytest.fixture
def run(pristine_run, tmp_path) -> Path:
    return Path(shutil.copytree(pristine_run, tmp_path / "run"))


def _set_top(run: Path, **change) -> None:
    rows = json.loads((run / "top.json").read_text())
    rows[0].update(change)
    (run / "top.json").write_text(json.dumps(rows))


def _create(run: Path, out: Path, **kw) -> Path:
    from fer_edge_search.export.writer import write_bundle

    return write_bundle(run, 1, out, ["keras"], **kw)


@pytest.mark.parametrize(("model_path", "problem"), [
    ("/ABS/elsewhere.keras", "is absolute; paths here are relative to the run folder"),
    ("../elsewhere.keras", "leaves the run folder"),
    ("trials/1/model.keras", "is not that trial's 'trials/0/model.keras'"),
    (["trials/0/model.keras"], "is not a relative path"),
])
def test_a_model_path_outside_the_trial_is_refused(run, tmp_path, model_path, problem):
    foreign = tmp_path / "elsewhere.keras"
    shutil.copy(run / "trials/1/model.keras", foreign)
    if isinstance(model_path, str):
        model_path = model_path.replace("/ABS", str(tmp_path))
    _set_top(run, model_path=model_path)
    with pytest.raises(UserInputError, match=problem) as err:
        _create(run, tmp_path / "models/b")
    assert err.value.where == str(run / "top.json")
    assert not (tmp_path / "models").exists()


def test_a_model_file_linked_out_of_the_run_folder_is_refused(run, tmp_path):
    outside = tmp_path / "outside.keras"
    shutil.copy(run / "trials/0/model.keras", outside)
    (run / "trials/0/model.keras").unlink()
    (run / "trials/0/model.keras").symlink_to(outside)
    with pytest.raises(UserInputError, match="leaves the run folder"):
        _create(run, tmp_path / "models/b")


def test_a_config_other_than_the_trials_own_is_refused(run, tmp_path):
    (run / "trials/0/result.json").write_text(json.dumps({"trial_id": 0, "config": {
        "blocks": 2, "kernels": [99, 99], "fc1": 1, "fc2": 1, "dropout1": 0, "dropout2": 0}}))
    with pytest.raises(UserInputError, match="trial 0: config differs from its"):
        _create(run, tmp_path / "models/b")


def test_the_runs_own_model_still_bundles(run, tmp_path):
    from fer_edge_harness.bundle import verify_bundle

    manifest = verify_bundle(_create(run, tmp_path / "models/b"))
    assert [m["id"] for m in manifest["models"]] == ["t0000"]


@pytest.mark.parametrize("where", ["run", "parent", "trial"])
def test_bundle_out_over_the_run_folder_is_refused_even_with_force(run, where):
    """--force replaces the --out folder whole: never one that is, holds or lies in the run."""
    out = {"run": run, "parent": run.parent, "trial": run / "trials/0"}[where]
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    with pytest.raises(UserInputError, match="which this command reads") as err:
        _create(run, out, force=True)
    assert err.value.where == "--out"
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before


def test_import_out_over_the_model_file_is_refused(run, tmp_path):
    from fer_edge_search.export.external import import_external

    model = run / "trials/0/model.keras"
    with pytest.raises(UserInputError, match="which this command reads"):
        import_external(model, ["a", "b"], "synthetic:n=70", run / "trials", force=True)
    assert model.is_file()
