"""Ablation of the stage-1 training recipe: what each of its choices changes, measured.

Trains fixed configurations of the space (the shallowest, the deepest, thin and wide ones)
under the full recipe (TrainSettings' defaults), the recipe with one choice undone at a time,
and the old recipe, on one dataset and split; prints a Markdown table of train / validation /
test accuracy, the epoch at which validation accuracy first left chance, epochs run and
seconds per epoch, and writes every run (with its per-epoch history) as JSON.

By default on the data and epochs of `make demo` (fer_edge.pipeline.options.DemoOptions).
Run (speed is measured here, never asserted in a test):
    .venv/bin/python benchmarks/recipe_ablation.py --out runs/recipe-ablation.json \\
        --md benchmarks/recipe-ablation.md      (`make bench-recipe`)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from stage1_common import VARIANTS, publish

CONFIGS: dict[str, dict[str, Any]] = {
    "2b-16/32": {"blocks": 2, "kernels": [16, 32], "fc1": 115, "fc2": 85,
                 "dropout1": 0.1, "dropout2": 0.17},
    "3b-14/26/44": {"blocks": 3, "kernels": [14, 26, 44], "fc1": 110, "fc2": 90,
                    "dropout1": 0.2, "dropout2": 0.2},
    "4b-thin": {"blocks": 4, "kernels": [10, 20, 36, 48], "fc1": 100, "fc2": 80,
                "dropout1": 0.3, "dropout2": 0.3},
    "4b-wide": {"blocks": 4, "kernels": [18, 32, 48, 64], "fc1": 120, "fc2": 100,
                "dropout1": 0.1, "dropout2": 0.1},
}

def left_chance_epoch(val_acc: list[float], chance: float) -> int | None:
    """The first epoch (1-based) whose validation accuracy is above `chance`, or None."""
    for epoch, acc in enumerate(val_acc, start=1):
        if acc > chance:
            return epoch
    return None


def run_one(name: str, variant: str, split: Any, epochs: int, seed: int,
            overrides: dict[str, Any]) -> dict[str, Any]:
    """Train CONFIGS[name] under VARIANTS[variant] (then `overrides`); accuracies in percent."""
    from fer_edge_search.chance import chance_threshold
    from fer_edge_search.train import TrainSettings, accuracy_percent, input_scaling, train_config

    settings = replace(TrainSettings(epochs=epochs), **{**VARIANTS[variant], **overrides})
    train, val, test = split.part("train"), split.part("val"), split.part("test")
    scaling = input_scaling(train[0], settings)
    started = time.perf_counter()
    res = train_config(CONFIGS[name], train, val, settings, seed=seed,
                       n_classes=len(split.dataset.class_names), scaling=scaling)
    wall = time.perf_counter() - started
    threshold = chance_threshold(val[1], len(split.dataset.class_names))
    val_curve = [100 * a for a in res.history["val_accuracy"]]
    return {
        "config": name, "variant": variant, "settings": settings.as_dict(), "seed": seed,
        "train_acc": accuracy_percent(res.model, scaling.apply(train[0]), train[1]),
        "val_acc": res.val_accuracy,
        "test_acc": accuracy_percent(res.model, scaling.apply(test[0]), test[1]),
        "left_chance_epoch": left_chance_epoch(val_curve, threshold),
        "chance_threshold": threshold, "epochs_run": res.epochs_run,
        "train_seconds": res.train_seconds, "wall_seconds": wall,
        "s_per_epoch": res.train_seconds / max(1, res.epochs_run), "val_curve": val_curve,
    }


def _fmt(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(runs: list[dict[str, Any]]) -> str:
    """Markdown: one row per (variant, config), then each variant's means."""
    head = ("| variant | config | train % | val % | test % | left chance at epoch | "
            "epochs run | s/epoch |\n|---|---|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in runs:
        lines.append(f"| {r['variant']} | {r['config']} | {_fmt(r['train_acc'])} | "
                     f"{_fmt(r['val_acc'])} | {_fmt(r['test_acc'])} | "
                     f"{r['left_chance_epoch'] or 'never'} | {r['epochs_run']} | "
                     f"{_fmt(r['s_per_epoch'], 2)} |")
    lines += ["", "| variant | mean val % | mean test % | min test % | at chance | "
              "mean epochs run |", "|---|---:|---:|---:|---:|---:|"]
    for variant in dict.fromkeys(r["variant"] for r in runs):
        mine = [r for r in runs if r["variant"] == variant]
        stuck = sum(r["left_chance_epoch"] is None for r in mine)
        lines.append(f"| {variant} | {_fmt(np.mean([r['val_acc'] for r in mine]))} | "
                     f"{_fmt(np.mean([r['test_acc'] for r in mine]))} | "
                     f"{_fmt(min(r['test_acc'] for r in mine))} | {stuck} of {len(mine)} | "
                     f"{_fmt(np.mean([r['epochs_run'] for r in mine]))} |")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    from fer_edge.pipeline.options import DemoOptions

    demo = DemoOptions()  # by default, the data and epochs `make demo` trains with
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=demo.data)
    parser.add_argument("--split", default=demo.split, choices=("subject", "random"))
    parser.add_argument("--epochs", type=int, default=demo.epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--configs", default="2b-16/32,4b-thin,4b-wide")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a TrainSettings field set on top of every variant (repeatable)")
    parser.add_argument("--out", type=Path, help="JSON file of every run (rewritten after each)")
    parser.add_argument("--md", type=Path, help="also write the tables here (Markdown)")
    return parser.parse_args(argv)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`learning_rate=2e-3` -> {"learning_rate": 0.002}: values read as JSON, else text."""
    out: dict[str, Any] = {}
    for item in items:
        key, _, raw = item.partition("=")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def main(argv: list[str] | None = None) -> int:
    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec

    args = parse_args(sys.argv[1:] if argv is None else argv)
    split = split_dataset(load_dataset(args.data), SplitSpec(rule=args.split))
    runs: list[dict[str, Any]] = []
    overrides = parse_overrides(args.set)
    meta = {"data": args.data, "split": args.split, "epochs": args.epochs, "set": overrides,
            "n_train": len(split.train_idx), "n_val": len(split.val_idx),
            "n_test": len(split.test_idx), "load_average_start": os.getloadavg()}
    for variant in args.variants.split(","):
        for name in args.configs.split(","):
            runs.append(run_one(name, variant, split, args.epochs, args.seed, overrides))
            r = runs[-1]
            print(f"{variant:>16} {name:>12}: train {r['train_acc']:5.1f} val {r['val_acc']:5.1f}"
                  f" test {r['test_acc']:5.1f} left chance at {r['left_chance_epoch']} "
                  f"epochs {r['epochs_run']} {r['s_per_epoch']:.2f} s/epoch", flush=True)
            if args.out:
                meta["load_average_end"] = os.getloadavg()
                args.out.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    load = meta["load_average_start"][0]
    text = (f"{args.data} ({args.split} split, {meta['n_train']} training images), at most "
            f"{args.epochs} epochs, seed {args.seed}; load average {load:.1f} at the start"
            f"\n\n{table(runs)}\n")
    return publish(text, args.md)


if __name__ == "__main__":
    raise SystemExit(main())
