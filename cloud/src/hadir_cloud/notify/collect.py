"""Collecting notices from the state of things: requests and LKH waiting for a decision or
decided, yesterday's LKH missing, PP 94/2021 thresholds one or two TK days away (to HR and the
atasan), kiosks offline for 30 minutes (to IT). Each notice once (`notifications.dedupe`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

import psycopg

from ..lkh.store import atasan_for
from ..org import domain as org
from ..org.store import Chart, load_chart
from ..requests import store as requests_store
from ..requests.domain import approvers
from ..tpp import discipline
from ..tpp import store as tpp_store
from .domain import (
    DECIDED_REQUEST,
    KIOSK_OFFLINE,
    MISSING_LKH,
    NEAR_SANCTION,
    WAITING_LKH,
    WAITING_REQUEST,
    Notice,
)

logger = logging.getLogger(__name__)
_DECIDED = {"disetujui": "disetujui", "dikembalikan": "dikembalikan untuk diperbaiki",
            "ditolak": "ditolak"}
#: a kiosk silent this long is offline for IT (heartbeats come every minute or so)
OFFLINE_AFTER = timedelta(minutes=30)


def _accounts(conn: psycopg.Connection) -> dict[str, str]:
    """NIP → username of every employee's account."""
    return dict(conn.execute("SELECT nip, username FROM portal_users WHERE nip IS NOT NULL"))


def _requests(conn: psycopg.Connection, today: date, users: dict[str, str]) -> list[Notice]:
    out = []
    org_today = requests_store.org_on(conn, today)
    for req in requests_store.waiting(conn):
        for nip in sorted(approvers(req, today, org_today)):
            if nip in users:
                out.append(Notice(users[nip], WAITING_REQUEST,
                                  f"permohonan-{req.id}-langkah-{req.step}-{nip}-"
                                  f"{len(req.events)}",
                                  f"Permohonan {req.kind} {req.nip} {req.start:%d-%m-%Y}"
                                  f"–{req.end:%d-%m-%Y}", "/permohonan/masuk"))
    for eid, rid, nip, kind, state, note in conn.execute(
            "SELECT e.id, r.id, r.nip, r.kind, e.to_state, e.note FROM request_events e "
            "JOIN requests r ON r.id = e.request_id WHERE e.to_state = ANY(%s) "
            "AND e.at > %s", (list(_DECIDED), today - timedelta(days=30))).fetchall():
        if nip in users:
            out.append(Notice(users[nip], DECIDED_REQUEST, f"permohonan-peristiwa-{eid}",
                              f"Permohonan {kind} Anda {_DECIDED[state]}"
                              + (f": {note}" if note else ""), f"/permohonan/{rid}"))
    return out


def _stamp(at: datetime | None) -> str:
    """A submission's time in a dedupe key (a report filed before times were kept has none)."""
    return at.strftime("%Y%m%d%H%M%S") if at is not None else "-"


def _lkh(conn: psycopg.Connection, today: date, users: dict[str, str],
         chart: Chart) -> list[Notice]:
    out = []
    rows = conn.execute("SELECT r.nip, r.day, e.unit_id, r.submitted_at FROM lkh_reports r "
                        "JOIN employees e ON e.nip = r.nip WHERE r.status = 'diajukan'").fetchall()
    for nip, day, unit, submitted in rows:
        boss = atasan_for(chart, nip, unit, day)
        if boss in users:
            out.append(Notice(users[boss], WAITING_LKH,
                              f"lkh-{nip}-{day}-{_stamp(submitted)}-{boss}",
                              f"LKH {nip} tanggal {day:%d-%m-%Y}", "/lkh/tinjau"))
    # yesterday's LKH, where yesterday was a working day of the person's office
    yesterday = today - timedelta(days=1)
    cals = tpp_store.office_calendars(conn, yesterday, yesterday)
    filed = {r[0] for r in conn.execute("SELECT nip FROM lkh_reports WHERE day = %s",
                                        (yesterday,))}
    for e in tpp_store.employees(conn, yesterday, yesterday):
        cal = cals.get(e.office_id)
        if (e.nip in users and e.nip not in filed and cal is not None
                and cal.day(yesterday).working):
            out.append(Notice(users[e.nip], MISSING_LKH, f"lkh-kosong-{e.nip}-{yesterday}",
                              f"LKH tanggal {yesterday:%d-%m-%Y} belum diisi",
                              f"/lkh/{yesterday.isoformat()}"))
    return out


