"""Legacy punches on a real PostgreSQL: import once, unmapped kept then remapped, counted by TPP."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.attendance import store as recap_store
from hadir_cloud.cli import main
from hadir_cloud.punches import store
from hadir_cloud.punches.domain import event_id
from hadir_cloud.tpp import store as tpp_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from test_tpp_store import DEWI, GURU, SARI, seed_october  # noqa: E402

MACHINE = "BJ2C-0001"


def cli(url: str, *args: str) -> str:
    """Run `hadir-cloud punches ...`; its output (the test fails on a non-zero exit)."""
    res = CliRunner().invoke(main, ["punches", "--database-url", url, *args])
    assert res.exit_code == 0, res.output
    return res.output


def write_map(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("machine,user_id,nip\n" + "".join(f"{m},{u},{n}\n" for m, u, n in rows))
    return path


def attlog_line(uid: int, at: datetime, state: int) -> str:
    return f"{uid:>6}\t{at:%Y-%m-%d %H:%M:%S}\t1\t{state}\t0\t0\n"


def checkins(conn: psycopg.Connection, where: str = "TRUE") -> list[tuple]:
    return conn.execute(f"SELECT employee_id, kind, captured_at, device_id, source, method "
                        f"FROM checkins WHERE {where} ORDER BY captured_at").fetchall()


@pytest.fixture
def october(fresh_db: str) -> str:
    """Buton Tengah's October (tests/tpp): Sari has no check-in on 6 October (TK there)."""
    seed_october(fresh_db)
    return fresh_db


def test_a_10000_line_attlog_imported_twice_stores_each_punch_once(october: str,
                                                                   tmp_path: Path):
    nips = [f"1990010120150310{i:02d}" for i in range(50)]
    with psycopg.connect(october, autocommit=True) as conn:
        for nip in nips:
            conn.execute("INSERT INTO employees VALUES (%s, %s, 'BKPSDM', 'ASN', '9', "
                         "'kantor', '2020-01-01', NULL, 'kantor-bupati')", (nip, f"P {nip}"))
    write_map(tmp_path / "peta.csv", [(MACHINE, str(i + 1), nip) for i, nip in enumerate(nips)])
    assert "peta: 50 baru, 0 diubah, 0 tetap, 0 baris bermasalah" in cli(
        october, "map", "import", str(tmp_path / "peta.csv"))
    # 50 people x 200 punches (in and out on 100 days), every line distinct
    lines = []
    start = datetime(2026, 3, 2, 7, 0)
    for uid in range(1, 51):
        for d in range(100):
            day = start + timedelta(days=d)
            lines.append(attlog_line(uid, day + timedelta(seconds=uid), 0))
            lines.append(attlog_line(uid, day + timedelta(hours=9, seconds=uid), 1))
    assert len(lines) == 10_000
    path = tmp_path / "BJ2C-0001_attlog.dat"
    path.write_text("".join(lines))
    first = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    assert "selesai: 10000 absen dibaca, 10000 tersimpan, 0 duplikat" in first
    assert "2000/10000" in first  # progress by batch
    second = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    assert "selesai: 10000 absen dibaca, 0 tersimpan, 10000 duplikat" in second
    with psycopg.connect(october) as conn:
        n, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM checkins WHERE source = "
            "'fingerprint'").fetchone()
        assert n == distinct == 10_000
        assert conn.execute("SELECT count(*) FROM checkins WHERE source = 'kiosk'").fetchone()[0]
        row = conn.execute("SELECT device_id, method, kind, captured_at, payload->>'line' FROM "
                           "checkins WHERE employee_id = %s ORDER BY captured_at LIMIT 1",
                           (nips[0],)).fetchone()
    # 07:00:01 WIB is 00:00:01 UTC; the machine, its line and its user id travel along
    assert row == ("legacy:BJ2C-0001", "nip", "in", datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC),
                   "1")


def test_a_dry_run_stores_nothing_and_says_what_would_happen(october: str, tmp_path: Path):
    write_map(tmp_path / "peta.csv", [(MACHINE, "1", SARI)])
    cli(october, "map", "import", str(tmp_path / "peta.csv"))
    path = tmp_path / "log.dat"
    path.write_text(attlog_line(1, datetime(2026, 10, 6, 7, 10), 0)
                    + "garbage line\n" + attlog_line(2, datetime(2026, 10, 6, 7, 11), 0))
    out = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati",
              "--periksa")
    assert "baris 2: waktu 'line' tidak dikenali" in out
    assert ("PERIKSA (tidak ada yang disimpan): 2 absen dibaca, 1 tersimpan, 0 duplikat (sudah ada), "
            "1 belum dipetakan ke NIP (1 ID pengguna; 1 baru disisihkan), 1 baris bermasalah"
            ) in out
    with psycopg.connect(october) as conn:
        assert checkins(conn, "source = 'fingerprint'") == []
        assert conn.execute("SELECT count(*) FROM legacy_punches_unmapped").fetchone()[0] == 0


