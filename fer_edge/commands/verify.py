"""`fer-edge verify BUNDLE`: the harness's own verification, from the host; exit 1 if it fails,
2 if BUNDLE is not a bundle folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def summary(manifest: dict) -> str:
    """One line for a bundle that passed: models, artifact files, bundle hash."""
    from fer_edge_harness.bundle import listed_files
    from fer_edge_harness.manifest_schema import Artifact, Manifest, Model

    models = manifest[Manifest.MODELS]
    files = len(listed_files(manifest))
    artifacts = sum(1 for m in models for a in m[Model.ARTIFACTS].values()
                    if a.get(Artifact.PATH))
    return (f"ok: {len(models)} model(s), {artifacts} artifact(s), {files} file(s) verified, "
            f"bundle sha256 {manifest[Manifest.BUNDLE_SHA256]}")


def register(app: typer.Typer) -> None:
    @app.command()
    def verify(bundle: Annotated[Path, typer.Argument(help="Bundle folder (models/NAME).")]
               ) -> None:
        """Check a bundle: schema version, the manifest's fields, every listed file present, its
        size and sha256, no path leaving the folder, the manifest's own hash, each artifact a
        file of its format, the test set against the manifest. Exit status 1 when the bundle
        fails, 2 when BUNDLE is not a bundle folder at all."""
        from fer_edge_core.errors import UserInputError
        from fer_edge_harness.bundle import MANIFEST_NAME, BundleError, verify_bundle

        if not bundle.is_dir():
            raise UserInputError(bundle, "no such folder" if not bundle.exists() else
                                 "is a file: give the bundle folder (models/NAME)")
        if not (bundle / MANIFEST_NAME).is_file():
            raise UserInputError(bundle, "no manifest.json here: not a bundle folder")
        try:
            manifest = verify_bundle(bundle)
        except BundleError as exc:
            typer.echo(f"FAILED: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(summary(manifest))
