"""Verified check-ins with an implausible time: listed for a person, and released by one.

A released event is stored as it was signed (its `captured_at` unchanged) and the
quarantine row keeps who released it and when; releasing twice changes nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from hadir_protocol.models import CheckIn

from ..rows import COLUMNS, checkin_row


class QuarantineError(ValueError):
    """Nothing to release under that id; the message says why (Bahasa Indonesia)."""


@dataclass(frozen=True)
class Held:
    """One quarantined check-in."""

    event_id: str
    device_id: str
    employee_id: str
    captured_at: datetime
    reason: str
    detail: str | None
    received_at: datetime
    released_at: datetime | None


def pending(conn: psycopg.Connection, include_released: bool = False) -> list[Held]:
    """Quarantined check-ins, oldest first."""
    rows = conn.execute(
        "SELECT event_id::text, device_id, employee_id, captured_at, reason, detail, received_at, "
        "released_at FROM checkin_quarantine WHERE %s OR released_at IS NULL "
        "ORDER BY received_at", (include_released,)).fetchall()
    return [Held(*r) for r in rows]


def release(conn: psycopg.Connection, event_id: str, by: str) -> bool:
    """Store a quarantined check-in; True when it was stored now (False: already there)."""
    with conn.transaction():
        row = conn.execute("SELECT payload, photo, released_at FROM checkin_quarantine "
                           "WHERE event_id = %s FOR UPDATE", (event_id,)).fetchone()
        if row is None:
            raise QuarantineError(f"tidak ada presensi karantina dengan id {event_id}")
        payload: dict[str, Any] = dict(row[0])
        if row[1] is not None:
            payload["photo_jpeg_b64"] = base64.b64encode(bytes(row[1])).decode()
        event = CheckIn.model_validate(payload)
        cols = ", ".join(COLUMNS)
        marks = ", ".join(["%s"] * len(COLUMNS))
        stored = conn.execute(f"INSERT INTO checkins ({cols}) VALUES ({marks}) "
                              "ON CONFLICT DO NOTHING RETURNING event_id",
                              checkin_row(event, payload)).fetchone()
        if row[2] is None:
            conn.execute("UPDATE checkin_quarantine SET released_at = now(), released_by = %s "
                         "WHERE event_id = %s", (by, event_id))
    return stored is not None
