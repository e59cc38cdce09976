"""`fer-edge bundle`: make a bundle from a stage-1 run (the default), `import` an external Keras
model into one, `show` one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

DEFAULT_COMMAND = "create"

FormatsOption = Annotated[str | None, typer.Option(
    "--formats", help="Comma list of formats (default all): keras, tflite_fp32, tflite_int8, "
    "onnx, openvino_fp16, edgetpu. keras, and what a format is made from, are always added.")]
OutOption = Annotated[Path, typer.Option("--out", help="Bundle folder to write, e.g. models/NAME.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing bundle folder.")]


class DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when it names no subcommand, goes to `create`: so
    `fer-edge bundle RUN_DIR --top K` and `fer-edge bundle show BUNDLE` both work."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


bundle_app = typer.Typer(
    cls=DefaultCommandGroup, no_args_is_help=True,
    help="Model bundles. `fer-edge bundle RUN_DIR --top K --out models/NAME` (same as "
    "`bundle create`) exports a stage-1 run's top K models; `bundle import` wraps an external "
    "Keras model; `bundle show` prints a bundle.")


def _progress(line: str) -> None:
    typer.echo(line, err=True)


def _summary(bundle: Path) -> None:
    """Print the finished bundle as `bundle show` does."""
    from fer_edge_harness.bundle import verify_bundle
    from fer_edge_search.export.show import print_bundle

    print_bundle(verify_bundle(bundle))
    typer.echo(f"wrote {bundle}")


@bundle_app.command(DEFAULT_COMMAND)
def create(
    run_dir: Annotated[Path, typer.Argument(help="Stage-1 run folder (fer-edge search --out).")],
    out: OutOption,
    top: Annotated[int, typer.Option("--top", help="How many of the run's best models.")] = 10,
    baselines: Annotated[Path | None, typer.Option(
        "--baselines", help="A `fer-edge baselines` run folder trained on this run's data and "
        "split: its models are added after the top K, marked as baselines.")] = None,
    formats: FormatsOption = None,
    force: ForceOption = False,
) -> None:
    """Export, check and hash a stage-1 run's top K models (and baselines) into a bundle."""
    from fer_edge_search.export.registry import parse_formats
    from fer_edge_search.export.writer import write_bundle

    bundle = write_bundle(run_dir, top, out, parse_formats(formats), baselines=baselines,
                          force=force, log=_progress)
    _summary(bundle)


@bundle_app.command("import")
def import_(
    model: Annotated[Path, typer.Argument(help="MODEL.keras or MODEL.h5 (loaded in safe mode).")],
    classes: Annotated[str, typer.Option(
        "--classes", help="Class names in the model's output order, comma separated. Dataset "
        "images of classes not listed are dropped; listed classes the dataset lacks are kept "
        "(no test images).")],
    data: Annotated[str, typer.Option("--data", help="Dataset spec for the test set and int8 "
                                      "calibration, e.g. synthetic or ck+:PATH.")],
    out: OutOption,
    formats: FormatsOption = None,
    force: ForceOption = False,
) -> None:
    """Wrap a Keras classifier trained elsewhere (any HxWx1 input) into a bundle."""
    from fer_edge_search.export.external import import_external, parse_classes
    from fer_edge_search.export.registry import parse_formats

    bundle = import_external(model, parse_classes(classes), data, out, parse_formats(formats),
                             force=force, log=_progress)
    _summary(bundle)


@bundle_app.command("show")
def show(bundle: Annotated[Path, typer.Argument(help="Bundle folder (models/NAME).")]) -> None:
    """Print a bundle's models and formats: status, size, sha256 prefix, agreement with Keras."""
    from fer_edge_harness.bundle import read_manifest
    from fer_edge_search.export.show import print_bundle

    print_bundle(read_manifest(bundle))


def register(app: typer.Typer) -> None:
    app.add_typer(bundle_app, name="bundle")
