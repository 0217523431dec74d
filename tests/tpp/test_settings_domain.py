"""The pure parts of HR's reference data pages: rule set problems by field in Bahasa, the TOML
a stored rule set is downloaded as, which rule set is in force, and the calendar and schedule
forms checked field by field."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from hadir_cloud.tpp import editing
from hadir_cloud.tpp.calendar import OFF_KINDS
from hadir_cloud.tpp.editing import (
    NewDay,
    StoredDay,
    in_force,
    parse_day,
    parse_ramadan,
    parse_schedule,
    parse_workweek,
    parse_year,
    replaced,
    schedule_fields,
    standing,
)
from hadir_cloud.tpp.field_errors import FieldError, dotted, from_toml_error, shown
from hadir_cloud.tpp.rules import (
    RuleSetError,
    load_dir,
    load_ruleset,
    read_ruleset,
    shipped_dir,
    to_toml,
)
from hadir_cloud.tpp.schedule import VARIANTS, load_schedules_file

SHIPPED = shipped_dir()
OI = (SHIPPED / "ogan_ilir_asn.toml").read_text(encoding="utf-8")


def problems(text: str) -> dict[str, str]:
    """Field path (or 'baris L, kolom C') → Bahasa message of a rule set text."""
    with pytest.raises(RuleSetError) as err:
        read_ruleset(text, "uji.toml")
    return {p.where: p.message for p in err.value.problems}


@pytest.mark.parametrize(("change", "path", "message"), [
    (("version = 1\n", ""), "ruleset.version", "wajib diisi"),
    (("version = 1", 'version = "satu"'), "ruleset.version",
     'harus bilangan bulat, bukan "satu"'),
    (("tk = 6", "tk = 150"), "absence_pct.tk", "di luar rentang: paling besar 100, bukan 150"),
    (("tk = 6", "tk = -1"), "absence_pct.tk", "di luar rentang: paling kecil 0, bukan -1"),
    (("unit = 1", "unit = 0"), "rounding.unit", "di luar rentang: paling kecil 1, bukan 0"),
    (("per_day_pct = 6", "per_day_pct = 0"), "caps.per_day_pct",
     "di luar rentang: harus lebih dari 0, bukan 0"),
    (("tk = 6", "tk = 6\ntk_persen = 6"), "absence_pct.tk_persen",
     "kolom tidak dikenal (salah ketik?); yang dikenal: tk, izin, sakit, cuti, dl, tugas_belajar"),
    (("[absence_pct]", "[potongan]\nx = 1\n[absence_pct]"), "potongan",
     "kolom tidak dikenal (salah ketik?); yang dikenal: ruleset, rounding, base_amounts, "
     "grace_minutes, late, early, absence_pct, caps, lkh, weighting"),
    (("effective_from = 2026-01-01", 'effective_from = "1 Januari 2026"'),
     "ruleset.effective_from", 'harus tanggal TTTT-BB-HH (misalnya 2026-01-01), bukan '
                               '"1 Januari 2026"'),
    (("effective_from = 2026-01-01", "effective_from = 2026-01-01T08:00:00"),
     "ruleset.effective_from", "harus tanggal tanpa jam, bukan 2026-01-01T08:00:00"),
    (('staff_kinds = ["ASN"]', "staff_kinds = []"), "ruleset.staff_kinds",
     "harus berisi paling sedikit 1 isian"),
    (('staff_kinds = ["ASN"]', 'staff_kinds = "ASN"'), "ruleset.staff_kinds",
     'harus daftar [ … ], bukan "ASN"'),
    (('mode = "half_up"', 'mode = "nearest"'), "rounding.mode",
     "harus salah satu dari 'half_up', 'down' atau 'up', bukan \"nearest\""),
    (('name = "TPP ASN Kabupaten Ogan Ilir"', "name = 7"), "ruleset.name",
     "harus teks dalam tanda kutip, bukan 7"),
    (('"1" = 1500000', '"1" = "satu setengah juta"'), 'base_amounts.1',
     'harus angka, bukan "satu setengah juta"'),
    (("grace_minutes", "x"), "lkh", "harus tabel ([bagian] atau { … }), bukan 5"),
    (('no_record = "TL4"', 'no_record = "TL9"'), "late",
     "no_record 'TL9' bukan salah satu kode jenjang"),
    (("{ code = \"TL4\", min_from = 91, pct = 1.5 }",
      "{ code = \"TL4\", min_from = 91, min_to = 120, pct = 1.5 }"), "late",
     "jenjang terakhir harus terbuka (tanpa min_to)"),
])
def test_pydantic_s_problems_are_named_by_toml_path_in_bahasa(change, path, message):
    old, new = change
    assert old in OI or old == "grace_minutes"
    text = OI.replace(old, new, 1)
    if old == "grace_minutes":  # a value where a table belongs: a top-level key before [ruleset]
        text = "lkh = 5\n" + text[:text.index("[lkh]")]
    got = problems(text)
    assert got.get(path) == message, got


def test_every_problem_of_a_file_is_reported_at_once():
    bad = OI.replace("version = 1\n", "").replace("tk = 6", "tk = 150").replace(
        "pct = 1.25", 'pct = "x"', 1)
    assert set(problems(bad)) == {"ruleset.version", "absence_pct.tk", "late.tiers[2].pct"}


@pytest.mark.parametrize(("text", "where", "message"), [
    ("[ruleset\nid = 1", "baris 1, kolom 9", "nama bagian harus ditutup dengan ']'"),
    ("a = 1\nb 2", "baris 2, kolom 3", "kurang tanda '=' sesudah nama kolom"),
    ("a = 1\na = 2", "baris 2", "kolom yang sama diisi dua kali"),
    ("[a]\nx = 1\n[a]", "baris 3, kolom 3", "bagian yang sama ditulis dua kali"),
    ('a = "abc', "baris 1", "teks tidak ditutup dengan tanda kutip"),
    ("a = 1.500.000", "baris 1, kolom 10", "sesudah satu isian harus ganti baris"),
    ("a = satu", "baris 1, kolom 5", "nilai tidak valid (teks harus dalam tanda kutip, "
                                     "tanggal TTTT-BB-HH, angka tanpa titik ribuan)"),
    ("a = [1 2]", "baris 1, kolom 8", "daftar tidak ditutup dengan ']'"),
    ("x = 1\na = { b = 1", "baris 2", "tabel { … } tidak ditutup dengan '}'"),
])
def test_toml_syntax_errors_have_a_line_a_column_and_bahasa(text, where, message):
    assert problems(text) == {where: message}


def test_an_unknown_toml_message_keeps_its_detail_and_place():
    err = tomllib.TOMLDecodeError("Something new (at line 4, column 2)")
    p = from_toml_error(err, "")
    assert (p.line, p.column, p.message) == (4, 2, "sintaks TOML tidak valid: Something new")


def test_the_cli_message_lists_every_problem_with_the_file_name():
    with pytest.raises(RuleSetError) as err:
        read_ruleset(OI.replace("version = 1\n", "").replace("tk = 6", "tk = 150"), "a.toml")
    assert str(err.value).splitlines() == [
        "a.toml: ruleset.version: wajib diisi",
        "a.toml: absence_pct.tk: di luar rentang: paling besar 100, bukan 150"]


def test_paths_and_values_read_as_toml():
    assert dotted(("late", "tiers", 2, "pct")) == "late.tiers[2].pct"
    assert dotted(("base_amounts", "kelas 1", "[key]")) == 'base_amounts."kelas 1"'
    assert dotted(()) == ""
    assert [shown(v) for v in ("a", True, 1.5, {}, [], "x" * 50)] == [
        '"a"', "true", "1.5", "tabel", "daftar", '"' + "x" * 36 + "…"]
    assert FieldError("", "wajib diisi").where == "(berkas)"


@pytest.mark.parametrize("rs", load_dir(SHIPPED), ids=lambda r: r.key)
def test_a_downloaded_rule_set_loads_back_to_the_same_rule_set(rs):
    text = to_toml(rs)
    assert read_ruleset(text, "unduhan") == rs
    assert text.startswith(f"# {rs.ruleset.name} ({rs.key})")


def test_downloaded_toml_quotes_keys_and_strings_that_need_it():
    rs = load_ruleset(SHIPPED / "ogan_ilir_asn.toml")
    data = rs.model_dump()
    data["base_amounts"] = {"kelas 1": 1000, "9": 2000}
    data["ruleset"]["name"] = 'TPP "khusus"\tbaru'
    odd = type(rs).model_validate(data)
    text = to_toml(odd)
    assert '"kelas 1" = 1000' in text and '"9" = 2000' in text
    assert read_ruleset(text, "x") == odd


# ---------------------------------------------------------------- which rule set is in force


def test_in_force_standing_and_what_a_new_version_replaces():
    sets = load_dir(SHIPPED)
    v1 = next(r for r in sets if r.key == "ogan-ilir-asn@v1")
    data = v1.model_dump()
    data["ruleset"].update(version=2, effective_from=date(2027, 1, 1))
    v2 = type(v1).model_validate(data)
    day = date(2026, 11, 1)
    rows = {(f.regency, f.staff_kind): f for f in in_force([*sets, v2], day)}
    oi = rows[("Ogan Ilir", "ASN")]
    assert oi.current == v1 and oi.upcoming == v2
    assert rows[("Ogan Ilir", "PPPK")].upcoming is None
    assert standing(v1, [*sets, v2], day) == "berlaku"
    assert standing(v2, [*sets, v2], day) == "akan_berlaku"
    assert standing(v1, [*sets, v2], date(2027, 2, 1)) == "digantikan"
    assert replaced(sets, v2) == [("ASN", v1)]
    assert in_force([v2], day)[0].current is None
    ended = type(v1).model_validate({**v1.model_dump(), "ruleset": {
        **v1.model_dump()["ruleset"], "effective_to": date(2026, 6, 30)}})
    assert standing(ended, [ended], day) == "berakhir"
    assert set(editing.STANDING_TEXT) == {"berlaku", "akan_berlaku", "digantikan", "berakhir"}


# ---------------------------------------------------------------- calendar forms

OFFICES = {"kantor-bupati": "Kantor Bupati", "sdn-1": "SD Negeri 1"}
EXISTING = [StoredDay(1, None, date(2026, 8, 17), "libur_nasional", "Hari Kemerdekaan"),
            StoredDay(2, "sdn-1", date(2026, 9, 1), "libur_daerah", "Hari Jadi Sekolah")]


def messages(errors: list[FieldError]) -> dict[str, str]:
    return {e.path: e.message for e in errors}


def test_a_holiday_for_every_office_or_for_some():
    assert parse_day("2026-10-06", "libur_daerah", "  Hari  Jadi ", [], 2026, EXISTING,
                     OFFICES) == (NewDay(date(2026, 10, 6), "libur_daerah", "Hari Jadi", ()), [])
    new, errors = parse_day("2026-09-01", "tutup", "Banjir", ["kantor-bupati", ""], 2026,
                            EXISTING, OFFICES)
    assert errors == [] and new is not None and new.offices == ("kantor-bupati",)
    # a school's own day does not clash with a day for every office, nor the other way round
    assert parse_day("2026-08-17", "masuk", "Upacara", ["sdn-1"], 2026, EXISTING,
                     OFFICES)[1] == []


@pytest.mark.parametrize(("args", "path", "message"), [
    (("2027-01-01", "libur_daerah", "x", []), "tanggal", "tanggal harus di tahun 2026"),
    (("17-08-2026", "libur_daerah", "x", []), "tanggal",
     "tanggal tidak valid: 17-08-2026 (format TTTT-BB-HH)"),
    (("", "libur_daerah", "x", []), "tanggal", "wajib diisi"),
    (("2026-10-06", "libur", "x", []), "jenis", "pilih jenis hari dari daftar"),
    (("2026-10-06", "tutup", "", []), "nama", 'wajib diisi, misalnya "Hari Jadi Kabupaten"'),
    (("2026-10-06", "tutup", "x" * 201, []), "nama", "paling panjang 200 karakter"),
    (("2026-10-06", "tutup", "x", ["kantor-lain"]), "kantor",
     "kantor tidak dikenal: kantor-lain"),
    (("2026-08-17", "cuti_bersama", "x", []), "tanggal",
     "2026-08-17 sudah tercatat untuk semua kantor: Hari Kemerdekaan (Libur nasional); hapus "
     "dulu bila ingin menggantinya"),
    (("2026-09-01", "tutup", "x", ["sdn-1"]), "kantor",
     "2026-09-01 sudah tercatat untuk SD Negeri 1: Hari Jadi Sekolah (Libur daerah); hapus "
     "dulu bila ingin menggantinya"),
])
def test_a_holiday_is_refused_with_the_field_and_the_reason(args, path, message):
    new, errors = parse_day(*args, 2026, EXISTING, OFFICES)
    assert new is None and messages(errors) == {path: message}


def test_kinds_are_the_calendar_s_kinds():
    assert set(editing.KIND_TEXT) == OFF_KINDS | {"masuk"}
    assert tuple(editing.VARIANT_TEXT) == VARIANTS


RAMADAN = [(date(2026, 2, 18), date(2026, 3, 19))]


@pytest.mark.parametrize(("start", "end", "path", "message"), [
    ("2026-03-10", "2026-03-10", "sampai", "akhir Ramadan harus sesudah awalnya"),
    ("2026-03-10", "2026-03-01", "sampai", "akhir Ramadan harus sesudah awalnya"),
    ("2026-09-01", "2026-10-01", "sampai", "Ramadan paling lama 30 hari, bukan 31; periksa "
                                           "tanggalnya"),
    ("2026-03-19", "2026-04-01", "mulai", "bertumpang tindih dengan Ramadan 2026-02-18–"
                                          "2026-03-19 yang sudah tercatat; hapus dulu bila "
                                          "ingin menggantinya"),
    ("2025-02-01", "2025-03-01", "mulai", "tanggal harus di tahun 2026"),
    ("2026-02-01", "", "sampai", "wajib diisi"),
])
def test_ramadan_is_checked(start, end, path, message):
    period, errors = parse_ramadan(start, end, 2026, RAMADAN)
    assert period is None and messages(errors) == {path: message}


def test_a_ramadan_may_end_in_the_next_year():
    assert parse_ramadan("2030-12-26", "2031-01-24", 2030, RAMADAN) == (
        (date(2030, 12, 26), date(2031, 1, 24)), [])


def test_work_week_and_year():
    assert parse_workweek("sdn-1", "6", OFFICES) == (("sdn-1", 6), [])
    assert messages(parse_workweek("sdn-1", "7", OFFICES)[1]) == {
        "hari_kerja": "pilih 5 atau 6 hari kerja seminggu"}
    assert messages(parse_workweek("x", "5", OFFICES)[1]) == {"kantor": "kantor tidak dikenal: x"}
    assert [parse_year(v, 2026) for v in (None, "", "2027", "abc", "1999", "2101")] == [
        2026, 2026, 2027, None, None, None]


# ---------------------------------------------------------------- schedule form


@pytest.fixture(scope="module")
def shipped_schedules():
    return load_schedules_file(SHIPPED / "jadwal_2026.toml")


def test_the_form_of_a_schedule_builds_the_schedule_the_file_does(shipped_schedules):
    for s in shipped_schedules:
        others = [o for o in shipped_schedules if o.id != s.id]
        assert parse_schedule(schedule_fields(s), others, new=False) == (s, [])
        assert parse_schedule({**schedule_fields(s), "id": s.id + "-b"}, shipped_schedules,
                              new=True)[1][0].message.startswith("grup ")


def test_schedule_problems_are_by_field(shipped_schedules):
    kantor = shipped_schedules[0]
    form = {**schedule_fields(kantor), "normal.start": "7:30", "friday.end": "",
            "saturday.start": "07:00", "ramadan.end": "07:00", "ramadan_friday.start": "25:00",
            "grup": "kantor baru", "mulai": "2026-13-01", "normal.end": "16:00:30"}
    sched, errors = parse_schedule(form, shipped_schedules[1:], new=False)
    assert sched is None
    assert messages(errors) == {
        "grup": "hanya huruf, angka, titik, garis bawah dan tanda hubung, paling panjang 64",
        "mulai": "tanggal tidak valid: 2026-13-01 (format TTTT-BB-HH)",
        "normal.start": "jam harus JJ:MM, misalnya 07:30, bukan 7:30",
        "normal.end": "jam harus JJ:MM, misalnya 07:30, bukan 16:00:30",
        "friday.end": "isi keempat jam varian ini, atau kosongkan semuanya",
        "saturday.checkin_open": "isi keempat jam varian ini, atau kosongkan semuanya",
        "saturday.end": "isi keempat jam varian ini, atau kosongkan semuanya",
        "saturday.checkout_close": "isi keempat jam varian ini, atau kosongkan semuanya",
        "ramadan": "urutan jam harus: absen masuk dibuka ≤ jam masuk < jam pulang ≤ absen "
                   "pulang ditutup",
        "ramadan_friday.start": "jam harus JJ:MM, misalnya 07:30, bukan 25:00",
    }


def test_a_new_schedule_needs_a_free_id_and_normal_hours(shipped_schedules):
    form = {"id": "kantor-2026", "grup": "kantor", "mulai": "2027-01-01",
            "sampai": "2026-12-31"}
    sched, errors = parse_schedule(form, shipped_schedules, new=True)
    got = messages(errors)
    assert sched is None and got["id"] == "sudah ada jadwal dengan id ini; pilih id lain"
    assert got["sampai"] == "harus sama dengan atau sesudah tanggal mulai"
    assert got["normal.start"] == "wajib diisi" and "friday.start" not in got
    ok = {**schedule_fields(shipped_schedules[0]), "id": "kantor-2027", "mulai": "2027-01-01",
          "friday.checkin_open": "", "friday.start": "", "friday.end": "",
          "friday.checkout_close": ""}
    sched, errors = parse_schedule(ok, shipped_schedules, new=True)
    assert errors == [] and sched is not None and sched.friday is None
    assert sched.effective_from == date(2027, 1, 1) and sched.group == "kantor"
