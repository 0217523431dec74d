"""Approved dinas luar to the kiosks of their place: the duty travels in the kiosk's signed,
retained config (`publish_config`), which the kiosk's rules already honour (a check-in near
the place, that day, by that person, is inside).

"The kiosks of that place" are those whose office's geofence overlaps the place's circle.
An approval queues a delivery in its own transaction (migration 0880); the fleet monitor
drains the queue (`deliver_pending`) every few seconds and again after a restart, so an
approval made while the broker is down still arrives. A delivery republishes each nearby
kiosk's latest config (its thresholds; its work schedules as they are now) with its duties
from today on: the ones it had and every approved dinas luar near it. A kiosk never
configured yet has no thresholds to repeat: it is named in the delivery's note and gets its
duties with its first `device config`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import psycopg
from hadir_protocol.geo import haversine_m
from hadir_protocol.models import Duty, Office, Thresholds

from .config import latest_config, office_of, publish_config
from .outbound import Outbound

logger = logging.getLogger(__name__)
#: the longest dinas luar sent to a kiosk at once (later days follow with later deliveries)
MAX_DAYS = 62


def near(office: Office, lat: float, lon: float, radius_m: float) -> bool:
    """Whether a place's circle overlaps the office's geofence."""
    return haversine_m(office.lat, office.lon, lat, lon) <= office.radius_m + radius_m


def approved_near(conn: psycopg.Connection, office: Office, today: date) -> list[Duty]:
    """Every day from today of every approved dinas luar whose place is near the office."""
    out = []
    for nip, start, end, lat, lon, radius in conn.execute(
            "SELECT nip, start_date, end_date, place_lat, place_lon, place_radius_m "
            "FROM requests WHERE state = 'disetujui' AND place_lat IS NOT NULL "
            "AND end_date >= %s ORDER BY id", (today,)).fetchall():
        if not near(office, lat, lon, radius):
            continue
        day = max(start, today)
        last = min(end, today + timedelta(days=MAX_DAYS - 1))
        while day <= last:
            out.append(Duty(employee_id=nip, day=day, lat=lat, lon=lon, radius_m=radius))
            day += timedelta(days=1)
    return out


def _devices_near(conn: psycopg.Connection, lat: float, lon: float,
                  radius: float) -> list[str]:
    devices = [r[0] for r in conn.execute(
        "SELECT id FROM devices WHERE NOT disabled AND office_id IS NOT NULL ORDER BY id")]
    return [d for d in devices if near(office_of(conn, d), lat, lon, radius)]


def refresh_device(conn: psycopg.Connection, out: Outbound, device_id: str,
                   today: date) -> int | None:
    """Republish the kiosk's latest config with today's and later duties and its work schedules
    as they are now; its new version, or None when it has never been configured."""
    last = latest_config(conn, device_id)
    if last is None:
        return None
    kept = [Duty.model_validate(d) for d in last.get("duties", [])]
    duties = {(d.employee_id, d.day, d.lat, d.lon): d for d in kept if d.day >= today}
    for d in approved_near(conn, office_of(conn, device_id), today):
        duties.setdefault((d.employee_id, d.day, d.lat, d.lon), d)
    cfg = publish_config(
        conn, out, device_id, thresholds=Thresholds.model_validate(last.get("thresholds", {})),
        duties=sorted(duties.values(), key=lambda d: (d.day, d.employee_id)))
    return cfg.version


def deliver_pending(conn: psycopg.Connection, out: Outbound, today: date) -> int:
    """Send every queued approval to the kiosks of its place; how many were delivered."""
    done = 0
    for rid, lat, lon, radius in conn.execute(
            "SELECT q.request_id, r.place_lat, r.place_lon, r.place_radius_m FROM "
            "duty_deliveries q JOIN requests r ON r.id = q.request_id WHERE q.sent_at IS NULL "
            "ORDER BY q.queued_at").fetchall():
        sent, unconfigured = [], []
        for device in _devices_near(conn, lat, lon, radius):
            if refresh_device(conn, out, device, today) is None:
                unconfigured.append(device)
            else:
                sent.append(device)
        note = ("" if not unconfigured else
                "belum pernah dikonfigurasi (tugas ikut konfigurasi pertamanya): "
                + ", ".join(unconfigured))
        if not sent and not unconfigured:
            note = "tidak ada kiosk di dekat tempat dinas luar ini"
        conn.execute("UPDATE duty_deliveries SET sent_at = now(), devices = %s, note = %s "
                     "WHERE request_id = %s", (sent, note, rid))
        conn.commit()
        logger.info("dinas luar %s sent to %s %s", rid, sent or "no kiosk", note)
        done += 1
    return done
