"""Loading result files: the real pytest-benchmark fixture, bad inputs, duplicate measurements."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from merge_factory import REAL_FILE, run_cli, write_results

from fer_edge_core.errors import UserInputError
from fer_edge_merge.load import load_results, read_results_file


def test_real_pytest_benchmark_file_loads():
    results = read_results_file(REAL_FILE)
    assert [m.key for m in results.measurements] == [
        ("host-tflite", "t0001", "tflite"), ("host-tflite", "t0002", "tflite")]
    first = results.measurements[0]
    assert first.extra["accuracy"] == 88.5
    assert first.extra["dynamic_power_w"] is None
    # A schema-1 file (latency_ms was the mean) is read at schema 2: the median of its rounds,
    # with the timing fields and flags taken from pytest-benchmark's own stats.
    assert first.extra["latency_ms"] == pytest.approx(first.stats["median"] * 1000)
    assert first.extra["latency_ms"] != pytest.approx(first.stats["mean"] * 1000)
    assert first.extra["latency_statistic"] == "median"
    assert first.extra["latency_mean_ms"] == pytest.approx(first.stats["mean"] * 1000)
    assert first.extra["latency_iqr_ms"] == pytest.approx(first.stats["iqr"] * 1000)
    assert first.extra["rounds"] == first.stats["rounds"]
    relative_iqr = first.stats["iqr"] / first.stats["median"]
    assert ("wide-dispersion" in [f["flag"] for f in first.extra["flags"]]) == (relative_iqr > 0.1)
    assert results.run_info["read_as_version"] == 1
    loaded = load_results([REAL_FILE])
    assert loaded.failures == [{"device_label": "host-tflite", "model_id": "t0003",
                                "backend": "tflite", "reason": "RuntimeError: boom",
                                "source": str(REAL_FILE)}]
    assert loaded.skipped[0]["backend"] == "edgetpu"


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _without(path: Path, drop) -> Path:
    data = json.loads(REAL_FILE.read_text())
    drop(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("name", "make", "problem"), [
    ("notjson.json", lambda p: _text(p, "this is { not json"), "not JSON"),
    ("list.json", lambda p: _text(p, "[1, 2]"), "not a pytest-benchmark JSON object"),
    ("nobench.json", lambda p: _without(p, lambda d: d.pop("benchmarks")),
     "missing field 'benchmarks'"),
    ("noacc.json", lambda p: _without(p, lambda d: d["benchmarks"][1]["extra_info"].pop(
        "accuracy")), "benchmarks[1].extra_info.accuracy: required field is missing"),
    ("noextra.json", lambda p: _without(p, lambda d: d["benchmarks"][0].pop("extra_info")),
     "benchmarks[0].extra_info: required field is missing"),
    ("badlat.json", lambda p: _without(p, lambda d: d["benchmarks"][0]["extra_info"].update(
        latency_ms="fast")), "benchmarks[0].extra_info.latency_ms: input should be a valid number "
     '(got "fast")'),
    ("future.json", lambda p: _without(p, lambda d: d["fer_edge"].update(schema_version=9)),
     "schema_version 9 is not supported"),
])
def test_bad_input_exits_2_naming_the_file(tmp_path, monkeypatch, capsys, name, make, problem):
    path = make(tmp_path / name)
    with pytest.raises(UserInputError) as error:
        read_results_file(path)
    assert error.value.where == str(path)
    assert run_cli(monkeypatch, "merge", str(REAL_FILE), str(path),
                   "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: ")
    assert problem in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "ranking.json").exists()


def test_missing_file_exits_2_from_the_installed_command(tmp_path):
    missing = tmp_path / "nowhere.json"
    done = subprocess.run([sys.executable, "-c", "from fer_edge.cli import main; main()",
                           "merge", str(missing), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {missing}: no such file"


def _one(model_id, accuracy, latency_ms):
    return {"model_id": model_id, "accuracy": accuracy, "latency_ms": latency_ms}


def test_duplicate_measurement_later_file_wins_and_says_so(tmp_path):
    # Given newest first: the JSON datetime decides, not the order on the command line.
    newer = write_results(tmp_path / "b.json", "pi", [_one("m1", 90.0, 2.0)],
                          written="2026-03-02T09:00:00+00:00")
    older = write_results(tmp_path / "a.json", "pi", [_one("m1", 80.0, 4.0), _one("m2", 85.0, 3.0)],
                          written="2026-03-01T09:00:00+00:00")
    loaded = load_results([newer, older])
    by_model = {m.extra["model_id"]: m for m in loaded.measurements}
    assert by_model["m1"].extra["accuracy"] == 90.0
    assert by_model["m1"].source == newer
    assert by_model["m2"].source == older
    assert len(loaded.warnings) == 1
    assert "m1/tflite on pi measured twice" in loaded.warnings[0]
    assert f"{newer} (2026-03-02T09:00:00+00:00) replaces {older}" in loaded.warnings[0]


def test_duplicate_with_equal_datetime_the_later_argument_wins(tmp_path):
    first = write_results(tmp_path / "first.json", "pi", [_one("m1", 80.0, 4.0)])
    second = write_results(tmp_path / "second.json", "pi", [_one("m1", 70.0, 1.0)])
    loaded = load_results([first, second])
    assert [m.extra["accuracy"] for m in loaded.measurements] == [70.0]
    assert f"{second}" in loaded.warnings[0] and f"replaces {first}" in loaded.warnings[0]


def test_same_model_on_two_boards_is_no_duplicate(tmp_path):
    a = write_results(tmp_path / "a.json", "pi", [_one("m1", 80.0, 4.0)])
    b = write_results(tmp_path / "b.json", "coral-dev", [_one("m1", 80.0, 0.4)])
    loaded = load_results([a, b])
    assert len(loaded.measurements) == 2
    assert loaded.warnings == []
