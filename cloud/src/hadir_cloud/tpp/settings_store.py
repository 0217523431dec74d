"""SQL of HR's reference data pages: stored rule sets, a year's calendar, Ramadan, work weeks.

Saving a rule set, seeding a year and saving a schedule stay in `store` (the CLI's path).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from .editing import NewDay, StoredDay
from .rules import RuleSet, parse_ruleset


@dataclass(frozen=True)
class StoredRuleSet:
    """A rule set version as stored, with who loaded it, when, and from where."""

    rs: RuleSet
    source: str
    loaded_by: str
    loaded_at: datetime


def stored_rulesets(conn: psycopg.Connection) -> list[StoredRuleSet]:
    """Every stored rule set version, newest first within a regency."""
    rows = conn.execute("SELECT id, version, content, source, loaded_by, loaded_at "
                        "FROM tpp_rulesets ORDER BY regency, id, version DESC").fetchall()
    return [StoredRuleSet(parse_ruleset(c, f"db:tpp_rulesets {i}@v{v}"), src, by, at)
            for i, v, c, src, by, at in rows]


def stored_ruleset(conn: psycopg.Connection, rid: str, version: int) -> RuleSet | None:
    """One stored rule set version, or None."""
    row = conn.execute("SELECT content FROM tpp_rulesets WHERE id = %s AND version = %s",
                       (rid, version)).fetchone()
    return None if row is None else parse_ruleset(row[0], f"db:tpp_rulesets {rid}@v{version}")


def stored_digest(conn: psycopg.Connection, rid: str, version: int) -> str | None:
    """The stored content's sha256 of a rule set version (None: not stored)."""
    row = conn.execute("SELECT sha256 FROM tpp_rulesets WHERE id = %s AND version = %s",
                       (rid, version)).fetchone()
    return None if row is None else str(row[0])


def calendar_year(conn: psycopg.Connection, year: int) -> list[StoredDay]:
    """The calendar days of a year, by date (entries for every office first)."""
    rows = conn.execute(
        "SELECT id, office_id, day, kind, name FROM calendar_days WHERE day BETWEEN %s AND %s "
        "ORDER BY day, office_id NULLS FIRST, kind", (date(year, 1, 1), date(year, 12, 31)))
    return [StoredDay(*r) for r in rows]


def add_calendar_day(conn: psycopg.Connection, new: NewDay) -> int:
    """Store a checked day: one row for every office, or one per chosen office; rows added."""
    with conn.transaction(), conn.cursor() as cur:
        for office in new.offices or (None,):
            cur.execute("INSERT INTO calendar_days (office_id, day, kind, name) "
                        "VALUES (%s, %s, %s, %s)", (office, new.day, new.kind, new.name))
    return len(new.offices) or 1


def remove_calendar_day(conn: psycopg.Connection, day_id: int) -> StoredDay | None:
    """Delete one calendar day row; the row deleted, or None when there was none."""
    row = conn.execute("DELETE FROM calendar_days WHERE id = %s "
                       "RETURNING id, office_id, day, kind, name", (day_id,)).fetchone()
    return None if row is None else StoredDay(*row)


def ramadan_periods(conn: psycopg.Connection) -> list[tuple[date, date]]:
    """Every stored Ramadan period, by start."""
    return [(a, b) for a, b in conn.execute(
        "SELECT start_date, end_date FROM ramadan_periods ORDER BY start_date")]


def add_ramadan(conn: psycopg.Connection, start: date, end: date) -> None:
    """Store a checked Ramadan period."""
    conn.execute("INSERT INTO ramadan_periods (start_date, end_date) VALUES (%s, %s)",
                 (start, end))


def remove_ramadan(conn: psycopg.Connection, start: date) -> bool:
    """Delete the Ramadan period starting on a day; whether there was one."""
    cur = conn.execute("DELETE FROM ramadan_periods WHERE start_date = %s", (start,))
    return cur.rowcount == 1


@dataclass(frozen=True)
class OfficeWeek:
    """An office and its work week (5 when it has no row in office_calendars)."""

    id: str
    name: str
    tz: str
    workweek: int
    employees: int


def office_weeks(conn: psycopg.Connection) -> list[OfficeWeek]:
    """Every office with its work week and how many employees work there."""
    rows = conn.execute(
        "SELECT o.id, o.name, o.tz, coalesce(c.workweek, 5), "
        "(SELECT count(*) FROM employees e WHERE e.office_id = o.id) "
        "FROM offices o LEFT JOIN office_calendars c ON c.office_id = o.id ORDER BY o.name, o.id")
    return [OfficeWeek(*r) for r in rows]


def set_workweek(conn: psycopg.Connection, office: str, workweek: int) -> None:
    """Set an office's work week (5 or 6 days)."""
    conn.execute("INSERT INTO office_calendars (office_id, workweek) VALUES (%s, %s) "
                 "ON CONFLICT (office_id) DO UPDATE SET workweek = excluded.workweek",
                 (office, workweek))


def final_months(conn: psycopg.Connection) -> list[date]:
    """The months that have a finalized TPP run (their final runs never change)."""
    return [m for (m,) in conn.execute(
        "SELECT DISTINCT month FROM tpp_runs WHERE status = 'final' ORDER BY month")]


def schedule_groups(conn: psycopg.Connection) -> dict[str, int]:
    """Schedule group → number of employees in it (current and former)."""
    return {g: n for g, n in conn.execute(
        "SELECT schedule_group, count(*) FROM employees GROUP BY schedule_group ORDER BY 1")}

