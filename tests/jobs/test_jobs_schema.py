"""The queue's schema comes with `db upgrade`: procrastinate's own, pinned, nothing else changed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.db.migrate import MIGRATIONS, upgrade
from hadir_cloud.jobs.app import PROCRASTINATE_VERSION, create_app, installed_version
from hadir_cloud.jobs.schema import procrastinate_section, render
from procrastinate.schema import SchemaManager

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = MIGRATIONS / "0500_jobs.sql"


def test_the_pinned_and_installed_procrastinate_versions_agree():
    deps = tomllib.loads((ROOT / "cloud" / "pyproject.toml").read_text())["project"]["dependencies"]
    pin = next(d for d in deps if d.startswith("procrastinate"))
    assert pin == f"procrastinate=={PROCRASTINATE_VERSION}"
    assert installed_version() == PROCRASTINATE_VERSION


def test_the_migration_carries_procrastinates_schema_verbatim():
    """0500 is procrastinate's schema.sql of the version in its header, byte for byte."""
    version, body = procrastinate_section(MIGRATION.read_text(encoding="utf-8"))
    if version != installed_version():
        pytest.skip(f"0500 carries procrastinate {version}; later versions come by their own "
                    "migrations, proven by the catalog test below (docs/jobs.md)")
    assert body == SchemaManager.get_schema()
    assert MIGRATION.read_text(encoding="utf-8") == render()


def _catalog(url: str) -> dict[str, list[tuple[object, ...]]]:
    """procrastinate's tables, columns, indexes, types, functions and triggers, as text."""
    with psycopg.connect(url) as conn:
        q = {
            "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable "
                       "FROM information_schema.columns WHERE table_name LIKE 'procrastinate%' "
                       "ORDER BY 1, 2",
            "indexes": "SELECT indexname, indexdef FROM pg_indexes "
                       "WHERE tablename LIKE 'procrastinate%' ORDER BY 1",
            "enums": "SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_enum e "
                     "JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, 3",
            "functions": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN "
                         "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
                         "AND p.proname LIKE 'procrastinate%' ORDER BY 1, 2",
            "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                        "WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE "
                        "'procrastinate%' ORDER BY 1",
        }
        return {k: conn.execute(sql).fetchall() for k, sql in q.items()}  # type: ignore[arg-type]


def test_db_upgrade_gives_the_same_queue_schema_as_procrastinate_itself(fresh_db, postgres):
    """What `db upgrade` builds equals procrastinate's own `apply_schema` (tables to triggers):
    this stays true, and keeps proving it, after a bump plus its migration."""
    upgrade(fresh_db)
    theirs = postgres.create_database()
    try:
        app = create_app(theirs)
        with app.open():
            app.schema_manager.apply_schema()
        ours, reference = _catalog(fresh_db), _catalog(theirs)
    finally:
        postgres.drop_database(theirs)
    assert reference["functions"] and reference["columns"]
    assert ours == reference


def test_db_upgrade_twice_applies_the_jobs_migration_once(fresh_db, monkeypatch):
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    first = CliRunner().invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "0500_jobs.sql" in first.output
    again = CliRunner().invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0 and again.output.startswith("0 migrasi"), again.output
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM job_progress").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() == (0,)

