"""`fer-edge data`: what it prints, and every bad input ending as `error: FILE: PROBLEM`, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from datasets_trees import balanced_ckplus, fer_pixels, make_ckplus, make_fer2013, make_folder

from fer_edge import cli

FER_EDGE = Path(sys.executable).with_name("fer-edge")


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run `fer-edge ARGS` in this process through the real entry point (cli.main)."""
    monkeypatch.setattr(sys, "argv", ["fer-edge", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_json_reports_classes_subjects_and_parts(monkeypatch, capsys, tmp_path):
    root = balanced_ckplus(tmp_path / "ck", subjects=6, last_frames=2)
    code, out, _ = run_cli(monkeypatch, capsys, "data", f"ck+:{root}", "--last-frames", "2",
                           "--train", "0.5", "--val", "0.25", "--test", "0.25", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["images"] == 6 * 7 * 2 and info["subjects"] == 6
    assert info["per_class"] == {name: 12 for name in info["class_names"]}
    assert info["split"] == {"rule": "subject", "train": 0.5, "val": 0.25, "test": 0.25,
                             "seed": 0}
    parts = info["parts"]
    assert sum(p["images"] for p in parts.values()) == info["images"]
    ids = [set(p["subject_ids"]) for p in parts.values()]
    assert set.union(*ids) == {f"S{i:03d}" for i in range(1, 7)}
    assert sum(len(s) for s in ids) == 6
    assert parts["train"]["subjects"] >= 2 and min(p["subjects"] for p in parts.values()) >= 1


def test_random_split_json_has_no_subject_ids(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "data", "synthetic:n=140,identities=10",
                           "--split", "random", "--seed", "3", "--json")
    info = json.loads(out)
    assert code == 0 and info["split"]["rule"] == "random"
    assert [p["images"] for p in info["parts"].values()] == [98, 21, 21]
    assert all("subject_ids" not in p for p in info["parts"].values())


def test_table_view_lists_counts_and_subjects(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "data", "synthetic:n=140,identities=10")
    assert code == 0
    assert "surprise" in out and "140" in out and "test subjects: synth-" in out


def _bad_ckplus_without_labels(tmp: Path) -> tuple[str, str, str]:
    root = make_ckplus(tmp / "ck", [(5, 1, 3, None)])
    return f"ck+:{root}", str(root), "no Emotion/ folder"


def _bad_ckplus_no_labelled_sequence(tmp: Path) -> tuple[str, str, str]:
    root = make_ckplus(tmp / "ck", [(5, 1, 3, None)])
    (root / "Emotion").mkdir()
    return f"ck+:{root}", str(root / "Emotion"), "no labelled sequence"


def _bad_ckplus_label_value(tmp: Path) -> tuple[str, str, str]:
    root = make_ckplus(tmp / "ck", [(5, 1, 3, 9)])
    return f"ck+:{root}", str(next((root / "Emotion").rglob("*.txt"))), "1-7"


def _bad_ckplus_label_nan(tmp: Path) -> tuple[str, str, str]:
    """Issue 9: a label file holding nan or inf ended in a ValueError/OverflowError traceback."""
    root = make_ckplus(tmp / "ck", [(5, 1, 3, 2)])
    label = next((root / "Emotion").rglob("*.txt"))
    label.write_text("   nan\n")
    return f"ck+:{root}", str(label), "whole number 1-7, got 'nan'"


def _bad_ckplus_missing_frames(tmp: Path) -> tuple[str, str, str]:
    root = make_ckplus(tmp / "ck", [(5, 1, 3, 2)])
    for frame in (root / "cohn-kanade-images/S005/001").iterdir():
        frame.unlink()
    return f"ck+:{root}", str(root / "cohn-kanade-images/S005/001"), "no image frames"


def _bad_csv_columns(tmp: Path) -> tuple[str, str, str]:
    path = tmp / "fer.csv"
    path.write_text(f"label,image\n0,{fer_pixels(1)}\n")
    return f"fer2013:{path}", str(path), "expected CSV columns emotion, pixels"


def _bad_csv_pixels(tmp: Path) -> tuple[str, str, str]:
    path = make_fer2013(tmp / "fer.csv", [0, 1, 2])
    lines = path.read_text().splitlines()
    lines[2] = "1,1 2 3,Training"
    path.write_text("\n".join(lines) + "\n")
    return f"fer2013:{path}", str(path), "line 3: pixels must be 2304"


def _bad_csv_emotion(tmp: Path) -> tuple[str, str, str]:
    path = make_fer2013(tmp / "fer.csv", [0, 7])
    return f"fer2013:{path}", str(path), "line 3: emotion must be an integer 0-6"


def _bad_image(tmp: Path) -> tuple[str, str, str]:
    root = make_folder(tmp / "f", {"anger": ["S001_001_01.png"]})
    broken = root / "anger" / "S002_001_01.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return f"folder:{root}", str(broken), "cannot read image"


def _too_few_images(tmp: Path) -> tuple[str, str, str]:
    root = make_folder(tmp / "f", {"anger": [f"S{i:03d}_1.png" for i in range(5)],
                                   "happy": ["S001_2.png", "S002_2.png"]})
    return f"folder:{root}", str(root), "class 'happy' has 2 subject(s)"


def _missing_path(tmp: Path) -> tuple[str, str, str]:
    return f"folder:{tmp / 'nowhere'}", str(tmp / "nowhere"), "no such dataset folder"


def _missing_csv(tmp: Path) -> tuple[str, str, str]:
    return f"fer2013:{tmp / 'fer.csv'}", str(tmp / "fer.csv"), "no such file"


def _unknown_prefix(tmp: Path) -> tuple[str, str, str]:
    return f"kdef:{tmp}", f"kdef:{tmp}", "unknown dataset spec prefix 'kdef'"


BAD_INPUTS = [_bad_ckplus_without_labels, _bad_ckplus_no_labelled_sequence,
              _bad_ckplus_label_value, _bad_ckplus_label_nan, _bad_ckplus_missing_frames,
              _bad_csv_columns, _bad_csv_pixels, _bad_csv_emotion, _bad_image, _too_few_images,
              _missing_path, _missing_csv, _unknown_prefix]


@pytest.mark.parametrize("make", BAD_INPUTS, ids=lambda f: f.__name__.strip("_"))
def test_bad_input_is_one_line_naming_the_file_exit_2(make, monkeypatch, capsys, tmp_path):
    spec, where, problem = make(tmp_path)
    code, out, err = run_cli(monkeypatch, capsys, "data", spec)
    assert code == 2, (out, err)
    assert err.startswith(f"error: {where}: "), err
    assert problem in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_split_options_exit_2(monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, "data", "synthetic:n=70", "--val", "0.5")
    assert code == 2 and err.startswith("error: --train/--val/--test: fractions must add up")
    code, _, err = run_cli(monkeypatch, capsys, "data", "synthetic:n=70", "--split", "lopo")
    assert code == 2 and err.startswith("error: --split: unknown split rule")


def test_installed_command_exits_2_on_a_missing_folder(tmp_path):
    """The real console script, in its own process (no in-process shortcuts)."""
    missing = tmp_path / "no-ck"
    proc = subprocess.run([str(FER_EDGE), "data", f"ck+:{missing}"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {missing}: no such CK+ folder"
