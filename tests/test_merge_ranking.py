"""Ranking: the paper's Table 3 reproduced from result files, outputs, configurations."""

import csv
import json

import pytest
from merge_factory import (
    CONFIGS,
    PAPER_PDP,
    STAGE2,
    STAGE3,
    run_cli,
    write_bundle,
    write_paper_results,
    write_results,
)

from fer_edge_merge.ranking import merge_results, read_ranking


def _by_board(rows, fitness):
    """{board: [model ids ranked 1 under fitness]}."""
    best = {}
    for row in rows:
        if row[f"rank_{fitness}"] == 1:
            best.setdefault(row["device_label"], []).append(row["model_id"])
    return {label: sorted(ids) for label, ids in best.items()}


def test_stage3_reproduces_table3_accuracy_pdp_rows(tmp_path):
    paths = write_paper_results(tmp_path / "results", "power")
    rows = json.loads(merge_results(paths, tmp_path / "ranking", warn=print).read_text())
    assert _by_board(rows, "pdp") == {label: [entries[0][0]] for label, entries in STAGE3.items()}
    for row in rows:
        if row["rank_pdp"] == 1:
            assert round(row["fit_pdp"], 2) == PAPER_PDP[row["device_label"]]
    coral = next(r for r in rows if r["device_label"] == "coral-dev" and r["rank_pdp"] == 1)
    assert (coral["model_id"], coral["accuracy"], coral["latency_ms"],
            coral["dynamic_power_w"]) == ("k18-24", 96.95, 0.39, 0.52)
    assert round(coral["fit_pdp"], 2) == 478.06
    assert coral["energy_mj"] == pytest.approx(0.39 * 0.52)


def test_stage2_reproduces_table3_accuracy_delay_and_accuracy_rows(tmp_path):
    paths = write_paper_results(tmp_path / "results", "latency")
    rows = json.loads(merge_results(paths, tmp_path / "ranking", warn=print).read_text())
    assert _by_board(rows, "latency") == {label: [e[0][0]] for label, e in STAGE2.items()}
    # Table 3's Accuracy rows: two configurations tie at 99.49 % on every board.
    assert set(map(tuple, _by_board(rows, "accuracy").values())) == {
        ("k10-32-44-56", "k12-22-48")}
    pi = next(r for r in rows if r["device_label"] == "pi" and r["rank_latency"] == 1)
    assert round(pi["fit_latency"], 2) == 33.66
    # No power in stage 2: no PDP fitness and no PDP rank, never a made-up number.
    assert all(r["dynamic_power_w"] is None and r["fit_pdp"] is None and r["rank_pdp"] is None
               for r in rows)
    assert "stage 3 not run: no power sensor" in (tmp_path / "ranking" / "ranking.md").read_text()


def test_ranks_are_within_each_board(tmp_path):
    paths = write_paper_results(tmp_path / "results", "power")
    rows = json.loads(merge_results(paths, tmp_path / "out", warn=print).read_text())
    for label, entries in STAGE3.items():
        ranks = sorted(r["rank_pdp"] for r in rows if r["device_label"] == label)
        assert ranks == list(range(1, len(entries) + 1))


