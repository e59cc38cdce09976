"""`python -m fer_edge_harness`, the board images' entrypoint: its options are the suite's,
defaults come from the image's environment, bad input is one line (exit 2), results land in
RESULTS/LABEL.json and are never overwritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness_fixtures import shared_tiny_bundle

from fer_edge_harness import cli
from fer_edge_harness.results_schema import RUN_INFO_KEY


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "fer_edge_harness", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


def test_help_lists_every_suite_option_with_its_environment_variable():
    done = run_cli("--help", env={"FER_EDGE_BACKEND": "openvino"})
    assert done.returncode == 0, done.stderr
    for names, _ in cli.suite_options():
        assert names[0] in done.stdout
        assert cli.env_name(names[0]) in done.stdout
    assert "FER_EDGE_BACKEND=openvino" in done.stdout
    assert "--results" in done.stdout and "--json" in done.stdout


def test_image_environment_sets_defaults_and_the_command_line_wins(tmp_path):
    environ = {"FER_EDGE_BACKEND": "openvino", "FER_EDGE_OPENVINO_DEVICE": "MYRIAD",
               "FER_EDGE_RESULTS": str(tmp_path)}
    parser = cli.build_parser(environ)
    args, rest = parser.parse_known_args(["--bundle", "b", "--device-label", "pi", "-k", "t0"])
    argv = cli.suite_argv(args, "out.json", rest)
    assert argv[argv.index("--backend") + 1] == "openvino"
    assert argv[argv.index("--openvino-device") + 1] == "MYRIAD"
    assert argv[-3:] == ["out.json", "-k", "t0"]  # unknown arguments go to pytest unchanged
    assert args.fer_results == str(tmp_path)
    args, _ = parser.parse_known_args(["--bundle", "b", "--device-label", "pi",
                                       "--backend", "tflite"])
    argv = cli.suite_argv(args, "out.json", [])
    assert argv[argv.index("--backend") + 1] == "tflite"


@pytest.mark.parametrize("label", ["../escape", "/abs", ".hidden", "a/b", ""])
def test_a_label_that_is_not_a_plain_file_name_is_refused(tmp_path, label):
    args = cli.build_parser({}).parse_args(["--bundle", "b", "--device-label", label,
                                            "--results", str(tmp_path)])
    with pytest.raises(cli.UsageError, match="--device-label"):
        cli.results_path(args)
    assert list(tmp_path.iterdir()) == []


def test_missing_bundle_is_one_line_exit_2(tmp_path):
    done = run_cli("--bundle", str(tmp_path / "nope"), "--device-label", "x",
                   "--results", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: {}: no manifest.json here: is this a bundle folder?"\
        .format(tmp_path / "nope" / "manifest.json")
    assert done.stdout == ""


def test_required_options_are_named(tmp_path):
    done = run_cli("--device-label", "x", "--results", str(tmp_path))
    assert (done.returncode, done.stderr.strip()) == (2, "error: --bundle: required")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


@pytest.mark.slow
def test_writes_results_label_json_and_never_overwrites_it(tiny, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    common = ("--bundle", str(tiny), "--device-label", "bench-pc", "--rounds", "2",
              "--warmup-rounds", "0", "--threads", "1")
    done = run_cli(*common, env={"FER_EDGE_RESULTS": str(results),
                                 "FER_EDGE_BACKEND": "tflite-int8"}, cwd=tmp_path)
    out = results / "bench-pc.json"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip().endswith(f"wrote {out}")
    document = json.loads(out.read_text())
    assert document[RUN_INFO_KEY]["complete"] is True
    assert {b["extra_info"]["backend"] for b in document["benchmarks"]} == {"tflite-int8"}
    assert {b["extra_info"]["device_label"] for b in document["benchmarks"]} == {"bench-pc"}
    before = out.read_bytes()

    again = run_cli(*common, "--results", str(results), cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.startswith(f"error: {out}: already exists")
    assert out.read_bytes() == before


@pytest.mark.slow
def test_exit_statuses_follow_the_fer_edge_rule(tiny, tmp_path):
    common = ("--bundle", str(tiny), "--results", str(tmp_path), "--rounds", "2",
              "--warmup-rounds", "0")
    # a runtime this machine lacks: every case skipped, nothing measured -> 1 with the reason
    done = run_cli(*common, "--device-label", "none", "--backend", "tensorrt", cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: nothing was measured: every case was skipped (tensorrt: ")
    # an option value the suite refuses is bad input -> 2, nothing written
    done = run_cli(*common, "--device-label", "bad", "--threads", "0", cwd=tmp_path)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert not (tmp_path / "bad.json").exists()


def test_exit_status_mapping_of_pytest_codes(tmp_path):
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"benchmarks": [{"name": "x"}], RUN_INFO_KEY: {}}))
    assert cli.exit_status(0, str(out)) == 0
    assert cli.exit_status(1, str(out)) == 1
    assert cli.exit_status(2, str(out)) == 130
    assert cli.exit_status(4, str(out)) == 2
    assert cli.exit_status(3, str(out)) == 1
