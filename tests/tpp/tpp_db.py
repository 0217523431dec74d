"""Database helpers for the TPP tests: schema, a small regency, its month of check-ins."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import psycopg
from hadir_cloud.tpp import store
from hadir_cloud.tpp.rules import load_dir, shipped_dir
from hadir_cloud.tpp.status import Punch


def prepare(url: str) -> None:
    """Apply the project's migrations (0001 spine, 0100 TPP)."""
    from hadir_cloud.db.migrate import upgrade

    upgrade(url)


def seed_reference(conn: psycopg.Connection, schedules: list, calendar_file: Path | None) -> None:
    """Shipped rule sets, 2026 calendar, two offices (WIB and WITA), two units, schedules."""
    for rs in load_dir(shipped_dir()):
        store.save_ruleset(conn, rs, "shipped", "tes")
    store.seed_calendar(conn, 2026, calendar_file)
    conn.execute("INSERT INTO offices (id, name, tz, lat, lon, radius_m) VALUES "
                 "('kantor-bupati', 'Kantor Bupati', 'Asia/Jakarta', -3.2, 104.6, 50), "
                 "('sdn-1', 'SD Negeri 1', 'Asia/Makassar', -5.0, 122.5, 50) "
                 "ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO office_calendars VALUES ('kantor-bupati', 5), ('sdn-1', 6)")
    conn.execute("INSERT INTO units VALUES ('BKPSDM', 'Badan Kepegawaian', 'Buton Tengah', NULL),"
                 " ('DISDIK', 'Dinas Pendidikan', 'Buton Tengah', NULL)")
    for s in schedules:
        store.save_schedule(conn, s)


def add_employee(conn: psycopg.Connection, nip: str, unit: str = "BKPSDM", cls: str = "9",
                 kind: str = "ASN", group: str = "kantor", office: str = "kantor-bupati",
                 join: date = date(2020, 1, 1)) -> None:
    """Insert one employee."""
    conn.execute("INSERT INTO employees VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s)",
                 (nip, f"Pegawai {nip[-4:]}", unit, kind, cls, group, join, office))


def add_punches(conn: psycopg.Connection, nip: str, punches: list[Punch]) -> None:
    """Insert check-ins as the ingest would."""
    with conn.cursor().copy("COPY checkins (event_id, device_id, employee_id, kind, captured_at,"
                            " method, review_required, geofence_inside) FROM STDIN") as cp:
        for p in punches:
            cp.write_row((uuid.uuid4(), "kiosk-1", nip, p.kind, p.at, "face", False, True))
