"""Applying an org import to a real PostgreSQL: idempotent, all or nothing, export round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.org import imports, store
from hadir_cloud.org.cli import org
from hadir_cloud.org.domain import (
    ActingAssignment,
    ActingKind,
    Holder,
    assignment_on,
    atasan_of,
    holder_on,
)
from hadir_cloud.tpp import store as tpp_store
from org_builders import holder, regency_rows, with_acting, write_book

TABLES = ("units", "positions", "employees", "assignments", "acting_assignments")


@pytest.fixture
def db(fresh_db: str) -> str:
    upgrade(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES "
                     "('kantor-bupati', 'Kantor Bupati', 'Asia/Makassar')")
    return fresh_db


def dump(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def parsed_from(conn: psycopg.Connection, path: Path) -> imports.Parsed:
    return imports.parse(imports.read(path), store.known(conn))


def test_apply_is_idempotent_and_reports_progress(db: str, tmp_path: Path):
    path = write_book(regency_rows(), tmp_path / "org.xlsx")
    seen: list[tuple[int, int]] = []
    with psycopg.connect(db, autocommit=True) as conn:
        parsed = parsed_from(conn, path)
        first = store.apply(conn, parsed, lambda d, t: seen.append((d, t)))
        assert first.inserted == {"unit": 19, "jabatan": 25, "pegawai": 199, "penugasan": 199,
                                  "plt": 0}
        assert seen == [(i, 243) for i in range(1, 244)]
        before = dump(conn)
        again = store.apply(conn, parsed_from(conn, path))
        assert again.changed == 0
        assert dump(conn) == before
        # the TPP engine still reads employees and units as before
        assert len(tpp_store.employees(conn, date(2026, 10, 1), date(2026, 10, 31))) == 199
        assert tpp_store.employees(conn, date(2026, 10, 1), date(2026, 10, 31),
                                   "DISDIK-BID1-SEKSI")[0].regency == "Buton Tengah"


def test_a_failure_mid_apply_leaves_nothing(db: str, tmp_path: Path):
    path = write_book(regency_rows(), tmp_path / "org.xlsx")

    def interrupt(done: int, total: int) -> None:
        if done == 150:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C halfway through the employees

    with psycopg.connect(db, autocommit=True) as conn:
        with pytest.raises(KeyboardInterrupt):
            store.apply(conn, parsed_from(conn, path), interrupt)
        assert all(rows == [] for rows in dump(conn).values())
        # the database refusing a row (an office the check did not know) undoes every row too
        rows = regency_rows()
        rows["pegawai"][-1][8] = "kantor-hilang"
        bad = imports.parse(imports.read(write_book(rows, tmp_path / "bad.xlsx")))
        with pytest.raises(store.OrgStoreError, match=f"pada pegawai {rows['pegawai'][-1][0]}, "
                           "tidak ada yang disimpan"):
            store.apply(conn, bad)
        assert all(rows == [] for rows in dump(conn).values())


def test_export_then_import_changes_nothing_and_a_move_keeps_history(db: str, tmp_path: Path):
    rows = regency_rows()
    with psycopg.connect(db, autocommit=True) as conn:
        store.apply(conn, parsed_from(conn, write_book(rows, tmp_path / "org.xlsx")))
        mover = rows["pegawai"][30]       # a staff member of a DISDIK seksi
        assert mover[4] == "DISDIK-BID1-SEKSI-STAF"
        mover[3], mover[4], mover[5] = "DINKES-BID2-SEKSI", "DINKES-BID2-SEKSI-STAF", \
            date(2026, 10, 15)
        moved = store.apply(conn, parsed_from(conn, write_book(rows, tmp_path / "move.xlsx")))
        assert moved.updated == {"unit": 0, "jabatan": 0, "pegawai": 1, "penugasan": 1, "plt": 0}
        assert moved.inserted["penugasan"] == 1
        store.add_acting(conn, ActingAssignment(rows["pegawai"][0][0], "DINKES-BID2-KEPALA",
                                                date(2026, 10, 1), date(2026, 10, 31)))

        out = tmp_path / "export.xlsx"
        assert store.export_xlsx(conn, out) == 199
        assert imports.check(imports.read(out), store.known(conn)) == []
        before = dump(conn)
        assert store.apply(conn, parsed_from(conn, out)).changed == 0
        assert dump(conn) == before

        chart = store.load_chart(conn)
    nip = mover[0]
    assert assignment_on(nip, date(2026, 10, 14), chart.assignments).position_id == \
        "DISDIK-BID1-SEKSI-STAF"
    heads = {r[4]: r[0] for r in rows["pegawai"] if r[4].endswith("KEPALA")}
    before_move = atasan_of(nip, date(2026, 10, 14), chart.units, chart.positions,
                            chart.assignments, chart.acting)
    after_move = atasan_of(nip, date(2026, 10, 15), chart.units, chart.positions,
                           chart.assignments, chart.acting)
    assert before_move == Holder(heads["DISDIK-BID1-SEKSI-KEPALA"], "DISDIK-BID1-SEKSI-KEPALA")
    assert after_move == Holder(heads["DINKES-BID2-SEKSI-KEPALA"], "DINKES-BID2-SEKSI-KEPALA")


def test_cli_dry_run_refuses_then_applies(db: str, tmp_path: Path):
    run = CliRunner().invoke
    assert run(org, ["template", "--out", str(tmp_path / "t.xlsx")]).exit_code == 0
    assert imports.check(imports.read(tmp_path / "t.xlsx")) == []  # an empty template is clean

    rows = regency_rows()
    rows["pegawai"][5][0] = "1985"
    bad = write_book(rows, tmp_path / "bad.xlsx")
    res = run(org, ["import", str(bad)])                       # no database: file checks only
    assert res.exit_code == 1
    assert "Pegawai baris 7, kolom nip: NIP 1985 tidak valid: NIP harus 18 angka" in res.output
    res = run(org, ["--database-url", db, "import", str(bad), "--apply"])
    assert res.exit_code == 1 and "tidak ada yang disimpan" in res.output
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 0

    good = write_book(regency_rows(), tmp_path / "good.xlsx")
    res = run(org, ["--database-url", db, "import", str(good)])
    assert res.exit_code == 0 and "243 baris tanpa masalah" in res.output
    res = run(org, ["--database-url", db, "import", str(good), "--apply"])
    assert res.exit_code == 0, res.output
    assert "pegawai 199 baru/0 berubah" in res.output
    res = run(org, ["--database-url", db, "export", "--out", str(tmp_path / "e.xlsx")])
    assert res.exit_code == 0 and "199 pegawai" in res.output
    res = run(org, ["--database-url", db, "import", str(tmp_path / "e.xlsx"), "--apply"])
    assert res.exit_code == 0 and "pegawai 0 baru/0 berubah" in res.output


def acting_rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT nip, position_id, kind, start_date, end_date, basis "
                        "FROM acting_assignments ORDER BY position_id, start_date").fetchall()


def test_plt_rows_are_upserted_and_atasan_answers_the_plt_in_its_dates(db: str, tmp_path: Path):
    rows = with_acting(regency_rows())
    sekre, kabid = holder(rows, "DISDIK-SEKRE-KEPALA"), holder(rows, "DISDIK-BID1-KEPALA")
    kasi = holder(rows, "DISDIK-BID1-SEKSI-KEPALA")
    dinkes_sekre, kadinkes = holder(rows, "DINKES-SEKRE-KEPALA"), holder(rows, "DINKES-KEPALA")
    dinkes_kabid = holder(rows, "DINKES-BID1-KEPALA")
    with psycopg.connect(db, autocommit=True) as conn:
        first = store.apply(conn, parsed_from(conn, write_book(rows, tmp_path / "org.xlsx")))
        assert (first.inserted["plt"], first.updated["plt"]) == (2, 0)
        chart = store.load_chart(conn)

        def boss(nip: str, day: date) -> Holder | None:
            return atasan_of(nip, day, chart.units, chart.positions, chart.assignments,
                             chart.acting)

        # the Kasi under Kabid 1 answers to the Plt Kabid from October to December
        assert boss(kasi, date(2026, 9, 30)) == Holder(kabid, "DISDIK-BID1-KEPALA")
        assert boss(kasi, date(2026, 10, 1)) == Holder(sekre, "DISDIK-BID1-KEPALA", ActingKind.PLT)
        assert boss(kasi, date(2026, 12, 31)).nip == sekre
        assert boss(kasi, date(2027, 1, 1)) == Holder(kabid, "DISDIK-BID1-KEPALA")
        # the Kabid DINKES answers to the Plh Kepala Dinas for five days only
        assert boss(dinkes_kabid, date(2026, 10, 14)) == Holder(dinkes_sekre, "DINKES-KEPALA",
                                                                ActingKind.PLH)
        assert boss(dinkes_kabid, date(2026, 10, 17)) == Holder(kadinkes, "DINKES-KEPALA")
        # the Plh's own atasan is not themself: above the Kepala Dinas, the Sekda
        assert boss(dinkes_sekre, date(2026, 10, 14)) == Holder(holder(rows, "SEKDA"), "SEKDA")
        assert holder_on("DISDIK-BID1-KEPALA", date(2026, 11, 1), chart.assignments,
                         chart.acting).acting is ActingKind.PLT

        # the same file again: nothing; the same person, position and start with a new end
        # and decree: the same record, changed
        before = dump(conn)
        assert store.apply(conn, parsed_from(conn, tmp_path / "org.xlsx")).changed == 0
        assert dump(conn) == before
        rows["plt"][0][4], rows["plt"][0][5] = date(2026, 11, 15), "800/140/BKPSDM/2026"
        moved = store.apply(conn, parsed_from(conn, write_book(rows, tmp_path / "end.xlsx")))
        assert (moved.inserted["plt"], moved.updated["plt"], moved.changed) == (0, 1, 1)
        assert acting_rows(conn) == [  # by position: DINKES before DISDIK
            (dinkes_sekre, "DINKES-KEPALA", "plh", date(2026, 10, 12), date(2026, 10, 16), ""),
            (sekre, "DISDIK-BID1-KEPALA", "plt", date(2026, 10, 1), date(2026, 11, 15),
             "800/140/BKPSDM/2026"),
        ]

        # the export writes them back; importing the export changes nothing
        out = tmp_path / "export.xlsx"
        store.export_xlsx(conn, out)
        exported = imports.read(out)["plt"]
        assert [(v["nip"], v["id_jabatan"], v["jenis"], v["nomor_sk"])
                for _, v in exported.rows] == [
            (dinkes_sekre, "DINKES-KEPALA", "plh", None),
            (sekre, "DISDIK-BID1-KEPALA", "plt", "800/140/BKPSDM/2026")]
        before = dump(conn)
        assert store.apply(conn, parsed_from(conn, out)).changed == 0
        assert dump(conn) == before


def test_leavers_are_marked_only_when_asked_listed_first_and_only_once(db: str, tmp_path: Path):
    """A DISDIK file without three of its people: a staff member, a second one and the Kasi of
    Seksi 1; BKPSDM is absent from the file altogether and stays as it is."""
    rows = regency_rows()
    day = date(2026, 10, 20)
    kasi = holder(rows, "DISDIK-BID1-SEKSI-KEPALA")
    staff = [r for r in rows["pegawai"] if r[4] == "DISDIK-BID1-SEKSI-STAF"]
    keep = staff[2]
    with psycopg.connect(db, autocommit=True) as conn:
        store.apply(conn, parsed_from(conn, write_book(rows, tmp_path / "all.xlsx")))
        gone = {kasi, staff[0][0], staff[1][0]}
        bkpsdm = {r[0] for r in rows["pegawai"] if r[3].startswith("BKPSDM")}
        later = {"unit": rows["unit"], "jabatan": rows["jabatan"],
                 "pegawai": [r for r in rows["pegawai"] if r[0] not in gone | bkpsdm]}
        path = write_book(later, tmp_path / "later.xlsx")
        parsed = parsed_from(conn, path)

        # the dry run's list: the three, by unit then NIP; nobody of BKPSDM
        listed = store.leavers_of(conn, parsed, day)
        assert [(m.unit_id, m.nip) for m in listed] == sorted(
            [("DISDIK-BID1-SEKSI", n) for n in gone])
        assert listed[0].name.startswith("Pegawai ")

        # without the option nobody leaves
        plain = store.apply(conn, parsed)
        assert (plain.leavers, plain.changed) == (0, 0)
        assert conn.execute("SELECT count(*) FROM employees WHERE leave_date IS NOT NULL"
                            ).fetchone() == (0,)

        marked = store.apply(conn, parsed, leavers_on=day)
        assert marked.leavers == 3 and marked.updated["penugasan"] == 3
        assert marked.summary().endswith("ditandai keluar 3")
        left = dict(conn.execute("SELECT nip, leave_date FROM employees "
                                 "WHERE leave_date IS NOT NULL").fetchall())
        assert left == dict.fromkeys(gone, day)
        # not deleted: their history stays, the position closes on the day
        assert conn.execute("SELECT count(*) FROM employees").fetchone() == (199,)
        assert conn.execute("SELECT nip, position_id, start_date, end_date FROM assignments "
                            "WHERE nip = %s", (kasi,)).fetchall() == [
            (kasi, "DISDIK-BID1-SEKSI-KEPALA", date(2024, 1, 2), day)]
        chart = store.load_chart(conn)
        kabid = holder(rows, "DISDIK-BID1-KEPALA")
        assert atasan_of(keep[0], day, chart.units, chart.positions, chart.assignments) == \
            Holder(kasi, "DISDIK-BID1-SEKSI-KEPALA")
        assert atasan_of(keep[0], date(2026, 10, 21), chart.units, chart.positions,
                         chart.assignments) == Holder(kabid, "DISDIK-BID1-KEPALA")

        # the same file again, with the option, that day or later: nothing changes
        before = dump(conn)
        for again_on in (day, date(2026, 11, 2)):
            again = store.apply(conn, parsed_from(conn, path), leavers_on=again_on)
            assert (again.leavers, again.changed) == (0, 0)
            assert store.leavers_of(conn, parsed_from(conn, path), again_on) == []
        assert dump(conn) == before
        # the TPP engine counts them until the day and not after
        assert len(tpp_store.employees(conn, date(2026, 10, 1), date(2026, 10, 31))) == 199
        assert len(tpp_store.employees(conn, date(2026, 11, 1), date(2026, 11, 30))) == 196


def test_cli_lists_leavers_in_the_dry_run_and_marks_them_only_with_the_flag(db: str,
                                                                           tmp_path: Path):
    run = CliRunner().invoke
    rows = regency_rows()
    all_ = write_book(rows, tmp_path / "all.xlsx")
    assert run(org, ["--database-url", db, "import", str(all_), "--apply"]).exit_code == 0
    gone = rows["pegawai"].pop(40)
    later = write_book(rows, tmp_path / "later.xlsx")

    res = run(org, ["import", str(later), "--tandai-keluar"])
    assert res.exit_code == 1 and "--tandai-keluar perlu basis data" in res.output
    res = run(org, ["--database-url", db, "import", str(later)])
    assert res.exit_code == 0
    assert "1 pegawai OPD di berkas tidak tercantum di lembar pegawai (tidak diubah" in res.output
    res = run(org, ["--database-url", db, "import", str(later), "--tandai-keluar"])
    assert res.exit_code == 0, res.output
    today = date.today()
    assert f"akan ditandai keluar: 1 pegawai (tanggal keluar {today})" in res.output
    assert f"  {gone[0]}  {gone[1]}  ({gone[3]})" in res.output
    assert "jalankan lagi dengan --apply" in res.output
    res = run(org, ["--database-url", db, "import", str(later), "--apply"])
    assert res.exit_code == 0 and res.output.rstrip().endswith("ditandai keluar 0")
    res = run(org, ["--database-url", db, "import", str(later), "--apply", "--tandai-keluar"])
    assert res.exit_code == 0 and res.output.rstrip().endswith("ditandai keluar 1"), res.output
    res = run(org, ["--database-url", db, "import", str(later), "--apply", "--tandai-keluar"])
    assert res.exit_code == 0 and "akan ditandai keluar" not in res.output
    assert res.output.rstrip().endswith("ditandai keluar 0")
    assert "pegawai 0 baru/0 berubah" in res.output
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT leave_date FROM employees WHERE nip = %s",
                            (gone[0],)).fetchone() == (today,)
