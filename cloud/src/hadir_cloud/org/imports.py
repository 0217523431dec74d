"""Read and check an org import (units, positions, employees, Plt/Plh) from XLSX or CSV; pure.

The shape follows SIMPEG/SIASN exports: one sheet (or CSV file) per table, a header row,
one record per row. Every problem names the sheet, the spreadsheet row, the column and says
what is wrong in Bahasa Indonesia; `check` lists them all (a dry run), `parse` refuses to
return data while any remain. Columns: `docs/org-import.md` and `sheets.COLUMNS`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from hadir_protocol.identifiers import EMPLOYEE_ID_RE, nip_problem
from openpyxl import load_workbook

from . import letterhead
from .domain import ESELON, ActingAssignment, ActingKind, Position, PositionKind, Unit, UnitKind
from .sheets import (  # noqa: F401 - the import's shape, kept importable from here
    COLUMNS,
    OPTIONAL_SHEETS,
    SHEET_LABEL,
    SHEET_ORDER,
    SHEETS,
    STAFF_KINDS,
    TEMPLATE,
    Column,
    make_template,
    new_workbook,
    write_template,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row, or header) of an import."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} baris {self.row}" + (f", kolom {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Sheet:
    """Raw rows of one sheet: (spreadsheet row number, {column: value})."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class EmployeeRow:
    """An employee as imported; `position_id` None for staff without a recorded position."""

    nip: str
    name: str
    staff_kind: str
    unit_id: str
    position_id: str | None
    position_start: date | None
    position_class: str
    schedule_group: str
    office_id: str
    join_date: date
    leave_date: date | None = None


@dataclass
class Parsed:
    """A checked import, ready for `store.apply`."""

    units: list[Unit] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    employees: list[EmployeeRow] = field(default_factory=list)
    acting: list[ActingAssignment] = field(default_factory=list)
    #: unit id → the letterhead fields whose columns the sheet has (an empty cell clears one)
    letterheads: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows to apply."""
        return len(self.units) + len(self.positions) + len(self.employees) + len(self.acting)


@dataclass(frozen=True)
class Known:
    """What already exists in the database that rows may refer to."""

    units: frozenset[str] = frozenset()
    positions: Mapping[str, str] = field(default_factory=dict)  # position id -> unit id
    offices: frozenset[str] | None = None  # None: not checked (no database at hand)
    employees: frozenset[str] | None = None  # NIPs; None: not checked (no database at hand)


class ImportProblems(ValueError):
    """The import has problems; `problems` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} masalah dalam berkas impor")


# ---------------------------------------------------------------- reading

