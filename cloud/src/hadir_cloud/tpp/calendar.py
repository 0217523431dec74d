"""Working-day calendar of one office: work week, national holidays, cuti bersama, Ramadan."""

from __future__ import annotations

import calendar as _cal
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

DayKind = Literal[
    "kerja", "akhir_pekan", "libur_nasional", "cuti_bersama", "libur_daerah", "tutup"
]
#: kinds of calendar entries that make a working day free
OFF_KINDS: frozenset[str] = frozenset({"libur_nasional", "cuti_bersama", "libur_daerah", "tutup"})
#: Indonesia's three time zones
TIME_ZONES: Mapping[str, str] = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}


class CalendarError(ValueError):
    """A calendar entry or month is invalid."""


@dataclass(frozen=True)
class CalendarEntry:
    """A dated fact: holiday, cuti bersama, closure, or an extra working day ('masuk')."""

    day: date
    kind: str  # one of OFF_KINDS or "masuk"
    name: str


@dataclass(frozen=True)
class CalendarDay:
    """What one local date is for an office."""

    day: date
    kind: DayKind
    name: str
    ramadan: bool

    @property
    def working(self) -> bool:
        """Whether staff are expected to work."""
        return self.kind == "kerja"


@dataclass(frozen=True)
class OfficeCalendar:
    """The calendar of one office: 5- or 6-day week, entries, Ramadan periods, time zone."""

    tz: str
    workweek: int = 5
    entries: tuple[CalendarEntry, ...] = ()
    ramadan: tuple[tuple[date, date], ...] = ()
    _by_day: dict[date, CalendarEntry] = field(default_factory=dict, repr=False, compare=False)
    _memo: dict[date, CalendarDay] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.workweek not in (5, 6):
            raise CalendarError(f"workweek harus 5 atau 6, bukan {self.workweek}")
        ZoneInfo(self.tz)  # raises for an unknown zone
        for e in self.entries:
            if e.kind not in OFF_KINDS and e.kind != "masuk":
                raise CalendarError(f"jenis hari tidak dikenal: {e.kind!r} ({e.day})")
            prev = self._by_day.get(e.day)
            # an office-specific 'masuk' or closure overrides a general holiday given earlier
            if prev is None or e.kind in ("masuk", "tutup", "libur_daerah"):
                self._by_day[e.day] = e

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.tz)

    def is_ramadan(self, d: date) -> bool:
        """Whether the date falls in a Ramadan period."""
        return any(a <= d <= b for a, b in self.ramadan)

    def day(self, d: date) -> CalendarDay:
        """Classify one local date."""
        hit = self._memo.get(d)
        if hit is None:
            hit = self._memo[d] = self._classify(d)
        return hit

    def _classify(self, d: date) -> CalendarDay:
        ram = self.is_ramadan(d)
        entry = self._by_day.get(d)
        if entry is not None and entry.kind == "masuk":
            return CalendarDay(d, "kerja", entry.name, ram)
        if entry is not None:
            return CalendarDay(d, entry.kind, entry.name, ram)  # type: ignore[arg-type]
        if d.weekday() >= self.workweek:
            return CalendarDay(d, "akhir_pekan", "akhir pekan", ram)
        return CalendarDay(d, "kerja", "", ram)

    def month(self, year: int, month: int) -> list[CalendarDay]:
        """Every day of a month, classified."""
        n = _cal.monthrange(year, month)[1]
        return [self.day(date(year, month, i)) for i in range(1, n + 1)]

    def working_days(self, year: int, month: int) -> list[date]:
        """The working days of a month."""
        return [c.day for c in self.month(year, month) if c.working]


def national_holidays(years: Iterable[int]) -> list[CalendarEntry]:
    """Indonesia's national holidays from the `holidays` package, named in Bahasa Indonesia."""
    import holidays  # a data source, imported only where used

    h = holidays.country_holidays("ID", years=list(years), language="id")
    return [CalendarEntry(d, "libur_nasional", str(n)) for d, n in sorted(h.items())]


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-MM' month."""
    try:
        y, m = (int(p) for p in month.split("-"))
        first = date(y, m, 1)
    except ValueError as err:
        raise CalendarError(f"bulan tidak valid: {month!r} (format YYYY-MM)") from err
    last = date(y, m, _cal.monthrange(y, m)[1])
    return first, last


def days_between(first: date, last: date) -> list[date]:
    """Every date from first to last inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def load_calendar_file(path: Path) -> tuple[list[CalendarEntry], list[tuple[date, date]]]:
    """Cuti bersama / one-off days and Ramadan periods from a calendar TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CalendarError(f"{path}: {err}") from err
    unknown = set(data) - {"cuti_bersama", "hari", "ramadan"}
    if unknown:
        raise CalendarError(f"{path}: kunci tidak dikenal: {sorted(unknown)}")
    entries: list[CalendarEntry] = []
    ramadan: list[tuple[date, date]] = []
    where = ""
    try:
        for i, e in enumerate(data.get("cuti_bersama", [])):
            where = f"cuti_bersama[{i}]"
            entries.append(CalendarEntry(_as_date(e["day"]), "cuti_bersama", str(e["name"])))
        for i, e in enumerate(data.get("hari", [])):
            where = f"hari[{i}]"
            entries.append(CalendarEntry(_as_date(e["day"]), str(e["kind"]), str(e["name"])))
        for i, e in enumerate(data.get("ramadan", [])):
            where = f"ramadan[{i}]"
            ramadan.append((_as_date(e["start"]), _as_date(e["end"])))
    except (KeyError, TypeError) as err:
        raise CalendarError(f"{path}: {where}: kolom {err} hilang/tidak valid") from err
    return entries, ramadan


def _as_date(v: object) -> date:
    if isinstance(v, date):
        return v
    raise TypeError(repr(v))
