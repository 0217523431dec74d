"""Migrations: plain PostgreSQL and TimescaleDB end with the same tables, views and columns."""

from __future__ import annotations

import psycopg
import pytest
from hadir_cloud.db.migrate import detect_engine, status, upgrade

SURFACE = """
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%%' ORDER BY 1, 2
"""


def surface(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(SURFACE)]  # type: ignore[misc]


def test_plain_postgresql_schema_and_idempotent_rerun(fresh_db: str):
    applied = upgrade(fresh_db)
    assert applied[0] == "0001_spine.sql" and "0100_tpp.sql" in applied
    assert upgrade(fresh_db) == []
    engine, rows = status(fresh_db)
    assert not engine.timescale
    assert all(eng == "postgresql" for _, eng in rows)
    tables = {t for t, _, _ in surface(fresh_db)}
    assert {"checkins", "checkins_daily", "devices", "offices", "rejected_messages",
            "employees"} <= tables
    with psycopg.connect(fresh_db) as conn:
        pk = conn.execute(
            "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = 'checkins'::regclass AND i.indisprimary").fetchone()[0]
    assert pk == ["captured_at", "event_id"]


def test_detection_does_not_break_the_connection(fresh_db: str):
    """The running server may have the extension's files but not preload it (as here)."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        engine = detect_engine(conn)
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert engine.timescale is False


@pytest.mark.timescale
def test_timescale_has_the_same_surface(fresh_db: str, timescale_db: str):
    upgrade(fresh_db)
    upgrade(timescale_db)
    assert surface(timescale_db) == surface(fresh_db)
    with psycopg.connect(timescale_db) as conn:
        hyper = conn.execute("SELECT hypertable_name FROM timescaledb_information.hypertables"
                             ).fetchall()
        caggs = conn.execute("SELECT view_name, materialized_only FROM "
                             "timescaledb_information.continuous_aggregates").fetchall()
        conn.execute(
            "INSERT INTO checkins (event_id, device_id, employee_id, kind, captured_at) VALUES "
            "(gen_random_uuid(), 'k1', '198503122010012003', 'in', now()), "
            "(gen_random_uuid(), 'k1', '198503122010012003', 'out', now())")
        daily = conn.execute("SELECT events FROM checkins_daily").fetchall()
    assert hyper == [("checkins",)]
    assert caggs == [("checkins_daily_cagg", False)]  # real-time aggregation on
    assert daily == [(2,)]
    engine, rows = status(timescale_db)
    assert engine.timescale and all(eng == "timescaledb" for _, eng in rows)
