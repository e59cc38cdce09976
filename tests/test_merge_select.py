"""Selection: per-board next-stage bundles, verified, recording their parent and the ranking."""


import pytest
from merge_factory import STAGE2, run_cli, stage2_ranking, write_bundle

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import BundleError, verify_bundle
from fer_edge_merge.select import select_models


@pytest.fixture
def stage2(tmp_path):
    """A bundle of the paper's models and a stage-2 ranking measured on it."""
    bundle, digest, _, ranking = stage2_ranking(tmp_path)
    return bundle, digest, ranking


def test_select_writes_verified_bundles_with_parent(stage2, tmp_path):
    bundle, digest, ranking = stage2
    written = select_models(ranking, "latency", 2, bundle, tmp_path / "stage3")
    assert sorted(written) == sorted(STAGE2)
    for label, folder in written.items():
        assert folder == tmp_path / "stage3" / label
        manifest = verify_bundle(folder)
        expected = [e[0] for e in sorted(STAGE2[label], key=lambda e: -e[1] / e[2])[:2]]
        assert [m["id"] for m in manifest["models"]] == expected
        assert manifest["parent"]["bundle_sha256"] == digest
        assert (folder / manifest["parent"]["path"]).resolve() == bundle.resolve()
        selection = manifest["selection"]
        assert (selection["by"], selection["top"], selection["device_label"]) == \
            ("latency", 2, label)
        assert (folder / selection["ranking"]).resolve() == (ranking / "ranking.json").resolve()
        assert [m["rank"] for m in selection["models"]] == [1, 2]
        # Only the chosen models' files travel, OpenVINO's .bin included.
        ids = {p.name for p in folder.iterdir() if p.is_dir()}
        assert ids == set(expected)
        assert (folder / expected[0] / "model.bin").read_bytes() == \
            f"{expected[0]}/model.bin".encode()
    coral = verify_bundle(written["coral-dev"])
    assert [m["id"] for m in coral["models"]] == ["k16-32", "k18-24"]


def test_select_again_replaces_the_previous_selection(stage2, tmp_path):
    bundle, _, ranking = stage2
    select_models(ranking, "latency", 3, bundle, tmp_path / "next")
    written = select_models(ranking, "accuracy", 1, bundle, tmp_path / "next")
    manifest = verify_bundle(written["pi"])
    # Two models tie at 99.49 %: top 1 keeps the first by model id.
    assert [m["id"] for m in manifest["models"]] == ["k10-32-44-56"]
    assert not (written["pi"] / "k16-24").exists()


def test_models_absent_from_the_bundle_are_refused(stage2, tmp_path):
    _, _, ranking = stage2
    small = write_bundle(tmp_path / "small", {"k16-24": {"blocks": 2, "kernels": [16, 24]}})
    with pytest.raises(UserInputError) as error:
        select_models(ranking, "latency", 2, small, tmp_path / "out")
    assert error.value.where == str(small / "manifest.json")
    assert "are not in this bundle" in error.value.problem
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_pdp_without_power_is_refused_with_a_hint(stage2, tmp_path, monkeypatch, capsys):
    bundle, _, ranking = stage2
    assert run_cli(monkeypatch, "select", str(ranking), "--by", "pdp", "--top", "1",
                   "--bundle", str(bundle), "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {ranking / 'ranking.json'}: no model is ranked by Accuracy/PDP")
    assert "select --by latency" in err


def test_a_tampered_parent_bundle_is_refused(stage2, tmp_path):
    bundle, _, ranking = stage2
    (bundle / "k16-24" / "model.tflite").write_bytes(b"changed")
    with pytest.raises(BundleError):
        select_models(ranking, "latency", 1, bundle, tmp_path / "out")


def test_cli_select_prints_each_board(stage2, tmp_path, monkeypatch, capsys):
    bundle, _, ranking = stage2
    assert run_cli(monkeypatch, "select", str(ranking), "--by", "latency", "--top", "1",
                   "--bundle", str(bundle), "--out", str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert f"coral-dev: {tmp_path / 'out' / 'coral-dev'}" in out
    assert verify_bundle(tmp_path / "out" / "coral-dev")["models"][0]["id"] == "k16-32"
