"""LKH rules as plain data: activity checks, the deadline, who may move a report where."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hadir_cloud.lkh.domain import (
    APPROVED,
    DRAFT,
    RETURNED,
    SUBMITTED,
    LkhError,
    check_review,
    check_save,
    deadline,
    parse_activities,
)

ROW = {"kegiatan": "Memverifikasi usulan kenaikan pangkat", "hasil": "berkas terverifikasi",
       "jumlah": "12", "satuan": "berkas", "menit": "180", "tautan": ""}


def test_activities_are_checked_field_by_field():
    acts, problems = parse_activities([ROW, {}, {**ROW, "jumlah": "1,5", "tautan":
                                                 "https://drive.example/x"}])
    assert problems == {} and len(acts) == 2 and str(acts[1].quantity) == "1.5"
    _acts, problems = parse_activities([{**ROW, "kegiatan": "", "jumlah": "-1", "menit": "900",
                                         "tautan": "javascript:alert(1)"}])
    assert problems == {"baris-1-kegiatan": "kegiatan wajib diisi",
                        "baris-1-jumlah": "jumlah harus angka lebih dari 0",
                        "baris-1-menit": "waktu harus 1 sampai 720 menit",
                        "baris-1-tautan": "tautan harus diawali http:// atau https://"}
    _acts, problems = parse_activities([ROW] * 13)
    assert "paling banyak 12" in problems["kegiatan"]


def test_the_deadline_counts_working_days():
    weekday = lambda d: d.weekday() < 5  # noqa: E731
    friday = date(2026, 10, 9)
    assert deadline(friday, 2, weekday) == date(2026, 10, 13)  # Monday, Tuesday
    assert deadline(friday, 0, weekday) == friday


def test_who_may_write_and_review():
    day = date(2026, 10, 6)
    check_save(None, day, day + timedelta(days=1), day + timedelta(days=2), True)
    with pytest.raises(LkhError, match="sudah lewat"):
        check_save(DRAFT, day, day + timedelta(days=5), day + timedelta(days=2), True)
    check_save(RETURNED, day, day + timedelta(days=5), day + timedelta(days=2), True)
    for state in (SUBMITTED, APPROVED):
        with pytest.raises(LkhError, match="tidak dapat diubah"):
            check_save(state, day, day, day, False)
    with pytest.raises(LkhError, match="hari ini atau"):
        check_save(None, day, day - timedelta(days=1), day, False)
    assert check_review(SUBMITTED, "A", "B", "B", True, "") == APPROVED
    assert check_review(SUBMITTED, "A", "B", "B", False, "lengkapi bukti") == RETURNED
    with pytest.raises(LkhError, match="alasan"):
        check_review(SUBMITTED, "A", "B", "B", False, " ")
    with pytest.raises(LkhError, match="sendiri"):
        check_review(SUBMITTED, "A", "A", "A", True, "")
    with pytest.raises(LkhError, match="atasan langsung"):
        check_review(SUBMITTED, "A", "C", "B", True, "")
    with pytest.raises(LkhError, match="bukan menunggu"):
        check_review(DRAFT, "A", "B", "B", True, "")
