"""Search space: exact size, file checks (through the CLI), and Hyperopt sampling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_edge_core.errors import UserInputError
from fer_edge_search.space import DEFAULT_SPACE_PATH, load_space

TINY = {
    "schema_version": 1,
    "blocks": [1, 2],
    "kernels": [{"min": 4, "max": 8, "step": 4}, {"min": 3, "max": 9, "step": 3},
                {"min": 5, "max": 5, "step": 1}],
    "fc1": {"min": 10, "max": 11, "step": 1},
    "fc2": {"min": 7, "max": 7, "step": 1},
    "dropout1": {"min": 0.1, "max": 0.12, "step": 0.01},
    "dropout2": {"min": 0.2, "max": 0.2, "step": 0.05},
}


def write_space(tmp_path: Path, space: dict, name: str = "space.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(space))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    code = "from fer_edge.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def test_default_space_size_is_the_documented_literal():
    # 5*7 + 5*7*4 + 5*7*4*9 kernel choices = 1435; x 5 fc1 x 5 fc2 x 21 x 21 dropouts.
    assert load_space().size == 15_820_875
    assert load_space().size > 13_000_000  # the paper's "over 13 million"


def test_size_matches_brute_force_on_a_tiny_space(tmp_path):
    space = load_space(write_space(tmp_path, TINY))
    configs = list(space.iter_configs())
    unique = {json.dumps(c, sort_keys=True) for c in configs}
    # 1 block: 2 kernels; 2 blocks: 2*3 = 6; times fc1 2, fc2 1, dropout1 3, dropout2 1.
    assert space.size == len(configs) == len(unique) == (2 + 6) * 2 * 3
    assert {c["dropout1"] for c in configs} == {0.1, 0.11, 0.12}


def test_dimensions_list_every_value_of_the_default_space():
    dims = {d["name"]: d for d in load_space().dimensions()}
    assert dims["blocks"]["values"] == [2, 3, 4]
    assert dims["K3"]["values"] == [36, 40, 44, 48]
    assert dims["K3"]["used_with_blocks"] == [3, 4]
    assert dims["fc2"]["values"] == [80, 85, 90, 95, 100]
    assert dims["dropout1"]["values"][:3] == [0.1, 0.11, 0.12]
    assert len(dims["dropout2"]["values"]) == 21 and dims["dropout2"]["values"][-1] == 0.3


def test_default_space_holds_every_table3_configuration():
    space = load_space()
    table3 = [([10, 32, 44, 56], 115, 0.1, 100, 0.17), ([12, 22, 48], 100, 0.12, 85, 0.15),
              ([16, 24], 100, 0.2, 80, 0.14), ([10, 32], 120, 0.29, 80, 0.19),
              ([12, 24, 36], 100, 0.12, 100, 0.1), ([16, 32], 115, 0.21, 85, 0.17),
              ([10, 28], 120, 0.11, 85, 0.18), ([18, 24], 110, 0.15, 95, 0.29)]
    dims = {d["name"]: d["values"] for d in space.dimensions()}
    for kernels, fc1, d1, fc2, d2 in table3:
        assert len(kernels) in dims["blocks"]
        for i, k in enumerate(kernels):
            assert k in dims[f"K{i + 1}"], (kernels, i)
        assert fc1 in dims["fc1"] and fc2 in dims["fc2"]
        assert d1 in dims["dropout1"] and d2 in dims["dropout2"]


def test_cli_space_prints_size_and_json():
    text = run_cli("space")
    assert text.returncode == 0, text.stderr
    assert "15,820,875" in text.stdout and "K4" in text.stdout
    as_json = run_cli("space", "--json")
    assert json.loads(as_json.stdout)["size"] == 15_820_875


BAD_SPACES = [
    ({"fc1": {"min": 120, "max": 100, "step": 5}}, "fc1: empty range"),
    ({"fc2": {"min": 80, "max": 100, "step": 0}}, "fc2: empty range, step must be > 0"),
    ({"blocks": []}, "blocks: needs a non-empty list"),
    ({"blocks": [2, 5]}, "kernels: needs one range per block position up to 5 blocks"),
    ({"dropout2": {"min": 0.1, "max": 1.0, "step": 0.1}}, "dropout2: dropout must lie in [0, 1)"),
    ({"kernels": [{"min": 4, "max": 8}] * 4}, "kernels[0]: needs an object with min, max"),
    ({"fc1": {"min": 1.5, "max": 3, "step": 1}}, "fc1: min, max and step must be integers"),
    # Issue 9: sizes without limits (on main these hung `fer-edge space` listing 10**12 or
    # 10**299 values, or trained a 10**12-wide layer).
    ({"fc1": {"min": 100, "max": 10**12, "step": 5}}, "fc1: widths must be <= 4096"),
    ({"dropout1": {"min": 0.1, "max": 0.3, "step": 1e-300}},
     "dropout1: 0.1..0.3 step 1e-300 has more than 10,000 values"),
    ({"dropout2": {"min": 0.1, "max": 0.3, "step": float("nan")}},
     "dropout2: min, max and step must be numbers"),
]


@pytest.mark.parametrize(("change", "message"), BAD_SPACES)
def test_bad_space_file_is_one_line_naming_file_and_field(tmp_path, change, message):
    raw = json.loads(DEFAULT_SPACE_PATH.read_text())
    path = write_space(tmp_path, {**raw, **change}, name="my-space.json")
    with pytest.raises(UserInputError) as err:
        load_space(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_bad_space_through_cli_exits_2_without_traceback(tmp_path):
    raw = json.loads(DEFAULT_SPACE_PATH.read_text())
    path = write_space(tmp_path, {**raw, "fc1": {"min": 120, "max": 100, "step": 5}}, "bad.json")
    done = run_cli("space", "--space", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {path}: fc1: empty range, min 120 > max 100"
    missing = run_cli("space", "--space", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json: no such space file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    done = run_cli("space", "--space", str(broken))
    assert done.returncode == 2 and "broken.json: not valid JSON" in done.stderr


def test_sampled_configs_are_valid_and_on_the_grid():
    from hyperopt.pyll.stochastic import sample

    space = load_space()
    dims = {d["name"]: d["values"] for d in space.dimensions()}
    expr = space.hyperopt_space()
    rng = np.random.default_rng(0)
    seen_blocks = set()
    for _ in range(300):
        config = space.to_config(sample(expr, rng=rng))
        assert config["blocks"] == len(config["kernels"])
        seen_blocks.add(config["blocks"])
        for i, k in enumerate(config["kernels"]):
            assert type(k) is int and k in dims[f"K{i + 1}"]
        for name in ("fc1", "fc2"):
            assert type(config[name]) is int and config[name] in dims[name]
        for name in ("dropout1", "dropout2"):
            assert config[name] in dims[name]  # exact: 0.13, not 0.13000000000000003
    assert seen_blocks == {2, 3, 4}


def test_sampling_reaches_every_configuration_of_a_tiny_space(tmp_path):
    from hyperopt.pyll.stochastic import sample

    space = load_space(write_space(tmp_path, TINY))
    expr = space.hyperopt_space()
    rng = np.random.default_rng(1)
    drawn = {json.dumps(space.to_config(sample(expr, rng=rng)), sort_keys=True)
             for _ in range(1500)}
    every = {json.dumps(c, sort_keys=True) for c in space.iter_configs()}
    assert drawn == every


def test_space_eval_of_a_tpe_assignment_gives_a_config():
    from hyperopt import space_eval

    space = load_space()
    # What fmin stores in trials: index values per label (floats from quniform).
    assignment = {"blocks": 1, "K1": 1.0, "K2": 1.0, "K3_of_3_blocks": 3.0, "fc1": 0.0,
                  "fc2": 1.0, "dropout1": 2.0, "dropout2": 5.0}
    config = space.to_config(space_eval(space.hyperopt_space(), assignment))
    assert config == {"blocks": 3, "kernels": [12, 22, 48], "fc1": 100, "fc2": 85,
                      "dropout1": 0.12, "dropout2": 0.15}
