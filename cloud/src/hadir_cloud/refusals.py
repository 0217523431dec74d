"""`rejected_messages`: what the cloud refused, raw bytes kept once per (digest, reason)."""

from __future__ import annotations

import hashlib

import psycopg
from hadir_protocol.strict import printable

KEEP_SQL = (
    "INSERT INTO rejected_messages (topic, device_id, event_id, reason, detail, raw, raw_sha256) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (raw_sha256, reason) DO UPDATE SET "
    "seen_count = rejected_messages.seen_count + 1, last_seen_at = now()"
)


def params(topic: str, device_id: str | None, event_id: str | None, reason: str, detail: str,
           raw: bytes) -> tuple[object, ...]:
    """The row's values, every text made safe for PostgreSQL (no NUL, no lone surrogate)."""
    return (printable(topic)[:300], printable(device_id)[:64] if device_id else None,
            printable(event_id)[:64] if event_id else None, str(reason), printable(detail)[:500],
            raw, hashlib.sha256(raw).digest())


def keep(conn: psycopg.Connection, topic: str, device_id: str | None, event_id: str | None,
         reason: str, detail: str, raw: bytes) -> None:
    """Record one refusal (counted again when the same bytes come back for the same reason)."""
    conn.execute(KEEP_SQL, params(topic, device_id, event_id, reason, detail, raw))
