"""Helpers for the review tests: a NIP check-in as the kiosk sends it, the October seed."""

from __future__ import annotations

import sys
import uuid
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from shared_faces import FACES as FACES  # noqa: E402 - the shared photos, wherever the checkout is
from test_tpp_store import DEWI, GURU, SARI, seed_october  # noqa: E402,F401


def add_nip_checkin(conn: psycopg.Connection, nip: str, day: date, hhmm: str, kind: str = "in",
                    tz: str = "Asia/Jakarta", photo: bytes | None = None,
                    face_distance: float | None = None, review_required: bool = True,
                    method: str = "nip") -> uuid.UUID:
    """A check-in made by typing the NIP at kiosk-1 (at `hhmm` local time); its event id."""
    eid = uuid.uuid4()
    at = datetime.combine(day, time.fromisoformat(hhmm), ZoneInfo(tz))
    conn.execute(
        "INSERT INTO checkins (event_id, device_id, employee_id, kind, captured_at, method, "
        "review_required, geofence_inside, gps_fix, lat, lon, accuracy_m, distance_m, radius_m, "
        "face_distance, face_threshold, photo, office_id) VALUES (%s, 'kiosk-1', %s, %s, %s, %s, "
        "%s, true, true, -3.2001, 104.6002, 4.5, 12, 50, %s, 0.5, %s, 'kantor-bupati')",
        (eid, nip, kind, at, method, review_required, face_distance, photo))
    return eid


def face(name: str) -> bytes:
    """A real JPEG from the shared faces folder (tests skip where it is absent)."""
    import pytest

    path = FACES / name
    if not path.exists():
        pytest.skip(f"{path} absent (see /work/shared/faces/README.md)")
    return path.read_bytes()
