"""The org area's SQL: apply a checked import (all or nothing), read the chart, export XLSX,
letterheads and what heads a unit's documents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from . import letterhead as lh
from .domain import (
    ActingAssignment,
    ActingKind,
    Assignment,
    Member,
    Position,
    PositionKind,
    Unit,
    UnitKind,
    covered_units,
    leavers,
)
from .imports import EmployeeRow, Known, Parsed
from .sheets import new_workbook

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class OrgStoreError(RuntimeError):
    """The database refused the import; nothing was written."""


#: the kinds of record an apply counts, in the order they are applied
KINDS = ("unit", "jabatan", "pegawai", "penugasan", "plt")


@dataclass
class ApplyResult:
    """How many records an apply inserted or changed (0 and 0: nothing to do), and how many
    people it marked as left (`leavers`; only when the file was declared complete)."""

    inserted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    leavers: int = 0

    @property
    def changed(self) -> int:
        """Records inserted or changed, all kinds, and people marked as left."""
        return sum(self.inserted.values()) + sum(self.updated.values()) + self.leavers

    def summary(self) -> str:
        """The counts in one Bahasa line, as the CLI and the job page say them."""
        line = ", ".join(f"{k} {self.inserted[k]} baru/{self.updated[k]} berubah" for k in KINDS)
        return line + f", ditandai keluar {self.leavers}"

    def as_dict(self) -> dict[str, object]:
        """The counts as JSON (a job's result)."""
        return {"inserted": dict(self.inserted), "updated": dict(self.updated),
                "leavers": self.leavers}


@dataclass
class Chart:
    """The whole org as the domain's plain data."""

    units: dict[str, Unit]
    positions: dict[str, Position]
    assignments: list[Assignment]
    acting: list[ActingAssignment]


def known(conn: psycopg.Connection) -> Known:
    """Unit, position and office ids and NIPs already in the database (for checking an
    import)."""
    return Known(
        units=frozenset(r[0] for r in conn.execute("SELECT id FROM units")),
        positions={r[0]: r[1] for r in conn.execute("SELECT id, unit_id FROM positions")},
        offices=frozenset(r[0] for r in conn.execute("SELECT id FROM offices")),
        employees=frozenset(r[0] for r in conn.execute("SELECT nip FROM employees")),
    )


def _parents_first(units: list[Unit]) -> list[Unit]:
    # units.parent_id (0100) is not deferrable: insert a parent before its children
    by_id, out, done = {u.id: u for u in units}, [], set()

    def visit(u: Unit, path: frozenset[str]) -> None:
        if u.id in done or u.id in path:
            return
        if u.parent_id in by_id:
            visit(by_id[u.parent_id], path | {u.id})
        done.add(u.id)
        out.append(u)

    for u in units:
        visit(u, frozenset())
    return out


def _count(result: ApplyResult, kind: str, row: tuple[bool] | None) -> None:
    if row is not None:
        (result.inserted if row[0] else result.updated)[kind] += 1


_UNIT = """
INSERT INTO units (id, name, regency, parent_id, kind) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, regency = EXCLUDED.regency,
    parent_id = EXCLUDED.parent_id, kind = EXCLUDED.kind
WHERE (units.name, units.regency, units.parent_id, units.kind)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.regency, EXCLUDED.parent_id, EXCLUDED.kind)
RETURNING xmax = 0
"""
_POSITION = """
INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit, reports_to_position_id)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
    eselon = EXCLUDED.eselon, unit_id = EXCLUDED.unit_id, heads_unit = EXCLUDED.heads_unit,
    reports_to_position_id = EXCLUDED.reports_to_position_id
WHERE (positions.name, positions.kind, positions.eselon, positions.unit_id,
       positions.heads_unit, positions.reports_to_position_id)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.eselon, EXCLUDED.unit_id,
                      EXCLUDED.heads_unit, EXCLUDED.reports_to_position_id)
RETURNING xmax = 0
"""
_EMPLOYEE = """
INSERT INTO employees (nip, name, unit_id, staff_kind, position_class, schedule_group,
                       join_date, leave_date, office_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (nip) DO UPDATE SET name = EXCLUDED.name, unit_id = EXCLUDED.unit_id,
    staff_kind = EXCLUDED.staff_kind, position_class = EXCLUDED.position_class,
    schedule_group = EXCLUDED.schedule_group, join_date = EXCLUDED.join_date,
    leave_date = EXCLUDED.leave_date, office_id = EXCLUDED.office_id
WHERE (employees.name, employees.unit_id, employees.staff_kind, employees.position_class,
       employees.schedule_group, employees.join_date, employees.leave_date, employees.office_id)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.unit_id, EXCLUDED.staff_kind,
                      EXCLUDED.position_class, EXCLUDED.schedule_group, EXCLUDED.join_date,
                      EXCLUDED.leave_date, EXCLUDED.office_id)
RETURNING xmax = 0
"""
_ACTING = """
INSERT INTO acting_assignments (nip, position_id, kind, start_date, end_date, basis)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (nip, position_id, start_date) DO UPDATE SET kind = EXCLUDED.kind,
    end_date = EXCLUDED.end_date, basis = EXCLUDED.basis
WHERE (acting_assignments.kind, acting_assignments.end_date, acting_assignments.basis)
    IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.end_date, EXCLUDED.basis)
RETURNING xmax = 0
"""


def _assign(cur: psycopg.Cursor, e: EmployeeRow, result: ApplyResult) -> None:
    """Open the row's position for the person; a different open one ends the day before."""
    if e.position_id is None or e.position_start is None:
        return
    cur.execute("SELECT id, position_id, start_date FROM assignments "
                "WHERE nip = %s AND end_date IS NULL", (e.nip,))
    current = cur.fetchone()
    if current is not None and current[1] == e.position_id:
        if current[2] != e.position_start:  # a corrected TMT
            cur.execute("UPDATE assignments SET start_date = %s WHERE id = %s",
                        (e.position_start, current[0]))
            result.updated["penugasan"] += 1
        return
    if current is not None:
        if e.position_start <= current[2]:
            raise OrgStoreError(
                f"pegawai {e.nip}: tmt_jabatan {e.position_start} untuk {e.position_id} tidak "
                f"sesudah tmt jabatan sekarang {current[1]} ({current[2]})")
        cur.execute("UPDATE assignments SET end_date = %s WHERE id = %s",
                    (e.position_start - timedelta(days=1), current[0]))
        result.updated["penugasan"] += 1
    cur.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES (%s, %s, %s)",
                (e.nip, e.position_id, e.position_start))
    result.inserted["penugasan"] += 1


