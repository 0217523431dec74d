"""HR's edits of TPP reference data, pure: which rule set is in force, and the calendar and
schedule forms read and checked field by field (Bahasa problems as `FieldError`s).

The forms end in the same models the TOML loaders build (`CalendarEntry` kinds, `Schedule`
through `Schedule.from_data`), so the portal cannot store what a file could not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from .field_errors import N_, FieldError
from .rules import NoRuleSetError, RuleBook, RuleSet
from .schedule import VARIANTS, DayHours, Schedule, ScheduleError

# ---------------------------------------------------------------- rule sets


@dataclass(frozen=True)
class InForce:
    """For one regency and staff kind: the rule set in force on a day, and the next one."""

    regency: str
    staff_kind: str
    current: RuleSet | None
    upcoming: RuleSet | None


#: a stored rule set's standing on a day
STANDING_TEXT: dict[str, str] = {
    "berlaku": N_("berlaku"),
    "akan_berlaku": N_("akan berlaku"),
    "digantikan": N_("digantikan versi/aturan lain"),
    "berakhir": N_("sudah berakhir"),
}


def in_force(rulesets: Sequence[RuleSet], today: date) -> list[InForce]:
    """Per regency and staff kind among the rule sets: the one in force today and the next."""
    book = RuleBook(list(rulesets))
    pairs = sorted({(r.ruleset.regency, k) for r in rulesets for k in r.ruleset.staff_kinds})
    out = []
    for regency, kind in pairs:
        try:
            current: RuleSet | None = book.for_day(regency, kind, today)
        except NoRuleSetError:
            current = None
        later = sorted((r for r in rulesets if r.ruleset.regency == regency
                        and kind in r.ruleset.staff_kinds and r.ruleset.effective_from > today),
                       key=lambda r: (r.ruleset.effective_from, -r.ruleset.version))
        out.append(InForce(regency, kind, current, later[0] if later else None))
    return out


def standing(rs: RuleSet, rulesets: Sequence[RuleSet], today: date) -> str:
    """'berlaku', 'akan_berlaku', 'digantikan' or 'berakhir' (keys of STANDING_TEXT)."""
    m = rs.ruleset
    if m.effective_from > today:
        return "akan_berlaku"
    if m.effective_to is not None and m.effective_to < today:
        return "berakhir"
    book = RuleBook(list(rulesets))
    for kind in m.staff_kinds:
        if book.for_day(m.regency, kind, today).key == rs.key:
            return "berlaku"
    return "digantikan"


def replaced(rulesets: Sequence[RuleSet], new: RuleSet) -> list[tuple[str, RuleSet | None]]:
    """For each staff kind of `new`: the stored rule set in force on its first day (or None)."""
    book = RuleBook([r for r in rulesets if r.key != new.key])
    out: list[tuple[str, RuleSet | None]] = []
    for kind in new.ruleset.staff_kinds:
        try:
            out.append((kind, book.for_day(new.ruleset.regency, kind, new.ruleset.effective_from)))
        except NoRuleSetError:
            out.append((kind, None))
    return out


# ---------------------------------------------------------------- calendar

#: calendar_days kinds → Bahasa text, in the order the form offers them
KIND_TEXT: dict[str, str] = {
    "libur_nasional": N_("Libur nasional"),
    "cuti_bersama": N_("Cuti bersama"),
    "libur_daerah": N_("Libur daerah"),
    "tutup": N_("Kantor tutup"),
    "masuk": N_("Hari kerja pengganti (masuk)"),
}
MAX_NAME = 200


@dataclass(frozen=True)
class StoredDay:
    """A row of calendar_days; office_id None applies to every office."""

    id: int
    office_id: str | None
    day: date
    kind: str
    name: str


@dataclass(frozen=True)
class NewDay:
    """A checked holiday (or extra working day) to store: for every office, or for some."""

    day: date
    kind: str
    name: str
    offices: tuple[str, ...]  # empty: every office


def parse_year(value: str | None, default: int) -> int | None:
    """A year from a query string (2000–2100), the default when absent, None when invalid."""
    if not value:
        return default
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


def _date(value: str, path: str, errors: list[FieldError]) -> date | None:
    value = (value or "").strip()
    if not value:
        errors.append(FieldError(path, N_("wajib diisi")))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(path, N_("tanggal tidak valid: %(got)s (format TTTT-BB-HH)"),
                                 {"got": value[:20]}))
        return None


def _in_year(d: date | None, year: int, path: str, errors: list[FieldError]) -> None:
    if d is not None and d.year != year:
        errors.append(FieldError(path, N_("tanggal harus di tahun %(year)s"),
                                 {"year": str(year)}))


def parse_day(day: str, kind: str, name: str, offices: Iterable[str], year: int,
              existing: Sequence[StoredDay], known_offices: Mapping[str, str],
              ) -> tuple[NewDay | None, list[FieldError]]:
    """A holiday from the form: a date in the year, a known kind, a name, known offices, and no
    second entry for the same day and the same offices (remove the old one first)."""
    errors: list[FieldError] = []
    d = _date(day, "tanggal", errors)
    _in_year(d, year, "tanggal", errors)
    if kind not in KIND_TEXT:
        errors.append(FieldError("jenis", N_("pilih jenis hari dari daftar")))
    name = " ".join((name or "").split())
    if not name:
        errors.append(FieldError("nama", N_("wajib diisi, misalnya \"Hari Jadi Kabupaten\"")))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("nama", N_("paling panjang %(max)s karakter"),
                                 {"max": str(MAX_NAME)}))
    chosen = tuple(sorted({o for o in offices if o}))
    unknown = [o for o in chosen if o not in known_offices]
    if unknown:
        errors.append(FieldError("kantor", N_("kantor tidak dikenal: %(offices)s"),
                                 {"offices": ", ".join(unknown)}))
    if d is not None and not errors:
        for scope in chosen or (None,):
            clash = next((e for e in existing if e.day == d and e.office_id == scope), None)
            if clash is None:
                continue
            params = {"day": d.isoformat(), "name": clash.name,
                      "kind": KIND_TEXT.get(clash.kind, clash.kind)}
            if scope is None:
                errors.append(FieldError("tanggal", N_(
                    "%(day)s sudah tercatat untuk semua kantor: %(name)s (%(kind)s); hapus "
                    "dulu bila ingin menggantinya"), params))
            else:
                errors.append(FieldError("kantor", N_(
                    "%(day)s sudah tercatat untuk %(office)s: %(name)s (%(kind)s); hapus dulu "
                    "bila ingin menggantinya"), {**params, "office": known_offices[scope]}))
    if errors or d is None:
        return None, errors
    return NewDay(d, kind, name, chosen), []


def parse_ramadan(start: str, end: str, year: int, existing: Sequence[tuple[date, date]],
                  ) -> tuple[tuple[date, date] | None, list[FieldError]]:
    """A Ramadan period: it starts in the year, ends after it starts, lasts at most 30 days,
    and overlaps no stored period."""
    errors: list[FieldError] = []
    a = _date(start, "mulai", errors)
    b = _date(end, "sampai", errors)
    _in_year(a, year, "mulai", errors)
    if a is not None and b is not None:
        if b <= a:
            errors.append(FieldError("sampai", N_("akhir Ramadan harus sesudah awalnya")))
        elif (b - a).days + 1 > 30:
            errors.append(FieldError("sampai", N_(
                "Ramadan paling lama 30 hari, bukan %(days)s; periksa tanggalnya"),
                {"days": str((b - a).days + 1)}))
        else:
            for s, e in existing:
                if a <= e and s <= b:
                    errors.append(FieldError("mulai", N_(
                        "bertumpang tindih dengan Ramadan %(start)s–%(end)s yang sudah "
                        "tercatat; hapus dulu bila ingin menggantinya"),
                        {"start": s.isoformat(), "end": e.isoformat()}))
                    break
    if errors or a is None or b is None:
        return None, errors
    return (a, b), []


def parse_workweek(office: str, workweek: str, known_offices: Mapping[str, str],
                   ) -> tuple[tuple[str, int] | None, list[FieldError]]:
    """An office's work week: 5 (Monday–Friday) or 6 days (Monday–Saturday)."""
    errors = []
    if office not in known_offices:
        errors.append(FieldError("kantor", N_("kantor tidak dikenal: %(offices)s"),
                                 {"offices": office[:64]}))
    if workweek not in ("5", "6"):
        errors.append(FieldError("hari_kerja", N_("pilih 5 atau 6 hari kerja seminggu")))
    if errors:
        return None, errors
    return (office, int(workweek)), []


