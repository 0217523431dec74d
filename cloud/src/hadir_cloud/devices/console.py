"""IT's fleet console: what the portal shows of a kiosk (the boards' `fleet_status` view, its
commands, configs and refusals) and the config it pushes from a form. Registering, revoking,
commands and the gallery go through the same functions as the CLI (registration, commands,
config, faces)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from hadir_protocol.models import Config, Thresholds
from psycopg.rows import dict_row

from .config import office_of, publish_config
from .duties import approved_near
from .outbound import Outbound


def kiosks(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every kiosk with its health (the boards' fleet_status view), the worst first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM fleet_status ORDER BY health_level DESC, device_id"
                           ).fetchall()


def kiosk(conn: psycopg.Connection, device_id: str) -> dict[str, Any] | None:
    """One kiosk's health, its registered key and broker login, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT f.*, d.public_key, d.broker_username FROM fleet_status f "
            "JOIN devices d ON d.id = f.device_id WHERE f.device_id = %s",
            (device_id,)).fetchone()


def commands(conn: psycopg.Connection, device_id: str, limit: int = 15) -> list[dict[str, Any]]:
    """The kiosk's latest commands with their replies (stored by the fleet monitor)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT correlation_id, name, args, issued_at, ok, reply, replied_at "
            "FROM device_commands WHERE device_id = %s ORDER BY issued_at DESC LIMIT %s",
            (device_id, limit)).fetchall()


def command(conn: psycopg.Connection, device_id: str, cid: str) -> dict[str, Any] | None:
    """One command of a kiosk."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT correlation_id, name, args, issued_at, ok, reply, replied_at "
            "FROM device_commands WHERE device_id = %s AND correlation_id = %s",
            (device_id, cid)).fetchone()


def last_config(conn: psycopg.Connection, device_id: str) -> Config | None:
    """The config last sent to the kiosk, as it went."""
    row = conn.execute("SELECT payload FROM device_configs WHERE device_id = %s "
                       "ORDER BY version DESC LIMIT 1", (device_id,)).fetchone()
    return Config.model_validate(row[0]) if row else None


def refusals(conn: psycopg.Connection, device_id: str) -> list[tuple[str, int]]:
    """What was refused or held of this kiosk in the last 24 hours, by reason."""
    return [(r[0], int(r[1])) for r in conn.execute(
        "SELECT reason, sum(seen_count) FROM rejected_messages WHERE device_id = %s "
        "AND last_seen_at > now() - INTERVAL '1 day' GROUP BY reason ORDER BY 2 DESC",
        (device_id,)).fetchall()]


def offices(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(id, name, tz) of every office."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT id, name, tz FROM offices ORDER BY name").fetchall()]


def push_config(conn: psycopg.Connection, out: Outbound, device_id: str,
                thresholds: Thresholds) -> Config:
    """Send the kiosk its next config with these thresholds, the work schedules of its people
    (read now) and every approved dinas luar near its office (as `hadir-cloud device config`
    does)."""
    office = office_of(conn, device_id)
    today = datetime.now(ZoneInfo(office.tz)).date()
    return publish_config(conn, out, device_id, thresholds=thresholds,
                          duties=approved_near(conn, office, today))
