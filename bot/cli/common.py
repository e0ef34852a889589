"""Settings for command-line entry points: a bad setting is a clear one-line error, not a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core.ports import UnitOfWorkFactory


def load_settings() -> Settings:
    """The settings from the environment and `.env`; exits with status 2 when one is invalid."""
    try:
        settings = Settings()
    except Exception as error:  # pydantic's message names the bad setting
        typer.echo(f"Invalid settings: {error}", err=True)
        raise typer.Exit(2) from error
    if settings.helpdesk_out_of_scope_path:
        from knowledge_base.faq_file import FaqFileError, load_out_of_scope_path

        try:
            load_out_of_scope_path(settings.helpdesk_out_of_scope_path)
        except FaqFileError as error:
            typer.echo(f"Invalid settings: HELPDESK_OUT_OF_SCOPE_PATH: {error}", err=True)
            raise typer.Exit(2) from error
    return settings


def prepare_database(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> UnitOfWorkFactory:
    """:func:`bot.app.prepare_database`, imported when a command runs: the composition root
    imports every adapter, and ``helpdesk --help`` must not wait for them."""
    from bot.app import prepare_database as prepare

    return prepare(settings, progress)
