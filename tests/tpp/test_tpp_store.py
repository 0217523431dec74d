"""TPP storage on a real PostgreSQL: bulk month read, versioned runs, finalized runs immutable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest
from hadir_cloud.tpp import store
from hadir_cloud.tpp.rules import load_ruleset, shipped_dir
from tpp_builders import (
    calendar_2026,
    day_punches,
    office_schedule,
    on_time_month,
    school_schedule,
)
from tpp_db import add_employee, add_punches, prepare, seed_reference

SARI, DEWI, GURU = "197903032006042004", "198804042012052005", "199205052019031007"
SANCTION_NOTE = 'PP 94/2021\tpasal 8\nSK "C:\\hukdis"'  # tab, newline, quote, backslash


def seed_october(url: str) -> None:
    """Buton Tengah, October 2026: the worked example's Sari and Dewi, and a WITA teacher."""
    prepare(url)
    cal, sched = calendar_2026(), office_schedule()
    wita = calendar_2026("Asia/Makassar", workweek=6)
    days = cal.working_days(2026, 10)
    with psycopg.connect(url) as conn:
        seed_reference(conn, [sched, school_schedule()], shipped_dir() / "kalender_2026.toml")
        add_employee(conn, SARI)
        add_employee(conn, DEWI)
        add_employee(conn, GURU, unit="DISDIK", cls="7", group="guru", office="sdn-1")
        p = on_time_month(cal, sched, 2026, 10, skip={date(2026, 10, 6), date(2026, 10, 7)})
        add_punches(conn, SARI, p + day_punches("Asia/Jakarta", date(2026, 10, 7), None, "16:00"))
        add_punches(conn, DEWI, on_time_month(cal, sched, 2026, 10,
                                              skip={date(2026, 10, 6), date(2026, 10, 8)}))
        add_punches(conn, GURU, on_time_month(wita, school_schedule(), 2026, 10))
        for i, d in enumerate(days):
            status = "disetujui" if i < 17 else ("ditolak" if i == 17 else "diajukan")
            conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, %s)",
                         (SARI, d, status))
        for d in [d for d in days if d != date(2026, 10, 6)][:18]:
            conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, 'disetujui')",
                         (DEWI, d))
        for d in wita.working_days(2026, 10):
            conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, 'disetujui')",
                         (GURU, d))
        conn.execute("INSERT INTO absences (ref, nip, kind, start_date, end_date, status) VALUES "
                     "('IZ-1', %s, 'izin', '2026-10-06', '2026-10-06', 'disetujui'), "
                     "('DL-2', %s, 'dl', '2026-10-08', '2026-10-08', 'ditolak')", (DEWI, DEWI))
        conn.execute("INSERT INTO disciplinary_sanctions (ref, nip, pct, start_month, end_month, "
                     "note) VALUES ('SK-HD-3', %s, 25, '2026-09-01', '2027-02-01', %s)",
                     (GURU, SANCTION_NOTE))


