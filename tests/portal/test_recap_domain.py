"""The recap's pure rules: a day's codes → its column, a month's cells → its counts."""

from __future__ import annotations

from datetime import date

import pytest
from hadir_cloud.attendance.domain import (
    DAY_COLUMNS,
    MONTH_COLUMNS,
    Cell,
    day_column,
    day_counts,
    month_counts,
    month_totals,
)


@pytest.mark.parametrize(("codes", "pending", "column"), [
    (["H"], False, "hadir"),
    (["PSW2"], False, "hadir"),  # on time in, left early: present, not late
    (["TL1"], False, "terlambat"),
    (["TL4", "PSW1"], False, "terlambat"),
    (["TK"], False, "tk"),
    (["TK"], True, "belum"),  # the working day is not over: not yet in
    (["H"], True, "hadir"),
    (["IZIN"], False, "izin"), (["SAKIT"], True, "izin"), (["CUTI"], False, "izin"),
    (["DL"], False, "izin"), (["TUGAS_BELAJAR"], False, "izin"),
    (["LIBUR"], False, "libur"), (["BELUM_AKTIF"], True, "libur"),
])
def test_day_column(codes: list[str], pending: bool, column: str):
    assert day_column(codes, pending) == column


def test_day_counts_have_every_column():
    assert day_counts(["hadir", "tk", "hadir"]) == dict.fromkeys(DAY_COLUMNS, 0) | {
        "hadir": 2, "tk": 1}


def _cell(d: int, *codes: str, future: bool = False) -> tuple[date, Cell]:
    day = date(2026, 10, d)
    return day, Cell(day, codes, None, None, None, None, future)


def test_month_counts_by_hand():
    """A week: H, TL2+PSW1, TK, izin, cuti, a weekend, a future day."""
    by_day = dict([_cell(1, "H"), _cell(2, "TL2", "PSW1"), _cell(3, "LIBUR"), _cell(5, "TK"),
                   _cell(6, "IZIN"), _cell(7, "CUTI"), _cell(8, "PSW4"),
                   _cell(9, "BELUM", future=True)])
    got = month_counts(by_day)
    assert got == {"hari_kerja": 6, "H": 3, "TL": 1, "PSW": 2, "TK": 1, "IZIN": 1, "SAKIT": 0,
                   "CUTI": 1, "DL": 0}
    assert tuple(got) == MONTH_COLUMNS
    assert month_totals([got, got])["H"] == 6
    assert month_totals([]) == dict.fromkeys(MONTH_COLUMNS, 0)
