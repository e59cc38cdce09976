"""`fer-edge bench`: stage 2 on this machine: the board suite (harness/) on a bundle's models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fer_edge_harness.settings import (
    DEFAULT_MAX_WARMUP_S,
    DEFAULT_MIN_TIME_S,
    DEFAULT_ROUNDS,
    DEFAULT_WARMUP_ROUNDS,
)

DEFAULT_BACKENDS = "tflite,tflite-int8,onnxruntime,openvino,keras"

# pytest's exit statuses (the suite runs in a child pytest) -> this command's (fer_edge.exits).
PYTEST_INTERRUPTED, PYTEST_USAGE_ERROR, PYTEST_NOTHING_RAN = 2, 4, 5


def check_arguments(bundle: Path, *, backend: str, stage: str, rounds: int, warmup_rounds: int,
                    threads: int | None, device_label: str, json_out: Path,
                    models: str | None, seconds: dict[str, float] | None = None) -> list[str]:
    """Refuse bad input before a child process starts: the backends named, the stage, the
    counts and their bounds, the label, the output path, the bundle itself (verified here too,
    so its problem reads as `error: ...`) and the models asked for."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_core.files import check_can_create
    from fer_edge_core.paths import refuse_overlap
    from fer_edge_harness.backends import parse_backends
    from fer_edge_harness.bundle import verify_bundle
    from fer_edge_harness.manifest_schema import Manifest, Model
    from fer_edge_harness.results_schema import STAGES
    from fer_edge_harness.settings import SettingsError, check_counts, id_list

    try:
        names = parse_backends(backend)
    except ValueError as exc:
        raise UserInputError("--backend", str(exc)) from exc
    if stage not in STAGES:
        raise UserInputError("--stage", f"must be one of {', '.join(STAGES)}, got {stage!r}")
    if not device_label.strip():
        raise UserInputError("--device-label", "must not be empty: say what this machine is")
    if json_out.is_dir():
        raise UserInputError(json_out, "is a folder: --json takes the results file to write")
    check_can_create(json_out)
    refuse_overlap("--json", json_out, [bundle])
    try:
        check_counts(threads, rounds, warmup_rounds)
        wanted = id_list("--models", models)
    except SettingsError as exc:
        raise UserInputError(exc.option, str(exc).split(": ", 1)[1]) from None
    for option, value in (seconds or {}).items():
        if not 0 <= value < float("inf"):
            raise UserInputError(option, f"must be a number of seconds >= 0, got {value}")
    manifest = verify_bundle(bundle)  # BundleError: the CLI prints it as one line, exit 2
    known = [m[Model.ID] for m in manifest[Manifest.MODELS]]
    unknown = [m for m in wanted or [] if m not in known]
    if unknown:
        raise UserInputError("--models", f"not in the bundle: {', '.join(unknown)} "
                             f"(it has {', '.join(known)})")
    return names


def finish(code: int, json_out: Path) -> int:
    """This command's exit status from the suite's, after one line when nothing was measured
    or the suite stopped (fer_edge.exits: 1 = ran and failed, 130 = interrupted)."""
    import json

    from fer_edge.exits import EXIT_FAILED, EXIT_INTERRUPTED, fail
    from fer_edge_harness.results import nothing_measured
    from fer_edge_harness.results_schema import RUN_INFO_KEY, RunInfo

    document = json.loads(json_out.read_text()) if json_out.is_file() else {}
    if json_out.is_file():
        typer.echo(f"wrote {json_out}")
    if code == PYTEST_INTERRUPTED:
        fail(f"interrupted: what finished is in {json_out}, marked incomplete", EXIT_INTERRUPTED)
    if code not in (0, 1, PYTEST_NOTHING_RAN):
        fail(f"the benchmark suite stopped with pytest exit status {code} (its output is above)",
             EXIT_FAILED)
    if not document.get("benchmarks") and code != 1:
        skipped = (document.get(RUN_INFO_KEY) or {}).get(RunInfo.SKIPPED) or []
        fail(f"nothing was measured: {nothing_measured(skipped)}", EXIT_FAILED)
    return code


