"""`hadir-cloud tpp` through click's CliRunner against a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
from click.testing import CliRunner
from hadir_cloud.tpp import store
from hadir_cloud.tpp.cli import tpp
from hadir_cloud.tpp.rules import shipped_dir
from openpyxl import load_workbook
from test_tpp_store import DEWI, GURU, SARI, seed_october
from tpp_builders import calendar_2026, office_schedule, on_time_month
from tpp_db import add_employee, add_punches, prepare


def invoke(url: str, *args: str):
    return CliRunner().invoke(tpp, ["--database-url", url, *args])


def test_every_command_has_help():
    for name, cmd in tpp.commands.items():
        assert cmd.help and len(cmd.help) > 10, name
        res = CliRunner().invoke(tpp, [name, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output


def test_run_explain_finalize_rerun_and_export(fresh_db: str, tmp_path: Path):
    seed_october(fresh_db)
    res = invoke(fresh_db, "run", "--month", "2026-10", "--by", "admin")
    assert res.exit_code == 0, res.output
    assert "versi 1" in res.output and "3 pegawai" in res.output
    assert "Rp 9.650.000" in res.output  # 3.448.000 + 3.952.000 + 2.250.000

    res = invoke(fresh_db, "explain", "--month", "2026-10", "--employee", SARI)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "2026-10-06  TK" in out and "Rp 48.000" in out
    assert "2026-10-07  TL4" in out and "masuk -" in out
    assert "bulanan  LKH" in out and "Rp 480.000" in out
    assert "TPP diterima: Rp 3.448.000" in out

    res = invoke(fresh_db, "finalize", "--run", "1", "--by", "kepala")
    assert res.exit_code == 0 and "final" in res.output
    res = invoke(fresh_db, "finalize", "--run", "1")
    assert res.exit_code == 1 and "sudah final" in res.output
    res = invoke(fresh_db, "run", "--month", "2026-10")
    assert res.exit_code == 1 and "alasan" in res.output and "Traceback" not in res.output
    res = invoke(fresh_db, "run", "--month", "2026-10", "--reason", "koreksi absen")
    assert res.exit_code == 0 and "versi 2" in res.output

    res = invoke(fresh_db, "export", "--month", "2026-10", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["TPP-BKPSDM-2026-10-v2.xlsx", "TPP-DISDIK-2026-10-v2.xlsx"]
    wb = load_workbook(tmp_path / "TPP-BKPSDM-2026-10-v2.xlsx")
    rekap = list(wb["Rekap"].iter_rows(values_only=True))
    assert rekap[0][:2] == ("NIP", "Nama") and "TPP diterima" in rekap[0]
    nets = {r[0]: r[rekap[0].index("TPP diterima")] for r in rekap[1:-1]}
    assert nets == {SARI: 3448000, DEWI: 3952000}
    rincian = list(wb["Rincian"].iter_rows(values_only=True))
    assert (SARI, "2026-10-06", "TK") == rincian[1][:1] + rincian[1][2:4]
    assert sum(r[7] for r in rincian[1:] if r[0] == SARI) == 552000
    guru = load_workbook(tmp_path / "TPP-DISDIK-2026-10-v2.xlsx")["Rincian"]
    assert [r[3] for r in guru.iter_rows(min_row=2, values_only=True)] == ["HUKDIS"]
    assert GURU in [c.value for c in load_workbook(
        tmp_path / "TPP-DISDIK-2026-10-v2.xlsx")["Rekap"]["A"]]


def test_clear_errors_not_tracebacks(fresh_db: str, tmp_path: Path):
    prepare(fresh_db)
    bad = tmp_path / "aturan.toml"
    bad.write_text((shipped_dir() / "ogan_ilir_asn.toml").read_text(encoding="utf-8")
                   .replace("tk = 6", "tk = 6\ntk_persen = 6"), encoding="utf-8")
    res = invoke(fresh_db, "load-rules", str(bad))
    assert res.exit_code == 1
    assert str(bad) in res.output and "absence_pct.tk_persen" in res.output

    res = invoke(fresh_db, "explain", "--month", "2026-10", "--employee", "999")
    assert res.exit_code == 1 and "999 tidak ditemukan" in res.output

    res = invoke(fresh_db, "run", "--month", "2026-13")
    assert res.exit_code == 2 and "bulan tidak valid" in res.output

    # an employee but no schedule for the month
    assert invoke(fresh_db, "load-rules").exit_code == 0
    with psycopg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES ('k', 'Kantor', 'Asia/Jakarta')")
        conn.execute("INSERT INTO units VALUES ('U', 'Unit', 'Ogan Ilir', NULL)")
        add_employee(conn, "198001012005011001", unit="U", office="k")
    res = invoke(fresh_db, "run", "--month", "2026-10")
    assert res.exit_code == 1 and "tidak ada jadwal kerja" in res.output
    assert "Traceback" not in res.output
    res = invoke(fresh_db, "run", "--month", "2026-10", "--unit", "TIDAK-ADA")
    assert res.exit_code == 1 and "TIDAK-ADA" in res.output

    res = CliRunner().invoke(tpp, ["--database-url", "postgresql://127.0.0.1:1/x",
                                   "run", "--month", "2026-10"])
    assert res.exit_code == 1 and "basis data" in res.output


def test_explain_before_any_run_computes_live(fresh_db: str):
    seed_october(fresh_db)
    res = invoke(fresh_db, "explain", "--month", "2026-10", "--employee", SARI)
    assert res.exit_code == 0, res.output
    assert "dihitung langsung" in res.output and "TPP diterima: Rp 3.448.000" in res.output


def test_warnings_report_those_near_the_next_threshold(fresh_db: str):
    """Sari has 1 TK in October, Dewi 1 → both are 2 days from a verbal warning (3 days)."""
    seed_october(fresh_db)
    assert invoke(fresh_db, "run", "--month", "2026-10").exit_code == 0
    res = invoke(fresh_db, "warnings", "--year", "2026")
    assert res.exit_code == 0, res.output
    assert f"{SARI}: TK 1 hari" in res.output and "2 hari lagi → teguran lisan" in res.output
    assert GURU not in res.output


def test_a_streak_of_absence_still_running_warns_of_dismissal(fresh_db: str):
    """PP 94/2021: 10 working days in a row without notice lead to dismissal.

    Ani is absent 21–30 Oct (8 working days, still absent at the month's end): 2 days from
    dismissal. Budi is absent 20–29 Oct (also 8) but came back on the 30th: his streak is
    broken, and with 8 TK days the next threshold (11) is 3 days away, so no warning.
    """
    seed_october(fresh_db)
    cal, sched = calendar_2026(), office_schedule()
    ani, budi = "199101012015012001", "199202022016021002"
    with psycopg.connect(fresh_db) as conn:
        for nip, days in ((ani, range(21, 31)), (budi, range(20, 30))):
            add_employee(conn, nip)
            skip = {date(2026, 10, d) for d in days}
            add_punches(conn, nip, on_time_month(cal, sched, 2026, 10, skip=skip))
    assert invoke(fresh_db, "run", "--month", "2026-10").exit_code == 0
    res = invoke(fresh_db, "warnings", "--year", "2026", "--json")
    assert res.exit_code == 0, res.output
    got = {w["nip"]: w for w in json.loads(res.output)}
    assert got[ani]["tk_days"] == 8 and got[ani]["days_to_next"] == 2
    assert "berturut-turut" in got[ani]["next_level"]
    assert budi not in got


def test_seed_calendar_adds_national_holidays_cuti_bersama_and_ramadan(fresh_db: str):
    import holidays

    prepare(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES ('k', 'Kantor', 'Asia/Makassar')")
    res = invoke(fresh_db, "seed-calendar", "--year", "2026")
    assert res.exit_code == 0, res.output
    national = len(holidays.country_holidays("ID", years=2026))
    assert f"{national + 8} hari" in res.output
    assert invoke(fresh_db, "seed-calendar", "--year", "2026").output.startswith("0 hari")
    with psycopg.connect(fresh_db) as conn:
        cal = store.office_calendars(conn, date(2026, 3, 1), date(2026, 3, 31))["k"]
    assert cal.day(date(2026, 3, 20)).kind == "cuti_bersama"
    assert cal.day(date(2026, 3, 19)).kind == "libur_nasional"
    assert cal.is_ramadan(date(2026, 3, 2)) and not cal.is_ramadan(date(2026, 3, 25))
    assert cal.tz == "Asia/Makassar"


def test_load_schedules_from_the_shipped_file_and_refuse_a_bad_one(fresh_db: str, tmp_path: Path):
    prepare(fresh_db)
    res = invoke(fresh_db, "load-schedules", str(shipped_dir() / "jadwal_2026.toml"))
    assert res.exit_code == 0, res.output
    with psycopg.connect(fresh_db) as conn:
        got = {s.group: s for s in store.schedules(conn)}
    assert set(got) == {"kantor", "guru", "sif-siang"}
    assert got["guru"].hours_for(date(2026, 10, 10), False)[0].end.isoformat() == "12:00:00"
    assert got["kantor"].hours_for(date(2026, 3, 6), True)[1] == "ramadan_friday"

    bad = tmp_path / "jadwal.toml"
    bad.write_text('[[schedule]]\nid = "x"\ngroup = "g"\neffective_from = 2026-01-01\n'
                   'normal = { checkin_open = "06:00", start = "07:30", end = "16:00", '
                   'checkout_close = "23:00" }\nsunday = { start = "08:00" }\n', encoding="utf-8")
    res = invoke(fresh_db, "load-schedules", str(bad))
    assert res.exit_code == 1 and f"{bad}: schedule[0]" in res.output and "sunday" in res.output


def test_the_database_url_also_comes_from_a_file(fresh_db: str, tmp_path: Path, monkeypatch):
    """Regression: `hadir-cloud tpp` ignored HADIR_DATABASE_URL_FILE, so it failed in compose."""
    seed_october(fresh_db)
    secret = tmp_path / "database_url"
    secret.write_text(fresh_db + "\n")
    monkeypatch.delenv("HADIR_DATABASE_URL", raising=False)
    monkeypatch.setenv("HADIR_DATABASE_URL_FILE", str(secret))
    res = CliRunner().invoke(tpp, ["run", "--month", "2026-10", "--by", "admin"])
    assert res.exit_code == 0, res.output
    assert "3 pegawai" in res.output
