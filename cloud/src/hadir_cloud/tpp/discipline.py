"""PP 94/2021 early warnings from the stored TPP runs: each employee's TK days of the year and
current streak, against the thresholds of `sanctions` (used by `hadir-cloud tpp warnings` and the
notices to HR and the atasan)."""

from __future__ import annotations

from datetime import date

import psycopg

from . import sanctions, store


def working_days(conn: psycopg.Connection, year: int) -> dict[str, list[date]]:
    """Working days of the year per office."""
    cals = store.office_calendars(conn, date(year, 1, 1), date(year, 12, 31))
    return {office: [d for m in range(1, 13) for d in cal.working_days(year, m)]
            for office, cal in cals.items()}


def warnings(conn: psycopg.Connection, year: int, within: int = 2) -> list[sanctions.Warning]:
    """Employees one to `within` TK days from their next threshold, from the latest run of each
    month of `year` (the streak counts working days up to the last month that has a run)."""
    tk = store.tk_counts(conn, year)
    end = store.last_run_day(conn, year)
    working = {office: [d for d in days if end is None or d <= end]
               for office, days in working_days(conn, year).items()}
    counts = {nip: (len(ds), sanctions.current_run(ds, working.get(office, [])))
              for nip, (office, ds) in tk.items()}
    return sanctions.early_warnings(counts, within)