def test_month_from_the_database_matches_the_hand_computation(fresh_db: str):
    """Sari 3.448.000 (as in the worked example); Dewi: approved izin, a refused DL that stays TK
    (3% of 1.600.000 = 48.000), LKH 18/21 = 85,71% → net 3.952.000; the WITA teacher (class 7,
    Rp 3.000.000, 6-day week) with a 25% sanction → 2.250.000."""
    seed_october(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        got = {r.nip: r for r in store.compute_month(conn, "2026-10", chunk=2)}
    assert got[SARI].net == Decimal(3448000)
    assert [(d.code, d.rupiah) for d in got[SARI].deductions] == [
        ("TK", Decimal(48000)), ("TL4", Decimal(24000)), ("LKH", Decimal(480000))]
    assert [(d.day, d.code) for d in got[DEWI].deductions] == [(date(2026, 10, 8), "TK")]
    assert got[DEWI].lkh.pct == Decimal("85.71") and got[DEWI].net == Decimal(3952000)
    assert got[GURU].working_days == 27  # Mon–Sat in October 2026
    assert [(d.code, d.rupiah) for d in got[GURU].deductions] == [("HUKDIS", Decimal(750000))]
    assert got[GURU].net == Decimal(2250000)


def test_runs_are_versioned_and_a_final_run_never_changes(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db) as conn, psycopg.connect(fresh_db) as reader:
        def results():
            # results stream from a second connection while the first one COPYs them in
            reader.rollback()
            for r in store.compute_month(reader, "2026-10", unit="BKPSDM"):
                yield store.copy_line(store.result_row(r, "BKPSDM"))
        v1 = store.write_run(conn, "2026-10", "BKPSDM", results(), "admin.bkpsdm", "")
        assert (v1.version, v1.employees, v1.total_net) == (1, 2, 3448000 + 3952000)
        stored = store.run_results(conn, v1.id, SARI)[0]
        assert stored["net"] == Decimal(3448000)
        assert [i["code"] for i in stored["items"]] == ["TK", "TL4", "LKH"]
        assert stored["tk_dates"] == [date(2026, 10, 6)]
        day7 = next(d for d in stored["days"] if d["day"] == "2026-10-07")
        assert day7["codes"] == ["TL4"] and day7["checkout"] and "checkin" not in day7
        assert day7["reason"] == "tidak ada catatan masuk → TL4"
        store.finalize_run(conn, v1.id, "kepala.bkpsdm")
        conn.commit()

        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute("UPDATE tpp_results SET net = 0 WHERE run_id = %s", (v1.id,))
        conn.rollback()
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute("DELETE FROM tpp_runs WHERE id = %s", (v1.id,))
        conn.rollback()
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute(
                "INSERT INTO tpp_results SELECT run_id, %s, unit_id, ruleset, position_class, "
                "base, gross, total, net, working_days, active_days, lkh_approved, "
                "lkh_effective, lkh_pct, status_counts, tk_dates, items, days FROM tpp_results "
                "WHERE run_id = %s AND nip = %s", (GURU, v1.id, SARI))
        conn.rollback()
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute("DELETE FROM tpp_results WHERE run_id = %s", (v1.id,))
        conn.rollback()
        with pytest.raises(store.StoreError, match="alasan"):
            store.write_run(conn, "2026-10", "BKPSDM", results(), "admin.bkpsdm", " ")
        conn.rollback()

        # an LKH approved late: the rerun is a new version, the final one stays as it was
        conn.execute("UPDATE lkh_reports SET status = 'disetujui' WHERE nip = %s", (SARI,))
        conn.commit()
        v2 = store.write_run(conn, "2026-10", "BKPSDM", results(), "admin.bkpsdm",
                             "LKH 18–22 Oktober disetujui terlambat")
        conn.commit()
        assert v2.version == 2 and v2.total_net == 3448000 + 480000 + 3952000
        assert store.latest_run(conn, "2026-10", "BKPSDM").id == v2.id
        assert store.run_results(conn, v1.id, SARI)[0]["net"] == Decimal(3448000)
        assert store.get_run(conn, v1.id).status == "final"


def test_a_changed_rule_set_needs_a_new_version(fresh_db: str, tmp_path):
    prepare(fresh_db)
    path = shipped_dir() / "buton_tengah_asn.toml"
    changed = tmp_path / "bt.toml"
    changed.write_text(path.read_text(encoding="utf-8").replace("tk = 3", "tk = 4"),
                       encoding="utf-8")
    with psycopg.connect(fresh_db) as conn:
        assert store.save_ruleset(conn, load_ruleset(path), str(path), "tes") is True
        assert store.save_ruleset(conn, load_ruleset(path), str(path), "tes") is False
        with pytest.raises(store.RulesetConflictError, match="version"):
            store.save_ruleset(conn, load_ruleset(changed), str(changed), "tes")
        book = store.rulebook(conn)
        assert book.for_day("Buton Tengah", "ASN", date(2026, 10, 1)).absence_pct.tk == 3


def test_unknown_employee(fresh_db: str):
    prepare(fresh_db)
    with psycopg.connect(fresh_db) as conn, pytest.raises(store.UnknownEmployeeError):
        store.employee(conn, "000")


def test_worker_processes_give_the_same_rows_as_one_connection(fresh_db: str):
    """The parallel path (spawned workers, chunks of one employee) equals the in-process one."""
    seed_october(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        first, last = store.month_bounds("2026-10")
        unit_of = {e.nip: e.unit_id for e in store.employees(conn, first, last)}
        expected = [store.copy_line(store.result_row(r, unit_of[r.nip]))
                    for r in store.compute_month(conn, "2026-10")]
    seen: list[int] = []
    got = list(store.month_rows(fresh_db, "2026-10", workers=2, chunk=1, progress=seen.append))
    assert got == expected and len(got) == 3 and seen == [1, 1, 1]
    assert {r.split("\t")[0]: r.split("\t")[7] for r in got}[GURU] == "2250000"


def test_copy_lines_survive_tabs_newlines_and_backslashes(fresh_db: str):
    """A sanction note with a tab, a newline, a quote and a backslash is stored unchanged."""
    seed_october(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        info = store.write_run(conn, "2026-10", None,
                               store.month_rows(fresh_db, "2026-10", workers=1), "tes", "")
        [row] = store.run_results(conn, info.id, GURU)
    assert row["items"][0]["note"] == SANCTION_NOTE
    assert info.employees == 3 and info.total_net == 3448000 + 3952000 + 2250000
