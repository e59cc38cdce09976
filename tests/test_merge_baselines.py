"""Baselines on the merge side: never chosen, never taking a place in a stage's top N, carried
to the next stage beside the chosen models, and compared in Table 4 (stage 2 only here: the
power case is the paper's Table 4, tests/test_merge_report.py)."""

import json
import os

import pytest
from merge_factory import BASELINES, CONFIGS, run_cli, write_bundle, write_results

from fer_edge_harness.bundle import verify_bundle
from fer_edge_merge.compare import compare
from fer_edge_merge.decision import baseline_label, board_decisions, is_baseline
from fer_edge_merge.ranking import merge_results, read_ranking
from fer_edge_merge.select import select_models
from fer_edge_merge.tables import NO_POWER_NOTE, table4

# Stage 2 on one board: a baseline (mollahosseini2016) is the fastest and best by
# accuracy/latency, so any place where baselines compete with searched models shows.
CORAL = [("k16-32", 97.46, 0.39), ("k18-24", 96.95, 0.40), ("k12-22-48", 99.49, 0.55),
         ("kandeel2021", 97.46, 6.95), ("mollahosseini2016", 99.0, 0.30)]


@pytest.fixture
def stage2(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    digest = json.loads((bundle / "manifest.json").read_text())["bundle_sha256"]
    models = [{"model_id": m, "accuracy": a, "latency_ms": t, "backend": "edgetpu"}
              for m, a, t in CORAL]
    results = write_results(tmp_path / "coral.json", "coral-dev", models, bundle_sha256=digest)
    return bundle, results


def _ranking(tmp_path, results, bundles):
    merge_results([results], tmp_path / "ranking", bundles=bundles, warn=lambda _: None)
    return tmp_path / "ranking"


def test_is_baseline_knows_trained_and_imported_models():
    assert is_baseline({"config": BASELINES["kandeel2021"]})  # fer-edge baselines
    assert is_baseline({"config": BASELINES["mollahosseini2016"]})  # fer-edge bundle import
    assert is_baseline({"config": "external"})
    assert not is_baseline({"config": CONFIGS["k16-32"]})
    assert not is_baseline({"config": None})
    assert baseline_label(BASELINES["kandeel2021"]) == "kandeel2021"
    assert baseline_label(BASELINES["mollahosseini2016"]) == "external"


def test_a_faster_baseline_is_never_the_boards_choice(stage2, tmp_path):
    bundle, results = stage2
    rows = read_ranking(_ranking(tmp_path, results, [bundle])).rows
    ranks = {r["model_id"]: r["rank_latency"] for r in rows}
    assert ranks["mollahosseini2016"] == 1  # ranked with the others, for the record
    (decision,) = board_decisions(rows)
    assert decision.best["model_id"] == "k16-32" and decision.models == 3


def test_table4_without_power_compares_accuracy_and_latency(stage2, tmp_path):
    bundle, results = stage2
    table = table4(read_ranking(_ranking(tmp_path, results, [bundle])).rows)
    # Worst first by accuracy/latency, then the board's final choice.
    assert [r[1] for r in table.rows] == ["kandeel2021", "mollahosseini2016",
                                          "k16-32 (best found)"]
    kandeel, molla, best = table.rows
    assert kandeel[2:] == ["97.46", "6.95", "–", "–", "14.02", "–", "0.00", "17.82", "–", "–"]
    assert molla[6:] == ["330.00", "–", "-1.54", "0.77", "–", "–"]  # 0.30 / 0.39: slower
    assert best[6:] == ["249.90", "–", "–", "–", "–", "–"]
    assert any(note.startswith(NO_POWER_NOTE) for note in table.notes)


def test_compare_is_the_papers_arithmetic():
    best = {"accuracy": 96.95, "latency_ms": 0.39, "dynamic_power_w": 0.52, "fit_pdp": 478.06}
    baseline = {"accuracy": 95.93, "latency_ms": 0.65, "dynamic_power_w": 0.67,
                "fit_pdp": 220.27}
    points, speedup, power, gain = compare(best, baseline)
    assert (round(points, 2), round(speedup, 2), round(power, 2), round(gain, 2)) == \
        (1.02, 1.67, 1.29, 2.17)
    assert compare(best, {"accuracy": None, "latency_ms": 0.65}) == (None, 1.6666666666666667,
                                                                      None, None)


def test_selection_keeps_baselines_out_of_the_top_and_carries_them(stage2, tmp_path):
    bundle, results = stage2
    ranking = _ranking(tmp_path, results, [bundle])
    written = select_models(ranking, "latency", 1, bundle, tmp_path / "next", warn=print)
    manifest = verify_bundle(written["coral-dev"])
    assert [m["id"] for m in manifest["models"]] == ["k16-32", "mollahosseini2016",
                                                     "kandeel2021"]
    without = select_models(ranking, "latency", 1, bundle, tmp_path / "final", warn=print,
                            baselines=False)
    assert [m["id"] for m in verify_bundle(without["coral-dev"])["models"]] == ["k16-32"]


def test_selection_tells_baselines_by_the_parent_bundle_when_merged_without_one(stage2,
                                                                                tmp_path):
    bundle, results = stage2
    ranking = _ranking(tmp_path, results, [])  # no --bundle: the rows carry no configuration
    written = select_models(ranking, "latency", 2, bundle, tmp_path / "next", warn=print)
    ids = [m["id"] for m in verify_bundle(written["coral-dev"])["models"]]
    assert ids == ["k16-32", "k18-24", "mollahosseini2016", "kandeel2021"]


def test_board_bundles_share_the_parents_files(stage2, tmp_path):
    """Hard links, not copies, where the file system allows: baselines weigh ~100 MB."""
    bundle, results = stage2
    written = select_models(_ranking(tmp_path, results, [bundle]), "latency", 1, bundle,
                            tmp_path / "next", warn=print)
    child = written["coral-dev"] / "kandeel2021" / "model.keras"
    assert os.stat(child).st_ino == os.stat(bundle / "kandeel2021" / "model.keras").st_ino


def test_cli_select_without_baselines(stage2, tmp_path, monkeypatch):
    bundle, results = stage2
    ranking = _ranking(tmp_path, results, [bundle])
    code = run_cli(monkeypatch, "select", str(ranking), "--bundle", str(bundle), "--out",
                   str(tmp_path / "cli"), "--top", "2", "--no-baselines")
    assert code in (0, None)
    ids = [m["id"] for m in verify_bundle(tmp_path / "cli" / "coral-dev")["models"]]
    assert ids == ["k16-32", "k18-24"]
