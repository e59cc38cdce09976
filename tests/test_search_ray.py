"""Stage 1 on Ray Tune (`fer-edge search --engine ray`): its records, its resume from JSON only,
its refusal of the other engine's folders, and, slow, real searches on a local Ray runtime with
2 workers: the run folder passes the local engine's checks, `fer-edge bundle` and `verify`
accept it, and a driver killed mid-run resumes without losing a finished trial."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from run_folder_checks import check_run_folder
from test_search_runner import DATA, TINY_SPACE

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_core.errors import UserInputError
from fer_edge_search.space import parse_space
from fer_edge_search.trial_store import RunStore

ROOT = Path(__file__).resolve().parents[1]
SPACE = parse_space(TINY_SPACE, "tiny")
CONFIGS = [cfg for i, cfg in enumerate(SPACE.iter_configs()) if i % 97 == 0]


@pytest.fixture
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-space.json"
    path.write_text(json.dumps(TINY_SPACE))
    return path


def ok_result(accuracy: float) -> dict:
    """The final report of a trial that trained to its end (trainable.run_trial)."""
    return {"val_accuracy": accuracy, "epoch": 3, "outcome": "ok", "params": 1000,
            "flops": 20000, "train_seconds": 1.5, "epochs_run": 3, "train_seed": 7,
            "threads": 1, "trial_seconds": 1.7}


def write_records(store: RunStore, model: Path) -> list[dict]:
    """Three records as the driver writes them: trained, stopped by ASHA, failed."""
    from fer_edge_search.raytune.records import record_of, save_record

    results = [ok_result(41.5), {"val_accuracy": 20.0, "epoch": 1},
               {"val_accuracy": 0.0, "epoch": 0, "outcome": "failed",
                "error": "ValueError: too big", "train_seed": 3}]
    records = []
    for tid, result in enumerate(results):
        record = record_of(tid, CONFIGS[tid], result, f"ray{tid}")
        save_record(store, record, model if result.get("outcome") == "ok" else None)
        records.append(record)
    return records


def test_records_are_written_like_the_local_engine_and_read_back(tmp_path):
    from fer_edge_search.raytune.records import hyperopt_history, load_records

    store = RunStore(tmp_path / "run")
    model = tmp_path / "model.keras"
    model.write_bytes(b"a model file")
    write_records(store, model)
    records = load_records(store, SPACE)
    assert [r["status"] for r in records] == ["ok", "stopped", "failed"]
    assert records[0]["model_path"] == "trials/0/model.keras"
    assert (store.run_dir / "trials/0/model.keras").read_bytes() == b"a model file"
    assert records[0]["val_accuracy"] == 41.5 and records[0]["threads"] == 1
    assert records[1]["stopped_by"] == "asha" and records[1]["epochs_run"] == 1
    assert "model_path" not in records[1] and not (store.run_dir / "trials/1/model.keras").exists()
    assert records[2]["error"] == "ValueError: too big"
    assert [r["config"] for r in records] == CONFIGS[:3]
    # What TPE is told: a stopped trial's last accuracy (as HyperOptSearch is told live).
    history = hyperopt_history(SPACE, records)
    assert [t["result"].get("loss") for t in history.trials] == [-41.5, -20.0, None]
    assert [t["result"]["status"] for t in history.trials] == ["ok", "ok", "fail"]


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda r: r.update(status="paused"), "status 'paused' is not one of"),
    (lambda r: r["config"].update(fc1=9), "config is not in this run's space"),
    (lambda r: r.update(val_accuracy=math.inf), "val_accuracy inf is not a sound float"),
    (lambda r: r.update(val_accuracy=140.0), "val_accuracy 140.0 is not a sound float"),
    (lambda r: r.update(params="many"), "params 'many' is not a sound int"),
    (lambda r: r.update(trial_id=2), "not the result of trial 0"),
])
def test_a_damaged_record_is_refused_in_one_line_naming_it(tmp_path, edit, problem):
    from fer_edge_search.raytune.records import load_records

    store = RunStore(tmp_path / "run")
    model = tmp_path / "model.keras"
    model.write_bytes(b"m")
    write_records(store, model)
    path = store.run_dir / "trials/0/result.json"
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record))
    with pytest.raises(UserInputError, match=problem) as err:
        load_records(store, SPACE)
    assert err.value.where == str(path)


def test_a_trained_trial_without_its_model_or_a_gap_in_ids_is_refused(tmp_path):
    from fer_edge_search.raytune.records import load_records

    store = RunStore(tmp_path / "run")
    model = tmp_path / "model.keras"
    model.write_bytes(b"m")
    write_records(store, model)
    (store.run_dir / "trials/0/model.keras").unlink()
    with pytest.raises(UserInputError, match=r"missing, though result\.json records"):
        load_records(store, SPACE)
    model.write_bytes(b"m")
    write_records(store, model)
    (store.run_dir / "trials/1/result.json").unlink()
    (store.run_dir / "trials/1").rmdir()
    with pytest.raises(UserInputError, match=r"finished trials \[0, 2\] are not numbered"):
        load_records(store, SPACE)


def test_the_searcher_continues_from_the_records(tmp_path):
    """A resumed session's HyperOptSearch holds the finished trials as Hyperopt history
    (no pickle read), numbers its next suggestion after them, and suggests configurations
    of the space; the same records and seed give the same suggestion."""
    pytest.importorskip("ray")
    from fer_edge_search.raytune.driver import searcher

    records = [{"trial_id": i, "config": cfg, "status": "ok", "val_accuracy": 10.0 + i}
               for i, cfg in enumerate(CONFIGS[:25])]
    first, second = searcher(SPACE, records, seed=0), searcher(SPACE, records, seed=0)
    point = first.suggest("trial-a")
    assert point == second.suggest("trial-a")
    SPACE.to_vals(SPACE.to_config(point))  # a configuration of the space
    history = first.get_state()["hyperopt_trials"]
    assert len(history.trials) == 26 and history.trials[-1]["tid"] == 25
    assert [t["result"]["loss"] for t in history.trials[:25]] == [-10.0 - i for i in range(25)]
    fresh = searcher(SPACE, [], seed=0)
    assert len(fresh.get_state()["hyperopt_trials"].trials) == 0


def test_trial_seed_follows_the_configuration_and_the_search_seed():
    from fer_edge_search.raytune.trainable import trial_seed

    assert trial_seed(0, CONFIGS[0]) == trial_seed(0, dict(CONFIGS[0]))
    assert trial_seed(0, CONFIGS[0]) != trial_seed(0, CONFIGS[1])
    assert trial_seed(1, CONFIGS[0]) != trial_seed(0, CONFIGS[0])


def test_settings_are_checked_and_recorded():
    from fer_edge_search.raytune.settings import RaySettings

    with pytest.raises(UserInputError, match="must be at least 2"):
        RaySettings(reduction_factor=1)
    assert RaySettings(workers=4, address="auto").engine_record() == {
        "name": "ray", "scheduler": "asha", "grace_epochs": 1, "reduction_factor": 3}


def test_neither_engine_resumes_the_others_run_folder(tmp_path, space_file, monkeypatch):
    """A Ray run folder is never resumed (or its trials cleared) by the local engine, nor a
    local one by Ray: run.json's "engine" differs, one line, nothing touched."""
    pytest.importorskip("ray")
    from test_search_runner import CountingTrainer, search, snapshot

    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.raytune.driver import run_ray_search
    from fer_edge_search.raytune.settings import RaySettings

    local = tmp_path / "local"
    search(local, space_file, 1, CountingTrainer(fake=True), monkeypatch)
    before = snapshot(local)
    with pytest.raises(UserInputError, match="cannot resume: 'engine' differs"):
        run_ray_search(DATA, SplitSpec(rule="subject"), 2, 1, 5, local, RaySettings(),
                       space_path=space_file, show_progress=False)
    assert snapshot(local) == before
    run = json.loads((local / "run.json").read_text())
    (local / "run.json").write_text(json.dumps({**run, "engine": RaySettings().engine_record()}))
    with pytest.raises(UserInputError, match="cannot resume: 'engine' differs"):
        search(local, space_file, 2, CountingTrainer(fake=True), monkeypatch)
    assert snapshot(local) == before


