"""Rule set loading, tiers, caps, sanctions and day statuses on plain data."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hadir_cloud.tpp import sanctions
from hadir_cloud.tpp.calendar import CalendarEntry, CalendarError, OfficeCalendar
from hadir_cloud.tpp.rules import (
    NoRuleSetError,
    RuleBook,
    RuleSetError,
    load_dir,
    load_ruleset,
    parse_ruleset,
    shipped_dir,
)
from hadir_cloud.tpp.schedule import NoScheduleError, Schedule, ScheduleError
from hadir_cloud.tpp.status import evaluate_month
from hadir_cloud.tpp.tpp import Sanction, round_rupiah, tpp_for_month
from tpp_builders import calendar_2026, day_punches, employee, office_schedule, on_time_month

SHIPPED = shipped_dir()


def shipped_data(name: str) -> dict:
    return tomllib.loads((SHIPPED / name).read_text(encoding="utf-8"))


def test_every_shipped_rule_set_loads_and_covers_the_three_regencies():
    rs = load_dir(SHIPPED)
    assert {r.ruleset.regency for r in rs} >= {"Ogan Ilir", "Buton Tengah", "Kabupaten Contoh"}
    oi = {r.ruleset.id: r for r in rs if r.ruleset.regency == "Ogan Ilir"}
    assert oi["ogan-ilir-asn"].absence_pct.tk == 6 and oi["ogan-ilir-asn"].lkh.deduction_pct == 20
    assert "ASN" not in oi["ogan-ilir-pppk"].ruleset.staff_kinds
    book = RuleBook(rs)
    assert book.for_day("Ogan Ilir", "honorer", date(2026, 5, 1)).ruleset.id == "ogan-ilir-pppk"
    with pytest.raises(NoRuleSetError, match="Ogan Ilir"):
        book.for_day("Ogan Ilir", "ASN", date(2025, 12, 31))


def test_a_typo_is_refused_naming_the_file_and_the_field(tmp_path: Path):
    text = (SHIPPED / "contoh_berjenjang.toml").read_text(encoding="utf-8")
    bad = tmp_path / "salah.toml"
    bad.write_text(text.replace("[caps]\nmonthly_pct", "[caps]\nmonthly_pcts"), encoding="utf-8")
    with pytest.raises(RuleSetError) as err:
        load_ruleset(bad)
    assert str(bad) in str(err.value) and "caps.monthly_pcts" in str(err.value)


def test_gapped_tiers_and_unknown_no_record_are_refused():
    data = shipped_data("contoh_berjenjang.toml")
    data["late"]["tiers"][1]["min_from"] = 32
    with pytest.raises(RuleSetError, match=r"x\.toml: late: .*TL2 mulai menit 32, seharusnya 31"):
        parse_ruleset(data, "x.toml")
    data = shipped_data("contoh_berjenjang.toml")
    data["early"]["no_record"] = "PSW9"
    with pytest.raises(RuleSetError, match="early: .*PSW9"):
        parse_ruleset(data, "x.toml")
    data = shipped_data("buton_tengah_asn.toml")
    data["weighting"]["performance_pct"] = 50
    with pytest.raises(RuleSetError, match="weighting"):
        parse_ruleset(data, "x.toml")


def test_broken_toml_is_a_rule_set_error(tmp_path: Path):
    bad = tmp_path / "rusak.toml"
    bad.write_text("[ruleset\nid=", encoding="utf-8")
    with pytest.raises(RuleSetError, match="rusak.toml"):
        load_ruleset(bad)


@pytest.mark.parametrize(("minutes", "code"), [(1, "TL1"), (30, "TL1"), (31, "TL2"), (60, "TL2"),
                                               (61, "TL3"), (90, "TL3"), (91, "TL4"), (600, "TL4")])
def test_tier_boundaries(minutes: int, code: str):
    rs = load_ruleset(SHIPPED / "contoh_berjenjang.toml")
    assert rs.late.for_minutes(minutes).code == code
    assert rs.late.for_minutes(0) is None


@pytest.mark.parametrize(("amount", "mode", "unit", "want"), [
    ("1234.5", "half_up", 1, 1235), ("1234.49", "half_up", 1, 1234),
    ("76360", "down", 100, 76300), ("76301", "up", 100, 76400),
])
def test_rounding(amount: str, mode: str, unit: int, want: int):
    from hadir_cloud.tpp.rules import Rounding

    assert round_rupiah(Decimal(amount), Rounding(mode=mode, unit=unit)) == Decimal(want)


def test_per_day_cap_limits_a_late_and_early_day():
    """Ogan Ilir caps a day at 6%; a custom 2% cap turns TL4 + PSW4 (3%) into 2%."""
    data = shipped_data("contoh_berjenjang.toml")
    data["caps"] = {"per_day_pct": 2}
    book = RuleBook([parse_ruleset(data, "cap.toml")])
    cal, sched = calendar_2026(), office_schedule()
    emp = employee("198001012005011001", "Kabupaten Contoh")
    d = date(2026, 10, 7)
    punches = on_time_month(cal, sched, 2026, 10, skip={d}) + day_punches(
        "Asia/Jakarta", d, "09:30", "14:00")
    r = tpp_for_month(emp, cal, "2026-10", [sched], book, punches)
    assert [(x.code, x.pct, x.rupiah) for x in r.deductions] == [
        ("TL4", Decimal("1.5"), Decimal(60000)), ("PSW4", Decimal("1.5"), Decimal(60000)),
        ("BATAS_HARIAN", Decimal("-1.0"), Decimal(-40000))]
    assert r.net == Decimal(4000000 - 80000)


def test_disciplinary_sanction_cuts_only_in_its_months():
    cal, sched = calendar_2026(), office_schedule()
    emp = employee("198001012005011001", "Kabupaten Contoh")
    s = Sanction("SK-HD-12/2026", Decimal(25), date(2026, 9, 1), date(2027, 2, 1), "PP 94/2021")
    book = RuleBook(load_dir(SHIPPED))
    oct_ = tpp_for_month(emp, cal, "2026-10", [sched], book,
                         on_time_month(cal, sched, 2026, 10), sanctions=[s])
    assert [(x.code, x.rupiah) for x in oct_.deductions] == [("HUKDIS", Decimal(1000000))]
    aug = tpp_for_month(emp, cal, "2026-08", [sched], book,
                        on_time_month(cal, sched, 2026, 8), sanctions=[s])
    assert aug.deductions == () and aug.net == Decimal(4000000)


def test_first_in_last_out_and_punches_outside_the_window_are_ignored():
    cal, sched = calendar_2026(), office_schedule()
    emp = employee("198001012005011001", "Kabupaten Contoh")
    d = date(2026, 10, 7)
    early = day_punches("Asia/Jakarta", d, "05:10", None)  # before 06:00: not counted
    p = day_punches("Asia/Jakarta", d, "07:40", "15:00") + day_punches(
        "Asia/Jakarta", d, "07:50", "16:05") + early
    [st] = evaluate_month(emp, cal, [d], [sched], RuleBook(load_dir(SHIPPED)), p, [])
    assert st.checkin == p[0].event_id and st.checkout == p[3].event_id
    assert set(st.ignored) == {p[1].event_id, p[2].event_id, early[0].event_id}
    assert st.codes == ["TL1"] and st.late_minutes == 10


def test_a_wita_check_in_belongs_to_the_local_day():
    """07:10 WITA on 6 Oct is 23:10 UTC on 5 Oct; it must count on 6 Oct."""
    cal = calendar_2026("Asia/Makassar")
    emp = employee("198001012005011001", "Kabupaten Contoh")
    p = day_punches("Asia/Makassar", date(2026, 10, 6), "07:10", "16:00")
    assert p[0].at.day == 5
    st = evaluate_month(emp, cal, [date(2026, 10, 5), date(2026, 10, 6)], [office_schedule()],
                        RuleBook(load_dir(SHIPPED)), p, [])
    assert [s.codes for s in st] == [["TK"], ["H"]]


def test_calendar_weekend_holiday_and_extra_working_day():
    cal = OfficeCalendar("Asia/Jayapura", 5, (
        CalendarEntry(date(2026, 8, 17), "libur_nasional", "HUT RI"),
        CalendarEntry(date(2026, 8, 22), "masuk", "pengganti"),
    ))
    assert cal.day(date(2026, 8, 17)).kind == "libur_nasional"
    assert cal.day(date(2026, 8, 22)).working and not cal.day(date(2026, 8, 23)).working
    assert len(cal.working_days(2026, 8)) == 21 - 1 + 1
    assert OfficeCalendar("Asia/Jakarta", 6).day(date(2026, 8, 22)).working
    with pytest.raises(CalendarError):
        OfficeCalendar("Asia/Jakarta", 4)


def test_missing_schedule_and_bad_hours():
    with pytest.raises(NoScheduleError, match="guru"):
        evaluate_month(employee("1", "Kabupaten Contoh", group="guru"), calendar_2026(),
                       [date(2026, 10, 6)], [office_schedule()], RuleBook(load_dir(SHIPPED)),
                       [], [])
    with pytest.raises(ScheduleError):
        Schedule.from_data("x", "g", date(2026, 1, 1), None, {
            "normal": {"checkin_open": "08:00", "start": "07:30", "end": "16:00",
                       "checkout_close": "18:00"}})


@pytest.mark.parametrize(("tk", "run", "want"), [
    (2, 0, None), (3, 0, "teguran lisan"), (4, 0, "teguran tertulis"), (6, 0, "teguran tertulis"),
    (7, 0, "pernyataan tidak puas secara tertulis"), (11, 0, "selama 6 bulan"),
    (14, 0, "selama 9 bulan"), (17, 0, "selama 12 bulan"), (21, 0, "penurunan jabatan"),
    (25, 0, "jabatan pelaksana"), (28, 0, "pemberhentian"), (10, 10, "pemberhentian"),
])
def test_pp94_levels(tk: int, run: int, want: str | None):
    got = sanctions.level(tk, run)
    assert (got is None) if want is None else (want in got)


def test_early_warning_names_those_one_or_two_days_away():
    w = sanctions.early_warnings({"A": (2, 0), "B": (1, 0), "C": (9, 0), "D": (5, 8),
                                  "E": (30, 0), "F": (8, 1)})
    got = {x.nip: (x.days_to_next, x.next_level) for x in w}
    assert got["A"] == (1, "teguran lisan")
    assert got["B"] == (2, "teguran lisan")
    assert got["C"][0] == 2 and "6 bulan" in got["C"][1]
    assert got["D"][0] == 2 and "berturut-turut" in got["D"][1]
    assert "E" not in got and "F" not in got


def test_longest_run_skips_free_days():
    wd = [date(2026, 10, d) for d in (1, 2, 5, 6)]
    assert sanctions.longest_run([date(2026, 10, 2), date(2026, 10, 5)], wd) == 2
    assert sanctions.longest_run([date(2026, 10, 1), date(2026, 10, 5)], wd) == 1