def _header_key(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def _sheet(name: str, values: list[list[Any]]) -> Sheet:
    header = [_header_key(v) for v in values[0]] if values else []
    rows = []
    for i, raw in enumerate(values[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in raw):
            continue
        rows.append((i, {h: v for h, v in zip(header, raw, strict=False) if h}))
    return Sheet(name, header, rows)


def read_xlsx(path: Path | IO[bytes]) -> dict[str, Sheet]:
    """The sheets of an XLSX file or stream (sheet names case-insensitive); a missing one is
    empty."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        by_name = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        return {s: _sheet(s, [list(r) for r in by_name[s].iter_rows(values_only=True)]
                          if s in by_name else []) for s in SHEETS}
    finally:
        wb.close()


def read_csv_dir(path: Path) -> dict[str, Sheet]:
    """`unit.csv`, `jabatan.csv`, `pegawai.csv` and `plt.csv` in a directory (UTF-8, comma or
    semicolon)."""
    out = {}
    for s in SHEETS:
        f = path / f"{s}.csv"
        values: list[list[Any]] = []
        if f.exists():
            text = f.read_text(encoding="utf-8-sig")
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", ",;")
            values = [list(r) for r in csv.reader(text.splitlines(), dialect)]
        out[s] = _sheet(s, values)
    return out


def read(path: Path) -> dict[str, Sheet]:
    """An XLSX file or a directory of CSV files."""
    return read_csv_dir(path) if path.is_dir() else read_xlsx(path)


# ---------------------------------------------------------------- checking

_NIP_AS_NUMBER = ("NIP tersimpan sebagai angka (digit bisa hilang); format kolom nip sebagai "
                  "Teks")
_DATE_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


class _Checker:
    def __init__(self, sheet: Sheet, problems: list[Problem]) -> None:
        self.sheet, self.problems = sheet, problems
        absent = not sheet.header and not sheet.rows
        for col in COLUMNS[sheet.name]:
            if absent and sheet.name in OPTIONAL_SHEETS:
                break
            if col.required and col.name not in sheet.header:
                self.add(1, col.name, "kolom wajib tidak ada di baris judul")

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(SHEET_LABEL[self.sheet.name], row, column, message))

    def text(self, row: int, values: dict[str, Any], column: str, required: bool) -> str:
        v = values.get(column)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = "" if v is None else str(v).strip()
        if required and not s:
            self.add(row, column, "wajib diisi")
        return s

    def day(self, row: int, values: dict[str, Any], column: str, required: bool) -> date | None:
        v = values.get(column)
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        s = "" if v is None else str(v).strip()
        if not s:
            if required:
                self.add(row, column, "wajib diisi")
            return None
        try:
            if m := _DATE_DMY.match(s):
                return date(int(m[3]), int(m[2]), int(m[1]))
            return date.fromisoformat(s)
        except ValueError:
            self.add(row, column, f"tanggal tidak valid: {s!r} (pakai YYYY-MM-DD atau DD-MM-YYYY)")
            return None


def _choice(ck: _Checker, row: int, column: str, value: str, allowed: tuple[str, ...],
            what: str) -> str | None:
    if not value:
        return None
    for a in allowed:
        if value.lower() == a.lower():
            return a
    ck.add(row, column, f"{what} tidak dikenal: {value!r} (pilihan: {', '.join(allowed)})")
    return None


#: the letterhead's import columns → its fields
LETTERHEAD_COLUMNS = {column: name for name, column in letterhead.TEXT_FIELDS.items()}


def _letterhead(ck: _Checker, row: int, v: dict[str, Any]) -> dict[str, str | None] | None:
    """The letterhead fields of a unit row whose columns the sheet has; None when the sheet
    has none of them or one is bad."""
    values = {name: ck.text(row, v, column, False) or None
              for column, name in LETTERHEAD_COLUMNS.items() if column in ck.sheet.header}
    bad = letterhead.problems(values)
    for name, message in bad:
        ck.add(row, letterhead.TEXT_FIELDS[name], message)
    return None if bad or not values else values


def _units(sheet: Sheet, known: Known, problems: list[Problem],
           heads: dict[str, dict[str, str | None]] | None = None) -> list[Unit]:
    ck, out, first = _Checker(sheet, problems), [], dict[str, int]()
    kinds = tuple(k.value for k in UnitKind)
    for row, v in sheet.rows:
        uid = ck.text(row, v, "id_unit", True)
        name = ck.text(row, v, "nama_unit", True)
        kind = _choice(ck, row, "jenis_unit", ck.text(row, v, "jenis_unit", True), kinds,
                       "jenis unit")
        parent = ck.text(row, v, "id_unit_induk", False) or None
        regency = ck.text(row, v, "kabupaten", True)
        values = _letterhead(ck, row, v)
        if uid in first:
            ck.add(row, "id_unit", f"id_unit {uid} ganda (sudah ada di baris {first[uid]})")
            continue
        if uid:
            first[uid] = row
        if uid and name and kind and regency:
            out.append(Unit(uid, name, UnitKind(kind), regency, parent))
            if heads is not None and values is not None:
                heads[uid] = values
    ids = set(first) | set(known.units)
    parents = {u.id: u.parent_id for u in out}
    for u in out:
        if u.parent_id is not None and u.parent_id not in ids:
            ck.add(first[u.id], "id_unit_induk", f"unit induk {u.parent_id} tidak dikenal")
        elif u.parent_id == u.id:
            ck.add(first[u.id], "id_unit_induk", "unit tidak boleh menjadi induknya sendiri")
        else:
            seen, p = {u.id}, u.parent_id
            while p is not None and p in parents and p not in seen:
                seen.add(p)
                p = parents[p]
            if p is not None and p in seen:
                ck.add(first[u.id], "id_unit_induk", "rantai unit induk berputar")
    return out


def _positions(sheet: Sheet, unit_ids: set[str], known: Known,
               problems: list[Problem]) -> list[Position]:
    ck, out, first = _Checker(sheet, problems), [], dict[str, int]()
    kinds = tuple(k.value for k in PositionKind)
    heads: dict[str, int] = {}
    for row, v in sheet.rows:
        pid = ck.text(row, v, "id_jabatan", True)
        name = ck.text(row, v, "nama_jabatan", True)
        kind = _choice(ck, row, "jenis_jabatan", ck.text(row, v, "jenis_jabatan", True), kinds,
                       "jenis jabatan")
        eselon = ck.text(row, v, "eselon", False) or None
        unit = ck.text(row, v, "id_unit", True)
        head_raw = ck.text(row, v, "kepala_unit", False).lower()
        reports = ck.text(row, v, "id_jabatan_atasan", False) or None
        ok = bool(pid and name and kind and unit)
        if pid in first:
            ck.add(row, "id_jabatan", f"id_jabatan {pid} ganda (sudah ada di baris {first[pid]})")
            continue
        if pid:
            first[pid] = row
        if unit and unit not in unit_ids:
            ck.add(row, "id_unit", f"jabatan di unit yang tidak dikenal: {unit}")
            ok = False
        if kind == "struktural" and eselon is None:
            ck.add(row, "eselon", "jabatan struktural wajib punya eselon")
            ok = False
        elif eselon is not None and kind != "struktural":
            ck.add(row, "eselon", "eselon hanya untuk jabatan struktural")
            ok = False
        elif eselon is not None and eselon not in ESELON:
            ck.add(row, "eselon", f"eselon tidak dikenal: {eselon!r} (contoh: II.a, III.b, IV.a)")
            ok = False
        if head_raw not in ("", "ya", "tidak", "y", "t", "1", "0"):
            ck.add(row, "kepala_unit", f"isi ya atau tidak, bukan {head_raw!r}")
            ok = False
        head = head_raw in ("ya", "y", "1")
        if head and unit:
            if unit in heads:
                ck.add(row, "kepala_unit", f"unit {unit} sudah punya jabatan kepala "
                       f"(baris {heads[unit]})")
                ok = False
            else:
                heads[unit] = row
        if ok:
            out.append(Position(pid, name, PositionKind(kind), unit, eselon, head, reports))  # type: ignore[arg-type]
    ids = set(first) | set(known.positions)
    for p in out:
        if p.reports_to_position_id is None:
            continue
        if p.reports_to_position_id == p.id:
            ck.add(first[p.id], "id_jabatan_atasan", "jabatan tidak boleh menjadi atasannya sendiri")
        elif p.reports_to_position_id not in ids:
            ck.add(first[p.id], "id_jabatan_atasan",
                   f"jabatan atasan {p.reports_to_position_id} tidak dikenal")
    return out


def _staff_id_problem(staff_kind: str, nip: str) -> str | None:
    if staff_kind in ("ASN", "PPPK"):
        why: str | None = nip_problem(nip)
        return why
    if not EMPLOYEE_ID_RE.match(nip):
        return "ID honorer harus 4–32 huruf/angka (boleh titik dan tanda hubung)"
    return None


def _employees(sheet: Sheet, unit_ids: set[str], position_unit: Mapping[str, str], known: Known,
               problems: list[Problem]) -> list[EmployeeRow]:
    ck, out, first = _Checker(sheet, problems), [], dict[str, int]()
    for row, v in sheet.rows:
        before = len(problems)
        raw_nip = v.get("nip")
        nip = ck.text(row, v, "nip", True)
        name = ck.text(row, v, "nama", True)
        kind = _choice(ck, row, "jenis_pegawai", ck.text(row, v, "jenis_pegawai", True),
                       STAFF_KINDS, "jenis pegawai")
        unit = ck.text(row, v, "id_unit", True)
        pos = ck.text(row, v, "id_jabatan", False) or None
        pos_start = ck.day(row, v, "tmt_jabatan", pos is not None)
        cls = ck.text(row, v, "kelas_jabatan", True)
        group = ck.text(row, v, "kelompok_jadwal", True)
        office = ck.text(row, v, "id_kantor", True)
        join = ck.day(row, v, "tmt_masuk", True)
        leave = ck.day(row, v, "tanggal_keluar", False)
        if isinstance(raw_nip, (int, float)):
            ck.add(row, "nip", _NIP_AS_NUMBER)
        elif nip and kind and (why := _staff_id_problem(kind, nip)):
            ck.add(row, "nip", f"NIP {nip} tidak valid: {why}")
        if nip in first:
            ck.add(row, "nip", f"NIP {nip} ganda (sudah ada di baris {first[nip]})")
        elif nip:
            first[nip] = row
        if unit and unit not in unit_ids:
            ck.add(row, "id_unit", f"unit tidak dikenal: {unit}")
        if pos is not None:
            if pos not in position_unit:
                ck.add(row, "id_jabatan", f"jabatan tidak dikenal: {pos}")
            elif unit in unit_ids and position_unit[pos] != unit:
                ck.add(row, "id_jabatan",
                       f"jabatan {pos} ada di unit {position_unit[pos]}, bukan {unit}")
        if known.offices is not None and office and office not in known.offices:
            ck.add(row, "id_kantor", f"kantor belum terdaftar: {office}")
        if join and leave and leave < join:
            ck.add(row, "tanggal_keluar", f"tanggal keluar {leave} sebelum tmt masuk {join}")
        if join and pos_start and pos_start < join:
            ck.add(row, "tmt_jabatan", f"tmt jabatan {pos_start} sebelum tmt masuk {join}")
        if len(problems) == before and nip and name and kind and unit and cls and group \
                and office and join:
            out.append(EmployeeRow(nip, name, kind, unit, pos, pos_start, cls, group, office,
                                   join, leave))
    return out


def _acting(sheet: Sheet, nips: set[str], position_unit: Mapping[str, str], known: Known,
            problems: list[Problem]) -> list[ActingAssignment]:
    ck, out, first = _Checker(sheet, problems), [], dict[tuple[str, str, date], int]()
    kinds = tuple(k.value for k in ActingKind)
    for row, v in sheet.rows:
        before = len(problems)
        raw_nip = v.get("nip")
        nip = ck.text(row, v, "nip", True)
        pos = ck.text(row, v, "id_jabatan", True)
        kind = _choice(ck, row, "jenis", ck.text(row, v, "jenis", True).rstrip("."), kinds,
                       "jenis penugasan")
        start = ck.day(row, v, "tanggal_mulai", True)
        end = ck.day(row, v, "tanggal_selesai", True)
        basis = ck.text(row, v, "nomor_sk", False)
        if isinstance(raw_nip, (int, float)):
            ck.add(row, "nip", _NIP_AS_NUMBER)
        elif nip and nip not in nips and known.employees is not None \
                and nip not in known.employees:
            ck.add(row, "nip", f"pegawai {nip} tidak ada di lembar pegawai maupun di basis data")
        if pos and pos not in position_unit:
            ck.add(row, "id_jabatan", f"jabatan tidak dikenal: {pos}")
        if start and end and end < start:
            ck.add(row, "tanggal_selesai", f"tanggal selesai {end} sebelum tanggal mulai {start}")
        key = (nip, pos, start) if nip and pos and start else None
        if key is not None and key in first:
            ck.add(row, "tanggal_mulai", f"penugasan {nip} di {pos} mulai {start} ganda "
                   f"(sudah ada di baris {first[key]})")
        elif key is not None:
            first[key] = row
        if len(problems) == before and nip and pos and kind and start and end:
            out.append(ActingAssignment(nip, pos, start, end, ActingKind(kind), basis))
    return out


def _check(book: Mapping[str, Sheet], known: Known) -> tuple[Parsed, list[Problem]]:
    problems: list[Problem] = []
    heads: dict[str, dict[str, str | None]] = {}
    units = _units(book["unit"], known, problems, heads)
    unit_ids = {u.id for u in units} | set(known.units)
    positions = _positions(book["jabatan"], unit_ids, known, problems)
    position_unit = {**known.positions, **{p.id: p.unit_id for p in positions}}
    # a position rejected for its own row is still "known" to the file: do not pile up problems
    for _, v in book["jabatan"].rows:
        pid = str(v.get("id_jabatan") or "").strip()
        if pid and pid not in position_unit:
            position_unit[pid] = str(v.get("id_unit") or "").strip()
    employees = _employees(book["pegawai"], unit_ids, position_unit, known, problems)
    # a person rejected for their own row is still "in the file" for the Plt sheet
    nips = {str(v.get("nip") or "").strip() for _, v in book["pegawai"].rows}
    acting = _acting(book.get("plt", Sheet("plt", [], [])), nips, position_unit, known,
                     problems)
    problems.sort(key=lambda p: (SHEET_ORDER[p.sheet], p.row))
    return Parsed(units, positions, employees, acting, heads), problems


def check(book: Mapping[str, Sheet], known: Known = Known()) -> list[Problem]:
    """Every problem of every row (empty when the import is clean): the dry run."""
    return _check(book, known)[1]


def parse(book: Mapping[str, Sheet], known: Known = Known()) -> Parsed:
    """The checked records; raises ImportProblems when any row has a problem."""
    parsed, problems = _check(book, known)
    if problems:
        raise ImportProblems(problems)
    return parsed
