"""Run Alembic from code: ``civitas db upgrade``, readiness checks and tests use this.

The schema's history is one linear chain (``migrations/versions``) plus, for a domain
that brings its own tables from outside this package, a branch of its own: its manifest
names the package holding its revisions (``migrations``); their first revision has a
branch label and ``depends_on`` the chain's revision it needs. Upgrading takes every
head; the database is current when it is at all of them."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _version_locations() -> list[str]:
    from civitas.core import plugins

    found = [str(MIGRATIONS / "versions")]
    for domain in plugins.domains():
        if domain.migrations:
            module = plugins.resolve(domain.migrations)
            found.append(str(Path(module.__file__ or "").parent))
    return found


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(_version_locations()))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _shown(revisions: tuple[str, ...] | list[str]) -> str | None:
    return "+".join(sorted(revisions)) or None


def head_revision() -> str | None:
    """The latest revision ("0019"; with a domain's own branch, "0019+example_0001")."""
    return _shown(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    """Where the database is, in the terms of :func:`head_revision`: each head of the
    history it has reached (a branch's revision implies the chain's it depends on), and
    the revisions it is at where it has not."""
    with engine.connect() as connection:
        at = MigrationContext.configure(connection).get_current_heads()
    if not at:
        return None
    script = ScriptDirectory.from_config(alembic_config())
    try:
        reached = {r.revision for r in script.iterate_revisions(tuple(at), "base")}
    except Exception:  # a revision this code does not know (a newer release was here)
        return _shown(at)
    return _shown(sorted({h for h in script.get_heads() if h in reached} | set(at)))


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
