"""PostgreSQL adapter for TPP: reference data, a month's facts in bulk, parallel computation."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .calendar import (
    CalendarEntry,
    OfficeCalendar,
    days_between,
    load_calendar_file,
    month_bounds,
    national_holidays,
)
from .lkh import completeness
from .rules import RuleBook, RuleSet, parse_ruleset, shipped_dir
from .runs import RESULT_COLS as RESULT_COLS
from .runs import RunInfo as RunInfo
from .runs import RunNotFoundError as RunNotFoundError
from .runs import StoreError as StoreError
from .runs import copy_line as copy_line
from .runs import finalize_run as finalize_run
from .runs import get_run as get_run
from .runs import last_run_day as last_run_day
from .runs import latest_run as latest_run
from .runs import list_runs as list_runs
from .runs import result_row as result_row
from .runs import run_results as run_results
from .runs import tk_counts as tk_counts
from .runs import write_run as write_run
from .schedule import Schedule, ScheduleBook
from .status import Absence, DayStatus, Employee, Punch, evaluate_month
from .tpp import Sanction, TppResult, compute_tpp

logger = logging.getLogger(__name__)
UTC = UTC
MIGRATIONS = Path(__file__).resolve().parent.parent / "db" / "migrations"


class UnknownEmployeeError(LookupError):
    """No employee has this NIP."""


class RulesetConflictError(StoreError):
    """A rule set id and version already stored with different content."""


# ---------------------------------------------------------------- rule sets and calendars


def ruleset_digest(rs: RuleSet) -> str:
    """The sha256 of a rule set's content as stored (equal content, equal digest)."""
    content = rs.model_dump(mode="json")
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def save_ruleset(conn: psycopg.Connection, rs: RuleSet, source: str, by: str) -> bool:
    """Store a rule set version; False if the same content is already stored."""
    content = rs.model_dump(mode="json")
    digest = ruleset_digest(rs)
    m = rs.ruleset
    row = conn.execute("SELECT sha256 FROM tpp_rulesets WHERE id = %s AND version = %s",
                       (m.id, m.version)).fetchone()
    if row is not None:
        if row[0] != digest:
            raise RulesetConflictError(
                f"{source}: aturan {rs.key} sudah tersimpan dengan isi berbeda; "
                "naikkan 'version' untuk perubahan Perbup"
            )
        return False
    conn.execute(
        "INSERT INTO tpp_rulesets (id, version, regency, staff_kinds, effective_from, "
        "effective_to, content, source, sha256, loaded_by) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (m.id, m.version, m.regency, list(m.staff_kinds), m.effective_from, m.effective_to,
         Jsonb(content), source, digest, by),
    )
    return True


def rulebook(conn: psycopg.Connection) -> RuleBook:
    """Every stored rule set, validated again on the way out."""
    rows = conn.execute("SELECT id, version, content FROM tpp_rulesets ORDER BY id, version")
    return RuleBook([parse_ruleset(c, f"db:tpp_rulesets {i}@v{v}") for i, v, c in rows])


def shipped_calendar_file(year: int) -> Path | None:
    """The calendar file shipped for a year (rulesets/kalender_<year>.toml), if there is one."""
    path = shipped_dir() / f"kalender_{year}.toml"
    return path if path.exists() else None