def test_an_unknown_office_or_an_unreadable_file_is_a_clear_error(october: str, tmp_path: Path):
    path = tmp_path / "log.dat"
    path.write_text(attlog_line(1, datetime(2026, 10, 6, 7, 10), 0))
    res = CliRunner().invoke(main, ["punches", "--database-url", october, "import", str(path),
                                    "--mesin", MACHINE, "--kantor", "tidak-ada"])
    assert res.exit_code == 1 and "kantor 'tidak-ada' tidak ada" in res.output
    bad = tmp_path / "log.csv"
    bad.write_text("Nama,Jam\nRina,07:00\n")
    res = CliRunner().invoke(main, ["punches", "--database-url", october, "import", str(bad),
                                    "--mesin", MACHINE, "--kantor", "kantor-bupati"])
    assert res.exit_code == 1 and "kolom tidak ditemukan: ID pengguna" in res.output


def test_unmapped_ids_are_kept_aside_then_brought_in_by_remap(october: str, tmp_path: Path):
    path = tmp_path / "log.dat"
    path.write_text(attlog_line(7, datetime(2026, 10, 6, 7, 10), 0)
                    + attlog_line(7, datetime(2026, 10, 6, 16, 5), 1)
                    + attlog_line(9, datetime(2026, 10, 6, 7, 20), 0))
    out = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    assert "ID pengguna mesin BJ2C-0001 tanpa NIP (2): 7, 9" in out
    assert "3 belum dipetakan ke NIP (2 ID pengguna; 3 baru disisihkan)" in out
    listed = cli(october, "unmapped")
    assert "BJ2C-0001\t7\t2 absen\t2026-10-06 s.d. 2026-10-06" in listed
    assert "2 ID pengguna, 3 absen menunggu" in listed
    # importing again keeps them once
    assert "0 baru disisihkan" in cli(october, "import", str(path), "--mesin", MACHINE,
                                      "--kantor", "kantor-bupati")
    # a NIP that is no employee is refused, the good line stored
    write_map(tmp_path / "peta.csv", [(MACHINE, "0007", SARI), (MACHINE, "9", "199999999999999999")])
    mapped = cli(october, "map", "import", str(tmp_path / "peta.csv"))
    assert "baris 3: NIP 199999999999999999 tidak terdaftar sebagai pegawai" in mapped
    assert "peta: 1 baru, 0 diubah, 0 tetap, 1 baris bermasalah" in mapped
    assert "2 absen dimasukkan; 1 absen masih menunggu NIP" in cli(october, "remap")
    with psycopg.connect(october) as conn:
        rows = checkins(conn, "source = 'fingerprint'")
    assert [(r[0], r[1], r[4]) for r in rows] == [(SARI, "in", "fingerprint"),
                                                  (SARI, "out", "fingerprint")]
    # remap twice, import again: nothing doubles
    assert "0 absen dimasukkan; 1 absen masih menunggu NIP" in cli(october, "remap")
    again = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    assert "0 tersimpan, 3 duplikat" in again
    # a mapping changed: the line is updated, not doubled
    write_map(tmp_path / "peta2.csv", [(MACHINE, "7", SARI), (MACHINE, "9", DEWI)])
    assert "peta: 1 baru, 0 diubah, 1 tetap" in cli(october, "map", "import",
                                                     str(tmp_path / "peta2.csv"))
    assert "1 absen dimasukkan; 0 absen masih menunggu NIP" in cli(october, "remap")
    assert "tidak ada absen yang menunggu NIP" in cli(october, "unmapped")


