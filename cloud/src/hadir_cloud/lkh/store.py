"""SQL of LKH filing and review: reports, their activities and every move (lkh_events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from ..org import domain as org
from ..org.store import Chart, load_chart
from ..tpp import store as tpp_store
from ..tpp.calendar import OfficeCalendar
from .domain import (
    APPROVED,
    DRAFT,
    MAX_ACTIVITIES,
    SUBMITTED,
    Activity,
    LkhError,
    check_review,
    check_save,
    deadline,
)


@dataclass(frozen=True)
class Report:
    """A person's report of a day (state None: nothing written yet)."""

    nip: str
    name: str
    day: date
    state: str | None
    note: str
    activities: tuple[Activity, ...]
    last_day: date


def _calendar(conn: psycopg.Connection, nip: str, day: date) -> OfficeCalendar:
    emp = tpp_store.employee(conn, nip, on=day)
    return tpp_store.office_calendars(conn, day, day + timedelta(days=45))[emp.office_id]


def last_day(conn: psycopg.Connection, nip: str, day: date) -> date:
    """The last day a report of `day` may be submitted (the rule set's deadline)."""
    emp = tpp_store.employee(conn, nip, on=day)
    try:
        rule = tpp_store.rulebook(conn).for_day(emp.regency, emp.staff_kind, day).lkh
    except LookupError:
        rule = None
    days = rule.deadline_working_days if rule is not None else 2
    cal = _calendar(conn, nip, day)
    return deadline(day, days, lambda d: cal.day(d).working)


def report(conn: psycopg.Connection, nip: str, day: date) -> Report:
    """A person's report of a day, with its activities."""
    name = conn.execute("SELECT name FROM employees WHERE nip = %s", (nip,)).fetchone()
    if name is None:
        raise LkhError(f"pegawai dengan NIP {nip} tidak ditemukan")
    row = conn.execute("SELECT status, note FROM lkh_reports WHERE nip = %s AND day = %s",
                       (nip, day)).fetchone()
    acts = tuple(Activity(*r) for r in conn.execute(
        "SELECT activity, output, quantity, unit, minutes, link FROM lkh_activities "
        "WHERE nip = %s AND day = %s ORDER BY seq", (nip, day)).fetchall())
    return Report(nip, name[0], day, row[0] if row else None, row[1] if row else "", acts,
                  last_day(conn, nip, day))


def recent_days(conn: psycopg.Connection, nip: str, today: date,
                n: int = 10) -> list[tuple[date, str | None]]:
    """The person's last `n` working days up to today, newest first, with their report's
    state."""
    cal = _calendar(conn, nip, today - timedelta(days=40))
    emp = tpp_store.employee(conn, nip, on=today)
    days = [today - timedelta(days=i) for i in range(40)]
    days = [d for d in days if cal.day(d).working and d >= emp.join_date][:n]
    states = dict(conn.execute("SELECT day, status FROM lkh_reports WHERE nip = %s AND "
                               "day = ANY(%s)", (nip, days)).fetchall())
    return [(d, states.get(d)) for d in days]


def save(conn: psycopg.Connection, nip: str, day: date, activities: list[Activity],
         submit: bool, by: str, today: date) -> str:
    """Write the person's report of a day (as a draft, or submitted to the atasan); the new
    state. Raises LkhError when the report may not be written now."""
    if submit and not activities:
        raise LkhError("isi paling sedikit satu kegiatan sebelum mengajukan")
    with conn.transaction():
        row = conn.execute("SELECT status FROM lkh_reports WHERE nip = %s AND day = %s "
                           "FOR UPDATE", (nip, day)).fetchone()
        state = row[0] if row else None
        check_save(state, day, today, last_day(conn, nip, day), submit)
        new = SUBMITTED if submit else DRAFT
        summary = "; ".join(a.activity for a in activities)[:500]
        conn.execute(
            "INSERT INTO lkh_reports (nip, day, status, summary, submitted_at) VALUES "
            "(%s, %s, %s, %s, CASE WHEN %s THEN now() END) ON CONFLICT (nip, day) DO UPDATE "
            "SET status = EXCLUDED.status, summary = EXCLUDED.summary, "
            "submitted_at = EXCLUDED.submitted_at", (nip, day, new, summary, submit))
        conn.execute("DELETE FROM lkh_activities WHERE nip = %s AND day = %s", (nip, day))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO lkh_activities (nip, day, seq, activity, output, quantity, unit, "
                "minutes, link) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(nip, day, i, a.activity, a.output, a.quantity, a.unit, a.minutes, a.link)
                 for i, a in enumerate(activities, start=1)])
        conn.execute("INSERT INTO lkh_events (nip, day, by_user, from_state, to_state) "
                     "VALUES (%s, %s, %s, %s, %s)", (nip, day, by, state, new))
    return new


