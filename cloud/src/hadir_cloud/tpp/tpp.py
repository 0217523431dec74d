"""Monthly TPP of one employee: base, per-day and monthly deductions, LKH, sanctions, explained."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .calendar import OfficeCalendar, days_between, month_bounds
from .lkh import LkhSummary, completeness
from .rules import Rounding, RuleBook, RuleSet
from .schedule import Schedule, ScheduleBook
from .status import Absence, DayStatus, Employee, Punch, evaluate_month

_MODES = {"half_up": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}
HUNDRED = Decimal(100)


class UnknownPositionClassError(LookupError):
    """The rule set has no base amount for the employee's position class."""


@dataclass(frozen=True)
class Sanction:
    """A disciplinary TPP cut in force over a range of months (first days of months)."""

    ref: str
    pct: Decimal
    start_month: date
    end_month: date
    note: str = ""

    def active(self, month_first: date) -> bool:
        """Whether the sanction applies in the month starting on this day."""
        return self.start_month <= month_first <= self.end_month


@dataclass(frozen=True, slots=True)
class Deduction:
    """One itemised line: date (None for monthly items), code, rule, percent, rupiah."""

    day: date | None
    code: str
    rule: str
    pct: Decimal
    rupiah: Decimal
    part: str
    note: str = ""


@dataclass(frozen=True)
class TppResult:
    """An employee's TPP for a month and everything needed to explain it."""

    nip: str
    month: date
    ruleset: str
    position_class: str
    base: Decimal
    working_days: int
    active_days: int
    gross: Decimal
    deductions: tuple[Deduction, ...]
    total: Decimal
    net: Decimal
    lkh: LkhSummary
    statuses: tuple[DayStatus, ...] = field(repr=False)

    @property
    def tk_dates(self) -> list[date]:
        """Days without notice."""
        return [s.day for s in self.statuses if s.status == "tk"]


def round_rupiah(amount: Decimal, rounding: Rounding) -> Decimal:
    """Round to the rule set's unit and direction."""
    unit = Decimal(rounding.unit)
    return (amount / unit).quantize(Decimal(1), rounding=_MODES[rounding.mode]) * unit


def _day_items(s: DayStatus, rules: RuleSet) -> list[tuple[str, str, Decimal, str]]:
    """(code, rule path, percent, note) lines for one day under that day's rule set."""
    items = []
    if s.status == "hadir":
        if s.late_code:
            tier = rules.late.by_code(s.late_code)
            note = (f"{s.late_minutes} menit" if s.late_minutes is not None
                    else "tanpa catatan masuk")
            items.append((tier.code, f"late.{tier.code}", tier.pct, note))
        if s.early_code:
            tier = rules.early.by_code(s.early_code)
            note = (f"{s.early_minutes} menit" if s.early_minutes is not None
                    else "tanpa catatan pulang")
            items.append((tier.code, f"early.{tier.code}", tier.pct, note))
    elif s.status in ("tk", "izin", "sakit", "cuti", "dl", "tugas_belajar"):
        pct = getattr(rules.absence_pct, s.status)
        if pct > 0:
            items.append((s.status.upper(), f"absence_pct.{s.status}", pct, s.reason))
    return items


