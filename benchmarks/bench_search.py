"""Stage-1 benchmark: does the search find good models, and does TPE beat random search?

At one trial budget (same data, split, epochs and trials), for each arm and seed it runs a
real `fer-edge search` into OUT/ARM/seedS (resumable: a killed benchmark run again continues)
and scores every trial on the test part too. Arms: `tpe` and `random` with the training recipe
(TrainSettings' defaults), and `old-tpe`, TPE with the recipe from before
(benchmarks/stage1_common.py). It prints and writes a Markdown table: trials at chance (as
fer_edge_search.chance defines it), best and median validation and test accuracy, seconds and
epochs a trial; then TPE's best against random search's best, seed by seed.

The default budget (16 trials of at most 8 epochs on 1,400 images of 280 people; TPE and random
search on 3 seeds, the old recipe on seed 0: 112 trials) is what 2 cores run in about half an
hour; it is smaller than the demo's (2,100 images of 700 people, 20 epochs), so its accuracies
are lower than the demo's. With TPE's 10 start-up trials, 6 of each TPE search's 16 are
modelled on the results: a larger --trials asks more of TPE.

Run (speed is measured here, never asserted in a test):
    .venv/bin/python benchmarks/bench_search.py --out runs/bench-search
(`make bench-search` runs that and rewrites benchmarks/search-results.md.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from stage1_common import OLD_RECIPE, publish

ARMS: dict[str, tuple[str, dict[str, Any]]] = {
    "tpe": ("tpe", {}),
    "random": ("random", {}),
    "old-tpe": ("tpe", OLD_RECIPE),
}


def run_arm(args: argparse.Namespace, arm: str, seed: int) -> list[dict[str, Any]]:
    """Run (or resume) one search; every finished trial's result with its test accuracy."""
    from fer_edge_search.algorithm import SearchSettings
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.runner import run_search

    algorithm, train_options = ARMS[arm]
    out = args.out / arm / f"seed{seed}"
    run_search(args.data, SplitSpec(rule=args.split), args.trials, args.epochs, args.trials,
               out, seed=seed, show_progress=False,
               search=SearchSettings(algorithm=algorithm), **train_options)
    return score_trials(out)


def score_trials(run_dir: Path) -> list[dict[str, Any]]:
    """Each ok trial of a finished run: its result.json plus test accuracy and at-chance flag."""
    import keras

    from fer_edge_search.chance import at_chance
    from fer_edge_search.export.writer import load_split, run_input_scaling
    from fer_edge_search.train import accuracy_percent
    from fer_edge_search.trial_store import RunStore

    store = RunStore(run_dir)
    run = json.loads(store.run_json.read_text())
    split = load_split(run, store.run_json)
    scaling = run_input_scaling(run, store.run_json)
    (x_test, y_test), y_val = split.part("test"), split.part("val")[1]
    n_classes = len(split.dataset.class_names)
    scored = []
    for result in sorted(store.load_records(), key=lambda r: r["trial_id"]):
        if result["status"] != "ok":
            continue
        model = keras.models.load_model(run_dir / result["model_path"], compile=False)
        result["test_accuracy"] = accuracy_percent(model, scaling.apply(x_test), y_test)
        result["at_chance"] = at_chance(result["val_accuracy"], y_val, n_classes)
        scored.append(result)
    return scored


def best(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The trial the search would pick: highest validation accuracy (its test accuracy is the
    honest figure)."""
    return max(trials, key=lambda t: (t["val_accuracy"], -t["trial_id"]))


def arm_row(arm: str, runs: dict[int, list[dict[str, Any]]]) -> str:
    every = [t for trials in runs.values() for t in trials]
    chance = sum(t["at_chance"] for t in every)
    picks = [best(trials) for trials in runs.values()]
    cells = [
        arm, f"{len(runs)} x {len(every) // max(1, len(runs))}",
        f"{chance} ({100 * chance / max(1, len(every)):.0f}%)",
        _spread([p["val_accuracy"] for p in picks]),
        _spread([statistics.median(t["val_accuracy"] for t in tr) for tr in runs.values()]),
        _spread([p["test_accuracy"] for p in picks]),
        _spread([statistics.median(t["test_accuracy"] for t in tr) for tr in runs.values()]),
        f"{statistics.mean(t['trial_seconds'] for t in every):.1f}",
        f"{statistics.mean(t['epochs_run'] for t in every):.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def _spread(values: list[float]) -> str:
    """`mean (min-max)` over seeds."""
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def tables(results: dict[str, dict[int, list[dict[str, Any]]]]) -> str:
    lines = ["| arm | seeds x trials | trials at chance | best val % | median val % | "
             "test % of best-val model | median test % | s / trial | epochs / trial |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [arm_row(arm, runs) for arm, runs in results.items()]
    if "tpe" in results and "random" in results:
        lines += ["", "| seed | TPE best val % (test %) | random best val % (test %) | "
                  "TPE ahead by (val points) |", "|---:|---:|---:|---:|"]
        for seed in sorted(set(results["tpe"]) & set(results["random"])):
            tpe, rnd = best(results["tpe"][seed]), best(results["random"][seed])
            lines.append(f"| {seed} | {tpe['val_accuracy']:.1f} ({tpe['test_accuracy']:.1f}) |"
                         f" {rnd['val_accuracy']:.1f} ({rnd['test_accuracy']:.1f}) | "
                         f"{tpe['val_accuracy'] - rnd['val_accuracy']:+.1f} |")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="synthetic:n=1400,identities=280")
    parser.add_argument("--split", default="subject", choices=("subject", "random"))
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--old-seeds", default="0", help="seeds of the old-recipe arm (it "
                        "measures the recipe before, not TPE against random: one seed saves "
                        "a third of the run); empty: --seeds")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--out", type=Path, default=Path("runs/bench-search"))
    parser.add_argument("--md", type=Path, help="also write the tables here (Markdown)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    load_start = os.getloadavg()[0]
    results: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for arm in args.arms.split(","):
        seeds = args.old_seeds if arm.startswith("old-") and args.old_seeds else args.seeds
        for seed in (int(s) for s in seeds.split(",")):
            results.setdefault(arm, {})[seed] = run_arm(args, arm, seed)
            print(f"{arm} seed {seed}: done, load average {os.getloadavg()[0]:.1f}", flush=True)
    (args.out / "scored.json").write_text(json.dumps(results, indent=1))
    head = (f"{args.data} ({args.split} split), {args.trials} trials of at most {args.epochs} "
            f"epochs per search, seeds {args.seeds} (old-recipe arm: "
            f"{args.old_seeds or args.seeds}); load average {load_start:.1f} at the start "
            f"of this run, {os.getloadavg()[0]:.1f} at its end (seconds a trial grow with the "
            "load, and a resumed search keeps the seconds its trials took when they ran)")
    text = f"{head}\n\n{tables(results)}\n"
    return publish(text, args.md)


if __name__ == "__main__":
    raise SystemExit(main())
