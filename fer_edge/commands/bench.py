"""`fer-edge bench`: stage 2 on this machine: the board suite (harness/) on a bundle's models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_BACKENDS = "tflite,tflite-int8,onnxruntime,openvino,keras"


def check_arguments(bundle: Path, backend: str, stage: str, rounds: int, warmup_rounds: int,
                    threads: int | None) -> list[str]:
    """Refuse bad input before a child process starts: the backends named, the stage, the
    counts, and the bundle itself (verified here too, so its problem reads as `error: ...`)."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_harness.backends import parse_backends
    from fer_edge_harness.bundle import verify_bundle
    from fer_edge_harness.results_schema import STAGES

    try:
        names = parse_backends(backend)
    except ValueError as exc:
        raise UserInputError("--backend", str(exc)) from exc
    if stage not in STAGES:
        raise UserInputError("--stage", f"must be one of {', '.join(STAGES)}, got {stage!r}")
    for option, value, least in (("--rounds", rounds, 1), ("--warmup-rounds", warmup_rounds, 0),
                                 ("--threads", threads, 1)):
        if value is not None and value < least:
            raise UserInputError(option, f"must be at least {least}, got {value}")
    verify_bundle(bundle)  # BundleError: the CLI prints it as one line, exit 2
    return names


def power_arguments(stage: str, sensor: str | None, power_seconds: float,
                    idle_seconds: float) -> list[str]:
    """The harness's power options, checked here so a bad spec reads as `error: ...`."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_harness.sensors import SensorError, create_sensor

    if sensor is None:
        return []
    if stage != "power":
        raise UserInputError("--power-sensor", "only measured with --stage power")
    try:
        create_sensor(sensor)
    except SensorError as exc:
        raise UserInputError("--power-sensor", str(exc)) from None
    for option, value in (("--power-seconds", power_seconds), ("--idle-seconds", idle_seconds)):
        if not value > 0:
            raise UserInputError(option, f"must be more than 0 seconds, got {value}")
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
            "--threads", help="CPU threads for every runtime (default: all usable).")] = None,
        rounds: Annotated[int, typer.Option(
            "--rounds", help="Timed batch-1 runs per model (the paper: 40).")] = 40,
        warmup_rounds: Annotated[int, typer.Option(
            "--warmup-rounds", help="Untimed runs first.")] = 10,
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
        """Time every model of a bundle on each backend (batch 1, warm-up then --rounds runs)
        and measure its accuracy there; exit status is pytest's (1 when a model failed)."""
        from fer_edge_harness.runner import run_benchmarks

        names = check_arguments(bundle, backend, stage, rounds, warmup_rounds, threads)
        power = power_arguments(stage, power_sensor, power_seconds, idle_seconds)
        code = run_benchmarks(bundle, names, device_label, stage, json_out, threads=threads,
                              rounds=rounds, warmup_rounds=warmup_rounds, models=models,
                              extra_args=power)
        if json_out.is_file():
            typer.echo(f"wrote {json_out}")
        raise typer.Exit(code)
