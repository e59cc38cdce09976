"""Test data for the merge tests: real pytest-benchmark-shaped result files and tiny bundles.

Result files are made from a real file (fixtures/merge/pytest_benchmark_5.3.1_host.json, written
by pytest-benchmark 5.3.1 itself, see fixtures/merge/README.md): its machine_info, commit_info,
version and one benchmark's options and stats shape are kept; extra_info and the timings are
replaced. The figures are the paper's Table 3 (and Table 4 for the baselines); the other models
of each board are made up to be worse under the fitness being checked.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fer_edge.cli import main
from fer_edge_harness.bundle import file_record, manifest_hash
from fer_edge_harness.results_schema import OPTIONAL_EXTRA_INFO, RESULTS_SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures" / "merge"
REAL_FILE = FIXTURES / "pytest_benchmark_5.3.1_host.json"


def _config(kernels: list[int], fc1: int, do1: float, fc2: int, do2: float) -> dict[str, Any]:
    return {"blocks": len(kernels), "kernels": kernels, "fc1": fc1, "fc2": fc2,
            "dropout1": do1, "dropout2": do2}


# The architectures of the paper's Table 3, named by their kernels.
CONFIGS = {
    "k10-32-44-56": _config([10, 32, 44, 56], 115, 0.1, 100, 0.17),
    "k12-22-48": _config([12, 22, 48], 100, 0.12, 85, 0.15),
    "k16-24": _config([16, 24], 100, 0.2, 80, 0.14),
    "k10-32": _config([10, 32], 120, 0.29, 80, 0.19),
    "k12-24-36": _config([12, 24, 36], 100, 0.12, 100, 0.1),
    "k16-32": _config([16, 32], 115, 0.21, 85, 0.17),
    "k10-28": _config([10, 28], 120, 0.11, 85, 0.18),
    "k18-24": _config([18, 24], 110, 0.15, 95, 0.29),
}
BASELINES = {  # Table 4: [18] Kandeel et al. (as `fer-edge baselines` marks a model it trained),
    # [19] Mollahosseini et al. (as `fer-edge bundle import` marks an external model).
    "kandeel2021": {"baseline": {"name": "kandeel2021", "title": "Kandeel et al. 2021",
                                 "reference": "doi:10.1109/ICCSPA49915.2021.9385739"}},
    "mollahosseini2016": {"external": {"source": "mollahosseini2016.keras"}},
}

# Stage 3 (power) per board: (model, accuracy %, latency ms, dynamic power W). The first entry
# is the paper's Table 3 Accuracy/PDP row; the others are worse by accuracy/PDP.
STAGE3 = {
    "pi": [("k16-24", 96.95, 2.88, 1.56), ("k10-32", 97.46, 3.10, 1.62),
           ("k12-22-48", 99.49, 6.90, 1.43), ("k16-32", 96.44, 3.40, 1.55)],
    "jetson-nano-5w": [("k10-28", 97.46, 1.62, 0.91), ("k10-32", 97.46, 1.57, 1.10),
                       ("k12-22-48", 99.49, 2.40, 1.02), ("k16-24", 95.95, 1.70, 0.98)],
    "jetson-nano-maxn": [("k16-24", 95.95, 1.60, 1.34), ("k10-32", 97.46, 1.53, 1.60),
                         ("k10-32-44-56", 99.49, 2.30, 2.60), ("k10-28", 96.45, 1.70, 1.45)],
    "pi-ncs2": [("k16-24", 97.46, 2.35, 2.08), ("k10-32", 96.95, 2.45, 2.20),
                ("k12-22-48", 99.49, 3.10, 2.25), ("k16-32", 95.43, 2.50, 2.12)],
    "pi-tpu": [("k16-32", 97.46, 1.55, 0.77), ("k12-24-36", 98.98, 1.73, 0.80),
               ("k10-32-44-56", 99.49, 2.40, 0.85), ("k16-24", 96.95, 1.90, 0.81)],
    "coral-dev": [("k18-24", 96.95, 0.39, 0.52), ("k16-32", 97.46, 0.39, 0.60),
                  ("k12-22-48", 99.49, 0.55, 0.56), ("k16-24", 96.44, 0.45, 0.54),
                  ("kandeel2021", 97.46, 6.95, 0.50), ("mollahosseini2016", 95.93, 0.65, 0.67)],
}
# fit_pdp of each board's best, from the paper's figures (Coral Dev: 96.95 / (0.39 x 0.52)).
PAPER_PDP = {"pi": 21.58, "jetson-nano-5w": 66.11, "jetson-nano-maxn": 44.75,
             "pi-ncs2": 19.94, "pi-tpu": 81.66, "coral-dev": 478.06}

# Stage 2 (latency only) per board: (model, accuracy %, latency ms). The first entry is the
# paper's Table 3 Accuracy/Delay row; both 99.49 % models (Table 3's Accuracy rows) are there.
STAGE2 = {
    "pi": [("k16-24", 96.95, 2.88), ("k10-32", 97.46, 3.10), ("k12-22-48", 99.49, 6.90),
           ("k10-32-44-56", 99.49, 9.80)],
    "jetson-nano-5w": [("k10-32", 97.46, 1.57), ("k10-28", 97.46, 1.62), ("k16-24", 95.95, 1.70),
                       ("k12-22-48", 99.49, 2.40), ("k10-32-44-56", 99.49, 2.60)],
    "jetson-nano-maxn": [("k10-32", 97.46, 1.53), ("k16-24", 95.95, 1.60),
                         ("k12-22-48", 99.49, 2.20), ("k10-32-44-56", 99.49, 2.30)],
    "pi-ncs2": [("k16-24", 97.46, 2.35), ("k10-32", 96.95, 2.45), ("k12-22-48", 99.49, 3.10),
                ("k10-32-44-56", 99.49, 3.40)],
    "pi-tpu": [("k12-24-36", 98.98, 1.73), ("k16-32", 97.46, 1.75), ("k12-22-48", 99.49, 2.10),
               ("k10-32-44-56", 99.49, 2.40)],
    "coral-dev": [("k16-32", 97.46, 0.39), ("k18-24", 96.95, 0.39), ("k12-22-48", 99.49, 0.55),
                  ("k10-32-44-56", 99.49, 0.62)],
}
BACKENDS = {"pi": "tflite", "jetson-nano-5w": "tensorrt", "jetson-nano-maxn": "tensorrt",
            "pi-ncs2": "openvino", "pi-tpu": "edgetpu", "coral-dev": "edgetpu"}


def _scaled_stats(template: dict[str, Any], latency_ms: float) -> dict[str, Any]:
    """The template's stats rescaled to a median of `latency_ms` (in seconds, as
    pytest-benchmark), since latency_ms is the median of the rounds (results schema 2)."""
    stats = copy.deepcopy(template)
    factor = latency_ms / 1000.0 / template["median"]
    for key in ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr",
                "hd15iqr", "total"):
        stats[key] = template[key] * factor
    stats["data"] = [value * factor for value in template["data"]]
    stats["ops"] = 1.0 / stats["mean"]
    return stats


def benchmark_entry(template: dict[str, Any], device_label: str, model: dict[str, Any],
                    stage: str, bundle_sha256: str) -> dict[str, Any]:
    """One benchmark shaped like the template, with a full extra_info for `model`."""
    entry = copy.deepcopy(template)
    backend = model.get("backend", "tflite")
    entry["name"] = f"test_latency[{model['model_id']}-{backend}]"
    entry["fullname"] = f"fer_edge_harness/suite/test_latency.py::{entry['name']}"
    entry["stats"] = _scaled_stats(template["stats"], model["latency_ms"])
    power = model.get("dynamic_power_w")
    extra = dict.fromkeys(OPTIONAL_EXTRA_INFO)
    extra.update({
        "model_id": model["model_id"], "backend": backend,
        "precision": model.get("precision", "fp32"), "threads": 1,
        "device_label": device_label, "hardware": {"board": device_label}, "stage": stage,
        "accuracy": model["accuracy"], "n_test": 197, "latency_ms": model["latency_ms"],
        "bundle_sha256": bundle_sha256, "runtime_versions": {"fake": "1.0"},
        "latency_statistic": "median", "latency_mean_ms": entry["stats"]["mean"] * 1000.0,
        "latency_iqr_ms": entry["stats"]["iqr"] * 1000.0,
        "latency_cv": entry["stats"]["stddev"] / entry["stats"]["mean"],
        "rounds": entry["stats"]["rounds"], "timed_s": entry["stats"]["total"],
        "warmup_rounds": 10, "warmup_s": 0.2, "warmup_settled": True,
        "flags": model.get("flags", []),
    })
    for key in ("latency_clock", "wall_latency_ms"):  # recorded since the clocks differ
        if key in model:
            extra[key] = model[key]
    if power is not None:
        extra.update({"power_sensor": "um34c", "idle_power_w": 2.0,
                      "active_power_w": 2.0 + power, "dynamic_power_w": power,
                      "power_seconds": 180.0, "energy_mj": power * model["latency_ms"]})
    entry["extra_info"] = extra
    return entry


def write_results(path: Path, device_label: str, models: list[dict[str, Any]], *,
                  stage: str = "latency", written: str = "2026-01-01T10:00:00+00:00",
                  bundle_sha256: str = "ab" * 32, failures: list | None = None) -> Path:
    """A results file as the harness writes it: pytest-benchmark JSON plus the fer_edge key."""
    real = json.loads(REAL_FILE.read_text())
    data = {key: real[key] for key in ("machine_info", "commit_info")}
    data["benchmarks"] = [benchmark_entry(real["benchmarks"][0], device_label, m, stage,
                                          bundle_sha256) for m in models]
    data.update({"datetime": written, "version": real["version"]})
    data["fer_edge"] = {"schema_version": RESULTS_SCHEMA_VERSION, "bundle_sha256": bundle_sha256,
                        "device_label": device_label, "stage": stage,
                        "failures": failures or [], "skipped": []}
    path.write_text(json.dumps(data, indent=1))
    return path


def write_paper_results(folder: Path, stage: str, bundle_sha256: str = "ab" * 32,
                        written: str = "2026-01-01T10:00:00+00:00") -> list[Path]:
    """One file per board of the paper: stage "latency" (STAGE2) or "power" (STAGE3)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = STAGE2 if stage == "latency" else STAGE3
    paths = []
    for label, entries in table.items():
        models = [{"model_id": e[0], "accuracy": e[1], "latency_ms": e[2],
                   "dynamic_power_w": e[3] if len(e) > 3 else None,
                   "backend": BACKENDS[label]} for e in entries]
        paths.append(write_results(folder / f"{label}-{stage}.json", label, models,
                                   stage=stage, written=written, bundle_sha256=bundle_sha256))
    return paths