def power_arguments(stage: str, sensor: str | None, power_seconds: float,
                    idle_seconds: float) -> list[str]:
    """The harness's power options, checked here so a bad spec reads as `error: ...`."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_core.limits import MAX_POWER_SECONDS
    from fer_edge_harness.results_schema import STAGE_POWER
    from fer_edge_harness.sensors import SensorError, create_sensor

    if sensor is None:
        return []
    if stage != STAGE_POWER:
        raise UserInputError("--power-sensor", "only measured with --stage power")
    try:
        create_sensor(sensor)
    except SensorError as exc:
        raise UserInputError("--power-sensor", str(exc)) from None
    for option, value in (("--power-seconds", power_seconds), ("--idle-seconds", idle_seconds)):
        if not 0 < value <= MAX_POWER_SECONDS:  # NaN and infinity fail here too
            raise UserInputError(option, f"must be more than 0 and at most {MAX_POWER_SECONDS} "
                                 f"seconds, got {value}")
    return ["--power-sensor", sensor, "--power-seconds", str(power_seconds),
            "--idle-seconds", str(idle_seconds)]


def register(app: typer.Typer) -> None:
    @app.command()
    def bench(
        bundle: Annotated[Path, typer.Option("--bundle", help="Bundle folder (models/NAME).")],
        device_label: Annotated[str, typer.Option(
            "--device-label", help="What you call this machine, e.g. laptop-i7 or rpi4.")],
        json_out: Annotated[Path, typer.Option(
            "--json", help="pytest-benchmark JSON to write (rewritten after every model).")],
        backend: Annotated[str, typer.Option(
            "--backend", help="Comma list of backends, or all: tflite, tflite-int8, edgetpu, "
            "openvino, onnxruntime, tensorrt, keras.")] = DEFAULT_BACKENDS,
        threads: Annotated[int | None, typer.Option(
            "--threads", help="CPU threads for every runtime (default: all usable; at most "
            "that many).")] = None,
        rounds: Annotated[int, typer.Option(
            "--rounds", help="Least timed batch-1 runs per model (the paper: 40; at most 100000).")
        ] = DEFAULT_ROUNDS,
        min_time: Annotated[float, typer.Option(
            "--min-time", help="Least seconds of timed runs per model (more runs than "
            "--rounds when needed).")] = DEFAULT_MIN_TIME_S,
        warmup_rounds: Annotated[int, typer.Option(
            "--warmup-rounds", help="Least untimed runs first; the warm-up goes on until the "
            "latency settles.")] = DEFAULT_WARMUP_ROUNDS,
        max_warmup_time: Annotated[float, typer.Option(
            "--max-warmup-time", help="Seconds after which an unsettled warm-up stops and the "
            "result is flagged (0: exactly --warmup-rounds runs).")] = DEFAULT_MAX_WARMUP_S,
        stage: Annotated[str, typer.Option("--stage", help="latency or power.")] = "latency",
        models: Annotated[str | None, typer.Option(
            "--models", help="Comma list of model ids (default: all of the bundle).")] = None,
        power_sensor: Annotated[str | None, typer.Option(
            "--power-sensor", help="With --stage power: the meter, e.g. um34c:/dev/rfcomm0, "
            "tegrastats, ina3221, nvml, rapl, or the stand-in um34c-emulator "
            "(docs/power.md).")] = None,
        power_seconds: Annotated[float, typer.Option(
            "--power-seconds", help="With --stage power: seconds of sustained inference per "
            "model (the paper: 180).")] = 180.0,
        idle_seconds: Annotated[float, typer.Option(
            "--idle-seconds", help="With --stage power: seconds of idle baseline first (the "
            "paper: 180).")] = 180.0,
    ) -> None:
        """Time every model of a bundle on each backend (batch 1, a warm-up until the latency
        settles, then at least --rounds runs and --min-time seconds; latency_ms is their
        median) and measure its accuracy there. Exit status 0 when all was measured, 1 when a
        model failed or nothing was measured, 2 on bad input."""
        from fer_edge_harness.runner import run_benchmarks

        names = check_arguments(bundle, backend=backend, stage=stage, rounds=rounds,
                                warmup_rounds=warmup_rounds, threads=threads,
                                device_label=device_label, json_out=json_out, models=models,
                                seconds={"--min-time": min_time,
                                         "--max-warmup-time": max_warmup_time})
        power = power_arguments(stage, power_sensor, power_seconds, idle_seconds)
        code = run_benchmarks(bundle, names, device_label, stage, json_out, threads=threads,
                              rounds=rounds, warmup_rounds=warmup_rounds, models=models,
                              extra_args=power, min_time_s=min_time,
                              max_warmup_s=max_warmup_time)
        raise typer.Exit(finish(code, json_out))
