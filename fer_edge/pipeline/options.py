"""What a demo run is asked to do (DemoOptions, presets) and where each stage writes (DemoPaths).

Pure: no TensorFlow, no files read. The demo treats every backend of this machine as a "board"
with its own device label (`host-tflite`, `host-onnxruntime`, ...), because the merge tool
ranks within a device label and the paper picks a model per board.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.limits import check_count
from fer_edge_harness.settings import DEFAULT_MAX_WARMUP_S, DEFAULT_MIN_TIME_S

# The backends a plain x86-64 host has (docs/runtimes.md, "Backends"): LiteRT fp32 and int8, ONNX
# Runtime, OpenVINO on the CPU, Keras as the training framework's reference.
HOST_BACKENDS = ("tflite", "tflite-int8", "onnxruntime", "openvino", "keras")
DEVICE_LABEL_PREFIX = "host-"
NO_SENSOR = "none"


@dataclass(frozen=True)
class DemoOptions:
    """Sizes and settings of one demo run. The defaults fit in 10 minutes on a quiet
    2-core x86-64 machine (see fer_edge/pipeline/budget.py); the paper's sizes are
    trials=1000, stage1_top=1000, stage2_top=10, power_seconds=180. `baselines` adds the
    paper's Table 4 baselines (fer_edge_search.baselines), trained on the search's split with
    its recipe, to the bundle, both stages and the report's Table 4.

    Why these: on the synthetic data a model generalises with the number of people it saw,
    not with epochs, so the demo trains on 2,100 images of 700 people (1,470 training
    images); 20 epochs bring the ablation's four-block models to 83-88% test accuracy and its
    smallest to 87% (docs/training.md), 8 trials of that fill about five and a half minutes,
    and the top 5 are bundled (about 5 s a model for every format). Measured: 6 min 54 s in
    all, 89-91% test accuracy per board (README, "What a trial and the demo cost")."""

    data: str = "synthetic:n=2100,identities=700"
    trials: int = 8
    epochs: int = 20
    stage1_top: int = 5
    stage2_top: int = 3
    backends: tuple[str, ...] = HOST_BACKENDS
    rounds: int = 40
    warmup_rounds: int = 10
    min_time_s: float = DEFAULT_MIN_TIME_S  # the harness's defaults (README, "Fidelity")
    max_warmup_s: float = DEFAULT_MAX_WARMUP_S
    threads: int | None = None
    seed: int = 0
    split: str = "subject"
    power_sensor: str = NO_SENSOR
    power_seconds: int = 180
    baselines: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "backends": list(self.backends)}


# `fer-edge demo --quick` and the end-to-end test: every stage, in about a minute.
QUICK = DemoOptions(data="synthetic:n=350", trials=2, epochs=1, stage1_top=2, stage2_top=1,
                    backends=("tflite", "onnxruntime"), rounds=3, warmup_rounds=1,
                    min_time_s=0.2, max_warmup_s=0.5)


def with_overrides(base: DemoOptions, **overrides: Any) -> DemoOptions:
    """`base` with every override that is not None (a command-line option left unset)."""
    known = {f.name for f in fields(DemoOptions)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown demo option(s): {', '.join(unknown)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(given.get("backends"), str):
        given["backends"] = parse_backend_list(given["backends"])
    elif "backends" in given:
        given["backends"] = tuple(given["backends"])
    return replace(base, **given)


def parse_backend_list(text: str) -> tuple[str, ...]:
    """`tflite,onnxruntime` (or `all`: every host backend) as a tuple, in the order given."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    return HOST_BACKENDS if names == ["all"] else tuple(names)


