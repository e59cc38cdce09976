"""No command writes its output over, into or around what it reads: bench's results file in the
bundle, merge's ranking over a results file or into a bundle, select's per-board bundles over
their parent or the ranking. Each refusal is one line (exit 2) and the input is left as it was.

Each test fails on the main branch before issue 9 (item 4): there `bench --json
BUNDLE/manifest.json` replaced the manifest and exited 0, merge wrote ranking.json over an
input of that name, and select replaced its parent bundle when a board's folder was the parent.
`report` writes only index.html and .png files and reads neither, so it cannot land on its
input (test_report_next_to_its_ranking_leaves_the_ranking_alone checks that it stays so).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from merge_factory import run_cli, stage2_ranking, write_bundle

from fer_edge_core.errors import UserInputError
from fer_edge_core.paths import overlaps
from fer_edge_harness.bundle import verify_bundle
from fer_edge_merge.ranking import merge_results
from fer_edge_merge.select import select_models


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize(("output", "given", "expected"), [
    ("b/manifest.json", "b", True), ("b", "b", True), ("b", "b/x.json", True),
    ("b2/x.json", "b", False), ("out/ranking.json", "res/ranking.json", False),
    ("b/../b/m.json", "b", True)])
def test_overlap_rule(tmp_path, output, given, expected):
    assert overlaps(tmp_path / output, tmp_path / given) is expected


def test_overlap_follows_links(tmp_path):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "bundle")
    assert overlaps(tmp_path / "alias/manifest.json", tmp_path / "bundle")


def test_bench_json_inside_the_bundle_is_refused(tmp_path):
    """Through the installed command: one line, exit 2, the manifest unchanged."""
    bundle = write_bundle(tmp_path / "models" / "b")
    before = _tree(bundle)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "fer-edge"), "bench", "--bundle", str(bundle),
         "--device-label", "x", "--backend", "tflite", "--json", str(bundle / "manifest.json")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: --json: ") and "which this command reads" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _tree(bundle) == before
    verify_bundle(bundle)


def test_merge_over_a_results_file_or_into_a_bundle_is_refused(tmp_path):
    bundle, _, paths, _ = stage2_ranking(tmp_path)
    victim = paths[0].rename(paths[0].with_name("ranking.json"))
    inputs = [victim, *paths[1:]]
    before = victim.read_bytes()
    with pytest.raises(UserInputError, match="which this command reads") as err:
        merge_results(inputs, victim.parent, warn=print)
    assert err.value.where == "--out" and victim.read_bytes() == before
    with pytest.raises(UserInputError, match="which this command reads"):
        merge_results(inputs, bundle, bundles=[bundle], warn=print)
    assert not (bundle / "ranking.json").exists()
    merge_results(inputs, tmp_path / "elsewhere", warn=print)  # the same inputs, out elsewhere


def test_select_over_its_parent_bundle_is_refused(tmp_path):
    """A board labelled like the parent's folder ("top1000") under --out models: its new
    bundle would replace the parent whole."""
    bundle, _, paths, _ = stage2_ranking(tmp_path)
    text = paths[0].read_text().replace('"pi"', f'"{bundle.name}"')
    relabelled = paths[0].with_name("relabelled.json")
    relabelled.write_text(text)
    merge_results([relabelled], tmp_path / "r2", warn=print)
    before = _tree(bundle)
    with pytest.raises(UserInputError, match="which this command reads"):
        select_models(tmp_path / "r2", "latency", 2, bundle, bundle.parent)
    assert _tree(bundle) == before
    with pytest.raises(UserInputError, match="which this command reads"):
        select_models(tmp_path / "r2", "latency", 2, bundle, bundle)  # inside the parent
    assert _tree(bundle) == before


def test_select_over_its_ranking_is_refused(tmp_path):
    """A board labelled "ranking.json", selected into the ranking's own folder: its bundle
    folder would be the ranking file (a traceback on main); refused, the ranking intact."""
    bundle, _, paths, _ = stage2_ranking(tmp_path)
    relabelled = paths[0].with_name("odd-label.json")
    relabelled.write_text(paths[0].read_text().replace('"pi"', '"ranking.json"'))
    ranking = tmp_path / "r3"
    merge_results([relabelled], ranking, warn=print)
    before = _tree(ranking)
    with pytest.raises(UserInputError, match="which this command reads"):
        select_models(ranking, "latency", 2, bundle, ranking)
    assert _tree(ranking) == before


def test_report_next_to_its_ranking_leaves_the_ranking_alone(tmp_path, monkeypatch):
    ranking = stage2_ranking(tmp_path)[3]
    before = _tree(ranking)
    assert run_cli(monkeypatch, "report", str(ranking), "--out", str(ranking)) == 0
    after = _tree(ranking)
    assert {k: v for k, v in after.items() if k in before} == before
    assert "index.html" in after
