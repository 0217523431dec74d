"""A kiosk's retained, versioned configuration: stored, signed and published."""

from __future__ import annotations

import json

import psycopg
from hadir_protocol import topics
from hadir_protocol.models import Config, Duty, Office, ScheduleDay, Thresholds

from .domain import FleetError
from .gallery import touch
from .outbound import Outbound


def office_of(conn: psycopg.Connection, device_id: str) -> Office:
    row = conn.execute(
        "SELECT o.id, o.name, o.tz, o.lat, o.lon, o.radius_m FROM devices d "
        "JOIN offices o ON o.id = d.office_id WHERE d.id = %s", (device_id,)).fetchone()
    if row is None:
        raise FleetError(f"kiosk {device_id!r} belum terdaftar atau tidak punya kantor")
    return Office(id=row[0], name=row[1], tz=row[2], lat=row[3], lon=row[4], radius_m=row[5])


def publish_config(conn: psycopg.Connection, out: Outbound, device_id: str,
                   schedule: list[ScheduleDay], thresholds: Thresholds,
                   duties: list[Duty] | None = None) -> Config:
    """Store and publish (retained) the next config version for a kiosk."""
    office = office_of(conn, device_id)
    last = conn.execute("SELECT coalesce(max(version), 0) FROM device_configs WHERE device_id = %s",
                        (device_id,)).fetchone()[0]
    cfg = Config(version=last + 1, device_id=device_id, office=office, schedule=schedule,
                 thresholds=thresholds, duties=duties or [])
    conn.execute("INSERT INTO device_configs (device_id, version, payload) VALUES (%s, %s, %s)",
                 (device_id, cfg.version, json.dumps(cfg.model_dump(mode="json", by_alias=True))))
    # people newly on duty here: their faces take new versions, so this kiosk's next delta
    # brings them (a kiosk receives only its office's faces and those on duty there)
    touch(conn, [d.employee_id for d in cfg.duties])
    out.send(topics.config(device_id), cfg, retain=True)
    conn.commit()
    return cfg
