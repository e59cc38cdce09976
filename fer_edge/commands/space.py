"""`fer-edge space`: print the search space and its exact size (placeholder until issue 2)."""

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def space() -> None:
        """Print the search space and its exact size."""
        typer.echo("not yet")