def check_options(options: DemoOptions) -> DemoOptions:
    """Refuse sizes the method cannot honour, naming the option, before anything runs."""
    from fer_edge_core.limits import MAX_EPOCHS, MAX_POWER_SECONDS, MAX_TRIALS
    from fer_edge_harness.backends import BACKENDS
    from fer_edge_harness.boardstate import cpu_count
    from fer_edge_harness.settings import MAX_ROUNDS, MAX_WARMUP_ROUNDS

    most = {"trials": MAX_TRIALS, "epochs": MAX_EPOCHS, "stage1_top": MAX_TRIALS,
            "stage2_top": MAX_TRIALS, "rounds": MAX_ROUNDS, "warmup_rounds": MAX_WARMUP_ROUNDS,
            "power_seconds": MAX_POWER_SECONDS}
    for name, least in (("trials", 1), ("epochs", 1), ("stage1_top", 1), ("stage2_top", 1),
                        ("rounds", 1), ("warmup_rounds", 0), ("power_seconds", 1)):
        check_count(_flag(name), getattr(options, name), least, most[name])
    for name in ("min_time_s", "max_warmup_s"):
        if not 0 <= getattr(options, name) < float("inf"):
            raise UserInputError(_flag(name), f"must be a number of seconds >= 0, got "
                                 f"{getattr(options, name)}")
    if options.threads is not None:
        check_count("--threads", options.threads, 1, cpu_count(),
                    " (the CPUs this process may use)")
    if options.stage1_top > options.trials:
        raise UserInputError("--stage1-top", f"{options.stage1_top} is more than the "
                             f"{options.trials} trials stage 1 runs (--trials)")
    if options.stage2_top > options.stage1_top:
        raise UserInputError("--stage2-top", f"{options.stage2_top} is more than the "
                             f"{options.stage1_top} models stage 2 measures (--stage1-top)")
    unknown = [b for b in options.backends if b not in BACKENDS]
    if unknown or not options.backends:
        raise UserInputError("--backends", f"unknown backend {', '.join(unknown) or '(none)'} "
                             f"(known: {', '.join(BACKENDS)})")
    if len(set(options.backends)) < len(options.backends):
        raise UserInputError("--backends", "names a backend twice")
    if options.split not in ("subject", "random"):
        raise UserInputError("--split", f"must be subject or random, got {options.split!r}")
    return options


def _flag(name: str) -> str:
    flag = {"min_time_s": "min_time", "max_warmup_s": "max_warmup_time"}.get(name, name)
    return "--" + flag.replace("_", "-")


def device_label(backend: str) -> str:
    """The "board" a host backend stands for: its own label, so it is ranked on its own."""
    return DEVICE_LABEL_PREFIX + backend


def bundle_formats(backends: tuple[str, ...]) -> list[str]:
    """The artifact formats the backends can run (each backend's own list, in bundle order);
    the bundle writer adds keras and each format's prerequisites."""
    from fer_edge_harness.backends import backend_class
    from fer_edge_harness.bundle import FORMATS

    wanted = {fmt for b in backends for fmt in backend_class(b).artifact_formats}
    return [fmt for fmt in FORMATS if fmt in wanted]


@dataclass(frozen=True)
class DemoPaths:
    """Where each stage of a demo writes, under one output folder."""

    root: Path

    @property
    def record(self) -> Path:
        return self.root / "demo.json"

    @property
    def run_dir(self) -> Path:
        return self.root / "stage1" / "run"

    @property
    def bundle(self) -> Path:
        return self.root / "stage1" / "bundle"

    @property
    def baselines(self) -> Path:
        return self.root / "stage1" / "baselines"

    @property
    def bundle_log(self) -> Path:
        return self.root / "stage1" / "bundle.log"

    def results(self, stage: int, label: str) -> Path:
        return self.root / f"stage{stage}" / "results" / f"{label}.json"

    def log(self, stage: int, label: str) -> Path:
        return self.root / f"stage{stage}" / "results" / f"{label}.log"

    def ranking(self, stage: int) -> Path:
        return self.root / f"stage{stage}" / "ranking"

    def selected(self, stage: int) -> Path:
        return self.root / f"stage{stage}" / "bundles"

    @property
    def report(self) -> Path:
        return self.root / "report"
