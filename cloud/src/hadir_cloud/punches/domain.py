"""Punches from legacy fingerprint machines: parsing their exports, in/out, dedupe keys (pure).

Two shapes are read (see docs/legacy-punches.md for HR):

* ZKTeco's `*_attlog.dat` text: one punch a line, `user id, date time, verify mode, in/out
  state, work code, reserved`, separated by tabs (the machine pads the user id with spaces);
  spaces instead of tabs and missing or extra trailing columns are accepted.
* A table (CSV or the first sheet of an XLSX) as attendance software exports it: ZKTeco
  Attendance Management's "Log" export (`No.`, `Name`, `Date/Time`, `Status`, ...) and
  Fingerspot Personnel's scan log (`PIN`, `Nama`, `Tanggal`, `Jam` or `Tanggal scan`, `I/O`),
  or any sheet with the accepted column names of `COLUMNS`.

A bad line becomes a `Problem` with its line number; it never stops the other lines.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

#: the namespace of legacy punches' event ids (uuid5 of "machine|user id|local time")
NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")

#: ZKTeco in/out state → the engine's kind: 0 check-in, 1 check-out, 2 break-out,
#: 3 break-in, 4 overtime-in, 5 overtime-out
STATE_KIND = {0: "in", 1: "out", 2: "out", 3: "in", 4: "in", 5: "out"}
#: a status written as text (ZKTeco's "C/In", Fingerspot's "Masuk", ...) → ZKTeco state
STATE_TEXT = {
    "c/in": 0, "check in": 0, "checkin": 0, "in": 0, "masuk": 0, "scan masuk": 0, "datang": 0,
    "c/out": 1, "check out": 1, "checkout": 1, "out": 1, "pulang": 1, "scan pulang": 1,
    "keluar": 1,
    "break out": 2, "istirahat keluar": 2, "keluar istirahat": 2,
    "break in": 3, "istirahat masuk": 3, "kembali istirahat": 3, "kembali": 3,
    "ot in": 4, "overtime in": 4, "lembur masuk": 4,
    "ot out": 5, "overtime out": 5, "lembur pulang": 5, "lembur keluar": 5,
}

#: accepted column names of a table export (lower case, spaces collapsed), best first
COLUMNS: dict[str, tuple[str, ...]] = {
    "user_id": ("no. id", "no id", "user id", "userid", "id pengguna", "ac-no.", "ac-no", "pin",
                "enroll no", "enrollno", "enno", "id", "no."),
    "name": ("nama", "name"),
    "datetime": ("waktu", "date/time", "datetime", "tanggal/jam", "tanggal scan", "tanggal jam",
                 "scan"),
    "date": ("tanggal", "date", "tgl"),
    "time": ("jam", "time", "waktu scan"),
    "state": ("status", "state", "i/o", "in/out", "jenis"),
}

Kind = Literal["in", "out"]
KindMode = Literal["otomatis", "mesin", "urutan"]

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H.%M.%S", "%H.%M")


@dataclass(frozen=True)
class Problem:
    """A line that could not be read, with its line number and the reason in Bahasa."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"baris {self.line}: {self.message}"


@dataclass(frozen=True)
class RawPunch:
    """One punch as the machine logged it: its user id, local wall-clock time, state."""

    line: int
    user_id: str
    local: datetime
    state: int | None = None  # None: the file does not say in or out
    verify: int | None = None
    name: str = ""


@dataclass
class Parsed:
    """What a file gave: its punches, its bad lines, how many data lines it had."""

    punches: list[RawPunch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0

    @property
    def states_recorded(self) -> bool:
        """Whether the machine recorded in/out at all (a machine without the keys logs 0)."""
        return any(p.state not in (None, 0) for p in self.punches)


class FormatError(ValueError):
    """The file as a whole is not of the expected shape (no punches can be read from it)."""


# ---------------------------------------------------------------- small readers


def decode(data: bytes) -> str:
    """Text of an export: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def user_id(value: Any) -> str:
    """A machine user id as one spelling: spaces trimmed, leading zeros of a number dropped
    ('  0012' and 12 and 12.0 are all '12')."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    return str(int(text)) if text.isdigit() else text


def parse_datetime(text: str) -> datetime:
    """'2026-10-06 07:12:33', '06/10/2026 07:12', '2026-10-06T07:12:33' (day before month)."""
    text = " ".join(text.replace("T", " ").split())
    if " " not in text:
        raise ValueError(f"waktu '{text}' tidak dikenali (pakai 2026-10-06 07:12:33)")
    d, t = text.split(" ", 1)
    return datetime.combine(parse_date(d), parse_time(t))


def parse_date(text: str) -> date:
    """'2026-10-06', '06/10/2026', '06-10-2026', '2026/10/06', '06.10.2026'."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"tanggal '{text}' tidak dikenali (pakai 2026-10-06 atau 06/10/2026)")


def parse_time(text: str) -> time:
    """'07:12:33', '07:12', '7.12'."""
    text = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(f"jam '{text}' tidak dikenali (pakai 07:12:33 atau 07:12)")


def parse_state(value: Any) -> int | None:
    """A status cell → ZKTeco state (0..5); None for an empty cell; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).strip().lower().split())
    if not text:
        return None
    if text.isdigit():
        n = int(text)
        if n in STATE_KIND:
            return n
        raise ValueError(f"status {n} tidak dikenal (0–5)")
    if text in STATE_TEXT:
        return STATE_TEXT[text]
    raise ValueError(f"status '{value}' tidak dikenal (mis. C/In, C/Out, Masuk, Pulang, 0–5)")