def test_fingerprint_punches_count_as_presence_in_tpp_and_the_recap(october: str,
                                                                    tmp_path: Path):
    """Sari had no check-in on 6 October (TK); the machine's punches make her present."""
    with psycopg.connect(october, autocommit=True) as conn:
        before = {s.day: s for s in tpp_store.live_tpp(conn, "2026-10", SARI).statuses}
    assert before[date(2026, 10, 6)].status == "tk"
    write_map(tmp_path / "peta.csv", [(MACHINE, "1", SARI)])
    cli(october, "map", "import", str(tmp_path / "peta.csv"))
    path = tmp_path / "log.csv"
    path.write_text("Department,Name,No.,Date/Time,Status\n"
                    "KANTOR,Sari,1,06/10/2026 07:10:00,C/In\n"
                    "KANTOR,Sari,1,06/10/2026 16:05:00,C/Out\n")
    cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    with psycopg.connect(october, autocommit=True) as conn:
        after = {s.day: s for s in tpp_store.live_tpp(conn, "2026-10", SARI).statuses}
        day = after[date(2026, 10, 6)]
        assert (day.status, day.codes, str(day.checkin_at), str(day.checkout_at)) == (
            "hadir", ["H"], "07:10:00", "16:05:00")
        assert day.checkin == str(event_id(MACHINE, "1", datetime(2026, 10, 6, 7, 10)))
        rows = recap_store.recap_day(conn, frozenset({"BKPSDM"}), date(2026, 10, 6),
                                     datetime(2026, 10, 31, tzinfo=UTC))
        sari = next(r for r in rows if r.employee.nip == SARI)
        assert sari.status is not None and sari.status.status == "hadir"
        assert store.fingerprint_events(conn, SARI, date(2026, 10, 1), date(2026, 10, 31)) == {
            day.checkin, day.checkout}


def test_a_wita_office_converts_the_machine_clock_from_its_zone(october: str, tmp_path: Path):
    """07:02 on a machine in SD Negeri 1 (WITA, UTC+8) is 23:02 UTC the day before."""
    with psycopg.connect(october, autocommit=True) as conn:  # the kiosk missed that Saturday
        conn.execute("DELETE FROM checkins WHERE employee_id = %s AND captured_at >= "
                     "'2026-10-30 16:00Z'", (GURU,))
    write_map(tmp_path / "peta.csv", [("SDN1-FP", "5", GURU)])
    cli(october, "map", "import", str(tmp_path / "peta.csv"))
    path = tmp_path / "sdn1_attlog.dat"
    path.write_text(attlog_line(5, datetime(2026, 10, 31, 7, 2), 0)
                    + attlog_line(5, datetime(2026, 10, 31, 12, 5), 1))
    cli(october, "import", str(path), "--mesin", "SDN1-FP", "--kantor", "sdn-1")
    with psycopg.connect(october, autocommit=True) as conn:
        rows = checkins(conn, "source = 'fingerprint'")
        assert [r[2] for r in rows] == [datetime(2026, 10, 30, 23, 2, tzinfo=UTC),
                                        datetime(2026, 10, 31, 4, 5, tzinfo=UTC)]
        assert rows[0][3] == "legacy:SDN1-FP"
        # the engine reads it back at 07:02 local on 31 October (a Saturday school day)
        day = {s.day: s for s in tpp_store.live_tpp(conn, "2026-10", GURU).statuses}[
            date(2026, 10, 31)]
        assert (day.status, str(day.checkin_at), str(day.checkout_at)) == (
            "hadir", "07:02:00", "12:05:00")
        assert day.checkin == str(event_id("SDN1-FP", "5", datetime(2026, 10, 31, 7, 2)))


def test_a_machine_without_in_out_keys_gives_in_then_out_per_day(october: str, tmp_path: Path):
    """All states 0: the first punch of the day is in, the last one is the going-home."""
    write_map(tmp_path / "peta.csv", [(MACHINE, "1", SARI)])
    cli(october, "map", "import", str(tmp_path / "peta.csv"))
    path = tmp_path / "log.dat"
    path.write_text(attlog_line(1, datetime(2026, 10, 6, 7, 10), 0)
                    + attlog_line(1, datetime(2026, 10, 6, 7, 11), 0)  # pressed twice
                    + attlog_line(1, datetime(2026, 10, 6, 16, 2), 0))
    out = cli(october, "import", str(path), "--mesin", MACHINE, "--kantor", "kantor-bupati")
    assert "mesin tidak mencatat status masuk/pulang" in out
    with psycopg.connect(october, autocommit=True) as conn:
        assert [r[1] for r in checkins(conn, "source = 'fingerprint'")] == ["in", "out", "out"]
        day = {s.day: s for s in tpp_store.live_tpp(conn, "2026-10", SARI).statuses}[
            date(2026, 10, 6)]
    assert (day.codes, str(day.checkin_at), str(day.checkout_at)) == (["H"], "07:10:00",
                                                                      "16:02:00")
