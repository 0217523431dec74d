"""Work schedules per group (office staff, teachers, shifts) with Friday/Ramadan variants."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from hadir_protocol.schedules import VARIANTS as _VARIANTS
from hadir_protocol.schedules import variant_order


class NoScheduleError(LookupError):
    """No schedule is in force for a group on a day."""


class ScheduleError(ValueError):
    """A schedule's hours are inconsistent."""


@dataclass(frozen=True)
class DayHours:
    """Hours of one working day: earliest counted check-in, start, end, latest counted check-out."""

    checkin_open: time
    start: time
    end: time
    checkout_close: time

    def __post_init__(self) -> None:
        if not (self.checkin_open <= self.start < self.end <= self.checkout_close):
            raise ScheduleError(
                f"jam tidak urut: {self.checkin_open} ≤ {self.start} < {self.end} "
                f"≤ {self.checkout_close}"
            )

    @classmethod
    def parse(cls, data: dict[str, str]) -> DayHours:
        """From {'checkin_open': '06:00', 'start': ..., 'end': ..., 'checkout_close': ...}."""
        keys = ("checkin_open", "start", "end", "checkout_close")
        if not isinstance(data, dict) or set(data) != set(keys):
            raise ScheduleError(f"jam kerja harus berisi tepat {', '.join(keys)}: {data!r}")
        try:
            return cls(*(v if isinstance(v := data[k], time) else time.fromisoformat(v)
                         for k in keys))
        except (TypeError, ValueError) as err:
            raise ScheduleError(f"jam kerja tidak valid: {data!r}: {err}") from err

    def as_dict(self) -> dict[str, str]:
        """Plain data form."""
        return {
            "checkin_open": self.checkin_open.strftime("%H:%M"),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "checkout_close": self.checkout_close.strftime("%H:%M"),
        }


#: the variants and the rule choosing one are the kiosk's too (its in/out uses these schedules)
VARIANTS = _VARIANTS


@dataclass(frozen=True)
class Schedule:
    """The schedule of a group from a date: normal hours and optional variants."""

    id: str
    group: str
    effective_from: date
    effective_to: date | None
    normal: DayHours
    friday: DayHours | None = None
    saturday: DayHours | None = None
    ramadan: DayHours | None = None
    ramadan_friday: DayHours | None = None
    ramadan_saturday: DayHours | None = None

    def in_force(self, d: date) -> bool:
        """Whether the schedule applies on this day."""
        return self.effective_from <= d and (self.effective_to is None or d <= self.effective_to)

    def hours_for(self, d: date, ramadan: bool) -> tuple[DayHours, str]:
        """The hours of a day and the name of the variant used."""
        for name in variant_order(d.weekday(), ramadan)[:-1]:
            h = getattr(self, name)
            if h is not None:
                return h, name
        return self.normal, "normal"

    @classmethod
    def from_data(cls, id: str, group: str, effective_from: date, effective_to: date | None,
                  hours: dict[str, dict[str, str]]) -> Schedule:
        """Build from plain data as stored (a dict of variant name → hours)."""
        unknown = set(hours) - set(VARIANTS)
        if unknown:
            raise ScheduleError(f"varian jadwal tidak dikenal: {sorted(unknown)}")
        if "normal" not in hours:
            raise ScheduleError(f"jadwal {id} tidak punya jam 'normal'")
        parsed = {k: DayHours.parse(v) for k, v in hours.items()}
        return cls(id=id, group=group, effective_from=effective_from,
                   effective_to=effective_to, **parsed)

    def hours_data(self) -> dict[str, dict[str, str]]:
        """Variant name → hours, as plain data."""
        return {k: h.as_dict() for k in VARIANTS if (h := getattr(self, k)) is not None}


class ScheduleBook:
    """All schedules, with a memo of the one in force per group and day."""

    def __init__(self, schedules: Iterable[Schedule]) -> None:
        self.schedules = list(schedules)
        self._memo: dict[tuple[str, date], Schedule] = {}
        self._hours: dict[tuple[str, date, bool], tuple[DayHours, str]] = {}

    def hours_for(self, group: str, d: date, ramadan: bool) -> tuple[DayHours, str]:
        """The hours of a group on a day and the reference 'schedule id/variant'."""
        key = (group, d, ramadan)
        hit = self._hours.get(key)
        if hit is None:
            s = self.for_day(group, d)
            hours, variant = s.hours_for(d, ramadan)
            hit = self._hours[key] = (hours, f"{s.id}/{variant}")
        return hit

    def for_day(self, group: str, d: date) -> Schedule:
        """The schedule of a group in force on a day."""
        key = (group, d)
        s = self._memo.get(key)
        if s is None:
            s = self._memo[key] = schedule_for(self.schedules, group, d)
        return s


def schedule_for(schedules: Iterable[Schedule], group: str, d: date) -> Schedule:
    """The schedule of a group in force on a day (latest effective_from wins)."""
    found = [s for s in schedules if s.group == group and s.in_force(d)]
    if not found:
        raise NoScheduleError(f"tidak ada jadwal kerja untuk grup {group!r} pada {d.isoformat()}")
    return max(found, key=lambda s: s.effective_from)


def load_schedules_file(path: Path) -> list[Schedule]:
    """Schedules from a TOML file of [[schedule]] tables; errors name the file and entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ScheduleError(f"{path}: {err}") from err
    unknown = set(data) - {"schedule"}
    if unknown:
        raise ScheduleError(f"{path}: kunci tidak dikenal: {sorted(unknown)}")
    out = []
    for i, entry in enumerate(data.get("schedule", [])):
        where = f"{path}: schedule[{i}]"
        entry = dict(entry)
        try:
            sid, group = str(entry.pop("id")), str(entry.pop("group"))
            start = entry.pop("effective_from")
            end = entry.pop("effective_to", None)
        except KeyError as err:
            raise ScheduleError(f"{where}: kolom {err} wajib diisi") from err
        if not isinstance(start, date) or not (end is None or isinstance(end, date)):
            raise ScheduleError(f"{where}: effective_from/effective_to harus tanggal")
        try:
            out.append(Schedule.from_data(sid, group, start, end, entry))
        except ScheduleError as err:
            raise ScheduleError(f"{where}: {err}") from err
    return out
