"""The ``civitas`` command: the database, serving, the worker, the demo and staff users,
then one sub-command per installed domain that declares a CLI (``civitas recycling …``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from civitas.core import plugins
from civitas.core.commands import fail, settings

app = typer.Typer(
    help="Civitas: municipal services for residents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")


@app.callback()
def _check_config() -> None:
    """Refuse to run at all on an invalid configuration."""
    settings()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the latest revision (creates the SQLite file if needed)."""
    from civitas.core.db import get_engine
    from civitas.core.migrate import current_revision, upgrade

    engine = get_engine(settings())
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is the latest."""
    from civitas.core.db import get_engine
    from civitas.core.migrate import current_revision, head_revision

    engine = get_engine(settings())
    typer.echo(f"current: {current_revision(engine)}  head: {head_revision()}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker",
            help="Also run the background worker (`civitas worker`) as a child process",
        ),
    ] = False,
) -> None:
    """Serve the web app and APIs (graceful shutdown on SIGTERM/SIGINT)."""
    import signal
    import subprocess

    import uvicorn

    s = settings()
    child = subprocess.Popen([sys.executable, "-m", "civitas", "worker"]) if with_worker else None
    try:
        uvicorn.run(
            "civitas.main:create_app",
            factory=True,
            host=host or s.host,
            port=port or s.port,
            workers=workers,
            timeout_graceful_shutdown=10,
            log_config=None,
            access_log=False,
        )
    finally:
        if child is not None:
            child.send_signal(signal.SIGINT)  # Huey's graceful stop: the task at hand ends
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a task that does not end: no orphan left
                child.kill()
                child.wait(timeout=10)


@app.command()
def worker(workers: Annotated[int, typer.Option(help="Worker threads")] = 2) -> None:
    """Run the background job worker (Huey consumer)."""
    from civitas.core.logging import configure_logging
    from civitas.tasks import huey

    configure_logging(settings())
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@app.command()
def demo() -> None:
    """Load the demo cities trujillo and musterstadt (safe to run again)."""
    from civitas.core.db import get_engine, refresh_statistics, session_scope
    from civitas.core.migrate import is_current
    from civitas.demo import DEMO_CITIES, load_demo_city

    s = settings()
    if not is_current(get_engine(s)):
        fail("The database is not migrated; run: civitas db upgrade")
    for data in DEMO_CITIES:
        with session_scope() as db:
            result = load_demo_city(db, s, data)
        state = "created" if result.created else "already there, completed"
        typer.echo(
            f"\n{result.name} ({result.slug}, jurisdiction_id {result.jurisdiction_id}): {state}"
        )
        for line in result.lines:
            typer.echo(line)
    refresh_statistics(get_engine(s))


@users_app.command("create")
def users_create(
    city: Annotated[str, typer.Option(help="City slug")],
    username: Annotated[str, typer.Option()],
    full_name: Annotated[str, typer.Option("--name")],
    role: Annotated[
        list[str],
        typer.Option(help="A role: civitas users roles lists them"),
    ],
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="CIVITAS_NEW_PASSWORD"
        ),
    ] = "",
) -> None:
    """Create a staff user in a city."""
    from pydantic import ValidationError

    from civitas.accounts.schemas import UserCreate
    from civitas.accounts.service import create_user
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        data = UserCreate(
            username=username, full_name=full_name, email=email, password=password, roles=role
        )
    except ValidationError as exc:
        fail("\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            create_user(db, found, data=data, actor="system:cli")
    except CivitasError as exc:
        fail(exc.text("en"))
    typer.echo(f"created {username} in {city}")


@users_app.command("roles")
def users_roles() -> None:
    """The roles of the installed domains, and what each may do."""
    from civitas.core import permissions
    from civitas.core.i18n import translate

    for name, spec in permissions.roles().items():
        granted = sorted(permissions.permissions_for([name]))
        typer.echo(f"{name:<22} {translate('en', spec.label)}: {', '.join(granted)}")


def mount_domains() -> None:
    """Each installed domain's commands, as ``civitas <domain> …``."""
    for domain in plugins.domains():
        if domain.cli:
            app.add_typer(plugins.resolve(domain.cli), name=domain.name)


mount_domains()


def main() -> None:
    app()
