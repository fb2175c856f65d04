"""Migrations are the schema: models and migrations never differ, and they go down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from civitas.core.db import make_engine
from civitas.core.migrate import alembic_config, current_revision, head_revision, upgrade
from civitas.models import Base


def test_models_and_migrations_do_not_differ(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"run alembic revision --autogenerate: {diff}"


def test_one_linear_history():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


def test_downgrade_to_base_and_upgrade_again(tmp_root):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_root / 'migrate-roundtrip.db'}")
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
    engine.dispose()