def stand_in_artifact(model_id: str, name: str) -> bytes:
    """Bytes a bundle check takes for a model of the file's format (its identifier: the
    TFLite FlatBuffer "TFL3", a Keras zip with config.json, an IR <net>), not a real model."""
    if name.endswith(".tflite"):
        return b"\x1c\x00\x00\x00TFL3" + model_id.encode()
    if name.endswith(".keras"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("config.json", json.dumps({"name": model_id}))
        return buffer.getvalue()
    if name.endswith(".xml"):
        return f'<?xml version="1.0"?>\n<net name="{model_id}" version="11"></net>\n'.encode()
    return f"{model_id}/{name}".encode()


def write_bundle(folder: Path, configs: dict[str, Any] | None = None) -> Path:
    """A small valid bundle: stand-in artifact bytes (bundle checks read files, hashes and
    format identifiers; the merge tests never run a model)."""
    configs = configs if configs is not None else {**CONFIGS, **BASELINES}
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.savez(folder / "test_set.npz", images=rng.integers(0, 255, (4, 48, 48), dtype=np.uint8),
             labels=np.arange(4, dtype=np.int64))
    models = []
    for model_id, config in configs.items():
        (folder / model_id).mkdir()
        for name in ("model.keras", "model.tflite", "model.xml", "model.bin"):
            (folder / model_id / name).write_bytes(stand_in_artifact(model_id, name))
        ir = dict(file_record(folder, f"{model_id}/model.xml"), status="built", reason=None)
        ir["weights"] = file_record(folder, f"{model_id}/model.bin")
        models.append({"id": model_id, "config": config, "params": 1000, "flops": 2000,
                       "val_accuracy": 95.0, "artifacts": {
                           "keras": dict(file_record(folder, f"{model_id}/model.keras"),
                                         status="built", reason=None),
                           "tflite_fp32": dict(file_record(folder, f"{model_id}/model.tflite"),
                                               status="built", reason=None),
                           "openvino_fp16": ir,
                           "edgetpu": {"path": None, "status": "not-built",
                                       "reason": "edgetpu_compiler not found"}}})
    manifest = {"schema_version": 1, "name": "paper", "created": "2026-01-01T00:00:00+00:00",
                "parent": None,
                "dataset": {"name": "synthetic", "spec": "synthetic", "class_names": ["a"] * 7,
                            "split": {}, "counts": {"train": 0, "val": 0, "test": 4}},
                "input": {"shape": [48, 48, 1], "dtype": "float32", "scale": 1 / 255},
                "test_set": dict(file_record(folder, "test_set.npz"), n=4), "models": models}
    manifest["bundle_sha256"] = manifest_hash(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder


def stage2_ranking(root: Path) -> tuple[Path, str, list[Path], Path]:
    """A bundle of the paper's models (ROOT/models/top1000), stage-2 results measured on it
    (ROOT/results) and their ranking (ROOT/ranking): (bundle, its sha256, results, ranking)."""
    from fer_edge_merge.ranking import merge_results

    bundle = write_bundle(root / "models" / "top1000")
    digest = json.loads((bundle / "manifest.json").read_text())["bundle_sha256"]
    paths = write_paper_results(root / "results", "latency", bundle_sha256=digest)
    merge_results(paths, root / "ranking", warn=print)
    return bundle, digest, paths, root / "ranking"


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run `fer-edge ARGS` in this process, as the installed command does; its exit status."""
    monkeypatch.setattr(sys, "argv", ["fer-edge", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code
