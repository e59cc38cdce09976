"""Results, rankings and reports under hostile but fair input (issue 9, items 6, 7 and 11).

Fails on the main this branch started from: a NaN latency was ranked first (fitness NaN),
`select` picked it and `report` died half way leaving PNGs and no index.html; Infinity was
accepted; a partial results file (fer_edge.complete false) merged without a word; wrongly typed
fields of results files, ranking.json, merge.json and failures.json ended in tracebacks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from merge_factory import REAL_FILE, STAGE2, run_cli, write_bundle, write_paper_results

from fer_edge_merge import figures
from fer_edge_merge.ranking import merge_results
from fer_edge_merge.report import write_report


def _edit(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))  # json writes NaN and Infinity as Python does
    return path


def _one_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.fixture
def paper(tmp_path) -> tuple[Path, list[Path]]:
    bundle = write_bundle(tmp_path / "bundle")
    digest = json.loads((bundle / "manifest.json").read_text())["bundle_sha256"]
    return bundle, write_paper_results(tmp_path / "results", "latency", bundle_sha256=digest)


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("latency_ms", float("nan"), "benchmarks[0].extra_info.latency_ms is NaN"),
    ("latency_ms", float("inf"), "benchmarks[0].extra_info.latency_ms is Infinity"),
    ("accuracy", float("-inf"), "benchmarks[0].extra_info.accuracy is -Infinity"),
    ("dynamic_power_w", float("nan"), "benchmarks[0].extra_info.dynamic_power_w is NaN"),
])
def test_merge_refuses_non_finite_numbers_by_file_and_field(paper, tmp_path, monkeypatch, capsys,
                                                            field, value, shown):
    _, paths = paper
    _edit(paths[0], lambda d: d["benchmarks"][0]["extra_info"].update({field: value}))
    assert run_cli(monkeypatch, "merge", *map(str, paths), "--out", str(tmp_path / "m")) == 2
    assert _one_line(capsys) == f"error: {paths[0]}: {shown}: only finite numbers are accepted"
    assert not (tmp_path / "m").exists()


def test_select_and_report_refuse_a_hand_edited_nan_ranking(paper, tmp_path, monkeypatch, capsys):
    bundle, paths = paper
    merge_results(paths, tmp_path / "m", bundles=[bundle], warn=print)
    ranking = tmp_path / "m" / "ranking.json"
    _edit(ranking, lambda rows: rows[3].update(latency_ms=float("nan"), fit_latency=float("nan")))
    for args in (["select", str(tmp_path / "m"), "--bundle", str(bundle), "--out",
                  str(tmp_path / "s")], ["report", str(tmp_path / "m"), "--out",
                                         str(tmp_path / "r")]):
        assert run_cli(monkeypatch, *args) == 2
        assert _one_line(capsys) == (f"error: {ranking}: [3].latency_ms is NaN: only finite "
                                     "numbers are accepted")
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()


def test_a_report_is_written_whole_or_not_at_all(paper, tmp_path, monkeypatch):
    bundle, paths = paper
    merge_results(paths, tmp_path / "m", bundles=[bundle], warn=print)
    index = write_report(tmp_path / "m", tmp_path / "r")
    before = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()}

    def broken(*_args, **_kwargs):
        raise RuntimeError("a figure failed half way")

    monkeypatch.setattr(figures, "pareto_figure", broken)
    with pytest.raises(RuntimeError):
        write_report(tmp_path / "m", tmp_path / "r")
    assert {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()} == before
    with pytest.raises(RuntimeError):
        write_report(tmp_path / "m", tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert index.is_file()


def test_report_will_not_replace_a_folder_it_did_not_make(paper, tmp_path, monkeypatch, capsys):
    bundle, paths = paper
    merge_results(paths, tmp_path / "m", bundles=[bundle], warn=print)
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    for out, problem in ((mine, "holds files that are not a fer-edge report (thesis.tex)"),
                         (tmp_path / "m", "is the ranking folder itself")):
        assert run_cli(monkeypatch, "report", str(tmp_path / "m"), "--out", str(out)) == 2
        assert _one_line(capsys) == f"error: {out}: {problem}" + \
            (": will not replace it; give an empty or new --out" if out == mine else
             ": give the report its own --out")
    assert (mine / "thesis.tex").read_text() == "mine"
    assert (tmp_path / "m" / "ranking.json").is_file()


def test_partial_results_are_warned_by_file_and_marked(paper, tmp_path, monkeypatch, capsys):
    bundle, paths = paper
    cut = _edit(paths[0], lambda d: d["fer_edge"].update(complete=False))
    board = json.loads(cut.read_text())["fer_edge"]["device_label"]
    assert run_cli(monkeypatch, "merge", *map(str, paths), "--bundle", str(bundle),
                   "--out", str(tmp_path / "m")) == 0
    err = capsys.readouterr().err
    assert err.count("warning: ") == 1 and f"warning: {cut}: partial results: " in err
    rows = json.loads((tmp_path / "m" / "ranking.json").read_text())
    assert {r["device_label"] for r in rows if r["partial_run"]} == {board}
    assert sum(r["partial_run"] for r in rows) == len(STAGE2[board])
    assert "(partial run)" in (tmp_path / "m" / "ranking.md").read_text()
    sources = json.loads((tmp_path / "m" / "merge.json").read_text())["sources"]
    assert [s["complete"] for s in sources if s["path"] == str(cut)] == [False]
    page = write_report(tmp_path / "m", tmp_path / "r").read_text()
    assert f"Results of runs that did not finish, from {cut}" in page
    assert f"{STAGE2[board][0][0]} (partial run)" in page  # its best model, marked in tables
    assert "(partial: the run did not finish)" in page


def _results_change(name: str):
    changes = {
        "extra-list": lambda d: d["benchmarks"][0].update(extra_info=[1, 2]),
        "benchmarks-object": lambda d: d.update(benchmarks={"a": 1}),
        "failures-string": lambda d: d["fer_edge"].update(failures="boom"),
        "stage-unknown": lambda d: d["benchmarks"][0]["extra_info"].update(stage="idle"),
        "hardware-string": lambda d: d["benchmarks"][0]["extra_info"].update(hardware="pi"),
        "stats-list": lambda d: d["benchmarks"][0].update(stats=[1]),
        "datetime-number": lambda d: d.update(datetime=5),
        "accuracy-percent": lambda d: d["benchmarks"][0]["extra_info"].update(accuracy=101),
    }
    return changes[name]


@pytest.mark.parametrize(("name", "field"), [
    ("extra-list", "benchmarks[0].extra_info: input should be a valid dictionary"),
    ("benchmarks-object", "benchmarks: input should be a valid list"),
    ("failures-string", "fer_edge.failures: input should be a valid list"),
    ("stage-unknown", "benchmarks[0].extra_info.stage: input should be 'latency' or 'power'"),
    ("hardware-string", "benchmarks[0].extra_info.hardware: input should be a valid dictionary"),
    ("stats-list", "benchmarks[0].stats: input should be a valid dictionary"),
    ("datetime-number", "datetime: input should be a valid string"),
    ("accuracy-percent", "benchmarks[0].extra_info.accuracy: input should be less than or equal"),
])
def test_wrongly_typed_results_are_one_line(tmp_path, monkeypatch, capsys, name, field):
    path = _edit(Path(shutil.copy(REAL_FILE, tmp_path / f"{name}.json")), _results_change(name))
    assert run_cli(monkeypatch, "merge", str(path), "--out", str(tmp_path / "m")) == 2
    assert _one_line(capsys).startswith(f"error: {path}: {field}")


@pytest.mark.parametrize(("file", "change", "field"), [
    ("ranking.json", lambda d: d.__setitem__(0, "row"), "[0]: input should be a valid dictionary"),
    ("ranking.json", lambda d: d[0].update(accuracy="97"), "[0].accuracy: input should be a valid"),
    ("ranking.json", lambda d: d[1].pop("rank_latency"), "[1].rank_latency: required field"),
    ("merge.json", lambda d: d.update(sources="all"), "sources: input should be a valid list"),
    ("merge.json", lambda d: d["sources"][0].pop("path"), "sources[0].path: required field"),
    ("failures.json", lambda d: d.update(failures=[7]), "failures[0]: input should be a valid"),
])
def test_wrongly_typed_ranking_files_are_one_line(paper, tmp_path, monkeypatch, capsys, file,
                                                  change, field):
    bundle, paths = paper
    merge_results(paths, tmp_path / "m", bundles=[bundle], warn=print)
    _edit(tmp_path / "m" / file, change)
    for args in (["report", str(tmp_path / "m"), "--out", str(tmp_path / "r")],
                 ["select", str(tmp_path / "m"), "--bundle", str(bundle), "--out",
                  str(tmp_path / "s")]):
        assert run_cli(monkeypatch, *args) == 2
        assert _one_line(capsys).startswith(f"error: {tmp_path / 'm' / file}: {field}")


def test_the_results_schema_requires_exactly_the_harness_field_list():
    """schemas.ExtraInfo and results_schema.REQUIRED_EXTRA_INFO cannot drift apart."""
    from fer_edge_harness.results_schema import REQUIRED_EXTRA_INFO
    from fer_edge_merge.schemas import ExtraInfo

    required = {name for name, spec in ExtraInfo.model_fields.items() if spec.is_required()}
    assert required == set(REQUIRED_EXTRA_INFO)
