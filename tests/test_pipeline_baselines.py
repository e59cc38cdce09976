"""`fer-edge demo --quick --baselines`: both Table 4 baselines go into the stage-1 bundle,
through stage 2 on every board, into each board's stage-3 bundle, through stage 3 (with the
stand-in meter, as tests/test_pipeline_demo.py runs it) and into the report's Table 4."""

import json

import pytest
from test_merge_report import _Page
from test_pipeline_demo import BOARDS, demo_cli

from fer_edge.pipeline import QUICK, run_demo
from fer_edge.pipeline.options import with_overrides
from fer_edge_harness.bundle import verify_bundle
from fer_edge_merge.compare import compare
from fer_edge_merge.ranking import read_ranking
from fer_edge_merge.tables import table4

NAMES = ["kandeel2021", "mollahosseini2016"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_cli(tmp_path_factory.mktemp("demo-baselines") / "out", "--baselines")


@pytest.mark.slow
def test_baselines_are_trained_on_the_search_split_and_bundled(demo):
    search = json.loads((demo / "stage1" / "run" / "run.json").read_text())
    run = json.loads((demo / "stage1" / "baselines" / "run.json").read_text())
    assert run["data"] == search["data"] and run["train"] == search["train"]
    manifest = verify_bundle(demo / "stage1" / "bundle")
    ids = [m["id"] for m in manifest["models"]]
    assert ids[-2:] == NAMES and len(ids) == QUICK.stage1_top + 2
    for model in manifest["models"][-2:]:
        assert model["config"]["baseline"]["name"] == model["id"] and model["layers"]


@pytest.mark.slow
def test_stage_2_measures_the_baselines_on_every_board_and_carries_them(demo):
    ranking = read_ranking(demo / "stage2" / "ranking").rows
    for board in BOARDS:
        measured = {r["model_id"] for r in ranking if r["device_label"] == board}
        assert set(NAMES) <= measured
        chosen = [m["id"] for m in verify_bundle(demo / "stage2" / "bundles" / board)["models"]]
        # The top N searched models, then the baselines (in their rank order).
        assert len(chosen) == QUICK.stage2_top + 2 and sorted(chosen[-2:]) == NAMES
        assert not set(NAMES) & set(chosen[:QUICK.stage2_top])


@pytest.mark.slow
def test_the_report_has_table_4_for_every_board(demo):
    page = _Page()
    page.feed((demo / "report" / "index.html").read_text())
    table = page.tables["Table 4: comparison with baseline models"]
    for board in BOARDS:
        models = [r[1] for r in table[1:] if r[0] == board]
        assert sorted(models[:2]) == NAMES and models[2].endswith("(best found)")
    steps = {s["name"]: s for s in json.loads((demo / "demo.json").read_text())["steps"]}
    assert not steps["baselines"]["reused"]
    assert "kandeel2021 val acc" in steps["baselines"]["detail"]


@pytest.mark.slow
def test_stage_3_measures_baselines_and_table_4_gives_the_ratios(demo):
    """Stage 3 for real with the stand-in meter: each board's stage-3 bundle holds its best
    searched model and both baselines, all get (stand-in) watts, only a searched model is
    chosen, and Table 4's ratios are the compare() of the measured rows."""
    run_demo(demo, with_overrides(QUICK, baselines=True), show_progress=False,
             power_sensor="um34c-emulator", power_seconds=2)
    rows = read_ranking(demo / "stage3" / "ranking").rows
    table = table4(rows)
    for board in BOARDS:
        powered = {r["model_id"]: r for r in rows
                   if r["device_label"] == board and r["fit_pdp"] is not None}
        assert set(NAMES) <= set(powered) and len(powered) == QUICK.stage2_top + 2
        final = verify_bundle(demo / "stage3" / "bundles" / board)["models"]
        assert len(final) == 1 and final[0]["id"] not in NAMES  # compared, never chosen
        best = powered[final[0]["id"]]
        for name in NAMES:
            row = next(r for r in table.rows if r[0] == board and r[1] == name)
            assert row[4] == f"{powered[name]['dynamic_power_w']:.2f}"
            assert row[-4:] == [f"{value:.2f}" for value in compare(best, powered[name])]
    assert any("STAND-IN" in note for note in table.notes)
