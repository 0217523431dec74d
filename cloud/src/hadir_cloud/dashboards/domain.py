"""The leaders' board in plain data: ratings read from a sheet, placed in the predicate matrix
and the quadrants, and the figures of a row (no Flask, no psycopg)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..tpp.field_errors import N_
from .quadrants import LEVELS, Level, QuadrantRule

#: an evaluation period: a year, a month, or a quarter (triwulan)
PERIOD_RE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])|-TW[1-4])?$")
#: what a sheet's header may call each column (lower case, spaces folded)
HEADERS: dict[str, tuple[str, ...]] = {
    "nip": ("nip",),
    "period": ("periode", "period"),
    "results": ("hasil kerja", "hasil_kerja", "hasil"),
    "behaviour": ("perilaku kerja", "perilaku_kerja", "perilaku"),
}
#: the board's statuses of a person's day (attendance_person_daily.status), Bahasa msgids
STATUS_TEXT: dict[str, str] = {
    "hadir": N_("Hadir"), "tk": N_("Tanpa keterangan"), "belum_masuk": N_("Belum masuk"),
    "izin": N_("Izin"), "sakit": N_("Sakit"), "cuti": N_("Cuti"), "dl": N_("Dinas luar"),
    "tugas_belajar": N_("Tugas belajar"), "libur": N_("Libur"),
}
LEAVE = frozenset({"izin", "sakit", "cuti", "dl", "tugas_belajar"})


class SheetError(ValueError):
    """A ratings sheet cannot be read at all (no header, a missing column)."""


@dataclass(frozen=True)
class Rating:
    """One person's rating for a period."""

    nip: str
    period: str
    results: Level
    behaviour: Level


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row of a sheet (its number as the spreadsheet shows it)."""

    row: int
    msgid: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The Bahasa text."""
        return self.msgid % self.params if self.params else self.msgid


def _norm(value: Any) -> str:
    return " ".join(str(value or "").replace("\ufeff", "").strip().lower().split())


def level(value: Any) -> Level | None:
    """'Di atas ekspektasi', 'di_atas', 'DI ATAS' … → 'di_atas'; None when it is none of the
    three."""
    text = _norm(value).replace("_", " ").replace("ekspektasi", "").strip()
    return {"di bawah": "di_bawah", "sesuai": "sesuai", "di atas": "di_atas"}.get(text)  # type: ignore[return-value]


def _header(row: Sequence[Any]) -> dict[str, int]:
    names = [_norm(h) for h in row]
    found = {}
    for key, aliases in HEADERS.items():
        hit = next((names.index(a) for a in aliases if a in names), None)
        if hit is not None:
            found[key] = hit
    missing = [HEADERS[k][0] for k in HEADERS if k not in found]
    if missing:
        raise SheetError(f"kolom tidak ditemukan: {', '.join(missing)} (baris pertama harus "
                         "berisi judul kolom: NIP, Periode, Hasil kerja, Perilaku kerja)")
    return found


def parse_ratings(rows: Iterable[Sequence[Any]], known: set[str]
                  ) -> tuple[list[Rating], list[RowProblem]]:
    """Ratings from a sheet's rows (the first is the header) and every bad row's problem; a NIP
    rated twice for the same period is a problem too. `known`: the NIPs on the roster."""
    it = iter(rows)
    try:
        cols = _header(next(it))
    except StopIteration as err:
        raise SheetError("berkas kosong") from err
    out: list[Rating] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(it, start=2):
        cells = {k: (row[i] if i < len(row) else None) for k, i in cols.items()}
        if all(_norm(v) == "" for v in cells.values()):
            continue
        raw_nip = cells["nip"]
        if isinstance(raw_nip, float) and raw_nip >= 1e15:
            # a spreadsheet keeps 15 digits of a number: an 18-digit NIP typed as one is lost
            problems.append(RowProblem(number, N_("NIP %(nip)s tersimpan sebagai angka dan "
                                                  "digit terakhirnya hilang: jadikan kolom NIP "
                                                  "teks, lalu ketik ulang"),
                                       {"nip": f"{raw_nip:.0f}"}))
            continue
        nip = str(int(raw_nip)) if isinstance(raw_nip, int | float) else str(raw_nip or "").strip()
        period = str(cells["period"] or "").strip().upper()
        results, behaviour = level(cells["results"]), level(cells["behaviour"])
        if nip not in known:
            problems.append(RowProblem(number, N_("NIP %(nip)s tidak ada di data pegawai"),
                                       {"nip": nip or "(kosong)"}))
        elif not PERIOD_RE.match(period):
            problems.append(RowProblem(number, N_("periode %(period)s tidak valid (contoh: 2026, "
                                                  "2026-11, 2026-TW3)"),
                                       {"period": period or "(kosong)"}))
        elif results is None or behaviour is None:
            bad = cells["results"] if results is None else cells["behaviour"]
            problems.append(RowProblem(number, N_("nilai %(value)s tidak dikenal: tulis di bawah "
                                                  "ekspektasi, sesuai ekspektasi atau di atas "
                                                  "ekspektasi"), {"value": str(bad or "(kosong)")}))
        elif (nip, period) in seen:
            problems.append(RowProblem(number, N_("%(nip)s sudah dinilai untuk %(period)s di baris "
                                                  "%(first)s"),
                                       {"nip": nip, "period": period,
                                        "first": str(seen[(nip, period)])}))
        else:
            seen[(nip, period)] = number
            out.append(Rating(nip, period, results, behaviour))
    return out, problems


@dataclass(frozen=True)
class Placed:
    """A rating placed by the rule."""

    nip: str
    predicate: str
    quadrant: str


def place(ratings: Iterable[tuple[str, str, str]], rule: QuadrantRule) -> list[Placed]:
    """(nip, results, behaviour) → predicate and quadrant, by the rule."""
    out = []
    for nip, results, behaviour in ratings:
        predicate = rule.predicate(results, behaviour)
        out.append(Placed(nip, predicate, rule.quadrant_of(predicate).code))
    return out


def matrix_counts(ratings: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], int]:
    """How many people in each results × behaviour cell (every cell, zero included)."""
    got = Counter((r, b) for _nip, r, b in ratings)
    return {(r, b): got[(r, b)] for r in reversed(LEVELS) for b in LEVELS}


def quadrant_counts(placed: Iterable[Placed], group_of: Mapping[str, str],
                    rule: QuadrantRule) -> dict[str, dict[str, int]]:
    """Per group (an OPD, a unit): how many people in each quadrant, in the rule's order."""
    out: dict[str, Counter[str]] = {}
    for p in placed:
        out.setdefault(group_of.get(p.nip, ""), Counter())[p.quadrant] += 1
    return {g: {q.code: c[q.code] for q in rule.quadrant} for g, c in out.items()}


def percent(part: int | None, whole: int | None) -> float | None:
    """part/whole in percent with one decimal; None without a whole."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def month_days(first: date, last: date, today: date) -> tuple[date, date] | None:
    """The days of a month the board counts: up to yesterday for the running month (today is
    shown live), the whole of a past month, nothing of a future one."""
    if first > today:
        return None
    end = min(last, date.fromordinal(today.toordinal() - 1))
    return (first, end) if end >= first else None