def leavers_of(conn: psycopg.Connection, parsed: Parsed, day: date) -> list[Member]:
    """Who an apply of `parsed` complete for its OPDs marks as left on `day` (the dry run's
    list, and the apply's own: inside its transaction the file's units are already stored)."""
    rows = conn.execute("SELECT id, name, regency, parent_id, kind FROM units").fetchall()
    units = {r[0]: Unit(r[0], r[1], UnitKind(r[4]), r[2], r[3]) for r in rows}
    units.update({u.id: u for u in parsed.units})
    covered = covered_units((e.unit_id for e in parsed.employees), units)
    members = [Member(*r) for r in conn.execute(
        "SELECT nip, name, unit_id, join_date, leave_date FROM employees "
        "WHERE unit_id = ANY(%s)", (sorted(covered),))]
    return leavers(members, (e.nip for e in parsed.employees), covered, day)


def _mark_leavers(cur: psycopg.Cursor, parsed: Parsed, day: date, result: ApplyResult) -> None:
    """Set the leave date of everyone the file leaves out, and close their open position on
    that day (the day stays theirs); their records and history stay."""
    gone = [m.nip for m in leavers_of(cur.connection, parsed, day)]
    if not gone:
        return
    cur.execute("UPDATE employees SET leave_date = %s WHERE nip = ANY(%s)", (day, gone))
    result.leavers = cur.rowcount
    cur.execute("UPDATE assignments SET end_date = %s WHERE nip = ANY(%s) AND end_date IS NULL "
                "AND start_date <= %s", (day, gone, day))
    result.updated["penugasan"] += cur.rowcount


