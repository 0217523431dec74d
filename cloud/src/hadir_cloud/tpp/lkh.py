"""LKH (laporan kinerja harian) completeness: approved daily reports over effective working days."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .status import DayStatus

#: statuses on which an employee is expected to work and to file an LKH
EFFECTIVE_STATUSES = frozenset({"hadir", "tk", "dl"})


@dataclass(frozen=True)
class LkhSummary:
    """Approved LKH days, effective working days and the percentage (None when no day counts)."""

    approved_days: int
    effective_days: int
    pct: Decimal | None
    missing: tuple[date, ...]


def effective_days(statuses: Iterable[DayStatus]) -> list[date]:
    """Working days the employee was expected at work (not free, not on leave, sick or izin)."""
    return [s.day for s in statuses if s.status in EFFECTIVE_STATUSES]


def completeness(statuses: Sequence[DayStatus], approved: Iterable[date]) -> LkhSummary:
    """LKH completeness of a month: only approved reports on effective days count."""
    eff = effective_days(statuses)
    ok = set(approved)
    got = [d for d in eff if d in ok]
    if not eff:
        return LkhSummary(0, 0, None, ())
    pct = (Decimal(len(got)) * 100 / len(eff)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return LkhSummary(len(got), len(eff), pct, tuple(d for d in eff if d not in ok))