def append(conn: psycopg.Connection, nip: str, day: date, activity: Activity, by: str,
           today: date) -> str:
    """Add one activity to the person's report of a day, kept (or made) a draft for them to
    submit; LkhError when the report may no longer change or is full."""
    with conn.transaction():
        rep = report(conn, nip, day)
        if len(rep.activities) >= MAX_ACTIVITIES:
            raise LkhError(f"LKH tanggal {day:%d-%m-%Y} sudah berisi {MAX_ACTIVITIES} kegiatan")
        return save(conn, nip, day, [*rep.activities, activity], False, by, today)


def atasan_for(chart: Chart, nip: str, unit_id: str, day: date) -> str | None:
    """The NIP of the person's direct atasan on `day`: from their position
    (`org.atasan_of`), or, for someone with no position recorded, the holder of the head
    position of their unit or the nearest unit above (never the person themself)."""
    holder = org.atasan_of(nip, day, chart.units, chart.positions, chart.assignments,
                           chart.acting)
    if holder is not None:
        return holder.nip
    if org.assignment_on(nip, day, chart.assignments) is not None:
        return None  # at the top
    unit: str | None = unit_id
    seen: set[str] = set()
    while unit is not None and unit not in seen:
        seen.add(unit)
        head = org.head_position(unit, chart.positions)
        if head is not None:
            h = org.holder_on(head.id, day, chart.assignments, chart.acting)
            if h is not None and h.nip != nip:
                return h.nip
        u = chart.units.get(unit)
        unit = u.parent_id if u else None
    return None


def queue(conn: psycopg.Connection, reviewer_nip: str) -> list[Report]:
    """Reports waiting for `reviewer_nip`'s decision (they are the owner's direct atasan on the
    report's day), oldest first."""
    rows = conn.execute("SELECT r.nip, r.day, e.unit_id FROM lkh_reports r JOIN employees e "
                        "ON e.nip = r.nip WHERE r.status = %s ORDER BY r.day, r.nip",
                        (SUBMITTED,)).fetchall()
    if not rows:
        return []
    chart = load_chart(conn)
    return [report(conn, nip, day) for nip, day, unit in rows
            if atasan_for(chart, nip, unit, day) == reviewer_nip]


def review(conn: psycopg.Connection, reviewer: str, reviewer_nip: str | None, nip: str,
           day: date, approve: bool, note: str = "") -> str:
    """Approve or return a submitted report; the new state (LkhError when not allowed)."""
    with conn.transaction():
        row = conn.execute("SELECT r.status, e.unit_id FROM lkh_reports r JOIN employees e ON "
                           "e.nip = r.nip WHERE r.nip = %s AND r.day = %s FOR UPDATE OF r",
                           (nip, day)).fetchone()
        if row is None:
            raise LkhError(f"tidak ada LKH {nip} tanggal {day:%d-%m-%Y}")
        atasan = atasan_for(load_chart(conn), nip, row[1], day)
        new = check_review(row[0], nip, reviewer_nip, atasan, approve, note)
        conn.execute("UPDATE lkh_reports SET status = %s, note = %s, "
                     "approved_by = CASE WHEN %s THEN %s END, "
                     "approved_at = CASE WHEN %s THEN now() END WHERE nip = %s AND day = %s",
                     (new, note.strip(), new == APPROVED, reviewer, new == APPROVED, nip, day))
        conn.execute("INSERT INTO lkh_events (nip, day, by_user, from_state, to_state, note) "
                     "VALUES (%s, %s, %s, %s, %s, %s)", (nip, day, reviewer, row[0], new,
                                                         note.strip()))
    return new
