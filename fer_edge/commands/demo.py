"""`fer-edge demo`: the whole method on this machine (stage 1 to the report), resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fer_edge.pipeline.options import DemoOptions

D = DemoOptions()  # the defaults, shown in the help


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Annotated[Path, typer.Option(
            "--out", help="Folder for every stage's files; run the same command again to "
            "resume (finished steps are reused).")] = Path("runs/demo"),
        quick: Annotated[bool, typer.Option(
            "--quick", help="Tiny sizes (2 trials of 1 epoch, 2 backends, 3 rounds): every "
            "stage in well under a minute, for CI. Other options still override it.")] = False,
        data: Annotated[str | None, typer.Option(
            "--data", help="Dataset spec: synthetic[:n=..], ck+:PATH, folder:PATH, "
            f"fer2013:PATH. Default: {D.data}.")] = None,
        trials: Annotated[int | None, typer.Option(
            "--trials", help=f"Stage-1 trials (default {D.trials}; the paper: over 1000)."
        )] = None,
        epochs: Annotated[int | None, typer.Option(
            "--epochs", help=f"Max epochs a trial, with early stopping (default {D.epochs})."
        )] = None,
        stage1_top: Annotated[int | None, typer.Option(
            "--stage1-top", help=f"Models stage 1 keeps for stage 2 (default {D.stage1_top}; "
            "the paper: 1000).")] = None,
        stage2_top: Annotated[int | None, typer.Option(
            "--stage2-top", help=f"Models kept per board after stage 2 (default "
            f"{D.stage2_top}; the paper: 10).")] = None,
        backends: Annotated[str | None, typer.Option(
            "--backends", help="Comma list of this host's backends, each run as its own board "
            f"(host-<backend>), or all. Default: {','.join(D.backends)}.")] = None,
        rounds: Annotated[int | None, typer.Option(
            "--rounds", help=f"Timed batch-1 runs per model and backend (default {D.rounds}, "
            "the paper's).")] = None,
        min_time: Annotated[float | None, typer.Option(
            "--min-time", help=f"Least seconds of timed runs per model and backend (default "
            f"{D.min_time_s:g}).")] = None,
        threads: Annotated[int | None, typer.Option(
            "--threads", help="CPU threads for every runtime (default: all usable).")] = None,
        seed: Annotated[int | None, typer.Option(
            "--seed", help=f"Search seed (default {D.seed}).")] = None,
        power_sensor: Annotated[str | None, typer.Option(
            "--power-sensor", help="Stage-3 power meter: um34c:/dev/rfcomm0, tegrastats, "
            "ina3221, nvml, rapl (docs/power.md), the stand-in um34c-emulator (modelled "
            f"watts), or none (default {D.power_sensor}): without one stage 3 is skipped and "
            "the report shows the stage-2 decision.")] = None,
        power_seconds: Annotated[int | None, typer.Option(
            "--power-seconds", help="Seconds of idle power per board and of active power per "
            f"model in stage 3 (default {D.power_seconds}, the paper's).")] = None,
        baselines: Annotated[bool | None, typer.Option(
            "--baselines/--no-baselines", help="Train the paper's Table 4 baselines (Kandeel "
            "et al. 2021, Mollahosseini et al. 2016) on the search's split and take them "
            "through both stages into Table 4 (default "
            f"{'on' if D.baselines else 'off'}; see the README for their cost).")] = None,
        quiet: Annotated[bool, typer.Option(
            "--quiet", help="No progress; only the report path.")] = False,
    ) -> None:
        """Run the three stages on the built-in synthetic data with the backends of this
        machine as boards, then write the report; prints the report's path at the end.

        The default sizes take about 10 minutes on a quiet 2-core machine. For the paper's
        sizes: --trials 1000 --stage1-top 1000 --stage2-top 10 --power-seconds 180.
        """
        from fer_edge.pipeline import QUICK, run_demo

        index = run_demo(out, QUICK if quick else DemoOptions(), show_progress=not quiet,
                         data=data, trials=trials, epochs=epochs, stage1_top=stage1_top,
                         stage2_top=stage2_top, backends=backends, rounds=rounds,
                         min_time_s=min_time,
                         threads=threads, seed=seed, power_sensor=power_sensor,
                         power_seconds=power_seconds, baselines=baselines)
        typer.echo(f"report: {index}")