# ---------------------------------------------------------------- work schedules

#: schedule variants → Bahasa text, in the form's order
VARIANT_TEXT: dict[str, str] = {
    "normal": N_("Hari biasa"),
    "friday": N_("Jumat"),
    "saturday": N_("Sabtu"),
    "ramadan": N_("Ramadan"),
    "ramadan_friday": N_("Jumat saat Ramadan"),
    "ramadan_saturday": N_("Sabtu saat Ramadan"),
}
#: a variant's hours → Bahasa text, in order
HOURS_TEXT: dict[str, str] = {
    "checkin_open": N_("Absen masuk dibuka"),
    "start": N_("Jam masuk"),
    "end": N_("Jam pulang"),
    "checkout_close": N_("Absen pulang ditutup"),
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def schedule_fields(s: Schedule) -> dict[str, str]:
    """A schedule as the edit form's values (`normal.start` = '07:30', …)."""
    out = {"id": s.id, "grup": s.group, "mulai": s.effective_from.isoformat(),
           "sampai": s.effective_to.isoformat() if s.effective_to else ""}
    for variant, hours in s.hours_data().items():
        for key, value in hours.items():
            out[f"{variant}.{key}"] = value
    return out


def parse_schedule(form: Mapping[str, str], others: Sequence[Schedule], new: bool,
                   ) -> tuple[Schedule | None, list[FieldError]]:
    """A schedule from the edit form, every field checked, built by `Schedule.from_data` as
    the TOML loader builds it. `others`: the stored schedules except the one being edited."""
    errors: list[FieldError] = []
    sid = (form.get("id") or "").strip()
    group = (form.get("grup") or "").strip()
    for path, value in (("id", sid), ("grup", group)):
        if not value:
            errors.append(FieldError(path, N_("wajib diisi")))
        elif not _NAME.fullmatch(value):
            errors.append(FieldError(path, N_(
                "hanya huruf, angka, titik, garis bawah dan tanda hubung, paling panjang 64")))
    if new and sid and any(o.id == sid for o in others):
        errors.append(FieldError("id", N_("sudah ada jadwal dengan id ini; pilih id lain")))
    start = _date(form.get("mulai", ""), "mulai", errors)
    end = None
    if (form.get("sampai") or "").strip():
        end = _date(form.get("sampai", ""), "sampai", errors)
        if start is not None and end is not None and end < start:
            errors.append(FieldError("sampai", N_("harus sama dengan atau sesudah tanggal mulai")))
    if start is not None and group:
        twin = next((o for o in others if o.group == group and o.effective_from == start), None)
        if twin is not None:
            errors.append(FieldError("mulai", N_(
                "grup %(group)s sudah punya jadwal %(other)s yang mulai pada tanggal ini"),
                {"group": group, "other": twin.id}))
    hours: dict[str, dict[str, str]] = {}
    for variant in VARIANTS:
        got = _variant(form, variant, errors)
        if got is not None:
            hours[variant] = got
    if errors or start is None:
        return None, errors
    try:
        return Schedule.from_data(sid, group, start, end, hours), []
    except ScheduleError as err:  # the checks above should leave nothing for the model
        return None, [FieldError("", N_("%(detail)s"), {"detail": str(err)})]


def _variant(form: Mapping[str, str], variant: str, errors: list[FieldError],
             ) -> dict[str, str] | None:
    """One variant's four times (all or none; `normal` always), checked for order."""
    raw = {k: (form.get(f"{variant}.{k}") or "").strip() for k in HOURS_TEXT}
    if not any(raw.values()) and variant != "normal":
        return None
    times: dict[str, time] = {}
    for key, value in raw.items():
        path = f"{variant}.{key}"
        if not value:
            errors.append(FieldError(path, N_("wajib diisi") if variant == "normal" else N_(
                "isi keempat jam varian ini, atau kosongkan semuanya")))
            continue
        try:
            t = time.fromisoformat(value)
        except ValueError:
            t = None
        if t is None or len(value) not in (5, 8) or t.second or t.microsecond:
            errors.append(FieldError(path, N_("jam harus JJ:MM, misalnya 07:30, bukan %(got)s"),
                                     {"got": value[:12]}))
            continue
        times[key] = t
    if len(times) != len(HOURS_TEXT):
        return None
    try:
        DayHours(**times)
    except ScheduleError:
        errors.append(FieldError(variant, N_(
            "urutan jam harus: absen masuk dibuka ≤ jam masuk < jam pulang ≤ absen pulang "
            "ditutup")))
        return None
    return {k: t.strftime("%H:%M") for k, t in times.items()}