def test_csv_markdown_and_failures_written(tmp_path):
    paths = write_paper_results(tmp_path / "results", "power")
    paths.append(write_results(tmp_path / "extra.json", "pi-zero", [
        {"model_id": "k16-24", "accuracy": 95.0, "latency_ms": 9.0}],
        failures=[{"model_id": "k18-24", "backend": "tflite", "reason": "out of memory"}]))
    out = tmp_path / "ranking"
    merge_results(paths, out, warn=print)
    with open(out / "ranking.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    rows = json.loads((out / "ranking.json").read_text())
    assert len(table) == len(rows) == sum(len(e) for e in STAGE3.values()) + 1
    coral = next(r for r in table if r["device_label"] == "coral-dev" and r["rank_pdp"] == "1")
    assert float(coral["fit_pdp"]) == pytest.approx(478.0572, abs=1e-4)
    zero = next(r for r in table if r["device_label"] == "pi-zero")
    assert zero["dynamic_power_w"] == "" and zero["rank_pdp"] == ""
    markdown = (out / "ranking.md").read_text()
    assert "| coral-dev | k18-24 | edgetpu | 96.95 | 0.390 | 0.520 | 248.59 | 478.06 |" in markdown
    failures = json.loads((out / "failures.json").read_text())
    assert failures["failures"] == [{"device_label": "pi-zero", "model_id": "k18-24",
                                     "backend": "tflite", "reason": "out of memory",
                                     "source": str(tmp_path / "extra.json")}]


def test_bundle_gives_configurations(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    digest = json.loads((bundle / "manifest.json").read_text())["bundle_sha256"]
    paths = write_paper_results(tmp_path / "results", "power", bundle_sha256=digest)
    warnings = []
    merge_results(paths, tmp_path / "ranking", bundles=[bundle], warn=warnings.append)
    merged = read_ranking(tmp_path / "ranking")
    coral = next(r for r in merged.rows if r["device_label"] == "coral-dev"
                 and r["rank_pdp"] == 1)
    assert coral["config"] == CONFIGS["k18-24"] == {
        "blocks": 2, "kernels": [18, 24], "fc1": 110, "fc2": 95, "dropout1": 0.15,
        "dropout2": 0.29}
    assert coral["params"] == 1000
    assert warnings == []
    assert merged.info["bundles"] == [{"path": str(bundle), "bundle_sha256": digest}]


def test_configuration_by_model_id_when_measured_on_another_bundle(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    paths = write_paper_results(tmp_path / "results", "power", bundle_sha256="cd" * 32)
    warnings = []
    merge_results(paths, tmp_path / "ranking", bundles=[bundle], warn=warnings.append)
    rows = read_ranking(tmp_path / "ranking").rows
    assert all(r["config"] is not None for r in rows)
    assert warnings == ["warning: results measured on bundle cdcdcdcdcdcd match none of the "
                        "--bundle manifests; configurations taken by model id"]


def test_cli_merge_says_which_duplicate_won(tmp_path, monkeypatch, capsys):
    one = {"model_id": "k16-24", "latency_ms": 3.0}
    old = write_results(tmp_path / "old.json", "pi", [dict(one, accuracy=90.0)],
                        written="2026-02-01T00:00:00+00:00")
    new = write_results(tmp_path / "new.json", "pi", [dict(one, accuracy=96.0)],
                        written="2026-02-02T00:00:00+00:00")
    assert run_cli(monkeypatch, "merge", str(new), str(old), "--out", str(tmp_path / "r")) == 0
    captured = capsys.readouterr()
    assert f"measured twice: {new} (2026-02-02T00:00:00+00:00) replaces {old}" in captured.err
    assert "pi: best by accuracy/latency k16-24 (tflite) 32.00" in captured.out
    merged = read_ranking(tmp_path / "r")
    assert [(r["accuracy"], r["source"]) for r in merged.rows] == [(96.0, str(new))]
    assert len(merged.info["warnings"]) == 1


def test_cli_merge_refuses_a_tampered_bundle_manifest(tmp_path, monkeypatch, capsys):
    bundle = write_bundle(tmp_path / "bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["models"][0]["params"] = 1
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    paths = write_paper_results(tmp_path / "results", "power")
    assert run_cli(monkeypatch, "merge", *map(str, paths), "--bundle", str(bundle),
                   "--out", str(tmp_path / "r")) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {bundle / 'manifest.json'}: bundle_sha256 does not match the manifest's contents")


DRIFT = {"flag": "drift", "reason": "last third of the rounds +45% against the first (limit 10%)"}


def test_a_flagged_latency_is_ranked_but_never_silently(tmp_path):
    """A latency the harness flagged keeps its rank (nothing measured is dropped), and the
    flag goes with it into every output: ranking.json and .csv, ranking.md, merge.json's
    warnings, the report (tests/test_merge_report.py)."""
    models = [{"model_id": "k16-24", "accuracy": 97.0, "latency_ms": 1.0, "flags": [DRIFT]},
              {"model_id": "k10-32", "accuracy": 96.0, "latency_ms": 1.2}]
    path = write_results(tmp_path / "pi.json", "pi", models)
    warnings: list[str] = []
    out = tmp_path / "ranking"
    rows = json.loads(merge_results([path], out, warn=warnings.append).read_text())
    flagged = next(r for r in rows if r["model_id"] == "k16-24")
    assert flagged["rank_latency"] == 1 and flagged["flags"] == [DRIFT]
    assert next(r for r in rows if r["model_id"] == "k10-32")["flags"] == []
    assert flagged["latency_statistic"] == "median" and flagged["rounds"] >= 1
    assert warnings == ["warning: k16-24/tflite on pi is ranked 1 by accuracy/latency but its "
                        "latency is flagged: drift (" + DRIFT["reason"] + ")"]
    assert json.loads((out / "merge.json").read_text())["flagged"] == 1
    assert warnings[0] in json.loads((out / "merge.json").read_text())["warnings"]
    markdown = (out / "ranking.md").read_text()
    assert "1 of 2 latencies are flagged" in markdown
    assert next(line for line in markdown.splitlines() if "k16-24" in line).endswith("| drift |")
    with open(out / "ranking.csv", newline="") as handle:
        csv_rows = {r["model_id"]: r for r in csv.DictReader(handle)}
    assert json.loads(csv_rows["k16-24"]["flags"]) == [DRIFT]
    assert read_ranking(out).rows[0]["flags"] == [DRIFT]


def test_ranking_rows_carry_the_stddev_and_work_out_missing_energy(tmp_path):
    path = write_results(tmp_path / "pi.json", "pi", [
        {"model_id": "k16-24", "accuracy": 97.0, "latency_ms": 2.0, "dynamic_power_w": 1.5}])
    data = json.loads(path.read_text())
    data["benchmarks"][0]["extra_info"]["energy_mj"] = None  # a board that left it out
    path.write_text(json.dumps(data))
    [row] = json.loads(merge_results([path], tmp_path / "r", warn=print).read_text())
    assert row["latency_stddev_ms"] == data["benchmarks"][0]["stats"]["stddev"] * 1000.0
    assert row["energy_mj"] == pytest.approx(1.5 * 2.0)


def test_merge_json_records_its_schema_and_each_sources_hardware(tmp_path):
    path = write_results(tmp_path / "pi.json", "pi", [
        {"model_id": "k16-24", "accuracy": 97.0, "latency_ms": 2.0},
        {"model_id": "k10-32", "accuracy": 96.0, "latency_ms": 2.5}])
    data = json.loads(path.read_text())
    data["benchmarks"][1]["extra_info"]["hardware"] = {"board": "another"}
    path.write_text(json.dumps(data))
    merge_results([path], tmp_path / "r", warn=print)
    info = json.loads((tmp_path / "r" / "merge.json").read_text())
    assert info["schema_version"] == 1 and info["power_measured"] is False
    assert info["sources"][0]["hardware"] == {"board": "pi"}  # the first benchmark's
    merge_results(write_paper_results(tmp_path / "power", "power"), tmp_path / "p", warn=print)
    assert json.loads((tmp_path / "p" / "merge.json").read_text())["power_measured"] is True


def _ranking_with(tmp_path, rows_text: str):
    folder = tmp_path / "bad"
    folder.mkdir(parents=True)
    (folder / "ranking.json").write_text(rows_text)
    return folder


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "not JSON ("),
    ("[1, 2]", "[0]: input should be a valid dictionary"),
    ('{"rows": []}', "(the whole file): input should be a valid list"),
    ("[]", "holds no rows: nothing to select or report"),
])
def test_a_bad_ranking_json_is_refused_by_name(tmp_path, text, problem):
    from fer_edge_core.errors import UserInputError

    folder = _ranking_with(tmp_path, text)
    with pytest.raises(UserInputError) as error:
        read_ranking(folder)
    assert problem in str(error.value) and "ranking.json" in str(error.value)


def test_every_ranking_row_needs_the_fields_up_to_rank_pdp(tmp_path):
    from fer_edge_core.errors import UserInputError

    paths = write_paper_results(tmp_path / "results", "latency")
    rows = json.loads(merge_results(paths, tmp_path / "ranking", warn=print).read_text())
    good = rows[0]
    for dropped, named in ((["rank_pdp"], "rank_pdp"), (["stage", "rank_pdp"], "stage")):
        row = {k: v for k, v in good.items() if k not in dropped}
        folder = _ranking_with(tmp_path / named, json.dumps([good, row]))
        with pytest.raises(UserInputError, match=rf"\[1\]\.{named}: required field is missing"):
            read_ranking(folder)
    optional = {k: v for k, v in good.items() if k != "n_test"}  # after rank_pdp: optional
    assert read_ranking(_ranking_with(tmp_path / "ok", json.dumps([optional]))).rows == [optional]


def test_rows_say_where_power_came_from(tmp_path):
    path = write_results(tmp_path / "pi.json", "pi", [
        {"model_id": "k16-24", "accuracy": 97.0, "latency_ms": 2.0, "dynamic_power_w": 1.5},
        {"model_id": "k10-32", "accuracy": 96.0, "latency_ms": 2.5, "dynamic_power_w": 1.4},
        {"model_id": "k16-32", "accuracy": 95.0, "latency_ms": 2.6}], stage="power")
    data = json.loads(path.read_text())
    data["benchmarks"][0]["extra_info"]["power"] = {
        "status": "measured", "sensor": {"spec": "um34c-emulator", "stand_in": True}}
    data["benchmarks"][1]["extra_info"]["power"] = {"status": "partial", "sensor": "garbled"}
    path.write_text(json.dumps(data))
    rows = json.loads(merge_results([path], tmp_path / "r", warn=print).read_text())
    origin = {r["model_id"]: (r["power_status"], r["power_stand_in"]) for r in rows}
    assert origin == {"k16-24": ("measured", True), "k10-32": ("partial", False),
                      "k16-32": (None, None)}
    assert json.loads((tmp_path / "r" / "merge.json").read_text())["power_stand_in"] is True


def test_a_board_ranked_across_clocks_says_so(tmp_path):
    """Guards against ranking OpenVINO on its request's own clock against another backend's
    wall clock silently: the merge must say so once per board, keep each row's clock and wall
    median, and say nothing where one clock timed the board or no clock was recorded."""
    mixed = write_results(tmp_path / "laptop.json", "laptop", [
        {"model_id": "k10-32-44-56", "accuracy": 95.0, "latency_ms": 0.30, "backend": "openvino",
         "latency_clock": "openvino InferRequest.latency", "wall_latency_ms": 0.33},
        {"model_id": "k10-32-44-56", "accuracy": 95.0, "latency_ms": 0.32,
         "backend": "onnxruntime", "latency_clock": "wall", "wall_latency_ms": 0.32}])
    one = write_results(tmp_path / "pi.json", "pi", [
        {"model_id": "k12-22-48", "accuracy": 95.0, "latency_ms": 2.0, "backend": "tflite",
         "latency_clock": "wall", "wall_latency_ms": 2.0}])
    old = write_results(tmp_path / "nano.json", "nano", [
        {"model_id": "k12-22-48", "accuracy": 95.0, "latency_ms": 2.0, "backend": "openvino"},
        {"model_id": "k12-22-48", "accuracy": 95.0, "latency_ms": 2.0, "backend": "tflite",
         "latency_clock": "wall", "wall_latency_ms": 2.0}])
    warned: list[str] = []
    rows = json.loads(merge_results([mixed, one, old], tmp_path / "out",
                                    warn=warned.append).read_text())
    clock_lines = [w for w in warned if "different clocks" in w]
    assert clock_lines == [
        "warning: laptop ranks latencies taken on different clocks (openvino InferRequest."
        "latency: openvino; wall: onnxruntime): a runtime's own clock leaves out the Python "
        "call the wall clock holds; compare wall_latency_ms across backends"]
    openvino = next(r for r in rows if r["backend"] == "openvino" and r["device_label"] == "laptop")
    assert (openvino["latency_clock"], openvino["wall_latency_ms"]) == (
        "openvino InferRequest.latency", 0.33)
    assert next(r for r in rows if r["device_label"] == "nano" and r["backend"] == "openvino")[
        "latency_clock"] is None
    merged = json.loads((tmp_path / "out" / "merge.json").read_text())
    assert clock_lines[0] in merged["warnings"]
