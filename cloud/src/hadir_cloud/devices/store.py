"""The devices area's SQL: offices, kiosks, heartbeats, status and refused messages."""

from __future__ import annotations

import logging

import psycopg
from hadir_protocol.models import Status, Telemetry
from hadir_protocol.signing import SignatureError, load_public_key
from hadir_protocol.strict import printable
from hadir_protocol.topics import DEVICE_ID_RE

from .. import refusals

logger = logging.getLogger(__name__)

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


class RegistrationError(ValueError):
    """Bad input for an office or a device; the message says what to fix."""


def add_office(conn: psycopg.Connection, office_id: str, name: str, tz: str, lat: float,
               lon: float, radius_m: float) -> None:
    """Insert or update an office."""
    if tz not in TIMEZONES:
        raise RegistrationError(f"zona waktu harus salah satu dari {', '.join(TIMEZONES)}")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or radius_m <= 0:
        raise RegistrationError("koordinat atau radius kantor tidak valid")
    conn.execute(
        "INSERT INTO offices (id, name, tz, lat, lon, radius_m) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, tz = EXCLUDED.tz, "
        "lat = EXCLUDED.lat, lon = EXCLUDED.lon, radius_m = EXCLUDED.radius_m",
        (office_id, name, tz, lat, lon, radius_m),
    )


def add_device(conn: psycopg.Connection, device_id: str, public_key: str, office_id: str) -> None:
    """Register a kiosk with its Ed25519 public key; re-registering replaces the key."""
    if not DEVICE_ID_RE.match(device_id):
        raise RegistrationError(
            f"id kiosk {device_id!r}: 2–63 huruf kecil, angka atau '-', diawali huruf/angka"
        )
    try:
        load_public_key(public_key)
    except SignatureError as err:
        raise RegistrationError(f"kunci publik tidak valid: {err}") from err
    if conn.execute("SELECT 1 FROM offices WHERE id = %s", (office_id,)).fetchone() is None:
        raise RegistrationError(f"kantor {office_id!r} belum terdaftar (hadir-cloud office add)")
    conn.execute(
        "INSERT INTO devices (id, public_key, office_id, broker_username) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET public_key = EXCLUDED.public_key, "
        "office_id = EXCLUDED.office_id, disabled = false",
        (device_id, public_key, office_id, device_id),
    )


def disable_device(conn: psycopg.Connection, device_id: str) -> None:
    """Mark a kiosk disabled: the ingest holds its events from then on (undo: `device add`)."""
    cur = conn.execute("UPDATE devices SET disabled = true WHERE id = %s", (device_id,))
    if cur.rowcount == 0:
        raise RegistrationError(f"kiosk {device_id!r} tidak terdaftar")


TELEMETRY_COLUMNS = (
    "outbox_depth", "oldest_unacked_at", "last_ack_at", "gps_fix", "gps_mode", "gps_satellites",
    "camera_ok", "camera_state", "disk_free_mb", "temperature_c", "clock_source",
    "config_version", "gallery_version", "gallery_size", "rejected_count", "rss_mb", "uptime_s",
    "version", "held_count", "ack_errors", "disk_full",
)


def store_telemetry(conn: psycopg.Connection, device_id: str, beat: Telemetry) -> None:
    """One heartbeat row, and the device's latest state."""
    values = [getattr(beat, c) for c in TELEMETRY_COLUMNS]
    cols = ", ".join(TELEMETRY_COLUMNS)
    marks = ", ".join(["%s"] * len(TELEMETRY_COLUMNS))
    conn.execute(f"INSERT INTO device_telemetry (device_id, sent_at, {cols}, payload) "
                 f"VALUES (%s, %s, {marks}, %s)",
                 (device_id, beat.sent_at, *values, beat.model_dump_json(by_alias=True)))
    conn.execute(
        "INSERT INTO device_state (device_id, last_telemetry_at, outbox_depth, config_version, "
        "gallery_version, version, held_count, disk_full) VALUES (%s, now(), %s, %s, %s, %s, %s, "
        "%s) ON CONFLICT (device_id) DO "
        "UPDATE SET last_telemetry_at = now(), outbox_depth = EXCLUDED.outbox_depth, "
        "config_version = EXCLUDED.config_version, gallery_version = EXCLUDED.gallery_version, "
        "version = EXCLUDED.version, held_count = EXCLUDED.held_count, "
        "disk_full = EXCLUDED.disk_full",
        (device_id, beat.outbox_depth, beat.config_version, beat.gallery_version, beat.version,
         beat.held_count, beat.disk_full))


def store_status(conn: psycopg.Connection, device_id: str, status: Status) -> None:
    """Online/offline (offline is the kiosk's last will)."""
    conn.execute(
        "INSERT INTO device_state (device_id, state, status_at) VALUES (%s, %s, "
        "coalesce(%s, now())) ON CONFLICT (device_id) DO UPDATE SET state = EXCLUDED.state, "
        "status_at = EXCLUDED.status_at", (device_id, status.state, status.at))


def reject(conn: psycopg.Connection, topic: str, device_id: str | None, reason: str,
           detail: str, raw: bytes) -> None:
    """Keep a refused message (raw bytes once per digest) and commit."""
    refusals.keep(conn, topic, device_id, None, reason, detail, raw)
    conn.commit()
    logger.warning("%s on %s: %s", reason, printable(topic), printable(detail)[:200])
