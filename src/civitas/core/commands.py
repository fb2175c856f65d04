"""What every ``civitas`` sub-command shares: the checked settings and how it fails."""

from __future__ import annotations

from typing import NoReturn

import typer

from civitas.core.config import ConfigError, Settings, get_settings


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def refused(exc: Exception) -> NoReturn:
    """A refused input's message and each of its problems, in English, then exit 1."""
    from civitas.core.errors import CivitasError
    from civitas.core.i18n import translate

    assert isinstance(exc, CivitasError)
    typer.echo(exc.text("en"), err=True)
    for p in exc.problems:
        typer.echo(f"  {p.location}: {translate('en', p.message, **p.params)}", err=True)
    raise typer.Exit(1)
