"""Settings for command-line entry points: a bad setting is a clear one-line error, not a traceback."""

from __future__ import annotations

import typer

from bot.settings import Settings


def load_settings() -> Settings:
    """The settings from the environment and `.env`; exits with status 2 when one is invalid."""
    try:
        return Settings()
    except Exception as error:  # pydantic's message names the bad setting
        typer.echo(f"Invalid settings: {error}", err=True)
        raise typer.Exit(2) from error