def apply(conn: psycopg.Connection, parsed: Parsed, progress: Progress | None = None,
          leavers_on: date | None = None) -> ApplyResult:
    """Upsert units and positions by id, employees by NIP and Plt/Plh by NIP, position and
    start, in one transaction: every row or none (a failure, or an exception from `progress`,
    leaves the database as it was). With `leavers_on`, the file is complete for its OPDs:
    everyone of theirs it leaves out is marked as left on that day (`leavers_of`).

    `progress(done, total)` is called after every row. Commits unless the caller already
    has a transaction open (then it becomes a savepoint of the caller's).
    """
    result, total, done = ApplyResult(), parsed.total, 0
    where = ""

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    try:
        with conn.transaction(), conn.cursor() as cur:
            for u in _parents_first(parsed.units):
                where = f"unit {u.id}"
                cur.execute(_UNIT, (u.id, u.name, u.regency, u.parent_id, u.kind.value))
                row = cur.fetchone()
                # a changed letterhead counts as a changed unit (the import has no other kind)
                if u.id in parsed.letterheads and save_letterhead(conn, u.id, parsed.letterheads[u.id]) \
                        is not None and row is None:
                    row = (False,)
                _count(result, "unit", row)
                step()
            for p in parsed.positions:
                where = f"jabatan {p.id}"
                cur.execute(_POSITION, (p.id, p.name, p.kind.value, p.eselon, p.unit_id,
                                        p.heads_unit, p.reports_to_position_id))
                _count(result, "jabatan", cur.fetchone())
                step()
            for e in parsed.employees:
                where = f"pegawai {e.nip}"
                cur.execute(_EMPLOYEE, (e.nip, e.name, e.unit_id, e.staff_kind, e.position_class,
                                        e.schedule_group, e.join_date, e.leave_date, e.office_id))
                _count(result, "pegawai", cur.fetchone())
                _assign(cur, e, result)
                step()
            for a in parsed.acting:
                where = f"Plt/Plh {a.nip} di {a.position_id} mulai {a.start}"
                cur.execute(_ACTING, (a.nip, a.position_id, a.kind.value, a.start, a.end,
                                      a.basis))
                _count(result, "plt", cur.fetchone())
                step()
            if leavers_on is not None:
                where = "penandaan pegawai keluar"
                _mark_leavers(cur, parsed, leavers_on, result)
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as err:
        raise OrgStoreError(f"basis data menolak impor pada {where}, tidak ada yang disimpan: "
                            f"{err.diag.message_primary}") from err
    logger.info("org import applied: %d rows, %d changed, %d left", total, result.changed,
                result.leavers)
    return result


def add_acting(conn: psycopg.Connection, acting: ActingAssignment) -> None:
    """Record a Plt/Plh for the position and dates (the same person, position and start again
    updates its kind, end and decree)."""
    conn.execute(_ACTING, (acting.nip, acting.position_id, acting.kind.value, acting.start,
                           acting.end, acting.basis))


def load_chart(conn: psycopg.Connection) -> Chart:
    """Units, positions and every assignment (definitive and acting) as plain data."""
    units = {r[0]: Unit(r[0], r[1], UnitKind(r[4]), r[2], r[3]) for r in conn.execute(
        "SELECT id, name, regency, parent_id, kind FROM units")}
    positions = {r[0]: Position(r[0], r[1], PositionKind(r[2]), r[4], r[3], r[5], r[6])
                 for r in conn.execute("SELECT id, name, kind, eselon, unit_id, heads_unit, "
                                       "reports_to_position_id FROM positions")}
    assignments = [Assignment(*r) for r in conn.execute(
        "SELECT nip, position_id, start_date, end_date FROM assignments ORDER BY id")]
    acting = [ActingAssignment(r[0], r[1], r[2], r[3], ActingKind(r[4]), r[5])
              for r in conn.execute("SELECT nip, position_id, start_date, end_date, kind, basis "
                                    "FROM acting_assignments ORDER BY id")]
    return Chart(units, positions, assignments, acting)


def export_xlsx(conn: psycopg.Connection, path: Path) -> int:
    """Write units, positions, employees (with their current position) and every Plt/Plh in
    the import's shape; returns the number of employees written. Re-importing the file changes
    nothing."""
    wb = new_workbook()
    chart = load_chart(conn)
    heads = letterheads(conn, list(chart.units), logos=False)
    for u in _parents_first(sorted(chart.units.values(), key=lambda u: u.id)):
        k = heads.get(u.id, lh.Letterhead(u.id))
        wb["unit"].append([u.id, u.name, u.kind.value, u.parent_id, u.regency,
                           *(getattr(k, f) for f in lh.TEXT_FIELDS)])
    for p in sorted(chart.positions.values(), key=lambda p: p.id):
        wb["jabatan"].append([p.id, p.name, p.kind.value, p.eselon, p.unit_id,
                              "ya" if p.heads_unit else "tidak", p.reports_to_position_id])
    rows = conn.execute(
        "SELECT e.nip, e.name, e.staff_kind, e.unit_id, a.position_id, a.start_date, "
        "e.position_class, e.schedule_group, e.office_id, e.join_date, e.leave_date "
        "FROM employees e LEFT JOIN assignments a ON a.nip = e.nip AND a.end_date IS NULL "
        "ORDER BY e.unit_id, e.nip").fetchall()
    ws = wb["pegawai"]
    for r in rows:
        ws.append(list(r))
        ws.cell(ws.max_row, 1).number_format = "@"
    ws = wb["plt"]
    for a in sorted(chart.acting, key=lambda a: (a.position_id, a.start, a.nip)):
        ws.append([a.nip, a.position_id, a.kind.value, a.start, a.end, a.basis or None])
        ws.cell(ws.max_row, 1).number_format = "@"
    wb.save(path)
    return len(rows)


# ---------------------------------------------------------------- letterheads (kop surat)

