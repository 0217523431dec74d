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