# ---------------------------------------------------------------- ZKTeco attlog


def parse_attlog(text: str) -> Parsed:
    """ZKTeco `*_attlog.dat`: `user id <tab> YYYY-MM-DD HH:MM:SS <tab> verify <tab> state ...`.

    Blank lines are skipped; every other line either gives a punch or a Problem."""
    out = Parsed()
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        out.lines += 1
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [f.strip() for f in fields]
        if "\t" not in line and len(fields) >= 3 and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?",
                                                                  fields[2]):
            # spaces only: the date and the time are two fields
            fields = [fields[0], f"{fields[1]} {fields[2]}", *fields[3:]]
        if len(fields) < 2 or not fields[0]:
            out.problems.append(Problem(no, "kurang kolom: perlu ID pengguna dan waktu"))
            continue
        uid = user_id(fields[0])
        try:
            local = parse_datetime(fields[1])
        except ValueError as err:
            out.problems.append(Problem(no, str(err)))
            continue
        try:
            verify = int(fields[2]) if len(fields) > 2 and fields[2] else None
            state = parse_state(fields[3]) if len(fields) > 3 else None
        except ValueError as err:
            out.problems.append(Problem(no, f"kolom verifikasi/status: {err}"))
            continue
        out.punches.append(RawPunch(no, uid, local, state, verify))
    return out


# ---------------------------------------------------------------- CSV / XLSX tables


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV export (comma, semicolon or tab, as the first line shows)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delim = max((";", ",", "\t"), key=first.count)
    return [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delim)]


def _norm(header: Any) -> str:
    return " ".join(str(header or "").replace("\ufeff", "").strip().lower().split())


def header_map(header: Sequence[Any]) -> dict[str, int]:
    """Column index per field from a header row; FormatError names what is missing."""
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for fieldname, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                found[fieldname] = names.index(alias)
                break
    if "datetime" not in found and "time" in found and "date" not in found:
        found["datetime"] = found.pop("time")  # ZKTime's "Time" column holds date and time
    missing = []
    if "user_id" not in found:
        missing.append("ID pengguna (No. ID / User ID / PIN / AC-No.)")
    if "datetime" not in found and not ("date" in found and "time" in found):
        missing.append("waktu (Waktu / Date/Time, atau Tanggal dan Jam)")
    if missing:
        raise FormatError("kolom tidak ditemukan: " + "; ".join(missing)
                          + f" (judul kolom yang ada: {', '.join(n for n in names if n)})")
    return found


def _cell_datetime(row: Sequence[Any], cols: dict[str, int]) -> datetime:
    def cell(name: str) -> Any:
        i = cols[name]
        return row[i] if i < len(row) else None
    if "datetime" in cols:
        v = cell("datetime")
        if isinstance(v, datetime):
            return v.replace(microsecond=0)
        if v is None or str(v).strip() == "":
            raise ValueError("waktu kosong")
        return parse_datetime(str(v))
    d, t = cell("date"), cell("time")
    if d is None or str(d).strip() == "" or t is None or str(t).strip() == "":
        raise ValueError("tanggal atau jam kosong")
    if isinstance(d, datetime):
        d = d.date()
    day = d if isinstance(d, date) else parse_date(str(d))
    if isinstance(t, datetime):
        t = t.time()
    hour = t.replace(microsecond=0) if isinstance(t, time) else parse_time(str(t))
    return datetime.combine(day, hour)