def test_ray_is_an_optional_extra_of_the_search_component():
    project = tomllib.loads((ROOT / "search" / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("ray") for dep in project["dependencies"])
    assert project["optional-dependencies"]["ray"] == ["ray[tune]==2.60.*"]


def test_engine_ray_without_ray_installed_says_what_to_install(tmp_path):
    """As on a machine where the search component was installed without its Ray extra."""
    code = "import sys; sys.modules['ray'] = None; from fer_edge.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "search", "--engine", "ray", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: fer-edge search: needs the search[ray] (pip install './search[ray]') component, "
        "which is not installed here (ray is missing)")
    assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()


def ray_cli(out: Path, space: Path, trials: int) -> list[str]:
    """The command line of a small Ray search with 2 workers on the local runtime."""
    code = "from fer_edge.cli import main; main()"
    return [sys.executable, "-c", code, "search", "--engine", "ray", "--workers", "2",
            "--data", DATA, "--trials", str(trials), "--epochs", "3", "--grace-epochs", "1",
            "--top", "3", "--space", str(space), "--out", str(out), "--quiet"]


@pytest.fixture
def ray_env(tmp_path_factory) -> dict[str, str]:
    """Ray's sockets and logs in a short temporary folder of this test's own."""
    pytest.importorskip("ray")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"fer-ray-{os.getpid()}-{time.time_ns()}"
    folder.mkdir()
    yield {**os.environ, "RAY_TMPDIR": str(folder)}
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def ray_processes(ray_tmp: str) -> list[str]:
    """Ray processes still running from this test's Ray folder."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if ray_tmp in line and "ps -eo" not in line]


@pytest.mark.slow
def test_ray_search_with_two_workers_gives_a_run_folder_bundle_accepts(tmp_path, space_file,
                                                                       ray_env):
    out, bundle = tmp_path / "run", tmp_path / "bundle"
    done = subprocess.run(ray_cli(out, space_file, 6), env=ray_env, capture_output=True,
                          text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    records = check_run_folder(out, data=DATA, space=TINY_SPACE, epochs=3, top_k=3,
                               statuses=("ok", "stopped", "failed"))
    assert len(records) == 6 and json.loads((out / "run.json").read_text())["engine"] == {
        "name": "ray", "scheduler": "asha", "grace_epochs": 1, "reduction_factor": 3}
    assert {r["engine"]["name"] for r in records} == {"ray"}
    assert not (out / "ray").exists() or not any((out / "ray").iterdir())
    assert ray_processes(ray_env["RAY_TMPDIR"]) == []
    cli = [sys.executable, "-c", "from fer_edge.cli import main; main()"]
    made = subprocess.run([*cli, "bundle", str(out), "--top", "2", "--out", str(bundle)],
                          capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    manifest = json.loads((bundle / "manifest.json").read_text())
    top = json.loads((out / "top.json").read_text())
    assert [m["trial_id"] for m in manifest["models"]] == [r["trial_id"] for r in top[:2]]
    assert [m["val_accuracy"] for m in manifest["models"]] == [r["val_accuracy"] for r in top[:2]]
    verified = subprocess.run([*cli, "verify", str(bundle)], capture_output=True, text=True,
                              timeout=600)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.slow
def test_killed_ray_driver_resumes_keeping_finished_trials(tmp_path, space_file, ray_env):
    out = tmp_path / "run"
    driver = subprocess.Popen(ray_cli(out, space_file, 6), env=ray_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 1200
    while len(list(out.glob("trials/*/result.json"))) < 2:
        assert driver.poll() is None, driver.communicate()[1][-3000:]
        assert time.time() < deadline, "no two trials finished in 20 minutes"
        time.sleep(0.5)
    driver.send_signal(signal.SIGKILL)  # no clean-up of any kind
    driver.communicate()
    kept = {p.parent.name: p.read_bytes() for p in out.glob("trials/*/result.json")}
    models = {p.parent.name: p.read_bytes() for p in out.glob("trials/*/model.keras")
              if p.parent.name in kept}
    assert 2 <= len(kept) < 6
    time.sleep(5)  # the runtime's processes end with their driver
    assert ray_processes(ray_env["RAY_TMPDIR"]) == []
    again = subprocess.run(ray_cli(out, space_file, 6)[:-1], env=ray_env, capture_output=True,
                           text=True, timeout=1500)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"resuming: {len(kept)} of 6 trials done" in again.stderr
    records = check_run_folder(out, data=DATA, space=TINY_SPACE, epochs=3, top_k=3,
                               statuses=("ok", "stopped", "failed"))
    assert len(records) == 6
    for tid, data in kept.items():  # finished trials kept byte for byte
        assert (out / "trials" / tid / "result.json").read_bytes() == data
    for tid, data in models.items():
        assert (out / "trials" / tid / "model.keras").read_bytes() == data


def test_ray_draws_the_local_engines_random_start():
    """HyperOptSearch's random points are the local TPE's start-up trials (--startup-trials);
    random search never leaves its random start."""
    from fer_edge_core.limits import MAX_TRIALS
    from fer_edge_search.algorithm import SearchSettings
    from fer_edge_search.raytune.driver import initial_points

    assert initial_points(SearchSettings()) == SearchSettings().startup_trials == 10
    assert initial_points(SearchSettings("tpe", 4)) == 4
    assert initial_points(SearchSettings("random")) == MAX_TRIALS
