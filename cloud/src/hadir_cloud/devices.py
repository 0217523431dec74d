"""Offices and kiosks: registration, broker credentials and the broker's ACL."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
from hadir_protocol.signing import SignatureError, load_public_key
from hadir_protocol.topics import DEVICE_ID_RE

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


def write_broker_credentials(device_id: str, password: str, passwd_file: Path,
                             acl_file: Path) -> None:
    """Add the kiosk to Mosquitto's password file and give it its own topics in the ACL.

    A kiosk may write only `hadir/v1/<id>/{checkin,status,telemetry,reply/#}` and read only
    its ack, config, gallery and commands. The broker must reload (SIGHUP) to see changes.
    """
    if not passwd_file.exists():
        passwd_file.touch(mode=0o600)
    try:
        subprocess.run(["mosquitto_passwd", "-b", str(passwd_file), device_id, password],
                       check=True, capture_output=True)
    except FileNotFoundError as err:
        raise RegistrationError("mosquitto_passwd tidak terpasang (apt-get install mosquitto)") from err
    except subprocess.CalledProcessError as err:
        raise RegistrationError(f"mosquitto_passwd gagal: {err.stderr.decode().strip()}") from err
    block = acl_block(device_id)
    text = acl_file.read_text() if acl_file.exists() else ""
    text = re.sub(rf"(?ms)^user {re.escape(device_id)}\n.*?(?=^user |\Z)", "", text)
    acl_file.write_text(text.rstrip("\n") + ("\n\n" if text.strip() else "") + block)


def acl_block(device_id: str) -> str:
    """The Mosquitto ACL lines for one kiosk."""
    base = f"hadir/v1/{device_id}"
    lines = [f"user {device_id}"]
    lines += [f"topic write {base}/{t}" for t in ("checkin", "status", "telemetry", "reply/#")]
    lines += [f"topic read {base}/{t}" for t in ("ack", "config", "gallery", "cmd/#")]
    return "\n".join(lines) + "\n"
