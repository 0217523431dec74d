"""Apply `migrations/NNNN_name.sql` in order; TimescaleDB parts only where it is preloaded.

Each migration runs in its own transaction and is recorded in
`schema_migrations`. A migration may have companions: `NNNN_name.timescale.sql`
applied after it where TimescaleDB is available, `NNNN_name.plain.sql` where
it is not — so both engines end with the same table and view names and columns.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """A migration failed; the message names the file."""


@dataclass(frozen=True)
class Engine:
    """What the database can do."""

    timescale: bool
    detail: str


def detect_engine(conn: psycopg.Connection) -> Engine:
    """TimescaleDB only when it is installed AND preloaded; a plain CREATE EXTENSION
    of an unpreloaded timescaledb fails and would break the transaction, so ask first."""
    available = conn.execute(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if available is None:
        return Engine(False, "timescaledb is not installed")
    preload = str(conn.execute("SHOW shared_preload_libraries").fetchone()[0])  # type: ignore[index]
    if "timescaledb" not in preload:
        return Engine(False, "timescaledb is installed but not in shared_preload_libraries")
    return Engine(True, f"timescaledb {available[0]}")


def migrations() -> list[Path]:
    """The main migration files in order."""
    return sorted(p for p in MIGRATIONS.iterdir() if NAME_RE.match(p.name))


def upgrade(conninfo: str) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    applied: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        engine = detect_engine(conn)
        logger.info("engine: %s", engine.detail)
        if engine.timescale:
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, "
            "engine text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
        for path in migrations():
            if path.name in done:
                continue
            companion = path.with_suffix(".timescale.sql" if engine.timescale else ".plain.sql")
            parts = [path] + ([companion] if companion.exists() else [])
            try:
                with conn.transaction():
                    for part in parts:
                        conn.execute(part.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                    conn.execute(
                        "INSERT INTO schema_migrations (name, engine) VALUES (%s, %s)",
                        (path.name, "timescaledb" if engine.timescale else "postgresql"),
                    )
            except psycopg.Error as err:
                raise MigrationError(f"{path.name}: {err}") from err
            applied.append(path.name)
            logger.info("applied %s", path.name)
    return applied


def status(conninfo: str) -> tuple[Engine, list[tuple[str, str | None]]]:
    """The engine and every migration with its engine (None when pending)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        engine = detect_engine(conn)
        exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        done: dict[str, str] = {}
        if exists and exists[0]:
            done = dict(conn.execute("SELECT name, engine FROM schema_migrations").fetchall())
    return engine, [(p.name, done.get(p.name)) for p in migrations()]
