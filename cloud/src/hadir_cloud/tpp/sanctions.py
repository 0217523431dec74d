"""Disciplinary early warning for unexcused absence over a year (PP 94/2021)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

#: cumulative TK days in a year → sanction (PP 94/2021 pasal 9–11)
LEVELS: tuple[tuple[int, str], ...] = (
    (3, "teguran lisan"),
    (4, "teguran tertulis"),
    (7, "pernyataan tidak puas secara tertulis"),
    (11, "pemotongan tunjangan kinerja 25% selama 6 bulan"),
    (14, "pemotongan tunjangan kinerja 25% selama 9 bulan"),
    (17, "pemotongan tunjangan kinerja 25% selama 12 bulan"),
    (21, "penurunan jabatan setingkat lebih rendah selama 12 bulan"),
    (25, "pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
    (28, "pemberhentian dengan hormat tidak atas permintaan sendiri"),
)
#: consecutive TK working days that lead to dismissal
CONSECUTIVE_DISMISSAL = 10
DISMISSAL = LEVELS[-1][1]


@dataclass(frozen=True)
class Warning:
    """An employee near (or at) a sanction threshold."""

    nip: str
    tk_days: int
    max_run: int
    current: str | None
    next_level: str
    days_to_next: int


def level(tk_days: int, max_run: int = 0) -> str | None:
    """The sanction for a year's TK days and the longest run of consecutive TK working days."""
    if max_run >= CONSECUTIVE_DISMISSAL:
        return DISMISSAL
    current = None
    for threshold, name in LEVELS:
        if tk_days >= threshold:
            current = name
    return current


def longest_run(tk_dates: Iterable[date], working_days: Iterable[date]) -> int:
    """Longest run of TK dates that are consecutive working days (free days do not break it)."""
    tk = set(tk_dates)
    best = run = 0
    for d in sorted(set(working_days) | tk):
        if d in tk:
            run += 1
            best = max(best, run)
        else:
            run = 0
    return best


def current_run(tk_dates: Iterable[date], working: Sequence[date]) -> int:
    """Consecutive TK working days up to the last working day given (the current streak)."""
    tk = set(tk_dates)
    run = 0
    for d in reversed(working):
        if d not in tk:
            break
        run += 1
    return run


def next_threshold(tk_days: int) -> tuple[int, str] | None:
    """The next threshold above the current count, or None past the last."""
    return next(((t, n) for t, n in LEVELS if t > tk_days), None)


def early_warnings(
    counts: Mapping[str, tuple[int, int]], within: int = 2
) -> list[Warning]:
    """Employees one or `within` days from their next threshold; counts is nip → (tk, max run)."""
    out = []
    for nip, (tk, run) in sorted(counts.items()):
        current = level(tk, run)
        if current == DISMISSAL:
            continue
        candidates = []
        nxt = next_threshold(tk)
        if nxt is not None:
            candidates.append((nxt[0] - tk, nxt[1]))
        if run > 0:
            candidates.append(
                (CONSECUTIVE_DISMISSAL - run, DISMISSAL + " (10 hari berturut-turut)")
            )
        if not candidates:
            continue
        gap, name = min(candidates)
        if 1 <= gap <= within:
            out.append(Warning(nip, tk, run, current, name, gap))
    return out
