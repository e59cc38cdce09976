"""A merge-only install: a user who ranks and reports board results from JSON files installs
the harness, core, merge and the CLI, and gets neither TensorFlow nor OpenVINO nor tf2onnx.

Slow: it builds a fresh venv and installs the components into it (from pip's cache after the
first run), as a user on a laptop would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "merge" / "pytest_benchmark_5.3.1_host.json"
HEAVY = ("tensorflow", "tensorflow-cpu", "openvino", "tf2onnx", "keras", "fer-edge-search")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def merge_only_venv(tmp_path_factory) -> Path:
    """A venv with harness/, core/, merge/ and the CLI installed from copies of the folders
    (the checkout itself stays free of build/ and egg-info folders)."""
    work = tmp_path_factory.mktemp("merge-only")
    source = work / "src"
    ignore = shutil.ignore_patterns(".venv", "runs", "models", "__pycache__", "*.egg-info",
                                    "build", ".git", "tests", "benchmarks", "search")
    shutil.copytree(ROOT, source, ignore=ignore)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    subprocess.run([*pip, str(source / "harness"), str(source / "core"), str(source / "merge"),
                    str(source)], check=True, cwd=work)
    return venv


def _installed(venv: Path) -> set[str]:
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze",
                          "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return {line.split("==")[0].lower() for line in out.splitlines() if "==" in line}


def test_merge_only_install_has_no_training_or_export_stack(merge_only_venv):
    installed = _installed(merge_only_venv)
    assert {"fer-edge", "fer-edge-merge", "fer-edge-core", "fer-edge-harness"} <= installed
    assert not installed & set(HEAVY), sorted(installed & set(HEAVY))


def test_merge_and_report_run_without_the_search_component(merge_only_venv, tmp_path):
    fer_edge = str(merge_only_venv / "bin" / "fer-edge")
    merged = subprocess.run([fer_edge, "merge", str(FIXTURE), "--out", str(tmp_path / "r")],
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "r" / "ranking.json").is_file()
    report = subprocess.run([fer_edge, "report", str(tmp_path / "r"), "--out",
                             str(tmp_path / "report")], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "<table" in (tmp_path / "report" / "index.html").read_text()


def test_a_search_command_says_which_component_is_missing(merge_only_venv):
    out = subprocess.run([str(merge_only_venv / "bin" / "fer-edge"), "space"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs the search" in lines[0], out.stderr