def seed_calendar(conn: psycopg.Connection, year: int, calendar_file: Path | None) -> int:
    """National holidays of a year, plus cuti bersama / days / Ramadan from a file; rows added
    (a day or period already stored is left as it is)."""
    entries = national_holidays([year])
    ramadan: list[tuple[date, date]] = []
    if calendar_file is not None:
        extra, ramadan = load_calendar_file(calendar_file)
        entries += extra
    n = 0
    with conn.cursor() as cur:
        for e in entries:
            cur.execute(
                "INSERT INTO calendar_days (office_id, day, kind, name) VALUES (NULL, %s, %s, %s) "
                "ON CONFLICT DO NOTHING", (e.day, e.kind, e.name))
            n += cur.rowcount
        for a, b in ramadan:
            cur.execute("INSERT INTO ramadan_periods VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (a, b))
    return n


def office_calendars(
    conn: psycopg.Connection, first: date, last: date
) -> dict[str, OfficeCalendar]:
    """The calendar of every office for the dates first..last."""
    general: list[CalendarEntry] = []
    per_office: dict[str, list[CalendarEntry]] = {}
    for office, d, kind, name in conn.execute(
        "SELECT office_id, day, kind, name FROM calendar_days WHERE day BETWEEN %s AND %s "
        "ORDER BY office_id NULLS FIRST, day", (first, last)):
        (general if office is None else per_office.setdefault(office, [])).append(
            CalendarEntry(d, kind, name))
    ramadan = tuple(conn.execute(
        "SELECT start_date, end_date FROM ramadan_periods WHERE end_date >= %s "
        "AND start_date <= %s", (first, last)).fetchall())
    out = {}
    for oid, tz, ww in conn.execute(
        "SELECT o.id, o.tz, coalesce(c.workweek, 5) FROM offices o "
        "LEFT JOIN office_calendars c ON c.office_id = o.id"):
        out[oid] = OfficeCalendar(tz=tz, workweek=ww,
                                  entries=tuple(general + per_office.get(oid, [])),
                                  ramadan=ramadan)
    return out


def save_schedule(conn: psycopg.Connection, s: Schedule) -> None:
    """Insert or replace a work schedule."""
    conn.execute(
        "INSERT INTO work_schedules VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
        "group_name = excluded.group_name, effective_from = excluded.effective_from, "
        "effective_to = excluded.effective_to, hours = excluded.hours",
        (s.id, s.group, s.effective_from, s.effective_to, Jsonb(s.hours_data())))


def schedules(conn: psycopg.Connection) -> list[Schedule]:
    """Every work schedule."""
    rows = conn.execute("SELECT id, group_name, effective_from, effective_to, hours "
                        "FROM work_schedules ORDER BY id")
    return [Schedule.from_data(*r) for r in rows]


# ---------------------------------------------------------------- employees and month facts

#: an employee with the record (unit, office, schedule group, class, kind) in force on %(on)s:
#: the period of migration 0860 that began last on or before that day, else today's record
_EMP_SQL = (
    "SELECT e.nip, e.name, coalesce(p.unit_id, e.unit_id), coalesce(p.staff_kind, e.staff_kind), "
    "coalesce(p.position_class, e.position_class), e.join_date, "
    "coalesce(p.office_id, e.office_id), coalesce(p.schedule_group, e.schedule_group), "
    "u.regency, e.leave_date FROM employees e "
    "LEFT JOIN LATERAL (SELECT * FROM employee_periods p WHERE p.nip = e.nip "
    "AND p.valid_from <= %(on)s ORDER BY p.valid_from DESC LIMIT 1) p ON true "
    "JOIN units u ON u.id = coalesce(p.unit_id, e.unit_id)"
)


def employees(conn: psycopg.Connection, first: date, last: date,
              unit: str | None = None, units: Iterable[str] | None = None) -> list[Employee]:
    """Employees employed at some point between first and last, each with the record of the
    period's last day, optionally of one unit or of a set of units (on that day)."""
    sql = _EMP_SQL + (" WHERE e.join_date <= %(last)s AND (e.leave_date IS NULL "
                      "OR e.leave_date >= %(first)s)")
    if unit is not None:
        sql += " AND coalesce(p.unit_id, e.unit_id) = %(unit)s"
    if units is not None:
        sql += " AND coalesce(p.unit_id, e.unit_id) = ANY(%(units)s)"
    args = {"on": last, "first": first, "last": last, "unit": unit,
            "units": None if units is None else sorted(units)}
    return [Employee(*r) for r in conn.execute(sql + " ORDER BY e.nip", args).fetchall()]


def employee(conn: psycopg.Connection, nip: str, on: date | None = None) -> Employee:
    """One employee by NIP, with the record in force on `on` (default: today)."""
    row = conn.execute(_EMP_SQL + " WHERE e.nip = %(nip)s",
                       {"nip": nip, "on": on or date.today()}).fetchone()
    if row is None:
        raise UnknownEmployeeError(f"pegawai dengan NIP {nip} tidak ditemukan")
    return Employee(*row)


#: a period of an employee's record: from its first day, the fields it sets on `Employee`
Period = tuple[date, tuple[tuple[str, str], ...]]
_PERIOD_FIELDS = ("unit_id", "office_id", "schedule_group", "position_class", "staff_kind")


def periods_of(conn: psycopg.Connection, first: date, last: date) -> dict[str, list[Period]]:
    """The people whose record changed within first..last, with every period up to `last`
    (the others are judged with one record all through)."""
    out: dict[str, list[Period]] = {}
    for nip, start, *fields in conn.execute(
            "SELECT p.nip, p.valid_from, " + ", ".join(f"p.{f}" for f in _PERIOD_FIELDS)
            + " FROM employee_periods p WHERE p.valid_from <= %(last)s AND p.nip IN "
            "(SELECT nip FROM employee_periods WHERE valid_from > %(first)s "
            "AND valid_from <= %(last)s) ORDER BY p.nip, p.valid_from",
            {"first": first, "last": last}).fetchall():
        out.setdefault(nip, []).append((start, tuple(zip(_PERIOD_FIELDS, fields, strict=True))))
    return out


def evaluate_person(e: Employee, periods: Sequence[Period] | None,
                    cals: dict[str, OfficeCalendar], days: Sequence[date],
                    sched: ScheduleBook, book: RuleBook, punches: Iterable[Punch],
                    absences: Sequence[Absence]) -> list[DayStatus]:
    """`evaluate_month` with the record the person had on each day: a month with a move (to
    another unit, office or schedule group) is judged in pieces, each with its own record and
    its office's calendar."""
    if not periods:
        return evaluate_month(e, cals[e.office_id], days, sched, book, punches, absences)
    punches = list(punches)

    def record(d: date) -> Employee:
        fields = next((f for start, f in reversed(periods) if start <= d), periods[0][1])
        return replace(e, **dict(fields))

    out: list[DayStatus] = []
    piece: list[date] = []
    current = record(days[0])
    for d in days:
        rec = record(d)
        if rec != current:
            out += evaluate_month(current, cals[current.office_id], piece, sched, book,
                                  punches, absences)
            piece, current = [], rec
        piece.append(d)
    out += evaluate_month(current, cals[current.office_id], piece, sched, book, punches,
                          absences)
    return out


def unit_exists(conn: psycopg.Connection, unit: str) -> bool:
    """Whether a unit (OPD) exists."""
    return conn.execute("SELECT 1 FROM units WHERE id = %s", (unit,)).fetchone() is not None


@dataclass
class MonthFacts:
    """Bulk-read facts of a group of employees for a month."""

    punches: dict[str, list[Punch]]
    absences: dict[str, list[Absence]]
    lkh: dict[str, list[date]]
    sanctions: dict[str, list[Sanction]]


def facts_window(first: date, last: date) -> tuple[datetime, datetime]:
    """A UTC window wide enough for any Indonesian local day of first..last (UTC+7..+9)."""
    return (datetime.combine(first - timedelta(days=1), time(0), UTC),
            datetime.combine(last + timedelta(days=2), time(0), UTC))


def punches_of(conn: psycopg.Connection, nips: Sequence[str], first: date,
               last: date) -> dict[str, list[Punch]]:
    """The check-ins of these employees around first..last, as instants: each day's office
    calendar puts them in its own zone (a person who moved office mid-month, or since, is
    judged in the zone of the office they had that day).

    A NIP check-in waiting for review, or rejected in it (`review/`), is no presence: only
    an accepted one counts. Face check-ins count as they are.
    """
    lo, hi = facts_window(first, last)
    punches: dict[str, list[Punch]] = {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.employee_id, c.event_id::text, c.kind, c.captured_at FROM checkins c "
            "LEFT JOIN checkin_reviews r ON r.event_id = c.event_id "
            "AND r.captured_at = c.captured_at "
            "WHERE c.employee_id = ANY(%s) AND c.captured_at >= %s AND c.captured_at < %s "
            "AND (c.method <> 'nip' OR NOT c.review_required OR r.decision = 'accepted')",
            (list(nips), lo, hi))
        for nip, eid, kind, at in cur.fetchall():
            punches.setdefault(nip, []).append(Punch(eid, kind, at))
    return punches


def absences_of(conn: psycopg.Connection, nips: Sequence[str] | None, first: date,
                last: date) -> dict[str, list[Absence]]:
    """The approved absences of these employees (None: of everyone) overlapping first..last."""
    absences: dict[str, list[Absence]] = {}
    for nip, ref, kind, a, b, sub in conn.execute(
        "SELECT nip, ref, kind, start_date, end_date, subkind FROM absences "
        "WHERE status = 'disetujui' AND (%s::text[] IS NULL OR nip = ANY(%s)) "
        "AND start_date <= %s AND end_date >= %s ORDER BY nip, start_date, ref",
        (None if nips is None else list(nips), None if nips is None else list(nips), last,
         first)).fetchall():
        absences.setdefault(nip, []).append(Absence(ref, kind, a, b, sub))
    return absences


def month_facts(conn: psycopg.Connection, nips: Sequence[str], first: date,
                last: date) -> MonthFacts:
    """Check-ins, approved absences, approved LKH and sanctions of these employees, in 4 queries."""
    punches = punches_of(conn, nips, first, last)
    absences = absences_of(conn, nips, first, last)
    lkh: dict[str, list[date]] = {}
    for nip, d in conn.execute(
        "SELECT nip, day FROM lkh_reports WHERE status = 'disetujui' AND nip = ANY(%s) "
        "AND day BETWEEN %s AND %s", (list(nips), first, last)).fetchall():
        lkh.setdefault(nip, []).append(d)
    sanc: dict[str, list[Sanction]] = {}
    for nip, ref, pct, a, b, note in conn.execute(
        "SELECT nip, ref, pct, start_month, end_month, note FROM disciplinary_sanctions "
        "WHERE nip = ANY(%s) AND start_month <= %s AND end_month >= %s",
        (list(nips), first, first)):
        sanc.setdefault(nip, []).append(Sanction(ref, pct, a, b, note))
    return MonthFacts(punches, absences, lkh, sanc)


def compute_month(
    conn: psycopg.Connection,
    month: str,
    unit: str | None = None,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[TppResult]:
    """TPP of every employee (of a unit) for a month, read in chunks of employees."""
    first, last = month_bounds(month)
    emps = employees(conn, first, last, unit)
    cals = office_calendars(conn, first, last)
    book = rulebook(conn)
    sched = ScheduleBook(schedules(conn))
    days = days_between(first, last)
    moved = periods_of(conn, first, last)
    for i in range(0, len(emps), chunk):
        part = emps[i:i + chunk]
        facts = month_facts(conn, [e.nip for e in part], first, last)
        for e in part:
            statuses = evaluate_person(e, moved.get(e.nip), cals, days, sched, book,
                                       facts.punches.get(e.nip, ()),
                                       facts.absences.get(e.nip, ()))
            lkh = completeness(statuses, facts.lkh.get(e.nip, ()))
            yield compute_tpp(e, first, statuses,
                              _rules_for(book, e.regency, e.staff_kind), lkh,
                              facts.sanctions.get(e.nip, ()))
        if progress is not None:
            progress(len(part))


def live_tpp(conn: psycopg.Connection, month: str, nip: str) -> TppResult:
    """One employee's month computed now from the current data (the estimate before a run)."""
    first, last = month_bounds(month)
    emp = employee(conn, nip, on=last)
    book = rulebook(conn)
    facts = month_facts(conn, [nip], first, last)
    statuses = evaluate_person(emp, periods_of(conn, first, last).get(nip),
                               office_calendars(conn, first, last), days_between(first, last),
                               ScheduleBook(schedules(conn)), book, facts.punches.get(nip, ()),
                               facts.absences.get(nip, ()))
    return compute_tpp(emp, first, statuses, _rules_for(book, emp.regency, emp.staff_kind),
                       completeness(statuses, facts.lkh.get(nip, ())),
                       facts.sanctions.get(nip, ()))


def _rules_for(book: RuleBook, regency: str, kind: str) -> Callable[[date], RuleSet]:
    return lambda d: book.for_day(regency, kind, d)


@dataclass
class _Reference:
    """What every employee's month shares: calendars, rule sets, schedules, days."""

    cals: dict[str, OfficeCalendar]
    book: RuleBook
    sched: ScheduleBook
    days: list[date]
    first: date
    last: date


_worker: dict[str, Any] = {}


def _chunk_rows(url: str, month: str, emps: list[Employee]) -> list[str]:
    """Worker: COPY lines of a chunk of employees (its own connection and reference data)."""
    if _worker.get("key") != (url, month):
        conn = psycopg.connect(url, autocommit=True)
        first, last = month_bounds(month)
        _worker.update(key=(url, month), conn=conn, ref=_Reference(
            office_calendars(conn, first, last), rulebook(conn), ScheduleBook(schedules(conn)),
            days_between(first, last), first, last))
    conn, ref = _worker["conn"], _worker["ref"]
    facts = month_facts(conn, [e.nip for e in emps], ref.first, ref.last)
    rows = []
    for e in emps:
        statuses = evaluate_month(e, ref.cals[e.office_id], ref.days, ref.sched, ref.book,
                                  facts.punches.get(e.nip, ()), facts.absences.get(e.nip, ()))
        lkh = completeness(statuses, facts.lkh.get(e.nip, ()))
        r = compute_tpp(e, ref.first, statuses, _rules_for(ref.book, e.regency, e.staff_kind),
                        lkh, facts.sanctions.get(e.nip, ()))
        rows.append(copy_line(result_row(r, e.unit_id)))
    return rows


def month_rows(
    url: str,
    month: str,
    unit: str | None = None,
    workers: int = 2,
    chunk: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """COPY lines (see copy_line) of every employee for a month, computed by worker processes.

    Workers are spawned: a program calling this must guard its entry point with
    `if __name__ == "__main__":` (console scripts and pytest do).
    """
    first, last = month_bounds(month)
    with psycopg.connect(url) as conn:
        emps = employees(conn, first, last, unit)
    parts = [emps[i:i + chunk] for i in range(0, len(emps), chunk)]
    if workers <= 1 or len(parts) <= 1:
        for part in parts:
            yield from _chunk_rows(url, month, part)
            if progress is not None:
                progress(len(part))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a forked child must never touch the parent's libpq connection
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        for part, rows in zip(parts, pool.map(_chunk_rows, [url] * len(parts),
                                              [month] * len(parts), parts), strict=True):
            yield from rows
            if progress is not None:
                progress(len(part))


def run_month(url: str, month: str, unit: str | None, by: str, reason: str = "",
              workers: int = 2, final: bool = False, chunk: int | None = None,
              started: Callable[[int], None] | None = None,
              progress: Callable[[int], None] | None = None) -> RunInfo:
    """Compute a month (of a unit) and store it as the next run version: the one path the CLI
    and the job share. `started(total)` is told the number of employees before the work."""
    first, last = month_bounds(month)
    with psycopg.connect(url) as writer, psycopg.connect(url) as reader:
        if unit is not None and not unit_exists(reader, unit):
            raise StoreError(f"unit/OPD {unit!r} tidak ditemukan")
        total = len(employees(reader, first, last, unit))
        if total == 0:
            raise StoreError(f"tidak ada pegawai aktif untuk {month}")
        if started is not None:
            started(total)
        rows = month_rows(url, month, unit, workers=workers,
                          chunk=chunk or max(1, min(1000, -(-total // 20))), progress=progress)
        info = write_run(writer, month, unit, rows, by, reason)
        if final:
            info = finalize_run(writer, info.id, by)
    return info


def run_summary(info: RunInfo, month: str) -> str:
    """The line both the CLI and the job page show for a stored run."""
    from .tpp import rp

    return (f"run {info.id}: bulan {month} versi {info.version} ({info.status}), "
            f"{info.employees} pegawai, total diterima {rp(Decimal(info.total_net))}")
