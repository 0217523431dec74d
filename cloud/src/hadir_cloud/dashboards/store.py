"""The leaders' board's SQL: the boards' views (migrations 1200–1210) grouped by OPD, by unit
or by person, and the performance ratings (1220)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import psycopg

from .domain import Rating, percent


@dataclass(frozen=True)
class Row:
    """One line of the board: an OPD, a unit or a person, and its counts."""

    key: str
    name: str
    counts: dict[str, Any]

    def pct(self, part: str, whole: str) -> float | None:
        """A share of two counts in percent."""
        return percent(self.counts.get(part), self.counts.get(whole))


#: what a row of the board groups by: the OPDs of the regency, or the units of one OPD
_GROUPS = {
    "opd": ("u.opd_id", "u.opd_name", "true"),
    "unit": ("u.unit_id", "u.unit_name", "u.opd_id = %(opd)s"),
}
NOW_COUNTS = ("expected", "present", "late", "on_leave", "not_yet_in", "absent")
_MONTH = ("expected", "present", "late", "left_early", "absent", "on_leave", "lkh_expected",
          "lkh_approved")


def _rows(conn: psycopg.Connection, sql: str, args: dict[str, Any],
          names: tuple[str, ...]) -> list[Row]:
    return [Row(r[0], r[1], dict(zip(names, (int(v or 0) for v in r[2:]), strict=True)))
            for r in conn.execute(sql, args).fetchall()]


def presence_now(conn: psycopg.Connection, opd: str | None = None) -> list[Row]:
    """Today per OPD (or per unit of one OPD), each office in its own local day."""
    key, name, where = _GROUPS["opd" if opd is None else "unit"]
    sums = ", ".join(f"sum(a.{c})" for c in NOW_COUNTS)
    sql = (f"SELECT {key}, {name}, {sums} FROM attendance_today a "
           f"JOIN board_units u ON u.unit_id = a.unit_id WHERE {where} "
           f"GROUP BY 1, 2 ORDER BY 2")
    return _rows(conn, sql, {"opd": opd}, NOW_COUNTS)


def month_discipline(conn: psycopg.Connection, first: date, last: date,
                     opd: str | None = None) -> list[Row]:
    """TL, PSW, TK, leave and LKH over the days first..last per OPD (or unit of one OPD)."""
    key, name, where = _GROUPS["opd" if opd is None else "unit"]
    sums = ", ".join(f"sum(a.{c})" for c in _MONTH)
    sql = (f"SELECT {key}, {name}, {sums} FROM attendance_unit_daily a "
           f"JOIN board_units u ON u.unit_id = a.unit_id "
           f"WHERE a.day BETWEEN %(first)s AND %(last)s AND {where} GROUP BY 1, 2 ORDER BY 2")
    return _rows(conn, sql, {"first": first, "last": last, "opd": opd}, _MONTH)


def daily_trend(conn: psycopg.Connection, first: date, last: date, opd: str | None = None,
                unit: str | None = None) -> list[tuple[date, int, int, int]]:
    """(day, TL, PSW, TK) of every day first..last, of the regency, an OPD or a unit."""
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(
        "SELECT day, sum(late), sum(left_early), sum(absent) FROM attendance_unit_daily "
        "WHERE day BETWEEN %(first)s AND %(last)s AND (%(opd)s::text IS NULL OR opd_id = %(opd)s) "
        "AND (%(unit)s::text IS NULL OR unit_id = %(unit)s) GROUP BY day ORDER BY day",
        {"first": first, "last": last, "opd": opd, "unit": unit}).fetchall()]


@dataclass(frozen=True)
class Person:
    """A person of a unit: today's status and the month's counts."""

    nip: str
    name: str
    status: str | None
    first_in: time | None
    late_code: str | None
    month: dict[str, int]


def people(conn: psycopg.Connection, unit: str, days: tuple[date, date] | None) -> list[Person]:
    """The people of a unit (their record today): today's status and the month's TL/PSW/TK,
    leave and LKH over `days`."""
    today = {r[0]: r[1:] for r in conn.execute(
        "SELECT nip, name, status, (first_in AT TIME ZONE tz)::time, late_code "
        "FROM attendance_person_daily WHERE today AND unit_id = %s "
        "AND day BETWEEN (now() AT TIME ZONE 'Asia/Jakarta')::date "
        "AND (now() AT TIME ZONE 'Asia/Jayapura')::date", (unit,)).fetchall()}
    month: dict[str, dict[str, int]] = {}
    if days is not None:
        for nip, *counts in conn.execute(
                "SELECT nip, count(*) FILTER (WHERE status <> 'libur'), "
                "count(*) FILTER (WHERE status = 'hadir'), "
                "count(*) FILTER (WHERE late_code IS NOT NULL), "
                "count(*) FILTER (WHERE early_code IS NOT NULL), "
                "count(*) FILTER (WHERE status = 'tk'), "
                "count(*) FILTER (WHERE status IN ('izin', 'sakit', 'cuti', 'dl', "
                "'tugas_belajar')), count(*) FILTER (WHERE status IN ('hadir', 'tk', 'dl')), "
                "count(*) FILTER (WHERE status IN ('hadir', 'tk', 'dl') "
                "AND lkh_status = 'disetujui') "
                "FROM attendance_person_daily WHERE unit_id = %s AND day BETWEEN %s AND %s "
                "GROUP BY nip", (unit, *days)).fetchall():
            month[nip] = dict(zip(_MONTH, (int(c) for c in counts), strict=True))
    roster = conn.execute("SELECT nip, name FROM employees WHERE unit_id = %s AND "
                          "(leave_date IS NULL OR leave_date >= current_date) ORDER BY name",
                          (unit,)).fetchall()
    names = dict(roster) | {nip: t[0] for nip, t in today.items()}
    nips = sorted(set(names) | set(month), key=lambda n: (names.get(n, n), n))
    out = []
    for n in nips:
        status, first_in, late_code = today[n][1:] if n in today else (None, None, None)
        out.append(Person(n, names.get(n, n), status, first_in, late_code, month.get(n, {})))
    return out


def opd_of(conn: psycopg.Connection, opd: str) -> tuple[str, str] | None:
    """(id, name) of an OPD, None when no unit belongs to it."""
    row = conn.execute("SELECT opd_id, opd_name FROM board_units WHERE opd_id = %s LIMIT 1",
                       (opd,)).fetchone()
    return (row[0], row[1]) if row else None


def unit_of(conn: psycopg.Connection, unit: str) -> dict[str, str] | None:
    """A unit with its OPD, or None."""
    row = conn.execute("SELECT unit_id, unit_name, opd_id, opd_name FROM board_units "
                       "WHERE unit_id = %s", (unit,)).fetchone()
    return dict(zip(("id", "name", "opd_id", "opd_name"), row, strict=True)) if row else None


def local_today(conn: psycopg.Connection, zone: str) -> datetime:
    """Now, in the regency's zone (the board's heading; every office's own today is in the
    views)."""
    row = conn.execute("SELECT now() AT TIME ZONE %s", (zone,)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- ratings


def periods(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """Rated periods, the latest first, with how many people each."""
    return [(r[0], int(r[1])) for r in conn.execute(
        "SELECT period, count(*) FROM performance_ratings GROUP BY period "
        "ORDER BY left(period, 4) DESC, period DESC").fetchall()]


def ratings(conn: psycopg.Connection, period: str, opd: str | None = None,
            unit: str | None = None) -> list[tuple[str, str, str, str, str, str]]:
    """(nip, results, behaviour, unit_id, opd_id, name) of a period, of the people's current
    units (optionally one OPD's or one unit's)."""
    return [tuple(r) for r in conn.execute(
        "SELECT r.nip, r.results, r.behaviour, e.unit_id, u.opd_id, e.name "
        "FROM performance_ratings r JOIN employees e ON e.nip = r.nip "
        "JOIN board_units u ON u.unit_id = e.unit_id WHERE r.period = %s "
        "AND (%s::text IS NULL OR u.opd_id = %s) AND (%s::text IS NULL OR e.unit_id = %s) "
        "ORDER BY r.nip", (period, opd, opd, unit, unit)).fetchall()]


def known_nips(conn: psycopg.Connection) -> set[str]:
    """The NIPs on the roster."""
    return {r[0] for r in conn.execute("SELECT nip FROM employees")}


def save_ratings(conn: psycopg.Connection, rows: Iterable[Rating], source: str, by: str) -> int:
    """Store ratings (a person's rating of a period replaced), in one transaction; how many."""
    n = 0
    with conn.transaction():
        for r in rows:
            conn.execute(
                "INSERT INTO performance_ratings (nip, period, results, behaviour, source, "
                "imported_by) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (nip, period) DO "
                "UPDATE SET results = EXCLUDED.results, behaviour = EXCLUDED.behaviour, "
                "source = EXCLUDED.source, imported_by = EXCLUDED.imported_by, "
                "imported_at = now()", (r.nip, r.period, r.results, r.behaviour, source, by))
            n += 1
    return n
