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
from hadir_cloud.org.domain import ActingAssignment, Holder, assignment_on, atasan_of
from hadir_cloud.tpp import store as tpp_store
from org_builders import regency_rows, write_book

TABLES = ("units", "positions", "employees", "assignments")


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
        assert first.inserted == {"unit": 19, "jabatan": 25, "pegawai": 199, "penugasan": 199}
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
        with pytest.raises(store.OrgStoreError, match="tidak ada yang disimpan"):
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
        assert moved.updated == {"unit": 0, "jabatan": 0, "pegawai": 1, "penugasan": 1}
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