_LETTERHEAD_COLUMNS = (*lh.TEXT_FIELDS, "logo", "logo_mime")


def save_letterhead(conn: psycopg.Connection, unit_id: str,
                    values: Mapping[str, str | bytes | None]) -> bool | None:
    """Set the given fields of a unit's letterhead (the others keep theirs; None clears one):
    True made, False changed, None nothing to change. Columns outside the letterhead's are
    refused with ValueError; check values first with `letterhead.problems`."""
    unknown = set(values) - set(_LETTERHEAD_COLUMNS)
    if unknown:
        raise ValueError(f"kolom kop surat tidak dikenal: {', '.join(sorted(unknown))}")
    if not values:
        return None
    exists = conn.execute("SELECT 1 FROM unit_letterheads WHERE unit_id = %s",
                          (unit_id,)).fetchone()
    if exists is None and all(v is None for v in values.values()):
        return None  # nothing to store for a unit without a letterhead
    cols = [sql.Identifier(c) for c in values]
    query = sql.SQL(
        "INSERT INTO unit_letterheads (unit_id, {cols}) VALUES (%s, {marks}) "
        "ON CONFLICT (unit_id) DO UPDATE SET {sets}, updated_at = now() "
        "WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING xmax = 0").format(
        cols=sql.SQL(", ").join(cols),
        marks=sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        sets=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=c) for c in cols),
        old=sql.SQL(", ").join(sql.SQL("unit_letterheads.{c}").format(c=c) for c in cols),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{c}").format(c=c) for c in cols))
    try:
        row = conn.execute(query, (unit_id, *values.values())).fetchone()
    except psycopg.errors.ForeignKeyViolation as err:
        raise OrgStoreError(f"unit {unit_id} tidak ada") from err
    return None if row is None else bool(row[0])


def letterheads(conn: psycopg.Connection, unit_ids: list[str],
                logos: bool = True) -> dict[str, lh.Letterhead]:
    """The letterheads of these units (units without one are absent); `logos` False leaves
    the image bytes out."""
    rows = conn.execute(
        "SELECT unit_id, address, phone, email, website, place, "
        + ("logo, logo_mime" if logos else "NULL::bytea, NULL::text")
        + " FROM unit_letterheads WHERE unit_id = ANY(%s)", (unit_ids,)).fetchall()
    return {r[0]: lh.Letterhead(r[0], r[1], r[2], r[3], r[4], r[5],
                                bytes(r[6]) if r[6] is not None else None, r[7]) for r in rows}


def _units(conn: psycopg.Connection) -> dict[str, Unit]:
    return {r[0]: Unit(r[0], r[1], UnitKind(r[4]), r[2], r[3]) for r in conn.execute(
        "SELECT id, name, regency, parent_id, kind FROM units")}


def document_head(conn: psycopg.Connection, unit_ids: list[str],
                  day: date) -> tuple[lh.Kop, lh.Signatory]:
    """The letterhead and the signatory of a document about `unit_ids` signed on `day`
    (`letterhead`'s rules), reading only the units above them and their heads."""
    units = _units(conn)
    above = {u.id for uid in unit_ids for u in lh.chain(uid, units)}
    above |= {u.id for u in units.values() if u.kind is UnitKind.PEMKAB}
    kop = lh.kop(unit_ids, units, letterheads(conn, sorted(above)))
    signer_unit = lh.signing_unit(unit_ids, units)
    if signer_unit is None:
        return kop, lh.Signatory()
    path = [u.id for u in lh.chain(signer_unit, units)]
    positions = {r[0]: Position(r[0], r[1], PositionKind(r[2]), r[4], r[3], r[5], r[6])
                 for r in conn.execute(
                     "SELECT id, name, kind, eselon, unit_id, heads_unit, reports_to_position_id "
                     "FROM positions WHERE heads_unit AND unit_id = ANY(%s)", (path,))}
    ids = list(positions)
    assignments = [Assignment(*r) for r in conn.execute(
        "SELECT nip, position_id, start_date, end_date FROM assignments "
        "WHERE position_id = ANY(%s)", (ids,))]
    acting = [ActingAssignment(r[0], r[1], r[2], r[3], ActingKind(r[4])) for r in conn.execute(
        "SELECT nip, position_id, start_date, end_date, kind FROM acting_assignments "
        "WHERE position_id = ANY(%s)", (ids,))]
    nips = sorted({a.nip for a in assignments} | {a.nip for a in acting})
    names: dict[str, str] = dict(conn.execute("SELECT nip, name FROM employees WHERE nip = ANY(%s)",
                              (nips,)).fetchall())
    return kop, lh.signatory(signer_unit, day, units, positions, assignments, acting, names)
