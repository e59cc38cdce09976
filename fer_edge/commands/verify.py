"""`fer-edge verify BUNDLE`: the harness's own verification, from the host; exit 1 if it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def summary(manifest: dict) -> str:
    """One line for a bundle that passed: models, artifact files, bundle hash."""
    from fer_edge_harness.bundle import listed_files

    models = manifest.get("models", [])
    files = len(listed_files(manifest))
    artifacts = sum(1 for m in models for a in m.get("artifacts", {}).values() if a.get("path"))
    return (f"ok: {len(models)} model(s), {artifacts} artifact(s), {files} file(s) verified, "
            f"bundle sha256 {manifest['bundle_sha256']}")


def register(app: typer.Typer) -> None:
    @app.command()
    def verify(bundle: Annotated[Path, typer.Argument(help="Bundle folder (models/NAME).")]
               ) -> None:
        """Check a bundle: schema version, every listed file present, its size and sha256, no
        path leaving the folder, the manifest's own hash. Exit status 1 when anything fails."""
        from fer_edge_harness.bundle import BundleError, verify_bundle

        try:
            manifest = verify_bundle(bundle)
        except BundleError as exc:
            typer.echo(f"FAILED: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(summary(manifest))
