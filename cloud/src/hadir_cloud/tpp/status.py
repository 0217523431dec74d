"""Daily attendance status of an employee from check-ins, schedule, calendar and absences."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal, NamedTuple

from .calendar import CalendarDay, OfficeCalendar
from .rules import RuleBook, RuleSet
from .schedule import DayHours, Schedule, ScheduleBook

AbsenceKind = Literal["izin", "sakit", "cuti", "dl", "tugas_belajar"]
ABSENCE_KINDS: tuple[str, ...] = ("izin", "sakit", "cuti", "dl", "tugas_belajar")
#: status label per status code, Bahasa Indonesia
LABELS = {
    "hadir": "hadir",
    "tk": "tanpa keterangan (TK)",
    "izin": "izin",
    "sakit": "sakit",
    "cuti": "cuti",
    "dl": "dinas luar (DL)",
    "tugas_belajar": "tugas belajar",
    "libur": "libur",
    "belum_aktif": "belum/tidak aktif",
}


@dataclass(frozen=True)
class Employee:
    """What the rules need to know about an employee."""

    nip: str
    name: str
    unit_id: str
    staff_kind: str
    position_class: str
    join_date: date
    office_id: str
    schedule_group: str
    regency: str
    leave_date: date | None = None

    def active_on(self, d: date) -> bool:
        """Whether the employee is employed on this day."""
        return self.join_date <= d and (self.leave_date is None or d <= self.leave_date)


class Punch(NamedTuple):
    """One check-in event: id, 'in' or 'out', aware capture time and/or local wall-clock time.

    A reader that already knows the office's wall-clock time (the database does the time-zone
    conversion) gives `local` and may leave `at` None; otherwise `at` is converted.
    """

    event_id: str
    kind: str
    at: datetime | None
    local: datetime | None = None


@dataclass(frozen=True)
class Absence:
    """An approved absence (izin, sakit, cuti of a kind, DL, tugas belajar) over a date range."""

    ref: str
    kind: str
    start: date
    end: date
    subkind: str = ""

    def covers(self, d: date) -> bool:
        """Whether the absence covers this day."""
        return self.start <= d <= self.end


@dataclass(slots=True)
class DayStatus:
    """The status of one day with the evidence and rules that made it."""

    day: date
    status: str
    ruleset: str = ""
    schedule: str = ""
    late_code: str | None = None
    late_minutes: int | None = None
    early_code: str | None = None
    early_minutes: int | None = None
    checkin: str | None = None
    checkin_at: time | None = None
    checkout: str | None = None
    checkout_at: time | None = None
    ignored: tuple[str, ...] = ()
    absence_ref: str | None = None
    absence_subkind: str = ""
    reason: str = ""

    @property
    def codes(self) -> list[str]:
        """Status codes as HR writes them: 'H', 'TL2', 'PSW1', 'TK', 'DL', ..."""
        if self.status == "hadir":
            tiers = [c for c in (self.late_code, self.early_code) if c]
            return tiers or ["H"]
        return [self.status.upper()]

    @property
    def working(self) -> bool:
        """Whether this was a working day for the employee."""
        return self.status not in ("libur", "belum_aktif")


def _minutes(later: time, earlier: time) -> int:
    """Whole minutes from earlier to later (seconds truncated), never negative."""
    secs = (later.hour * 3600 + later.minute * 60 + later.second) - (
        earlier.hour * 3600 + earlier.minute * 60 + earlier.second
    )
    return max(0, secs // 60)


@functools.lru_cache(maxsize=4096)
def free_day(cal_day: CalendarDay, active: bool) -> DayStatus:
    """Status of a day the employee is not expected to work (not employed, or a free day)."""
    if not cal_day.working:
        return DayStatus(cal_day.day, "libur",
                         reason=f"{cal_day.kind}: {cal_day.name}" if cal_day.name else cal_day.kind)
    return DayStatus(cal_day.day, "belum_aktif", reason="di luar masa kerja pegawai")


def evaluate_day(
    cal_day: CalendarDay,
    punches: Sequence[tuple[Punch, time]],
    hours: DayHours,
    schedule_ref: str,
    rules: RuleSet,
    absence: Absence | None,
    active: bool,
) -> DayStatus:
    """Status of one local day; punches are (punch, local time) on that local date."""
    d = cal_day.day
    if not active or not cal_day.working:
        return free_day(cal_day, active)
    if absence is not None:
        return DayStatus(
            d, absence.kind, ruleset=rules.key, absence_ref=absence.ref,
            absence_subkind=absence.subkind,
            reason=f"{LABELS[absence.kind]}{' ' + absence.subkind if absence.subkind else ''} "
                   f"disetujui ({absence.ref})",
        )
    first_in: tuple[Punch, time] | None = None
    last_out: tuple[Punch, time] | None = None
    ignored: list[str] = []
    for p, t in punches:
        if not (hours.checkin_open <= t <= hours.checkout_close):
            ignored.append(p.event_id)
        elif p.kind == "in":
            if first_in is None or t < first_in[1]:
                if first_in is not None:
                    ignored.append(first_in[0].event_id)
                first_in = (p, t)
            else:
                ignored.append(p.event_id)
        else:
            if last_out is None or t >= last_out[1]:
                if last_out is not None:
                    ignored.append(last_out[0].event_id)
                last_out = (p, t)
            else:
                ignored.append(p.event_id)
    if first_in is None and last_out is None:
        return DayStatus(d, "tk", ruleset=rules.key, schedule=schedule_ref,
                         ignored=tuple(ignored),
                         reason="tidak ada catatan masuk maupun pulang pada jam yang dihitung")
    late_code = early_code = None
    late_min = early_min = None
    notes = []
    if first_in is None:
        late_code = rules.late.no_record
        notes.append(f"tidak ada catatan masuk → {late_code}")
    else:
        late_min = _minutes(first_in[1], hours.start)
        if late_min > rules.grace_minutes:
            tier = rules.late.for_minutes(late_min)
            late_code = tier.code if tier else None
            notes.append(
                f"masuk {first_in[1].isoformat()}, terlambat {late_min} menit → {late_code}"
            )
    if last_out is None:
        early_code = rules.early.no_record
        notes.append(f"tidak ada catatan pulang → {early_code}")
    else:
        early_min = _minutes(hours.end, last_out[1])
        tier = rules.early.for_minutes(early_min)
        if tier is not None:
            early_code = tier.code
            notes.append(
                f"pulang {last_out[1].isoformat()}, {early_min} menit lebih awal → {early_code}"
            )
    return DayStatus(
        d, "hadir", ruleset=rules.key, schedule=schedule_ref,
        late_code=late_code, late_minutes=late_min, early_code=early_code,
        early_minutes=early_min,
        checkin=first_in[0].event_id if first_in else None,
        checkin_at=first_in[1] if first_in else None,
        checkout=last_out[0].event_id if last_out else None,
        checkout_at=last_out[1] if last_out else None,
        ignored=tuple(ignored), reason="; ".join(notes) or "tepat waktu",
    )


def group_punches(
    punches: Iterable[Punch], cal: OfficeCalendar
) -> dict[date, list[tuple[Punch, time]]]:
    """Punches by local date of the office, each with its local time of day."""
    zone = cal.zone
    out: dict[date, list[tuple[Punch, time]]] = {}
    for p in punches:
        if p.local is not None:
            local = p.local
        elif p.at is not None:
            local = p.at.astimezone(zone).replace(tzinfo=None)
        else:
            raise ValueError(f"check-in {p.event_id} has no time")
        out.setdefault(local.date(), []).append((p, local.time()))
    return out


def evaluate_month(
    emp: Employee,
    cal: OfficeCalendar,
    days: Sequence[date],
    schedules: Sequence[Schedule] | ScheduleBook,
    rulebook: RuleBook,
    punches: Iterable[Punch],
    absences: Sequence[Absence],
) -> list[DayStatus]:
    """Statuses of every given day for one employee (NoScheduleError/NoRuleSetError if missing)."""
    book = schedules if isinstance(schedules, ScheduleBook) else ScheduleBook(schedules)
    by_day = group_punches(punches, cal)
    out = []
    join, leave = emp.join_date, emp.leave_date
    regency, kind, group = emp.regency, emp.staff_kind, emp.schedule_group
    for d in days:
        cal_day = cal.day(d)
        active = join <= d and (leave is None or d <= leave)
        if not active or not cal_day.working:
            out.append(free_day(cal_day, active))
            continue
        rules = rulebook.for_day(regency, kind, d)
        hours, ref = book.hours_for(group, d, cal_day.ramadan)
        absence = next((a for a in absences if a.covers(d)), None) if absences else None
        out.append(evaluate_day(cal_day, by_day.get(d, ()), hours, ref, rules, absence, True))
    return out
