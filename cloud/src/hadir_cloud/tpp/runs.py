"""TPP runs in PostgreSQL: result rows as COPY lines, versioned runs, finalize, read back."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from .calendar import month_bounds
from .tpp import TppResult


class StoreError(RuntimeError):
    """A TPP storage operation cannot be done as asked."""


class RunNotFoundError(LookupError):
    """No TPP run matches."""



@dataclass(frozen=True)
class RunInfo:
    """A stored TPP run."""

    id: int
    month: date
    unit_id: str | None
    version: int
    status: str
    created_by: str
    reason: str
    employees: int
    total_net: int


_RUN_COLS = "id, month, unit_id, version, status, created_by, reason, employees, total_net"


def _item(d: Any) -> dict[str, Any]:
    return {"day": d.day.isoformat() if d.day else None, "code": d.code, "rule": d.rule,
            "pct": str(d.pct), "rupiah": str(d.rupiah), "part": d.part, "note": d.note}


def _day(s: Any) -> dict[str, Any]:
    """The evidence of a day, without empty fields (it is stored for every such day)."""
    d: dict[str, Any] = {"day": s.day.isoformat(), "codes": s.codes, "status": s.status,
                         "reason": s.reason}
    if s.schedule:
        d["schedule"] = s.schedule
    if s.checkin:
        d["checkin"], d["checkin_at"] = s.checkin, s.checkin_at.isoformat()
    if s.checkout:
        d["checkout"], d["checkout_at"] = s.checkout, s.checkout_at.isoformat()
    if s.ignored:
        d["ignored"] = list(s.ignored)
    if s.absence_ref:
        d["absence"] = s.absence_ref
    return d


def _dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def result_row(r: TppResult, unit_id: str) -> tuple[Any, ...]:
    """The tpp_results columns (without run_id) of one result; days keep only non-plain days."""
    counts: Counter[str] = Counter()
    days = []
    for s in r.statuses:
        if s.status == "hadir":
            if s.late_code is None and s.early_code is None:
                counts["H"] += 1
                continue
        elif s.status in ("libur", "belum_aktif"):
            counts[s.status.upper()] += 1
            continue
        counts.update(s.codes)
        days.append(_day(s))
    return (r.nip, unit_id, r.ruleset, r.position_class, r.base, r.gross, r.total, r.net,
            r.working_days, r.active_days, r.lkh.approved_days, r.lkh.effective_days,
            r.lkh.pct, _dumps(counts), "{" + ",".join(d.isoformat() for d in r.tk_dates) + "}",
            _dumps([_item(d) for d in r.deductions]), _dumps(days))


def copy_line(row: tuple[Any, ...]) -> str:
    """A result row as one line of COPY text format (without the run id)."""
    out = []
    for v in row:
        if v is None:
            out.append("\\N")
        else:
            s = str(v)
            if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
                s = (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                     .replace("\r", "\\r"))
            out.append(s)
    return "\t".join(out) + "\n"


def write_run(conn: psycopg.Connection, month: str, unit: str | None,
              lines: Iterable[str], by: str, reason: str) -> RunInfo:
    """Write a new run version (draf) with its results via COPY, in the caller's transaction.

    Lines come from copy_line or month_rows; they may stream from another connection, never
    from this one (it is busy copying).
    """
    first, _ = month_bounds(month)
    prev = conn.execute(
        "SELECT max(version) FROM tpp_runs WHERE month = %s AND unit_id IS NOT DISTINCT FROM %s",
        (first, unit)).fetchone()
    version = (prev[0] or 0) + 1 if prev else 1
    if version > 1 and not reason.strip():
        raise StoreError(f"run ulang bulan {month} (versi {version}) harus diberi alasan")
    inserted = conn.execute(
        "INSERT INTO tpp_runs (month, unit_id, version, created_by, reason) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (first, unit, version, by, reason or "run pertama")).fetchone()
    assert inserted is not None  # RETURNING always gives the row
    run_id = inserted[0]
    prefix = f"{run_id}\t"
    with conn.cursor().copy(
        "COPY tpp_results (run_id, nip, unit_id, ruleset, position_class, base, gross, total, "
        "net, working_days, active_days, lkh_approved, lkh_effective, lkh_pct, status_counts, "
        "tk_dates, items, days) FROM STDIN") as cp:
        batch: list[str] = []
        for line in lines:
            batch.append(prefix + line)
            if len(batch) >= 500:
                cp.write("".join(batch))
                batch.clear()
        if batch:
            cp.write("".join(batch))
    conn.execute("UPDATE tpp_runs SET (employees, total_net) = (SELECT count(*), "
                 "coalesce(sum(net), 0) FROM tpp_results WHERE run_id = %s) WHERE id = %s",
                 (run_id, run_id))
    return get_run(conn, run_id)


def get_run(conn: psycopg.Connection, run_id: int) -> RunInfo:
    """One run by id."""
    row = conn.execute(f"SELECT {_RUN_COLS} FROM tpp_runs WHERE id = %s", (run_id,)).fetchone()
    if row is None:
        raise RunNotFoundError(f"run TPP {run_id} tidak ditemukan")
    return RunInfo(*row)


def list_runs(conn: psycopg.Connection, limit: int = 50) -> list[RunInfo]:
    """The latest runs, newest month first."""
    rows = conn.execute(f"SELECT {_RUN_COLS} FROM tpp_runs ORDER BY month DESC, id DESC "
                        "LIMIT %s", (limit,)).fetchall()
    return [RunInfo(*r) for r in rows]


def latest_run(conn: psycopg.Connection, month: str, unit: str | None = None,
               nip: str | None = None) -> RunInfo:
    """The latest run version of a month (per unit, or the latest that includes an employee)."""
    first, _ = month_bounds(month)
    if nip is not None:
        row = conn.execute(
            f"SELECT {', '.join('r.' + c for c in _RUN_COLS.split(', '))} FROM tpp_runs r "
            "JOIN tpp_results x ON x.run_id = r.id WHERE r.month = %s AND x.nip = %s "
            "ORDER BY r.created_at DESC, r.id DESC LIMIT 1", (first, nip)).fetchone()
    else:
        row = conn.execute(
            f"SELECT {_RUN_COLS} FROM tpp_runs WHERE month = %s AND unit_id IS NOT DISTINCT "
            "FROM %s ORDER BY version DESC LIMIT 1", (first, unit)).fetchone()
    if row is None:
        raise RunNotFoundError(f"belum ada run TPP untuk bulan {month}")
    return RunInfo(*row)


def finalize_run(conn: psycopg.Connection, run_id: int, by: str) -> RunInfo:
    """Mark a draft run final; it can never change afterwards."""
    run = get_run(conn, run_id)
    if run.status == "final":
        raise StoreError(f"run TPP {run_id} sudah final")
    conn.execute("UPDATE tpp_runs SET status = 'final', finalized_by = %s, finalized_at = now() "
                 "WHERE id = %s", (by, run_id))
    return get_run(conn, run_id)


RESULT_COLS = ("nip", "unit_id", "ruleset", "position_class", "base", "gross", "total", "net",
               "working_days", "active_days", "lkh_approved", "lkh_effective", "lkh_pct",
               "status_counts", "tk_dates", "items", "days")


def run_results(conn: psycopg.Connection, run_id: int,
                nip: str | None = None) -> list[dict[str, Any]]:
    """Stored results of a run (optionally one employee), as dicts with the employee's name."""
    sql = (f"SELECT {', '.join('x.' + c for c in RESULT_COLS)}, e.name FROM tpp_results x "
           "JOIN employees e ON e.nip = x.nip WHERE x.run_id = %s")
    args: list[Any] = [run_id]
    if nip is not None:
        sql += " AND x.nip = %s"
        args.append(nip)
    rows = conn.execute(sql + " ORDER BY x.unit_id, x.nip", args).fetchall()
    return [dict(zip((*RESULT_COLS, "name"), r, strict=True)) for r in rows]


def last_run_day(conn: psycopg.Connection, year: int) -> date | None:
    """The last day of the latest month of a year that has a run."""
    row = conn.execute("SELECT max(month) FROM tpp_runs WHERE extract(year FROM month) = %s",
                       (year,)).fetchone()
    if row is None or row[0] is None:
        return None
    return month_bounds(row[0].strftime("%Y-%m"))[1]


def tk_counts(conn: psycopg.Connection, year: int) -> dict[str, tuple[str, list[date]]]:
    """nip → (office, TK dates of the year) from the latest run of each month."""
    rows = conn.execute(
        "SELECT DISTINCT ON (r.month, x.nip) x.nip, e.office_id, x.tk_dates FROM tpp_runs r "
        "JOIN tpp_results x ON x.run_id = r.id JOIN employees e ON e.nip = x.nip "
        "WHERE extract(year FROM r.month) = %s "
        "ORDER BY r.month, x.nip, r.created_at DESC, r.id DESC", (year,))
    out: dict[str, tuple[str, list[date]]] = {}
    for nip, office, dates in rows:
        out.setdefault(nip, (office, []))[1].extend(dates)
    return out
