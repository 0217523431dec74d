"""Small builders of plain data for the TPP tests: calendars, schedules, punches, employees."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hadir_cloud.tpp.calendar import CalendarEntry, OfficeCalendar, load_calendar_file
from hadir_cloud.tpp.rules import RuleBook, load_dir, load_ruleset, shipped_dir
from hadir_cloud.tpp.schedule import Schedule
from hadir_cloud.tpp.status import Employee, Punch

DATA = Path(__file__).parent / "data"
_ids = itertools.count(1)


def rulebook(*extra: str) -> RuleBook:
    """The shipped rule sets plus extra files from tests/tpp/data."""
    return RuleBook(load_dir(shipped_dir()) + [load_ruleset(DATA / f) for f in extra])


def calendar_2026(tz: str = "Asia/Jakarta", workweek: int = 5,
                  extra: tuple[CalendarEntry, ...] = ()) -> OfficeCalendar:
    """2026 calendar: national holidays (holidays package) + shipped cuti bersama and Ramadan."""
    from hadir_cloud.tpp.calendar import national_holidays

    cb, ramadan = load_calendar_file(shipped_dir() / "kalender_2026.toml")
    return OfficeCalendar(tz=tz, workweek=workweek,
                          entries=tuple(national_holidays([2026]) + cb) + extra,
                          ramadan=tuple(ramadan))


def office_schedule() -> Schedule:
    """Office staff: 07:30–16:00, Friday to 16:30, Ramadan 08:00–15:00 (Friday 15:30)."""
    return Schedule.from_data("kantor-2026", "kantor", date(2026, 1, 1), None, {
        "normal": {"checkin_open": "06:00", "start": "07:30", "end": "16:00",
                   "checkout_close": "23:00"},
        "friday": {"checkin_open": "06:00", "start": "07:30", "end": "16:30",
                   "checkout_close": "23:00"},
        "ramadan": {"checkin_open": "06:00", "start": "08:00", "end": "15:00",
                    "checkout_close": "23:00"},
        "ramadan_friday": {"checkin_open": "06:00", "start": "08:00", "end": "15:30",
                           "checkout_close": "23:00"},
    })


def school_schedule() -> Schedule:
    """Teachers, 6-day week: 07:00–14:00, Friday to 11:00, Saturday to 12:00."""
    return Schedule.from_data("guru-2026", "guru", date(2026, 1, 1), None, {
        "normal": {"checkin_open": "05:30", "start": "07:00", "end": "14:00",
                   "checkout_close": "20:00"},
        "friday": {"checkin_open": "05:30", "start": "07:00", "end": "11:00",
                   "checkout_close": "20:00"},
        "saturday": {"checkin_open": "05:30", "start": "07:00", "end": "12:00",
                     "checkout_close": "20:00"},
    })


def employee(nip: str, regency: str, *, kind: str = "ASN", cls: str = "9",
             join: date = date(2020, 1, 1), group: str = "kantor",
             office: str = "kantor-bupati") -> Employee:
    """An employee with sensible defaults."""
    return Employee(nip=nip, name=f"Pegawai {nip[-3:]}", unit_id="BKPSDM", staff_kind=kind,
                    position_class=cls, join_date=join, office_id=office,
                    schedule_group=group, regency=regency)


def local(tz: str, d: date, hhmmss: str, kind: str) -> Punch:
    """A punch at a local wall-clock time in a zone (stored as UTC, like the database)."""
    t = time.fromisoformat(hhmmss)
    at = datetime.combine(d, t, ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))
    return Punch(f"ev-{next(_ids)}", kind, at)


def day_punches(tz: str, d: date, tin: str | None, tout: str | None) -> list[Punch]:
    """A check-in and/or check-out on one day."""
    out = []
    if tin:
        out.append(local(tz, d, tin, "in"))
    if tout:
        out.append(local(tz, d, tout, "out"))
    return out


def on_time_month(cal: OfficeCalendar, sched: Schedule, year: int, month: int,
                  skip: set[date] = frozenset()) -> list[Punch]:
    """A punctual check-in at start and check-out at end on every working day not skipped."""
    out: list[Punch] = []
    for d in cal.working_days(year, month):
        if d in skip:
            continue
        hours, _ = sched.hours_for(d, cal.is_ramadan(d))
        out += day_punches(cal.tz, d, hours.start.isoformat(), hours.end.isoformat())
    return out
