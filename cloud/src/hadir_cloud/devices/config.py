"""A kiosk's retained, versioned configuration: stored, signed and published.

The configuration carries the TPP work schedules of the kiosk's people (`work_schedules`:
their schedule groups, those groups' schedules with Friday/Saturday/Ramadan variants, the
Ramadan periods not over yet), so the kiosk decides in/out from the same hours the TPP
engine judges lateness by. When those inputs change (a schedule edited, a person moved, a
Ramadan period added) the fleet monitor republishes the configs whose schedules differ
(`stale_schedules`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from hadir_protocol import topics
from hadir_protocol.models import (
    Config,
    Duty,
    Office,
    RamadanPeriod,
    Thresholds,
    WorkSchedule,
    WorkSchedules,
)

from .domain import FleetError
from .gallery import touch
from .outbound import Outbound

#: the tables whose change can change a kiosk's work schedules (their `data_versions` rows)
SCHEDULE_SOURCES = ("work_schedules", "ramadan_periods", "employees", "employee_periods")


def office_of(conn: psycopg.Connection, device_id: str) -> Office:
    """The office a registered kiosk stands in."""
    row = conn.execute(
        "SELECT o.id, o.name, o.tz, o.lat, o.lon, o.radius_m FROM devices d "
        "JOIN offices o ON o.id = d.office_id WHERE d.id = %s", (device_id,)).fetchone()
    if row is None:
        raise FleetError(f"kiosk {device_id!r} belum terdaftar atau tidak punya kantor")
    return Office(id=row[0], name=row[1], tz=row[2], lat=row[3], lon=row[4], radius_m=row[5])


def local_today(office: Office) -> date:
    """Today in the office's own time zone."""
    return datetime.now(ZoneInfo(office.tz)).date()


def work_schedules_for(conn: psycopg.Connection, office: Office, today: date,
                       people: Iterable[str] = ()) -> WorkSchedules:
    """What a kiosk of `office` decides in/out from: the schedule group of everyone working
    there today (and of `people`: those on duty there, those whose face is enrolled for it),
    the schedules of those groups in force today or later, and the Ramadan periods not over.

    The office's most common group is the default for anyone not listed.
    """
    from ..tpp.store import schedules  # the TPP engine's schedules, read the way it reads them

    rows = conn.execute(
        "SELECT e.nip, coalesce(p.schedule_group, e.schedule_group), "
        "coalesce(p.office_id, e.office_id) = %(office)s FROM employees e "
        "LEFT JOIN LATERAL (SELECT schedule_group, office_id FROM employee_periods p "
        "WHERE p.nip = e.nip AND p.valid_from <= %(today)s ORDER BY p.valid_from DESC LIMIT 1) p "
        "ON true WHERE (e.leave_date IS NULL OR e.leave_date >= %(today)s) AND "
        "(coalesce(p.office_id, e.office_id) = %(office)s OR e.nip = ANY(%(people)s) OR e.nip IN "
        "(SELECT employee_id FROM face_templates WHERE office_id = %(office)s AND NOT removed)) "
        "ORDER BY e.nip", {"office": office.id, "today": today, "people": sorted(set(people))},
    ).fetchall()
    groups = {nip: group for nip, group, _ in rows}
    here = Counter(group for _, group, at_office in rows if at_office)
    default = min(here, key=lambda g: (-here[g], g)) if here else None
    used = set(groups.values()) | ({default} if default else set())
    work = [WorkSchedule.model_validate({"id": s.id, "group": s.group,
                                         "effective_from": s.effective_from,
                                         "effective_to": s.effective_to, "hours": s.hours_data()})
            for s in schedules(conn) if s.group in used
            and (s.effective_to is None or s.effective_to >= today)]
    ramadan = [RamadanPeriod(start=a, end=b) for a, b in conn.execute(
        "SELECT start_date, end_date FROM ramadan_periods WHERE end_date >= %s "
        "ORDER BY start_date", (today,))]
    return WorkSchedules(schedules=work, groups=groups, default_group=default, ramadan=ramadan)


def publish_config(conn: psycopg.Connection, out: Outbound, device_id: str, *,
                   thresholds: Thresholds | None = None,
                   duties: list[Duty] | None = None) -> Config:
    """Store and publish (retained, signed) the next config version for a kiosk: its office,
    thresholds, approved duties elsewhere, and the work schedules of its people (read now)."""
    office = office_of(conn, device_id)
    duties = duties or []
    row = conn.execute("SELECT coalesce(max(version), 0) FROM device_configs "
                       "WHERE device_id = %s", (device_id,)).fetchone()
    last = int(row[0]) if row else 0
    work = work_schedules_for(conn, office, local_today(office),
                              [d.employee_id for d in duties])
    cfg = Config(version=last + 1, device_id=device_id, office=office,
                 thresholds=thresholds or Thresholds(), duties=duties, work_schedules=work)
    conn.execute("INSERT INTO device_configs (device_id, version, payload) VALUES (%s, %s, %s)",
                 (device_id, cfg.version, json.dumps(cfg.model_dump(mode="json", by_alias=True))))
    # people newly on duty here: their faces take new versions, so this kiosk's next delta
    # brings them (a kiosk receives only its office's faces and those on duty there)
    touch(conn, [d.employee_id for d in cfg.duties])
    out.send(topics.config(device_id), cfg, retain=True)
    conn.commit()
    return cfg


def latest_config(conn: psycopg.Connection, device_id: str) -> dict[str, Any] | None:
    """The payload of the kiosk's latest stored config, or None before its first."""
    row = conn.execute("SELECT payload FROM device_configs WHERE device_id = %s "
                       "ORDER BY version DESC LIMIT 1", (device_id,)).fetchone()
    if row is None:
        return None
    payload: dict[str, Any] = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return payload


def stale_schedules(conn: psycopg.Connection) -> list[str]:
    """The configured, enabled kiosks whose latest config's work schedules differ from what
    they would get now (a schedule, a person's group or office, the Ramadan dates changed)."""
    stale = []
    for (device_id,) in conn.execute(
            "SELECT DISTINCT d.id FROM devices d JOIN device_configs c ON c.device_id = d.id "
            "WHERE NOT d.disabled AND d.office_id IS NOT NULL ORDER BY d.id").fetchall():
        last = latest_config(conn, device_id)
        if last is None:
            continue
        office = office_of(conn, device_id)
        duties = [d.get("employee_id", "") for d in last.get("duties", [])]
        now = work_schedules_for(conn, office, local_today(office), duties)
        if now.model_dump(mode="json") != last.get("work_schedules"):
            stale.append(device_id)
    return stale
