"""A small regency for the privacy tests: two regencies' units, people, an office and kiosks."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_protocol.signing import generate_key, public_key_b64

#: Ogan Ilir (the default retention) and Buton Tengah (its own)
RINA = "198503122010012003"  # Ogan Ilir, Dinas Pendidikan
BUDI = "199001012015031001"  # Buton Tengah, Dinas Kesehatan
SARI = "197903032006042004"  # Ogan Ilir, Dinas Pendidikan
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def seed(url: str) -> None:
    """Migrations, two regencies' units and people, an office per regency, a kiosk each."""
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        add_office(conn, "setda-oi", "Setda Ogan Ilir", "Asia/Jakarta", -3.2452, 104.6513, 50)
        add_office(conn, "setda-bt", "Setda Buton Tengah", "Asia/Makassar", -5.33, 122.56, 50)
        add_device(conn, "kiosk-oi", public_key_b64(generate_key()), "setda-oi")
        add_device(conn, "kiosk-bt", public_key_b64(generate_key()), "setda-bt")
        conn.execute("INSERT INTO units (id, name, regency, parent_id) VALUES "
                     "('disdik-oi', 'Dinas Pendidikan', 'ogan-ilir', NULL), "
                     "('dinkes-bt', 'Dinas Kesehatan', 'buton-tengah', NULL)")
        for nip, name, unit, office in ((RINA, "Rina Marlina", "disdik-oi", "setda-oi"),
                                        (BUDI, "Budi Santoso", "dinkes-bt", "setda-bt"),
                                        (SARI, "Sari Dewi", "disdik-oi", "setda-oi")):
            conn.execute("INSERT INTO employees (nip, name, unit_id, staff_kind, position_class, "
                         "schedule_group, join_date, office_id) VALUES (%s, %s, %s, 'ASN', "
                         "'pelaksana', 'kantor', '2015-01-01', %s)", (nip, name, unit, office))


def checkin(conn: psycopg.Connection, nip: str, at: datetime, device: str = "kiosk-oi",
            photo: bytes | None = JPEG, method: str = "face") -> str:
    """A stored check-in with a photo at `at`; its event id."""
    eid = str(uuid.uuid4())
    conn.execute("INSERT INTO checkins (event_id, device_id, seq, employee_id, kind, captured_at, "
                 "photo, payload, method) VALUES (%s, %s, 1, %s, 'in', %s, %s, '{}', %s)",
                 (eid, device, nip, at, photo, method))
    return eid


def rows_holding(conn: psycopg.Connection, needle: str) -> list[str]:
    """Every table of the schema with a row whose text form contains `needle`."""
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE'")]
    return [t for t in tables if conn.execute(
        f'SELECT count(*) FROM "{t}" t WHERE t::text LIKE %s',  # noqa: S608 - catalog names
        (f"%{needle}%",)).fetchone()[0]]
