"""SQL of the attendance recap: the units a viewer may pick, people's days from the TPP engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg

from ..tpp import store as tpp_store
from ..tpp.calendar import days_between
from ..tpp.schedule import ScheduleBook
from ..tpp.status import DayStatus, Employee, evaluate_month
from ..users import unit_subtree

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """A unit of the picker, with its depth in the tree."""

    id: str
    name: str
    depth: int


@dataclass
class PersonDays:
    """One person's statuses over the recap's days; `problem` when the engine could not judge."""

    employee: Employee
    statuses: list[DayStatus]
    #: per day: the schedule's end has not come yet in the person's office (today only)
    pending: dict[date, bool]
    problem: str | None = None


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


def unit_names(conn: psycopg.Connection, ids: list[str]) -> dict[str, str]:
    """Unit id → name."""
    return dict(conn.execute("SELECT id, name FROM units WHERE id = ANY(%s)", (ids,)).fetchall())


def people_days(conn: psycopg.Connection, units: frozenset[str], first: date, last: date,
                now: datetime) -> list[PersonDays]:
    """The engine's statuses of every person of `units` for first..last, by name.

    The same reads and evaluation as `tpp.store.compute_month`, so the recap and the TPP run
    agree; a person the engine cannot judge (no schedule or rule set) gets a `problem`
    instead of stopping the whole recap.
    """
    emps = sorted((e for e in tpp_store.employees(conn, first, last) if e.unit_id in units),
                  key=lambda e: (e.name, e.nip))
    if not emps:
        return []
    cals = tpp_store.office_calendars(conn, first, last)
    book = tpp_store.rulebook(conn)
    sched = ScheduleBook(tpp_store.schedules(conn))
    days = days_between(first, last)
    facts = tpp_store.month_facts(conn, [e.nip for e in emps], first, last)
    out = []
    for e in emps:
        cal = cals[e.office_id]
        local_now = now.astimezone(ZoneInfo(cal.tz)).replace(tzinfo=None)
        try:
            statuses = evaluate_month(e, cal, days, sched, book, facts.punches.get(e.nip, ()),
                                      facts.absences.get(e.nip, ()))
            pending = {}
            for s in statuses:
                if s.day == local_now.date() and s.working:
                    hours, _ref = sched.hours_for(e.schedule_group, s.day, cal.day(s.day).ramadan)
                    pending[s.day] = local_now.time() < hours.end
                else:
                    pending[s.day] = s.day > local_now.date()
        except LookupError as err:  # NoScheduleError, NoRuleSetError
            logger.info("recap: %s not judged: %s", e.nip, err)
            out.append(PersonDays(e, [], {}, str(err) or type(err).__name__))
            continue
        out.append(PersonDays(e, statuses, pending))
    return out
