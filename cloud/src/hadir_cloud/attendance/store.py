"""SQL of the attendance recap: the units a viewer may pick, people's days from the TPP engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from ..review import store as review_store
from ..tpp import store as tpp_store
from ..tpp.calendar import OfficeCalendar, days_between
from ..tpp.schedule import ScheduleBook
from ..tpp.status import DayStatus, Employee
from ..users import escape_like, unit_subtree
from .cache import RecapCache
from .domain import cells, day_column, month_counts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """A unit of the picker, with its depth in the tree."""

    id: str
    name: str
    depth: int


def units_tree(conn: psycopg.Connection, roots: frozenset[str] | None) -> list[Unit]:
    """The units under `roots` (every unit with None), depth-first, each with its depth."""
    rows = conn.execute(
        "WITH RECURSIVE t(id, name, depth, path) AS ("
        " SELECT id, name, 0, ARRAY[name] FROM units"
        "  WHERE (%(roots)s::text[] IS NULL AND parent_id IS NULL) OR id = ANY(%(roots)s)"
        " UNION ALL SELECT u.id, u.name, t.depth + 1, t.path || u.name FROM units u"
        "  JOIN t ON u.parent_id = t.id)"
        " SELECT id, name, depth FROM t ORDER BY path",
        {"roots": None if roots is None else sorted(roots)}).fetchall()
    seen: set[str] = set()
    out = []
    for uid, name, depth in rows:  # a headed bidang inside a headed OPD appears once
        if uid not in seen:
            seen.add(uid)
            out.append(Unit(uid, name, depth))
    return out


def subtree(conn: psycopg.Connection, unit: str) -> frozenset[str]:
    """A unit and the units below it."""
    return unit_subtree(conn, frozenset({unit}))


def unit_of(conn: psycopg.Connection, nip: str) -> str | None:
    """An employee's unit (None: no such employee)."""
    row = conn.execute("SELECT unit_id FROM employees WHERE nip = %s", (nip,)).fetchone()
    return row[0] if row else None


#: how many people a search shows at most (a longer list asks for a narrower search)
SEARCH_LIMIT = 50


def find_people(conn: psycopg.Connection, query: str, units: frozenset[str] | None,
                limit: int = SEARCH_LIMIT) -> list[tuple[str, str, str, str]]:
    """(NIP, name, unit id, unit name) of people whose NIP starts with `query` (digits) or
    whose name contains it, within `units` (None: the regency), by name; up to `limit` + 1."""
    like = escape_like(query.strip())
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT e.nip, e.name, e.unit_id, u.name FROM employees e JOIN units u ON u.id = e.unit_id"
        " WHERE (e.nip LIKE %(prefix)s OR e.name ILIKE %(part)s)"
        " AND (%(units)s::text[] IS NULL OR e.unit_id = ANY(%(units)s))"
        " ORDER BY e.leave_date IS NOT NULL, e.name, e.nip LIMIT %(n)s",
        {"prefix": like + "%", "part": "%" + like + "%", "n": limit + 1,
         "units": None if units is None else sorted(units)}).fetchall()]


def unit_names(conn: psycopg.Connection, ids: list[str]) -> dict[str, str]:
    """Unit id → name."""
    return dict(conn.execute("SELECT id, name FROM units WHERE id = ANY(%s)", (ids,)).fetchall())


# ---------------------------------------------------------------- the recap, judged once


@dataclass(frozen=True)
class DayRow:
    """One person on the day recap: the engine's status of the day (None with a problem)."""

    employee: Employee
    status: DayStatus | None
    #: the working day is not over yet in the person's office (no check-in: not yet TK)
    pending: bool
    problem: str | None = None
    #: the day recap's column (`domain.day_column`); None with a problem
    column: str | None = None


@dataclass(frozen=True)
class MonthRow:
    """One person on the month recap: the days so far in the recap's columns."""

    employee: Employee
    counts: dict[str, int] | None
    problem: str | None = None


def _pending_days(group: str, cal: OfficeCalendar, sched: ScheduleBook, days: list[date],
                  now: datetime) -> frozenset[date]:
    """The days of the period not judged yet for this person: after today in their office's
    zone, and today itself while the working day lasts."""
    local_now = now.astimezone(cal.zone).replace(tzinfo=None)
    today = local_now.date()
    out = {d for d in days if d > today}
    if days[0] <= today <= days[-1] and cal.day(today).working:
        try:
            hours, _ref = sched.hours_for(group, today, cal.day(today).ramadan)
        except LookupError:
            return frozenset(out)  # no schedule: the engine says so for the whole period
        if local_now.time() < hours.end:
            out.add(today)
    return frozenset(out)


Reduce = Callable[[Employee, list[DayStatus] | None, frozenset[date], str | None], Any]


def data_versions(conn: psycopg.Connection) -> str:
    """The versions of the org, absence, calendar, schedule and rule tables (migration 0720):
    equal versions, none of them changed."""
    row = conn.execute("SELECT string_agg(name || ':' || version, ',' ORDER BY name) "
                       "FROM data_versions").fetchone()
    return row[0] if row and row[0] else ""