def parse_table(rows: Iterable[Sequence[Any]]) -> Parsed:
    """A table export: the first non-empty row is the header (FormatError when it lacks the
    user id or the time); every later row gives a punch or a Problem. Line numbers are the
    file's (row 1 is the first row)."""
    out = Parsed()
    cols: dict[str, int] | None = None
    for no, row in enumerate(rows, start=1):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        if cols is None:
            cols = header_map(row)
            continue
        out.lines += 1
        raw_uid = row[cols["user_id"]] if cols["user_id"] < len(row) else None
        uid = user_id(raw_uid)
        if not uid:
            out.problems.append(Problem(no, "ID pengguna kosong"))
            continue
        try:
            local = _cell_datetime(row, cols)
        except ValueError as err:
            out.problems.append(Problem(no, str(err)))
            continue
        try:
            state = (parse_state(row[cols["state"]] if cols["state"] < len(row) else None)
                     if "state" in cols else None)
        except ValueError as err:
            out.problems.append(Problem(no, str(err)))
            continue
        name = (str(row[cols["name"]] or "").strip()
                if "name" in cols and cols["name"] < len(row) else "")
        out.punches.append(RawPunch(no, uid, local, state, None, name))
    if cols is None:
        raise FormatError("berkas kosong: tidak ada baris judul kolom")
    return out


# ---------------------------------------------------------------- in/out and identity


def kinds(punches: Sequence[RawPunch], mode: KindMode, states_recorded: bool) -> list[Kind]:
    """'in' or 'out' for each punch.

    `mesin`: the machine's state (0/3/4 in, 1/2/5 out; no state: in). `urutan`: per person and
    day, the earliest punch is 'in' and every later one 'out' (the engine then takes the last
    as the day's going-home). `otomatis`: `mesin` when the file records states, else `urutan`.
    """
    if mode == "otomatis":
        mode = "mesin" if states_recorded else "urutan"
    if mode == "mesin":
        return [STATE_KIND[p.state] if p.state is not None else "in"  # type: ignore[misc]
                for p in punches]
    first: dict[tuple[str, date], datetime] = {}
    for p in punches:
        key = (p.user_id, p.local.date())
        if key not in first or p.local < first[key]:
            first[key] = p.local
    return ["in" if first[(p.user_id, p.local.date())] == p.local else "out" for p in punches]


def event_id(machine: str, uid: str, local: datetime) -> uuid.UUID:
    """The punch's stable id: the same machine, user and second give the same id, so an
    import repeated (or overlapping exports) stores each punch once."""
    return uuid.uuid5(NAMESPACE, f"{machine}|{uid}|{local.replace(microsecond=0).isoformat()}")


def device_id(machine: str) -> str:
    """The `checkins.device_id` of a machine's punches."""
    return f"legacy:{machine}"


# ---------------------------------------------------------------- the mapping file


@dataclass(frozen=True)
class MapRow:
    """One line of the mapping file: machine, machine user id, NIP."""

    line: int
    machine: str
    user_id: str
    nip: str


def _text(row: Sequence[Any], i: int) -> str:
    return str(row[i]).strip() if i < len(row) and row[i] is not None else ""


def parse_mapping(rows: Iterable[Sequence[Any]]) -> tuple[list[MapRow], list[Problem]]:
    """`machine,user_id,nip` (header row required; also `mesin`, `id pengguna`/`pin`)."""
    out: list[MapRow] = []
    problems: list[Problem] = []
    cols: dict[str, int] | None = None
    seen: dict[tuple[str, str], int] = {}
    for no, row in enumerate(rows, start=1):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        if cols is None:
            names = [_norm(h) for h in row]
            cols = {}
            for name, aliases in (("machine", ("machine", "mesin")),
                                  ("user_id", ("user_id", "user id", "id pengguna", "pin",
                                               "no. id")),
                                  ("nip", ("nip",))):
                idx = next((names.index(a) for a in aliases if a in names), None)
                if idx is None:
                    raise FormatError(f"kolom '{aliases[0]}' tidak ditemukan (judul: machine,"
                                      "user_id,nip)")
                cols[name] = idx
            continue

        machine, uid, nip = (_text(row, cols["machine"]), user_id(_text(row, cols["user_id"])),
                             _text(row, cols["nip"]))
        if not machine or not uid or not nip:
            problems.append(Problem(no, "mesin, user_id dan nip wajib diisi"))
            continue
        if not re.fullmatch(r"[0-9A-Za-z.\-]{5,30}", nip):
            problems.append(Problem(no, f"NIP '{nip}' tidak sah"))
            continue
        if (machine, uid) in seen:
            problems.append(Problem(no, f"mesin {machine} ID {uid} sudah ada di baris "
                                        f"{seen[(machine, uid)]}"))
            continue
        seen[(machine, uid)] = no
        out.append(MapRow(no, machine, uid, nip))
    if cols is None:
        raise FormatError("berkas kosong: tidak ada baris judul kolom")
    return out, problems