def _grants(conn: psycopg.Connection, role: str) -> list[tuple[str, str | None]]:
    """(username, unit scope) of every grant of `role`."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT username, unit_id FROM role_grants WHERE role = %s ORDER BY username", (role,))]


def hr_for(unit_id: str, chart: Chart, bkpsdm: Iterable[tuple[str, str | None]],
           opd_admins: Iterable[tuple[str, str | None]]) -> set[str]:
    """The HR accounts responsible for a person of `unit_id`: every BKPSDM admin, and the OPD
    admins whose unit scope covers the unit."""
    out = {user for user, _unit in bkpsdm}
    for user, scope in opd_admins:
        if scope is not None and unit_id in org.subtree(scope, chart.units):
            out.add(user)
    return out


def _discipline(conn: psycopg.Connection, today: date, users: dict[str, str],
                chart: Chart) -> list[Notice]:
    """A PP 94/2021 threshold one or two TK days away: to HR and the person's atasan, once per
    person, TK count and threshold."""
    found = discipline.warnings(conn, today.year)
    if not found:
        return []
    units: dict[str, str] = dict(conn.execute("SELECT nip, unit_id FROM employees WHERE nip = ANY(%s)",
                              ([w.nip for w in found],)).fetchall())
    names: dict[str, str] = dict(conn.execute("SELECT nip, name FROM employees WHERE nip = ANY(%s)",
                              ([w.nip for w in found],)).fetchall())
    bkpsdm, opd_admins = _grants(conn, "admin_bkpsdm"), _grants(conn, "admin_opd")
    out = []
    for w in found:
        unit = units.get(w.nip)
        if unit is None:
            continue
        told = hr_for(unit, chart, bkpsdm, opd_admins)
        boss = atasan_for(chart, w.nip, unit, today)
        if boss in users:
            told.add(users[boss])
        title = (f"{names.get(w.nip, w.nip)} ({w.nip}): TK {w.tk_days} hari tahun {today.year}; "
                 f"{w.days_to_next} hari lagi menjadi {w.next_level}")
        for username in sorted(told):
            out.append(Notice(username, NEAR_SANCTION,
                              f"pp94-{w.nip}-{today.year}-{w.tk_days}-{w.max_run}-{username}",
                              title, f"/rekap/pegawai/{w.nip}"))
    return out


def _kiosks(conn: psycopg.Connection, now: datetime) -> list[Notice]:
    """Kiosks (not disabled) silent for OFFLINE_AFTER since they were last heard: to every IT
    operator, once per outage (named by when the kiosk was last heard)."""
    it = [user for user, _unit in _grants(conn, "operator_ti")]
    if not it:
        return []
    rows = conn.execute(
        "SELECT d.id, o.name, greatest(s.last_telemetry_at, s.status_at) AS heard, s.state "
        "FROM devices d JOIN device_state s ON s.device_id = d.id "
        "LEFT JOIN offices o ON o.id = d.office_id WHERE NOT d.disabled "
        "AND greatest(s.last_telemetry_at, s.status_at) < %s", (now - OFFLINE_AFTER,)).fetchall()
    out = []
    for device, office, heard, _state in rows:
        minutes = int((now - heard).total_seconds() // 60)
        title = (f"Kiosk {device}" + (f" ({office})" if office else "")
                 + f" tidak terhubung sejak {heard:%d-%m-%Y %H:%M} UTC ({minutes} menit)")
        for username in it:
            out.append(Notice(username, KIOSK_OFFLINE,
                              f"kiosk-luring-{device}-{heard.isoformat()}-{username}", title,
                              f"/kiosk/perangkat/{device}"))
    return out


def _letters(conn: psycopg.Connection, today: date, users: dict[str, str]) -> list[Notice]:
    """Letters waiting for a paraf or a signature, incoming letters and dispositions."""
    from ..letters.archive import notices as letter_notices

    return list(letter_notices(conn, today, users))


def notices(conn: psycopg.Connection, today: date, now: datetime) -> list[Notice]:
    """Every notice the present state gives (already recorded ones included). A collector that
    fails is logged and skipped, so one broken kind does not silence the others."""
    users = _accounts(conn)
    chart = load_chart(conn)
    sources: list[tuple[str, Callable[[], list[Notice]]]] = [
        ("permohonan", lambda: _requests(conn, today, users)),
        ("lkh", lambda: _lkh(conn, today, users, chart)),
        ("disiplin", lambda: _discipline(conn, today, users, chart)),
        ("kiosk", lambda: _kiosks(conn, now)),
        ("surat", lambda: _letters(conn, today, users))]
    out: list[Notice] = []
    for name, source in sources:
        try:
            with conn.transaction():
                out += source()
        except Exception:  # noqa: BLE001 - a bug in one collector must not stop the others
            logger.exception("collecting %s notices failed; the others go on", name)
    return out


def collect(conn: psycopg.Connection, today: date, now: datetime | None = None) -> int:
    """Record the notices the present state gives; how many are new (a notice already
    recorded is not recorded again)."""
    found = notices(conn, today, now or datetime.now().astimezone())
    new = 0
    with conn.transaction(), conn.cursor() as cur:
        for n in found:
            cur.execute("INSERT INTO notifications (username, kind, dedupe, title, link) "
                        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (dedupe) DO NOTHING",
                        (n.username, n.kind, n.dedupe, n.title, n.link))
            new += cur.rowcount
    return new
