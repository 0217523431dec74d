"""Day counting, content checks and cuti tahunan balances with plain data: the carry-over cap,
the cuti bersama deduction, a request across a year boundary."""

from __future__ import annotations

from datetime import date

import pytest
from hadir_cloud.requests.balance import (
    annual_balances,
    balances_for,
    counted_days,
    cuti_bersama_days,
    days_by_year,
    problems_of,
)
from hadir_cloud.requests.domain import Place, Request, State
from hadir_cloud.requests.kinds import AnnualLeave, load_kinds, shipped_path
from hadir_cloud.tpp.calendar import OfficeCalendar, load_calendar_file
from hadir_cloud.tpp.rules import shipped_dir
from request_builders import STAF, calendar

KINDS = load_kinds(shipped_path())
CT = KINDS.get("cuti_tahunan")
RULE = KINDS.cuti_tahunan  # 12 a year, 6 carried, 12 after two unused years
NEW_YEAR = calendar((date(2026, 1, 1), "libur_nasional", "Tahun Baru Masehi"),
                    (date(2025, 12, 25), "libur_nasional", "Hari Raya Natal"),
                    (date(2025, 12, 26), "cuti_bersama", "Cuti bersama Natal"))


def req(kind: str, start: date, end: date, state: State = State.DRAF, rid: str = "R1",
        **content: object) -> Request:
    return Request(rid, STAF, kind, start, end, state=state, **content)  # type: ignore[arg-type]


# ---------------------------------------------------------------- counting days


def test_working_days_skip_weekends_holidays_and_cuti_bersama_calendar_days_do_not() -> None:
    days = counted_days(CT, date(2025, 12, 24), date(2026, 1, 5), NEW_YEAR)
    assert days == [date(2025, 12, 24), date(2025, 12, 29), date(2025, 12, 30),
                    date(2025, 12, 31), date(2026, 1, 2), date(2026, 1, 5)]
    assert len(counted_days(KINDS.get("cuti_besar"), date(2025, 12, 24), date(2026, 1, 5),
                            NEW_YEAR)) == 13


def test_six_day_office_counts_saturdays_and_a_masuk_day_counts() -> None:
    six = calendar((date(2026, 4, 12), "masuk", "Hari kerja pengganti"), workweek=6)
    assert len(counted_days(CT, date(2026, 4, 6), date(2026, 4, 12), six)) == 7


def test_request_across_the_year_boundary_uses_each_years_days() -> None:
    """29 Dec – 5 Jan with New Year's Day off: 3 days of 2025, 2 of 2026."""
    assert days_by_year(CT, date(2025, 12, 29), date(2026, 1, 5), NEW_YEAR) == {2025: 3, 2026: 2}
    approved = req("cuti_tahunan", date(2025, 12, 29), date(2026, 1, 5), State.DISETUJUI)
    b25, b26 = balances_for([approved], CT, RULE, NEW_YEAR, 2025, 2026)
    assert (b25.taken, b25.cuti_bersama, b25.remaining) == (3, 1, 8)
    # 8 left at the end of 2025, 6 carried (the cap); 2026 has no cuti bersama in this calendar
    assert (b26.carried, b26.taken, b26.remaining) == (6, 2, 16)


def test_over_the_balance_of_one_year_names_that_year() -> None:
    r = req("cuti_tahunan", date(2025, 12, 29), date(2026, 1, 5))
    assert problems_of(r, CT, NEW_YEAR, {2025: 2, 2026: 10}) == [
        "sisa cuti tahunan 2025 2 hari kerja, diminta 3"]
    assert problems_of(r, CT, NEW_YEAR, {2025: 3, 2026: 2}) == []


# ---------------------------------------------------------------- balances


def test_carry_over_is_capped_at_six() -> None:
    b24, b25, b26 = annual_balances(RULE, 2024, 2026, {2024: 1, 2025: 10}, {})
    assert (b24.remaining, b25.carried) == (11, 6)
    assert (b25.remaining, b26.carried, b26.remaining) == (8, 6, 18)


def test_carry_over_is_what_is_left_when_under_the_cap() -> None:
    _, b26 = annual_balances(RULE, 2025, 2026, {2025: 10}, {})
    assert b26.carried == 2 and b26.remaining == 14


def test_two_unused_years_raise_the_cap_to_twelve_unknown_years_do_not() -> None:
    """PP 11/2017 Pasal 313: two years in a row without cuti tahunan, up to 24 days in the next
    year (12 carried). Years before the first computed are unknown, so not unused."""
    bals = annual_balances(RULE, 2023, 2026, {2023: 4}, {})
    assert [b.carried for b in bals] == [0, 6, 6, 12]
    assert bals[-1].remaining == 24
    assert [b.carried for b in annual_balances(RULE, 2025, 2026, {}, {})] == [0, 6]


def test_cuti_bersama_is_deducted_and_a_negative_year_carries_nothing() -> None:
    b25, b26 = annual_balances(RULE, 2025, 2026, {2025: 8}, {2025: 7, 2026: 8})
    assert (b25.cuti_bersama, b25.remaining) == (7, -3)
    assert (b26.carried, b26.cuti_bersama, b26.remaining) == (0, 8, 4)
    keep = RULE.model_copy(update={"cuti_bersama_counts": False})
    assert annual_balances(keep, 2026, 2026, {}, {2026: 8})[0].remaining == 12