def compute_tpp(
    emp: Employee,
    month_first: date,
    statuses: Sequence[DayStatus],
    rules_for_day: Callable[[date], RuleSet],
    lkh: LkhSummary,
    sanctions: Sequence[Sanction] = (),
) -> TppResult:
    """The month's TPP: day rules from each day's rule set, month rules from the month's end."""
    working = [s for s in statuses if s.status != "libur"]
    active = [s for s in working if s.status != "belum_aktif"]
    last_active = max((s.day for s in active), default=statuses[-1].day)
    month_rules = rules_for_day(last_active)
    rnd = month_rules.rounding
    try:
        base = month_rules.base_amounts[emp.position_class]
    except KeyError as err:
        raise UnknownPositionClassError(
            f"{month_rules.key}: tidak ada TPP dasar untuk kelas jabatan {emp.position_class!r}"
        ) from err
    gross = base
    if working and len(active) < len(working):
        gross = round_rupiah(base * len(active) / len(working), rnd)
    if month_rules.weighting is not None:
        disc = gross * month_rules.weighting.discipline_pct / HUNDRED
        perf = gross * month_rules.weighting.performance_pct / HUNDRED
        disc_part, perf_part = "disiplin", "kinerja"
    else:
        disc = perf = gross
        disc_part = perf_part = "TPP"

    out: list[Deduction] = []

    def add(day: date | None, code: str, rule: str, pct: Decimal, on: Decimal, part: str,
            note: str) -> Decimal:
        amount = round_rupiah(on * pct / HUNDRED, rnd)
        out.append(Deduction(day, code, rule, pct, amount, part, note))
        return amount

    def cap_line(day: date | None, code: str, rule: str, cap: Decimal, pct: Decimal,
                 rupiah: Decimal, note: str) -> None:
        # the capped total is the cap itself, rounded once: the line takes back the excess
        capped = round_rupiah(disc * cap / HUNDRED, rnd)
        out.append(Deduction(day, code, rule, cap - pct, capped - rupiah, disc_part, note))

    month_pct, month_rp = Decimal(0), Decimal(0)
    for s in active:
        day_rules = rules_for_day(s.day)
        day_pct, day_rp = Decimal(0), Decimal(0)
        for code, path, pct, note in _day_items(s, day_rules):
            day_rp += add(s.day, code, f"{day_rules.key}:{path}", pct, disc, disc_part, note)
            day_pct += pct
        cap = day_rules.caps.per_day_pct
        if cap is not None and day_pct > cap:
            cap_line(s.day, "BATAS_HARIAN", f"{day_rules.key}:caps.per_day_pct", cap, day_pct,
                     day_rp, f"potongan harian dibatasi {cap}%")
            day_pct, day_rp = cap, round_rupiah(disc * cap / HUNDRED, rnd)
        month_pct += day_pct
        month_rp += day_rp
    mcap = month_rules.caps.monthly_pct
    if mcap is not None and month_pct > mcap:
        cap_line(None, "BATAS_BULANAN", f"{month_rules.key}:caps.monthly_pct", mcap, month_pct,
                 month_rp, f"potongan kehadiran sebulan dibatasi {mcap}%")
    rule = month_rules.lkh
    if rule is not None and lkh.pct is not None and lkh.pct <= rule.threshold_pct:
        add(None, "LKH", f"{month_rules.key}:lkh", rule.deduction_pct, perf, perf_part,
            f"LKH disetujui {lkh.approved_days}/{lkh.effective_days} hari = {lkh.pct}% "
            f"(≤ {rule.threshold_pct}%)")
    for sanc in sanctions:
        if sanc.active(month_first):
            add(None, "HUKDIS", f"sanksi:{sanc.ref}", sanc.pct, gross, "TPP", sanc.note)
    total = sum((d.rupiah for d in out), Decimal(0))
    net = max(Decimal(0), gross - total)
    return TppResult(
        nip=emp.nip, month=month_first, ruleset=month_rules.key,
        position_class=emp.position_class, base=base, working_days=len(working),
        active_days=len(active), gross=gross, deductions=tuple(out), total=total, net=net,
        lkh=lkh, statuses=tuple(statuses),
    )


def explain(r: TppResult) -> list[str]:
    """The itemised explanation as lines of Bahasa Indonesia text."""
    lines = [
        f"NIP {r.nip} — TPP bulan {r.month:%Y-%m} — aturan {r.ruleset}",
        f"TPP dasar kelas {r.position_class}: {rp(r.base)}",
    ]
    if r.gross != r.base:
        lines.append(f"Proporsional {r.active_days}/{r.working_days} hari kerja: {rp(r.gross)}")
    for d in r.deductions:
        when = d.day.isoformat() if d.day else "bulanan"
        lines.append(f"  {when}  {d.code:<13} {d.pct:>7}%  {rp(d.rupiah):>14}  "
                     f"[{d.rule}] {d.note}")
    lkh_pct = "-" if r.lkh.pct is None else f"{r.lkh.pct}%"
    lines.append(f"LKH disetujui: {r.lkh.approved_days}/{r.lkh.effective_days} hari ({lkh_pct})")
    lines.append(f"Jumlah potongan: {rp(r.total)}")
    lines.append(f"TPP diterima: {rp(r.net)}")
    return lines


def rp(amount: Decimal) -> str:
    """Rupiah with Indonesian thousands separators: 'Rp 1.234.500'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,.0f}".replace(",", ".")


def tpp_for_month(
    emp: Employee,
    cal: OfficeCalendar,
    month: str,
    schedules: Sequence[Schedule] | ScheduleBook,
    rulebook: RuleBook,
    punches: Iterable[Punch],
    absences: Sequence[Absence] = (),
    lkh_approved: Iterable[date] = (),
    sanctions: Sequence[Sanction] = (),
) -> TppResult:
    """The whole pipeline for one employee and month: statuses, LKH, TPP."""
    first, last = month_bounds(month)
    statuses = evaluate_month(emp, cal, days_between(first, last), schedules, rulebook,
                              punches, absences)
    lkh = completeness(statuses, lkh_approved)
    return compute_tpp(emp, first, statuses,
                       lambda d: rulebook.for_day(emp.regency, emp.staff_kind, d), lkh, sanctions)
