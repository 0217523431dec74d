"""Worked examples: whole months per shipped rule set, expected rupiah computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hadir_cloud.tpp.calendar import CalendarEntry
from hadir_cloud.tpp.status import Absence
from hadir_cloud.tpp.tpp import explain, tpp_for_month
from tpp_builders import (
    calendar_2026,
    day_punches,
    employee,
    office_schedule,
    on_time_month,
    rulebook,
    school_schedule,
)

WIB, WITA = "Asia/Jakarta", "Asia/Makassar"


def lines(result):
    """(date, code, rupiah) of every deduction, for comparing with the hand computation."""
    return [(d.day, d.code, d.rupiah) for d in result.deductions]


def test_tiered_march_2026_ramadan_cuti_bersama_boundaries_dl_missing_checkout():
    """contoh-berjenjang, WIB, March 2026: Ramadan hours until 17 March, Nyepi and cuti bersama.

    Working days: 22 weekdays minus 18 (cuti bersama Nyepi), 19 (Nyepi), 20, 23, 24 (cuti
    bersama Idul Fitri) = 17. Base class 9 = Rp 4.000.000; 1% = Rp 40.000.
      3 Mar  in 08:30:00 (Ramadan start 08:00) = 30 min  → TL1 0.5%   20.000  (tier boundary)
      4 Mar  in 08:31:00                       = 31 min  → TL2 1%     40.000  (tier boundary)
      5 Mar  in 07:55, no check-out                      → PSW4 1.5%  60.000
      6 Mar  Ramadan Friday ends 15:30, out 15:00 = 30   → PSW1 0.5%  20.000
      9–10   DL                                          → 0
     11 Mar  nothing                                     → TK 3%    120.000
     12 Mar  in 09:45 = 105 min                          → TL4 1.5%   60.000
     25 Mar  in 07:30:59 (normal hours) = 0 whole min    → on time
     26 Mar  in 08:00:59 = 30 whole min                  → TL1 0.5%   20.000
      2 Mar  in 08:00 under Ramadan hours                → on time (would be TL1 otherwise)
     19 Mar  a check-in on Nyepi                         → libur, not counted
    Total 340.000; net 3.660.000.
    """
    cal, sched = calendar_2026(WIB), office_schedule()
    emp = employee("198001012005011001", "Kabupaten Contoh")
    special = {date(2026, 3, d) for d in (3, 4, 5, 6, 9, 10, 11, 12, 25, 26)}
    punches = on_time_month(cal, sched, 2026, 3, skip=special)
    punches += day_punches(WIB, date(2026, 3, 3), "08:30:00", "15:00")
    punches += day_punches(WIB, date(2026, 3, 4), "08:31:00", "15:00")
    punches += day_punches(WIB, date(2026, 3, 5), "07:55", None)
    punches += day_punches(WIB, date(2026, 3, 6), "08:00", "15:00")
    punches += day_punches(WIB, date(2026, 3, 12), "09:45", "15:05")
    punches += day_punches(WIB, date(2026, 3, 19), "07:30", "16:00")
    punches += day_punches(WIB, date(2026, 3, 25), "07:30:59", "16:00")
    punches += day_punches(WIB, date(2026, 3, 26), "08:00:59", "16:00")
    dl = Absence("SPT-001/2026", "dl", date(2026, 3, 9), date(2026, 3, 10))
    r = tpp_for_month(emp, cal, "2026-03", [sched], rulebook(), punches, [dl])

    assert r.working_days == 17
    assert r.ruleset == "contoh-berjenjang@v1"
    assert lines(r) == [
        (date(2026, 3, 3), "TL1", Decimal(20000)),
        (date(2026, 3, 4), "TL2", Decimal(40000)),
        (date(2026, 3, 5), "PSW4", Decimal(60000)),
        (date(2026, 3, 6), "PSW1", Decimal(20000)),
        (date(2026, 3, 11), "TK", Decimal(120000)),
        (date(2026, 3, 12), "TL4", Decimal(60000)),
        (date(2026, 3, 26), "TL1", Decimal(20000)),
    ]
    assert r.total == Decimal(340000)
    assert r.net == Decimal(3660000)
    by_day = {s.day: s for s in r.statuses}
    assert by_day[date(2026, 3, 2)].schedule == "kantor-2026/ramadan"
    assert by_day[date(2026, 3, 25)].schedule == "kantor-2026/normal"
    assert by_day[date(2026, 3, 19)].status == "libur"
    assert by_day[date(2026, 3, 20)].reason.startswith("cuti_bersama")
    assert by_day[date(2026, 3, 9)].codes == ["DL"]
    assert by_day[date(2026, 3, 5)].checkout is None and by_day[date(2026, 3, 5)].checkin
    assert "Rp 3.660.000" in "\n".join(explain(r))


def test_ogan_ilir_wita_october_regional_holiday_mid_month_join_no_lkh():
    """ogan-ilir-asn, an office in WITA (UTC+8), October 2026 with a regional holiday on 20 Oct.

    Working days: 22 weekdays − 20 Oct (libur daerah) = 21.
    Rina (class 9, Rp 4.000.000), LKH filed: 5 Oct in 08:01 WITA (= 00:01 UTC) → 31 min TL2 1%
    = 40.000; 6 Oct nothing → TK 6% = 240.000. Net 3.720.000.
    Budi (class 7, Rp 3.000.000) joins 15 Oct: 11 of 21 working days → 3.000.000 × 11/21 =
    1.571.428,57 → 1.571.429. No LKH at all → 20% = 314.285,8 → 314.286. 27 Oct nothing → TK
    6% = 94.285,74 → 94.286. Net 1.571.429 − 314.286 − 94.286 = 1.162.857.
    """
    hari_jadi = CalendarEntry(date(2026, 10, 20), "libur_daerah", "Hari Jadi Kabupaten")
    cal, sched = calendar_2026(WITA, extra=(hari_jadi,)), office_schedule()
    book = rulebook()
    rina = employee("198502022010012002", "Ogan Ilir")
    special = {date(2026, 10, 5), date(2026, 10, 6)}
    punches = on_time_month(cal, sched, 2026, 10, skip=special)
    punches += day_punches(WITA, date(2026, 10, 5), "08:01", "16:00")
    assert any(p.at.date() == date(2026, 10, 5) and p.at.hour == 0 for p in punches)
    lkh = cal.working_days(2026, 10)
    r = tpp_for_month(rina, cal, "2026-10", [sched], book, punches, lkh_approved=lkh)
    assert r.working_days == 21
    assert lines(r) == [(date(2026, 10, 5), "TL2", Decimal(40000)),
                        (date(2026, 10, 6), "TK", Decimal(240000))]
    assert r.net == Decimal(3720000)

    budi = employee("199001152019031003", "Ogan Ilir", cls="7", join=date(2026, 10, 15))
    punches = [p for p in on_time_month(cal, sched, 2026, 10, skip={date(2026, 10, 27)})
               if p.at.astimezone(cal.zone).date() >= date(2026, 10, 15)]
    r = tpp_for_month(budi, cal, "2026-10", [sched], book, punches)
    assert (r.active_days, r.working_days) == (11, 21)
    assert r.gross == Decimal(1571429)
    assert lines(r) == [(date(2026, 10, 27), "TK", Decimal(94286)),
                        (None, "LKH", Decimal(314286))]
    assert r.net == Decimal(1162857)
    assert sum(1 for s in r.statuses if s.status == "belum_aktif") == 10


def test_buton_tengah_lkh_threshold_and_weighting():
    """buton-tengah-asn, WIB, October 2026 (22 working days), 40% discipline / 60% performance.

    Class 9 = Rp 4.000.000 → discipline part 1.600.000, performance part 2.400.000.
    Sari: LKH approved on 17 of 22 days = 77,27% ≤ 80% → 20% of 2.400.000 = 480.000; 6 Oct TK
    3% of 1.600.000 = 48.000; 7 Oct only a check-out → TL4 (no record) 1,5% = 24.000.
    Total 552.000; net 3.448.000.
    Dewi: izin on 6 Oct, LKH on 17 of the 21 effective days = 80,95% > 80% → no LKH cut; net
    4.000.000. Exactly 80% (16 of 20 days, two days of cuti) is cut: the rule says "80% or fewer".
    """
    cal, sched = calendar_2026(WIB), office_schedule()
    book = rulebook()
    days = cal.working_days(2026, 10)
    assert len(days) == 22
    sari = employee("197903032006042004", "Buton Tengah")
    punches = on_time_month(cal, sched, 2026, 10, skip={date(2026, 10, 6), date(2026, 10, 7)})
    punches += day_punches(WIB, date(2026, 10, 7), None, "16:00")
    r = tpp_for_month(sari, cal, "2026-10", [sched], book, punches, lkh_approved=days[:17])
    assert (r.lkh.approved_days, r.lkh.effective_days, r.lkh.pct) == (17, 22, Decimal("77.27"))
    assert lines(r) == [(date(2026, 10, 6), "TK", Decimal(48000)),
                        (date(2026, 10, 7), "TL4", Decimal(24000)),
                        (None, "LKH", Decimal(480000))]
    assert r.net == Decimal(3448000)

    dewi = employee("198804042012052005", "Buton Tengah")
    izin = Absence("IZ-7", "izin", date(2026, 10, 6), date(2026, 10, 6))
    punches = on_time_month(cal, sched, 2026, 10, skip={date(2026, 10, 6)})
    lkh = [d for d in days if d != date(2026, 10, 6)][:17]
    r = tpp_for_month(dewi, cal, "2026-10", [sched], book, punches, [izin], lkh)
    assert (r.lkh.effective_days, r.lkh.pct) == (21, Decimal("80.95"))
    assert lines(r) == [] and r.net == Decimal(4000000)

    cuti = Absence("CT-9", "cuti", date(2026, 10, 1), date(2026, 10, 2), "tahunan")
    punches = on_time_month(cal, sched, 2026, 10, skip={date(2026, 10, 1), date(2026, 10, 2)})
    r = tpp_for_month(dewi, cal, "2026-10", [sched], book, punches, [cuti], days[2:18])
    assert (r.lkh.approved_days, r.lkh.effective_days, r.lkh.pct) == (16, 20, Decimal("80.00"))
    assert r.statuses[0].reason == "cuti tahunan disetujui (CT-9)"
    assert lines(r) == [(None, "LKH", Decimal(480000))]


def test_rule_set_changes_mid_month_in_a_six_day_school():
    """contoh-berjenjang v1 → v2 on 16 Nov 2026, a 6-day school (Mon–Sat), 25 working days.

    Day rules come from the rule set of the day; the base and monthly rules from the rule set
    in force at the month's end (v2: class 9 = Rp 4.400.000; 1% = 44.000).
       3 Nov in 07:20 → TL1 under v1 0.5% = 22.000
      10 Nov TK under v1 3%               = 132.000
      14 Nov (Saturday ends 12:00) out 11:30 → PSW1 v1 0.5% = 22.000
      17 Nov TK under v2 4%               = 176.000
      18 Nov in 07:20 → TL1 under v2 1%   = 44.000
    Total 396.000; net 4.004.000.
    """
    cal, sched = calendar_2026(WIB, workweek=6), school_schedule()
    book = rulebook("contoh_berjenjang_v2.toml")
    guru = employee("198211112008011006", "Kabupaten Contoh", group="guru")
    special = {date(2026, 11, d) for d in (3, 10, 14, 17, 18)}
    punches = on_time_month(cal, sched, 2026, 11, skip=special)
    punches += day_punches(WIB, date(2026, 11, 3), "07:20", "14:00")
    punches += day_punches(WIB, date(2026, 11, 14), "07:00", "11:30")
    punches += day_punches(WIB, date(2026, 11, 18), "07:20", "14:00")
    r = tpp_for_month(guru, cal, "2026-11", [sched], book, punches)
    assert r.working_days == 25
    assert r.ruleset == "contoh-berjenjang@v2"
    assert [(d.day, d.code, d.rule.split(":")[0], d.rupiah) for d in r.deductions] == [
        (date(2026, 11, 3), "TL1", "contoh-berjenjang@v1", Decimal(22000)),
        (date(2026, 11, 10), "TK", "contoh-berjenjang@v1", Decimal(132000)),
        (date(2026, 11, 14), "PSW1", "contoh-berjenjang@v1", Decimal(22000)),
        (date(2026, 11, 17), "TK", "contoh-berjenjang@v2", Decimal(176000)),
        (date(2026, 11, 18), "TL1", "contoh-berjenjang@v2", Decimal(44000)),
    ]
    assert r.net == Decimal(4004000)


def test_ogan_ilir_pppk_rounds_down_to_hundreds_and_caps_the_month():
    """ogan-ilir-pppk (PPPK, Rp 2.000.000, round down to Rp 100, monthly cap 60%), Oct 2026.

    A PPPK who joins 2 Oct: 21 of 22 days → 2.000.000 × 21/22 = 1.909.090,9 → 1.909.000.
    TK on 16 days × 4%: 1.909.000 × 4% = 76.360 → 76.300 each, 16 × 76.300 = 1.220.800.
    64% > 60% cap: the capped total is 1.909.000 × 60% = 1.145.400, so the cap line is −4%
    = −75.400. LKH 0% ≤ 50% → 20% = 381.800. Total 1.527.200; net 381.800.
    """
    cal, sched = calendar_2026(WIB), office_schedule()
    emp = employee("PPPK-2023-0042", "Ogan Ilir", kind="PPPK", cls="PPPK",
                   join=date(2026, 10, 2))
    days = cal.working_days(2026, 10)[1:]
    tk_days = set(days[:16])
    punches = on_time_month(cal, sched, 2026, 10, skip=tk_days | {date(2026, 10, 1)})
    r = tpp_for_month(emp, cal, "2026-10", [sched], rulebook(), punches)
    assert r.gross == Decimal(1909000)
    assert [d.rupiah for d in r.deductions if d.code == "TK"] == [Decimal(76300)] * 16
    cap = [d for d in r.deductions if d.code == "BATAS_BULANAN"]
    assert [(c.pct, c.rupiah) for c in cap] == [(Decimal(-4), Decimal(-75400))]
    assert r.total == Decimal(1527200)
    assert r.net == Decimal(381800)