def test_shipped_2026_calendar_costs_eight_days_of_quota() -> None:
    entries, ramadan = load_calendar_file(shipped_dir() / "kalender_2026.toml")
    cal = OfficeCalendar("Asia/Jakarta", 5, tuple(entries), tuple(ramadan))
    assert len(cuti_bersama_days(cal, 2026)) == 8
    (b,) = balances_for([], CT, RULE, cal, 2026, 2026)
    assert (b.quota, b.cuti_bersama, b.remaining) == (12, 8, 4)


def test_cuti_bersama_on_a_weekend_or_turned_into_masuk_costs_nothing() -> None:
    cal = calendar((date(2026, 5, 16), "cuti_bersama", "Sabtu"),
                   (date(2026, 5, 15), "cuti_bersama", "Jumat"),
                   (date(2026, 5, 14), "cuti_bersama", "Kamis"),
                   (date(2026, 5, 14), "masuk", "Piket layanan"))
    assert cuti_bersama_days(cal, 2026) == [date(2026, 5, 15)]


def test_pending_requests_reserve_days_except_the_one_being_checked() -> None:
    cal = calendar()
    reqs = [req("cuti_tahunan", date(2026, 4, 6), date(2026, 4, 8), State.DISETUJUI, "A"),
            req("cuti_tahunan", date(2026, 4, 13), date(2026, 4, 14), State.DIAJUKAN, "B"),
            req("cuti_tahunan", date(2026, 4, 20), date(2026, 4, 20), State.DITOLAK, "C"),
            req("izin", date(2026, 4, 21), date(2026, 4, 21), State.DISETUJUI, "D")]
    (b,) = balances_for(reqs, CT, RULE, cal, 2026, 2026)
    assert (b.taken, b.pending, b.remaining, b.available) == (3, 2, 9, 7)
    (mine,) = balances_for(reqs, CT, RULE, cal, 2026, 2026, excluding="B")
    assert mine.available == 9


# ---------------------------------------------------------------- content against the kind


@pytest.mark.parametrize(("days", "attachments", "expected"), [
    (1, set(), []),
    (2, set(), ["lampiran wajib belum ada: Surat keterangan dokter"]),
    (2, {"surat_dokter"}, []),
    (4, {"surat_dokter"}, ["Sakit paling lama 3 hari kerja, diminta 4"]),
])
def test_sick_needs_a_doctors_letter_over_one_day(days: int, attachments: set[str],
                                                  expected: list[str]) -> None:
    r = req("sakit", date(2026, 4, 6), date(2026, 4, 6 + days - 1),
            attachments=frozenset(attachments))
    assert problems_of(r, KINDS.get("sakit"), calendar()) == expected


def test_cuti_sakit_over_fourteen_days_needs_a_government_doctor() -> None:
    r = req("cuti_sakit", date(2026, 4, 1), date(2026, 4, 20),
            attachments=frozenset({"surat_dokter"}))
    assert problems_of(r, KINDS.get("cuti_sakit"), calendar()) == [
        "lampiran wajib belum ada: Surat keterangan dokter pemerintah"]


def test_dinas_luar_needs_a_valid_place() -> None:
    dl = KINDS.get("dinas_luar")
    base = {"attachments": frozenset({"surat_tugas"})}
    r = req("dinas_luar", date(2026, 4, 6), date(2026, 4, 8), **base)
    assert problems_of(r, dl, calendar()) == [
        "tempat dinas luar, koordinat dan radius wajib diisi"]
    bad = req("dinas_luar", date(2026, 4, 6), date(2026, 4, 8),
              place=Place(" ", -95.0, 104.6, 5), **base)
    assert problems_of(bad, dl, calendar()) == [
        "nama tempat dinas luar wajib diisi", "lintang harus antara -90 dan 90, bukan -95.0",
        "radius harus 10 sampai 5000 meter, bukan 5"]
    ok = req("dinas_luar", date(2026, 4, 6), date(2026, 4, 8),
             place=Place("Puskesmas Tanjung Raja", -3.35, 104.78, 150), **base)
    assert problems_of(ok, dl, calendar()) == []


def test_correction_needs_a_reason_from_the_list_evidence_and_a_working_day() -> None:
    k = KINDS.get("koreksi_presensi")
    r = req("koreksi_presensi", date(2026, 4, 11), date(2026, 4, 11), subkind="macet")
    assert problems_of(r, k, calendar()) == [
        "tidak ada hari kerja antara 2026-04-11 dan 2026-04-11",
        "lampiran wajib belum ada: Bukti (foto, surat keterangan atau laporan kerusakan kiosk)",
        "alasan harus salah satu dari: lupa_absen, kiosk_rusak (bukan 'macet')"]
    ok = req("koreksi_presensi", date(2026, 4, 10), date(2026, 4, 10), subkind="kiosk_rusak",
             attachments=frozenset({"bukti"}))
    assert problems_of(ok, k, calendar()) == []


def test_end_before_start_and_unknown_attachment_and_unasked_reason() -> None:
    izin = KINDS.get("izin")
    assert problems_of(req("izin", date(2026, 4, 8), date(2026, 4, 6)), izin, calendar()) == [
        "tanggal selesai (2026-04-06) lebih awal dari tanggal mulai (2026-04-08)"]
    r = req("izin", date(2026, 4, 8), date(2026, 4, 8), attachments=frozenset({"foto"}),
            subkind="x")
    assert problems_of(r, izin, calendar()) == [
        "lampiran tidak dikenal untuk Izin: foto", "Izin tidak memakai pilihan alasan ('x')"]


def test_annual_leave_rule_rejects_a_long_cap_below_the_short_one() -> None:
    with pytest.raises(ValueError, match="carry_over_max_days_long lebih kecil"):
        AnnualLeave(quota_days=12, carry_over_max_days=6, carry_over_max_days_long=3)
