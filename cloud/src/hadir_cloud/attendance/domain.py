"""An employee's month as a calendar: pure, from the TPP engine's day statuses (no I/O)."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

#: the status codes of DayStatus.codes → Bahasa text and a style class
CODE_TEXT: dict[str, tuple[str, str]] = {
    "H": ("Hadir", "ok"),
    "TL1": ("Terlambat 1–30 menit", "warn"), "TL2": ("Terlambat 31–60 menit", "warn"),
    "TL3": ("Terlambat 61–90 menit", "warn"), "TL4": ("Terlambat > 90 menit / tanpa absen masuk",
                                                      "bad"),
    "PSW1": ("Pulang cepat 1–30 menit", "warn"), "PSW2": ("Pulang cepat 31–60 menit", "warn"),
    "PSW3": ("Pulang cepat 61–90 menit", "warn"), "PSW4": ("Pulang cepat > 90 menit / tanpa "
                                                           "absen pulang", "bad"),
    "TK": ("Tanpa keterangan", "bad"), "IZIN": ("Izin", "info"), "SAKIT": ("Sakit", "info"),
    "CUTI": ("Cuti", "info"), "DL": ("Dinas luar", "info"), "LIBUR": ("Libur", "off"),
    "BELUM_AKTIF": ("Belum aktif", "off"), "BELUM": ("Belum berlalu", "off"),
}
WEEKDAYS = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


@dataclass(frozen=True)
class Cell:
    """One day of the calendar."""

    day: date
    codes: tuple[str, ...]
    checkin: str | None  # local HH:MM
    checkout: str | None
    checkin_event: str | None
    checkout_event: str | None
    future: bool

    @property
    def labels(self) -> list[tuple[str, str, str]]:
        """(code, Bahasa text, style) for each code of the day."""
        return [(c, *CODE_TEXT.get(c, (c, "info"))) for c in self.codes]


def month_title(first: date) -> str:
    """'November 2026'."""
    return f"{MONTHS[first.month - 1]} {first.year}"


def cells(statuses: list[Any], today: date) -> dict[date, Cell]:
    """The engine's DayStatus list as calendar cells; days after today are not judged yet."""
    out = {}
    for s in statuses:
        future = s.day > today
        codes = ("BELUM",) if future and s.working else tuple(s.codes)
        out[s.day] = Cell(
            s.day, codes,
            s.checkin_at.strftime("%H:%M") if getattr(s, "checkin_at", None) else None,
            s.checkout_at.strftime("%H:%M") if getattr(s, "checkout_at", None) else None,
            _event(s.checkin), _event(s.checkout), future)
    return out


def _event(value: Any) -> str | None:
    """A check-in's event id (only a UUID links to its photo)."""
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def weeks(first: date, by_day: dict[date, Cell]) -> list[list[Cell | None]]:
    """Monday-first weeks of the month; None outside it."""
    grid: list[list[Cell | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        grid.append([by_day.get(d) if d.month == first.month else None for d in week])
    return grid


def tally(by_day: dict[date, Cell]) -> dict[str, int]:
    """How many days of each code so far."""
    counts: dict[str, int] = {}
    for cell in by_day.values():
        if not cell.future:
            for code in cell.codes:
                counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def rupiah(amount: Decimal) -> str:
    """Rp 1.234.567"""
    return "Rp " + f"{amount:,.0f}".replace(",", ".")


# ---------------------------------------------------------------- the recap (team, unit, OPD)

#: the day recap's columns in order → style class (their text is in the views, translated)
DAY_COLUMNS: dict[str, str] = {
    "hadir": "ok", "terlambat": "warn", "belum": "off", "tk": "bad", "izin": "info",
    "libur": "off",
}
#: the month recap's columns in order: working days so far, then days per code
MONTH_COLUMNS: tuple[str, ...] = ("hari_kerja", "H", "TL", "PSW", "TK", "IZIN", "SAKIT", "CUTI",
                                  "DL")
LEAVE_CODES = frozenset({"IZIN", "SAKIT", "CUTI", "DL", "TUGAS_BELAJAR"})


def day_column(codes: tuple[str, ...] | list[str], pending: bool) -> str:
    """The day recap's column for a person's codes of a day (`DayStatus.codes`).

    `pending`: the person's working day is not over yet (today, before the schedule's end),
    so no check-in means "not yet in", not TK.
    """
    code_set = set(codes)
    if code_set & {"LIBUR", "BELUM_AKTIF"}:
        return "libur"
    if code_set & LEAVE_CODES:
        return "izin"
    if "TK" in code_set:
        return "belum" if pending else "tk"
    if any(c.startswith("TL") for c in code_set):
        return "terlambat"
    return "hadir"  # H, or a PSW code (checked in on time)


def day_counts(columns: list[str]) -> dict[str, int]:
    """How many people in each day column (every column present, zeros included)."""
    counts = dict.fromkeys(DAY_COLUMNS, 0)
    for c in columns:
        counts[c] += 1
    return counts


def month_counts(by_day: dict[date, Cell]) -> dict[str, int]:
    """One person's month so far in the recap's columns, from the calendar cells.

    A day counts once per column: a day with TL2 and PSW1 is one day present, one TL, one PSW.
    """
    out = dict.fromkeys(MONTH_COLUMNS, 0)
    for cell in by_day.values():
        if cell.future or set(cell.codes) & {"LIBUR", "BELUM_AKTIF", "BELUM"}:
            continue
        out["hari_kerja"] += 1
        codes = set(cell.codes)
        if codes & LEAVE_CODES:
            for c in codes & LEAVE_CODES:
                out["IZIN" if c == "TUGAS_BELAJAR" else c] += 1
        elif "TK" in codes:
            out["TK"] += 1
        else:
            out["H"] += 1
            out["TL"] += any(c.startswith("TL") for c in codes)
            out["PSW"] += any(c.startswith("PSW") for c in codes)
    return out


def month_totals(rows: list[dict[str, int]]) -> dict[str, int]:
    """Column sums of month_counts rows."""
    return {k: sum(r[k] for r in rows) for k in MONTH_COLUMNS}