def _judged(conn: psycopg.Connection, units: frozenset[str], first: date, last: date,
            now: datetime, cache: RecapCache | None, mode: str, reduce: Reduce) -> list[Any]:
    """`reduce(employee, statuses, pending days, problem)` of every person of `units`, by
    name; a person the engine cannot judge has no statuses and the problem in words.

    With a cache, a whole page's answer is reused while the data versions are the same, no
    check-in of the period arrived since, and the days still pending are the same; otherwise
    each person's verdict is looked up (`RecapCache.fresh`) and only the stale ones judged.
    """
    if cache is None:
        return _judge_people(conn, units, first, last, now, None, mode, reduce)[0]
    versions = data_versions(conn)  # before anything is read: a change after it shows next time
    stamp = RecapCache.stamp(conn)
    lo, hi = tpp_store.facts_window(first, last)
    page_key = ("page", mode, units, first, last)
    hit = cache.window_value(conn, page_key, versions, lo, hi)
    if hit is not None:
        pendings, result = hit
        cals = tpp_store.office_calendars(conn, first, last)
        sched = ScheduleBook(tpp_store.schedules(conn))
        days = days_between(first, last)
        if all(_pending_days(group, cals[office], sched, days, now) == pending
               for (office, group), pending in pendings.items()):
            return result  # type: ignore[no-any-return]
    result, pendings = _judge_people(conn, units, first, last, now, cache, mode, reduce)
    cache.put([(page_key, versions, (pendings, result))], stamp)
    return result


def _judge_people(conn: psycopg.Connection, units: frozenset[str], first: date, last: date,
                  now: datetime, cache: RecapCache | None, mode: str, reduce: Reduce
                  ) -> tuple[list[Any], dict[tuple[str, str], frozenset[date]]]:
    """`_judged` person by person; also the pending days per (office, schedule group)."""
    emps = sorted(tpp_store.employees(conn, first, last, units=units),
                  key=lambda e: (e.name, e.nip))
    if not emps:
        return [], {}
    cals = tpp_store.office_calendars(conn, first, last)
    book = tpp_store.rulebook(conn)
    sched_list = tpp_store.schedules(conn)
    sched = ScheduleBook(sched_list)
    days = days_between(first, last)
    # a whole regency's NIPs cost more to send than the few absences of others to skip
    absences = tpp_store.absences_of(
        conn, [e.nip for e in emps] if len(emps) < 2000 else None, first, last)
    shared = hash(repr((sorted(cals.items()), book.rulesets, sched_list)))
    moved = tpp_store.periods_of(conn, first, last)  # people whose record changed meanwhile
    lo, hi = tpp_store.facts_window(first, last)
    # a review decision changes which NIP check-ins count (review/): part of a person's inputs
    decisions = review_store.decisions_of(conn, lo, hi)
    wanted: dict[Any, tuple[str, Any]] = {}
    keyed = []
    pendings: dict[tuple[str, str], frozenset[date]] = {}  # the same for an office and group
    for e in emps:
        pending = pendings.get((e.office_id, e.schedule_group))
        if pending is None:
            pending = pendings[e.office_id, e.schedule_group] = _pending_days(
                e.schedule_group, cals[e.office_id], sched, days, now)
        key = (mode, e.nip, first, last, pending)
        # the inputs as one hash (64 bits): compared on every recap, for every person
        wanted[key] = (e.nip, hash((e, tuple(absences.get(e.nip, ())), decisions.get(e.nip),
                                    shared, tuple(moved.get(e.nip, ())))))
        keyed.append((key, e, pending))
    have = cache.fresh(conn, wanted, lo, hi) if cache is not None else {}
    todo = [(k, e, p) for k, e, p in keyed if k not in have]
    if todo:
        stamp = RecapCache.stamp(conn)  # before the check-ins are read
        punches = tpp_store.punches_of(conn, [e.nip for _k, e, _p in todo], first, last)
        fresh = []
        for key, e, pending in todo:
            try:
                statuses = tpp_store.evaluate_person(e, moved.get(e.nip), cals, days, sched,
                                                     book, punches.get(e.nip, ()),
                                                     absences.get(e.nip, ()))
                value = reduce(e, statuses, pending, None)
            except LookupError as err:  # NoScheduleError, NoRuleSetError
                logger.info("recap: %s not judged: %s", e.nip, err)
                value = reduce(e, None, pending, str(err) or type(err).__name__)
            have[key] = value
            fresh.append((key, wanted[key][1], value))
        if cache is not None:
            cache.put(fresh, stamp)
    return [have[k] for k, _e, _p in keyed], pendings


def recap_day(conn: psycopg.Connection, units: frozenset[str], day: date, now: datetime,
              cache: RecapCache | None = None) -> list[DayRow]:
    """Every person of `units` on one day, by name."""
    def reduce(e: Employee, statuses: list[DayStatus] | None, pending: frozenset[date],
               problem: str | None) -> DayRow:
        if statuses is None:
            return DayRow(e, None, False, problem)
        return DayRow(e, statuses[0], day in pending, None,
                      day_column(statuses[0].codes, day in pending))
    return _judged(conn, units, day, day, now, cache, "hari", reduce)


def recap_month(conn: psycopg.Connection, units: frozenset[str], first: date, last: date,
                now: datetime, cache: RecapCache | None = None) -> list[MonthRow]:
    """Every person of `units` over a month: the days judged so far, counted."""
    def reduce(e: Employee, statuses: list[DayStatus] | None, pending: frozenset[date],
               problem: str | None) -> MonthRow:
        if statuses is None:
            return MonthRow(e, None, problem)
        judged = [s for s in statuses if s.day not in pending]
        return MonthRow(e, month_counts(cells(judged, last)))
    return _judged(conn, units, first, last, now, cache, "bulan", reduce)
