"""Requests in a real PostgreSQL through `hadir-cloud permohonan`: filing, the chain from the
stored org (acting, away from approved absences, BKPSDM from role grants), the absence the
TPP engine reads, balances, conflicts and the data versions the recap cache watches."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.requests import store
from hadir_cloud.requests.domain import Move, approve
from hadir_cloud.requests.kinds import load_kinds, shipped_path
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.tpp.rules import shipped_dir
from request_builders import (
    ANALIS1,
    HOLDERS,
    KABID,
    KADIS,
    KASI,
    POSITIONS,
    SEKRETARIS,
    STAF,
    STAF2,
    UNITS,
)

KINDS = load_kinds(shipped_path())
WIB = ZoneInfo("Asia/Jakarta")


def seed(url: str) -> None:
    """The builders' Dinas Kesehatan and BKPSDM, one office with the 2026 calendar, an
    admin_bkpsdm account for ANALIS1."""
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES ('dinkes', 'Dinkes', "
                     "'Asia/Jakarta')")
        tpp_store.seed_calendar(conn, 2026, shipped_dir() / "kalender_2026.toml")
        for u in sorted(UNITS.values(), key=lambda u: u.parent_id is not None):
            conn.execute("INSERT INTO units (id, name, regency, parent_id, kind) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         (u.id, u.name, u.regency, u.parent_id, u.kind.value))
        for p in POSITIONS.values():
            conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) "
                         "VALUES (%s, %s, %s, %s, %s, %s)",
                         (p.id, p.name, p.kind.value, p.eselon, p.unit_id, p.heads_unit))
        for nip, pos in HOLDERS.items():
            conn.execute("INSERT INTO employees VALUES (%s, %s, %s, 'ASN', '9', 'kantor', "
                         "'2020-01-01', NULL, 'dinkes')",
                         (nip, f"Pegawai {nip[-4:]}", POSITIONS[pos].unit_id))
            conn.execute("INSERT INTO assignments (nip, position_id, start_date) "
                         "VALUES (%s, %s, '2020-01-01')", (nip, pos))
        conn.execute("INSERT INTO portal_users (username, nip) VALUES ('analis1', %s)",
                     (ANALIS1,))
        conn.execute("INSERT INTO role_grants (username, role) VALUES ('analis1', "
                     "'admin_bkpsdm')")


def run(url: str, *args: str):
    return CliRunner().invoke(main, ["permohonan", "--database-url", url, *args])


def test_every_command_has_help() -> None:
    from hadir_cloud.requests.cli import permohonan

    assert set(permohonan.commands) == {"ajukan", "setujui", "kembalikan", "tolak", "batalkan",
                                        "daftar", "saldo"}
    for name, cmd in permohonan.commands.items():
        assert cmd.help and len(cmd.help) > 10, name


def test_cuti_tahunan_two_steps_writes_the_absence_and_the_balance(fresh_db: str) -> None:
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        before = dict(conn.execute("SELECT name, version FROM data_versions").fetchall())
    assert {"requests", "request_events"} <= set(before)

    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "cuti_tahunan", "--mulai",
              "2026-04-13", "--selesai", "2026-04-15", "--alasan", "urusan keluarga",
              "--pada", "2026-04-06T08:00")
    assert res.exit_code == 0, res.output
    assert res.output.strip() == (f"#1 {STAF} cuti_tahunan 2026-04-13..2026-04-15 diajukan "
                                  f"menunggu atasan: {KASI}")
    res = run(fresh_db, "setujui", "1", "--oleh", KABID, "--pada", "2026-04-07T09:00")
    assert res.exit_code == 1
    assert f"{KABID} tidak berwenang memutuskan langkah atasan" in res.output
    res = run(fresh_db, "daftar", "--untuk", KASI, "--pada", "2026-04-07")
    assert res.output.splitlines()[0] == f"1 menunggu keputusan {KASI}"
    res = run(fresh_db, "setujui", "1", "--oleh", KASI, "--pada", "2026-04-07T09:00")
    assert res.exit_code == 0 and f"menunggu atasan_atasan: {KABID}" in res.output
    res = run(fresh_db, "setujui", "1", "--oleh", KABID, "--pada", "2026-04-08T10:30",
              "--catatan", "selamat berlibur")
    assert res.exit_code == 0 and res.output.strip().endswith("disetujui")

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        got = tpp_store.absences_of(conn, [STAF], date(2026, 4, 1), date(2026, 4, 30))
        (absence,) = got[STAF]
        assert (absence.ref, absence.kind, absence.start, absence.end, absence.subkind) == (
            "permohonan-1", "cuti", date(2026, 4, 13), date(2026, 4, 15), "tahunan")
        row = conn.execute("SELECT approved_by, approved_at, note FROM absences").fetchone()
        assert row == (KABID, datetime(2026, 4, 8, 10, 30, tzinfo=WIB), "urusan keluarga")
        after = dict(conn.execute("SELECT name, version FROM data_versions").fetchall())
    for name in ("requests", "request_events", "absences"):
        assert after[name] > before[name], name

    res = run(fresh_db, "daftar", "--nip", STAF, "--riwayat")
    lines = res.output.splitlines()
    assert lines[0].endswith("disetujui")
    assert lines[-1] == (f"    2026-04-08 10:30 {KABID} setujui langkah 2 diajukan → disetujui: "
                         "selamat berlibur")
    # 12 a year − 8 cuti bersama (kalender_2026) − 3 taken = 1
    res = run(fresh_db, "saldo", "--nip", STAF, "--tahun", "2026")
    assert res.output.splitlines()[1] == "2026 12 0 8 3 0 1"
    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "cuti_tahunan", "--mulai",
              "2026-05-04", "--selesai", "2026-05-05", "--pada", "2026-04-20T08:00")
    assert res.exit_code == 1
    assert "sisa cuti tahunan 2026 1 hari kerja, diminta 2" in res.output


def test_approver_on_approved_leave_is_skipped_and_bkpsdm_comes_from_role_grants(
        fresh_db: str) -> None:
    seed(fresh_db)
    # the Kasi's own leave goes to the Kabid, then the Kadis; it makes the Kasi away 20–21 April
    assert run(fresh_db, "ajukan", "--nip", KASI, "--jenis", "cuti_tahunan", "--mulai",
               "2026-04-20", "--selesai", "2026-04-21", "--pada", "2026-04-06").exit_code == 0
    assert run(fresh_db, "setujui", "1", "--oleh", KABID, "--pada", "2026-04-07").exit_code == 0
    assert run(fresh_db, "setujui", "1", "--oleh", KADIS, "--pada", "2026-04-08").exit_code == 0

    res = run(fresh_db, "ajukan", "--nip", STAF2, "--jenis", "izin", "--mulai", "2026-04-22",
              "--selesai", "2026-04-22", "--pada", "2026-04-20T07:30")
    assert res.exit_code == 0 and res.output.strip().endswith(f"menunggu atasan: {KABID}")
    res = run(fresh_db, "daftar", "--untuk", KASI, "--pada", "2026-04-22")
    assert res.output.splitlines()[0] == f"1 menunggu keputusan {KASI}"  # back at work

    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "cuti_besar", "--mulai",
              "2026-06-01", "--selesai", "2026-06-30", "--pada", "2026-04-20")
    assert res.exit_code == 0, res.output
    assert run(fresh_db, "setujui", "3", "--oleh", KABID, "--pada", "2026-04-21").exit_code == 0
    res = run(fresh_db, "daftar", "--untuk", ANALIS1, "--pada", "2026-04-21")
    assert res.output.splitlines() == [
        f"1 menunggu keputusan {ANALIS1}",
        f"#3 {STAF} cuti_besar 2026-06-01..2026-06-30 diajukan menunggu bkpsdm: {ANALIS1}"]


def test_return_reject_cancel_and_bahasa_errors(fresh_db: str) -> None:
    seed(fresh_db)
    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "sakit", "--mulai", "2026-04-13",
              "--selesai", "2026-04-14", "--pada", "2026-04-13")
    assert res.exit_code == 1
    assert "lampiran wajib belum ada: Surat keterangan dokter" in res.output
    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "dinas_luar", "--mulai",
              "2026-04-13", "--selesai", "2026-04-14", "--lampiran", "surat_tugas",
              "--tempat", "Puskesmas Indralaya", "--lat", "-3.22", "--lon", "104.65",
              "--radius", "150", "--pada", "2026-04-10")
    assert res.exit_code == 0, res.output
    res = run(fresh_db, "kembalikan", "1", "--oleh", KASI, "--catatan", "SPT belum ditandatangani",
              "--pada", "2026-04-10T11:00")
    assert res.exit_code == 0 and "dikembalikan" in res.output
    assert run(fresh_db, "tolak", "1", "--oleh", KASI, "--catatan", "x").exit_code == 1
    res = run(fresh_db, "batalkan", "1", "--oleh", STAF, "--catatan", "tidak jadi",
              "--pada", "2026-04-10T12:00")
    assert res.exit_code == 0 and "dibatalkan" in res.output
    res = run(fresh_db, "setujui", "1", "--oleh", KASI)
    assert res.exit_code == 1 and "berstatus dibatalkan: tidak dapat di-setujui" in res.output
    res = run(fresh_db, "setujui", "99", "--oleh", KASI)
    assert res.exit_code == 1 and "permohonan 99 tidak ditemukan" in res.output
    res = run(fresh_db, "ajukan", "--nip", "1", "--jenis", "izin", "--mulai", "2026-04-13",
              "--selesai", "2026-04-13")
    assert res.exit_code == 1 and "pegawai dengan NIP 1 tidak ditemukan" in res.output
    res = run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "cuti_haji", "--mulai",
              "2026-04-13", "--selesai", "2026-04-13")
    assert res.exit_code == 1 and "jenis permohonan tidak dikenal" in res.output
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        stored = store.load(conn, "1")
        assert [e.move for e in stored.events] == [Move.UBAH, Move.AJUKAN, Move.KEMBALIKAN,
                                                   Move.BATALKAN]
        assert stored.place is not None and stored.place.radius_m == 150
        assert conn.execute("SELECT count(*) FROM absences").fetchone() == (0,)


def test_a_stale_move_loses(fresh_db: str) -> None:
    """Two approvers reading the same pending step: the second save finds it moved."""
    seed(fresh_db)
    at = datetime(2026, 4, 7, 9, tzinfo=WIB)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        from hadir_cloud.requests.domain import Request

        filed = store.file_request(conn, KINDS, Request("", STAF, "izin", date(2026, 4, 13),
                                                        date(2026, 4, 13)), at)
        org = store.org_on(conn, at.date())
        first = approve(filed, KASI, at, org)
        store.save(conn, filed, first, KINDS.get("izin"))
        with pytest.raises(store.ConflictError, match="sudah diubah orang lain"):
            store.save(conn, filed, first, KINDS.get("izin"))
        assert conn.execute("SELECT count(*) FROM absences").fetchone() == (1,)


def test_acting_official_from_the_stored_org_decides(fresh_db: str) -> None:
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO acting_assignments (nip, position_id, kind, start_date, "
                     "end_date, basis) VALUES (%s, 'KABID', 'plh', '2026-04-06', '2026-04-10', "
                     "'SPRIN/1')", (SEKRETARIS,))
    res = run(fresh_db, "ajukan", "--nip", KASI, "--jenis", "izin", "--mulai", "2026-04-13",
              "--selesai", "2026-04-13", "--pada", "2026-04-07")
    assert res.output.strip().endswith(f"menunggu atasan: {SEKRETARIS}")
    res = run(fresh_db, "daftar", "--nip", KASI, "--pada", "2026-04-13")
    assert res.output.strip().endswith(f"menunggu atasan: {KABID}")


def test_approval_turns_the_recaps_tk_into_cuti_through_the_cache(fresh_db: str) -> None:
    """The recap (with its cache, as the portal runs it) shows TK for the days of a request
    under way and cuti once it is approved: the absence and data_versions reach it."""
    from hadir_cloud.attendance import store as recap_store
    from hadir_cloud.attendance.cache import RecapCache
    from hadir_cloud.tpp.rules import load_dir
    from hadir_cloud.tpp.schedule import Schedule

    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for rs in load_dir(shipped_dir()):
            tpp_store.save_ruleset(conn, rs, "shipped", "tes")
        tpp_store.save_schedule(conn, Schedule.from_data(
            "kantor-2026", "kantor", date(2026, 1, 1), None,
            {k: {"checkin_open": "06:00", "start": "07:30", "end": "16:00",
                 "checkout_close": "23:00"}
             for k in ("normal", "friday", "ramadan", "ramadan_friday")}))
    assert run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "izin", "--mulai", "2026-04-14",
               "--selesai", "2026-04-14", "--pada", "2026-04-13T08:00").exit_code == 0
    cache, now, day = RecapCache(), datetime(2026, 4, 20, 9, tzinfo=WIB), date(2026, 4, 14)

    def status() -> tuple[str, str | None]:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            rows = {r.employee.nip: r for r in recap_store.recap_day(
                conn, frozenset({"SURV"}), day, now, cache)}
        s = rows[STAF].status
        assert s is not None, rows[STAF].problem
        return s.status, s.absence_ref

    assert status() == ("tk", None)
    assert run(fresh_db, "setujui", "1", "--oleh", KASI, "--pada", "2026-04-13T09:00"
               ).exit_code == 0
    assert status() == ("izin", "permohonan-1")
