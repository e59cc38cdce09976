"""`fer-edge power probe` and `fer-edge power emulate`: check a meter before stage 3, or serve a
stand-in one. The work is the harness's (fer_edge_harness.probe, .sensors.emulator), so the
same probe runs on a board or in its image: `python3 -m fer_edge_harness.probe SENSOR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

power_app = typer.Typer(help="Power meters for stage 3: probe one, or run a stand-in.",
                        no_args_is_help=True)


@power_app.command()
def probe(
    sensor: Annotated[str, typer.Argument(
        help="Sensor spec: um34c:/dev/rfcomm0, um25c:/dev/ttyUSB0, tegrastats, ina3221, nvml, "
        "rapl, none, or the stand-in um34c-emulator (docs/power.md).")],
    seconds: Annotated[float, typer.Option("--seconds", help="How long to read.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Read SENSOR for a few seconds and print the mean, min and max watts and the samples.
    A meter that does not answer, answers garbage or vanishes: one line, exit status 1."""
    import json
    import sys

    from fer_edge_core.errors import UserInputError
    from fer_edge_harness.probe import format_summary
    from fer_edge_harness.probe import probe as read_sensor
    from fer_edge_harness.sensors import SensorError, SensorSpecError

    try:
        summary = read_sensor(sensor, seconds)
    except SensorSpecError as exc:
        raise UserInputError(exc.spec, exc.problem) from None
    except SensorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(summary, indent=2, sort_keys=True) if json_out
               else format_summary(summary))


@power_app.command()
def emulate(
    trace: Annotated[Path | None, typer.Option(
        "--trace", help="File of watt values, one per answer, replayed in a loop.")] = None,
    watts: Annotated[float | None, typer.Option(
        "--watts", help="Answer this constant power instead.")] = None,
    model: Annotated[str, typer.Option("--model", help="um24c, um25c or um34c.")] = "um34c",
    behaviour: Annotated[str, typer.Option(
        "--behaviour", help="answer, or misbehave: silent, short, garbled.")] = "answer",
) -> None:
    """Serve a STAND-IN UM meter on a new pseudo-terminal until Ctrl-C; prints its device for
    `fer-edge power probe um34c:DEVICE`. Its watts are made up from the trace, never measured."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_harness.sensors.emulator import BEHAVIOURS, main, read_trace
    from fer_edge_harness.sensors.umrecord import MODELS

    if trace is not None and watts is not None:
        raise UserInputError("--trace", "give --trace or --watts, not both")
    if model not in MODELS:
        raise UserInputError("--model", f"must be one of {', '.join(sorted(MODELS))}")
    if behaviour not in BEHAVIOURS:
        raise UserInputError("--behaviour", f"must be one of {', '.join(BEHAVIOURS)}")
    argv = ["--model", model, "--behaviour", behaviour]
    if trace is not None:
        try:
            read_trace(str(trace))
        except (OSError, ValueError) as exc:
            raise UserInputError(trace, str(exc)) from None
        argv += ["--trace", str(trace)]
    argv += ["--watts", str(watts)] if watts is not None else []
    raise typer.Exit(main(argv))


def register(app: typer.Typer) -> None:
    app.add_typer(power_app, name="power")
