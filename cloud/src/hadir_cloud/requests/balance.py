"""Counting a request's days, checking its content against its kind, and cuti tahunan balances.

Pure: plain data in, plain data out. Decisions written down here:

- 'kerja' days are the working days of the employee's office calendar (`OfficeCalendar`):
  weekends, national holidays, regional holidays and cuti bersama are not counted; an office
  'masuk' day is. 'kalender' days are every day.
- A request's days belong to the year they fall in: a cuti tahunan from 29 December to
  5 January uses the old year's balance for the December days and the new year's for January.
- A year's cuti tahunan balance = quota + carried − cuti bersama working days − approved days
  (PP 11/2017 Pasal 311 and 313, Peraturan BKN 24/2017; see jenis_ogan_ilir.toml). What is
  left at the year's end carries over, at most `carry_over_max_days` (6), or
  `carry_over_max_days_long` (12) when no cuti tahunan was taken in the `long_unused_years`
  years before (years before the first one computed count as used: unknown is not unused).
  A negative balance (more cuti bersama than days left) carries nothing.
- Requests under way (diajukan or dikembalikan) are shown as `pending` and a new request must
  fit in what is left after them, so two requests cannot spend the same days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from hadir_cloud.tpp.calendar import OfficeCalendar, days_between

from .domain import Request, State
from .kinds import AnnualLeave, Kind

#: states whose days are reserved but not yet spent
PENDING_STATES: frozenset[State] = frozenset({State.DIAJUKAN, State.DIKEMBALIKAN})


def counted_days(kind: Kind, start: date, end: date, calendar: OfficeCalendar) -> list[date]:
    """The days of start..end the kind counts (working days of the calendar, or every day)."""
    days = days_between(start, end) if end >= start else []
    if kind.days == "kalender":
        return days
    return [d for d in days if calendar.day(d).working]


def days_by_year(kind: Kind, start: date, end: date,
                 calendar: OfficeCalendar) -> dict[int, int]:
    """How many counted days of start..end fall in each year."""
    out: dict[int, int] = {}
    for d in counted_days(kind, start, end, calendar):
        out[d.year] = out.get(d.year, 0) + 1
    return out


def cuti_bersama_days(calendar: OfficeCalendar, year: int) -> list[date]:
    """The cuti bersama days of a year that would have been working days for the office (one
    on the office's weekend, or turned into 'masuk' for it, costs no quota)."""
    out = {e.day for e in calendar.entries
           if e.kind == "cuti_bersama" and e.day.year == year
           and e.day.weekday() < calendar.workweek
           and calendar.day(e.day).kind == "cuti_bersama"}
    return sorted(out)


def _unit(kind: Kind) -> str:
    return "hari kerja" if kind.days == "kerja" else "hari kalender"


def problems_of(req: Request, kind: Kind, calendar: OfficeCalendar,
                available: Mapping[int, int] | None = None) -> list[str]:
    """Every problem of the request's content against its kind, in Bahasa (empty: none).

    `available` (year → cuti tahunan days still free) is checked for a kind that uses the
    annual quota.
    """
    out: list[str] = []
    if req.end < req.start:
        return [f"tanggal selesai ({req.end.isoformat()}) lebih awal dari tanggal mulai "
                f"({req.start.isoformat()})"]
    length = len(counted_days(kind, req.start, req.end, calendar))
    if length == 0:
        out.append(f"tidak ada hari kerja antara {req.start.isoformat()} dan "
                   f"{req.end.isoformat()}")
    if kind.max_days is not None and length > kind.max_days:
        out.append(f"{kind.name} paling lama {kind.max_days} {_unit(kind)}, diminta {length}")
    missing = [a.name for a in kind.required_attachments(length)
               if a.code not in req.attachments]
    if missing:
        out.append("lampiran wajib belum ada: " + ", ".join(missing))
    unknown = sorted(set(req.attachments) - {a.code for a in kind.attachments})
    if unknown:
        out.append("lampiran tidak dikenal untuk " + kind.name + ": " + ", ".join(unknown))
    if kind.subkinds and req.subkind not in kind.subkinds:
        out.append(f"alasan harus salah satu dari: {', '.join(kind.subkinds)}"
                   + (f" (bukan {req.subkind!r})" if req.subkind else ""))
    elif not kind.subkinds and req.subkind:
        out.append(f"{kind.name} tidak memakai pilihan alasan ({req.subkind!r})")
    if kind.needs_place:
        out.extend(_place_problems(req))
    if kind.annual_quota and available is not None:
        for year, n in sorted(days_by_year(kind, req.start, req.end, calendar).items()):
            free = available.get(year, 0)
            if n > free:
                out.append(f"sisa cuti tahunan {year} {free} hari kerja, diminta {n}")
    return out


def _place_problems(req: Request) -> list[str]:
    p = req.place
    if p is None:
        return ["tempat dinas luar, koordinat dan radius wajib diisi"]
    out = []
    if not p.name.strip():
        out.append("nama tempat dinas luar wajib diisi")
    if not -90 <= p.lat <= 90:
        out.append(f"lintang harus antara -90 dan 90, bukan {p.lat}")
    if not -180 <= p.lon <= 180:
        out.append(f"bujur harus antara -180 dan 180, bukan {p.lon}")
    if not 10 <= p.radius_m <= 5000:
        out.append(f"radius harus 10 sampai 5000 meter, bukan {p.radius_m}")
    return out


@dataclass(frozen=True)
class YearBalance:
    """The cuti tahunan of one year, in working days."""

    year: int
    quota: int
    carried: int
    cuti_bersama: int
    taken: int
    pending: int = 0

    @property
    def remaining(self) -> int:
        """Quota + carried − cuti bersama − approved days."""
        return self.quota + self.carried - self.cuti_bersama - self.taken

    @property
    def available(self) -> int:
        """What a new request may still use: remaining − days of requests under way."""
        return self.remaining - self.pending


def annual_balances(rule: AnnualLeave, first_year: int, last_year: int,
                    taken: Mapping[int, int], cuti_bersama: Mapping[int, int],
                    pending: Mapping[int, int] | None = None,
                    opening_carry: int = 0) -> list[YearBalance]:
    """The balance of each year first_year..last_year (see the module's rules);
    `opening_carry` is what came into the first year (from the system before Hadir)."""
    pending = pending or {}
    out: list[YearBalance] = []
    carried = opening_carry
    for year in range(first_year, last_year + 1):
        cb = cuti_bersama.get(year, 0) if rule.cuti_bersama_counts else 0
        bal = YearBalance(year, rule.quota_days, carried, cb, taken.get(year, 0),
                          pending.get(year, 0))
        out.append(bal)
        cap = rule.carry_over_max_days
        span = range(year - rule.long_unused_years + 1, year + 1)
        if (rule.carry_over_max_days_long is not None and span.start >= first_year
                and all(taken.get(y, 0) == 0 for y in span)):
            cap = rule.carry_over_max_days_long
        carried = min(cap, max(0, bal.remaining))
    return out


def taken_by_year(requests: Iterable[Request], kind: Kind, calendar: OfficeCalendar,
                  states: Iterable[State] = (State.DISETUJUI,)) -> dict[int, int]:
    """Counted days per year of the requests of `kind` in `states` (approved by default)."""
    wanted = set(states)
    out: dict[int, int] = {}
    for r in requests:
        if r.kind == kind.code and r.state in wanted:
            for year, n in days_by_year(kind, r.start, r.end, calendar).items():
                out[year] = out.get(year, 0) + n
    return out


def balances_for(requests: Iterable[Request], kind: Kind, rule: AnnualLeave,
                 calendar: OfficeCalendar, first_year: int, last_year: int,
                 opening_carry: int = 0, excluding: str | None = None) -> list[YearBalance]:
    """One employee's cuti tahunan balances from their requests and office calendar;
    `excluding` leaves out one request (the one being checked, so it does not reserve its own
    days)."""
    reqs = [r for r in requests if r.id != excluding]
    return annual_balances(
        rule, first_year, last_year, taken_by_year(reqs, kind, calendar),
        {y: len(cuti_bersama_days(calendar, y)) for y in range(first_year, last_year + 1)},
        taken_by_year(reqs, kind, calendar, PENDING_STATES), opening_carry)
