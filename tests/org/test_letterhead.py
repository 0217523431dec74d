"""Letterheads (kop surat): whose a document carries, who signs it, and how HR sets them
(the unit sheet's optional columns, `hadir-cloud org letterhead` for the logo)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.org import imports, store
from hadir_cloud.org.cli import org
from hadir_cloud.org.domain import ActingAssignment, ActingKind, Assignment
from hadir_cloud.org.letterhead import (
    Letterhead,
    Signatory,
    heading_unit,
    kop,
    opd_of,
    problems,
    signatory,
    signing_unit,
)
from org_builders import HOLDERS, KADIS, POSITIONS, SEKDA, UNITS, regency_rows, write_book
from PIL import Image

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32
DAY = date(2026, 10, 6)
ASSIGNED = [Assignment(nip, pos, date(2020, 1, 1)) for nip, pos in HOLDERS.items()]
NAMES = {nip: f"Nama {pos}" for nip, pos in HOLDERS.items()}


# ---------------------------------------------------------------- pure rules

def test_a_unit_prints_its_opd_and_several_opds_print_the_regency():
    assert opd_of("DISDIK-KURIK", UNITS).id == "DISDIK"  # a seksi under a bidang
    assert opd_of("SDN-1", UNITS).id == "DISDIK"         # a school prints its Dinas
    assert opd_of("DISDIK", UNITS).id == "DISDIK"
    assert opd_of("PEMKAB", UNITS) is None
    assert heading_unit(["DISDIK-SD", "SDN-1"], UNITS).id == "DISDIK"
    assert heading_unit(["PEMKAB"], UNITS) is None
    assert heading_unit([], UNITS) is None


def test_the_letterhead_lines_logo_and_place():
    heads = {"PEMKAB": Letterhead("PEMKAB", address="Jl. Poros", place="Labungkari",
                                  logo=PNG, logo_mime="image/png"),
             "DISDIK": Letterhead("DISDIK", address="Jl. Pendidikan 1", phone="(0402) 1",
                                  email="disdik@x.go.id")}
    k = kop(["DISDIK-KURIK"], UNITS, heads)
    assert (k.government, k.office) == ("PEMERINTAH KABUPATEN BUTON TENGAH", "DINAS PENDIDIKAN")
    assert (k.address, k.phone, k.email, k.website) == ("Jl. Pendidikan 1", "(0402) 1",
                                                        "disdik@x.go.id", None)
    # the Dinas has neither logo nor place: the Pemkab's, above it
    assert (k.logo, k.place) == (PNG, "Labungkari")
    # the regency's own: no office line, the Pemkab's address
    r = kop(["DISDIK", "PEMKAB"], UNITS, heads)
    assert (r.office, r.address, r.logo) == (None, "Jl. Poros", PNG)
    # nothing set anywhere: the lines the tree gives, the regency's name as the place
    bare = kop(["SDN-1"], UNITS, {})
    assert (bare.office, bare.address, bare.logo, bare.place) == (
        "DINAS PENDIDIKAN", None, None, "Buton Tengah")


def test_without_a_pemkab_unit_the_regency_name_makes_the_government_line():
    units = {k: v for k, v in UNITS.items() if k != "PEMKAB"}
    units["DISDIK"] = units["DISDIK"].__class__("DISDIK", "Dinas Pendidikan",
                                                units["DISDIK"].kind, "Buton Tengah", None)
    assert kop(["SDN-1"], units, {}).government == "PEMERINTAH KABUPATEN BUTON TENGAH"


def test_who_signs():
    def sign(unit, assignments=ASSIGNED, acting=()):
        return signatory(unit, DAY, UNITS, POSITIONS, assignments, acting, NAMES)

    assert sign("DISDIK") == Signatory("Kepala Dinas Pendidikan", None, "Nama KADIS", KADIS)
    assert sign("PEMKAB") == Signatory("Sekretaris Daerah", None, "Nama SEKDA", SEKDA)
    # the Plt holds the powers on the day
    plt = [ActingAssignment(SEKDA, "KADIS", date(2026, 10, 1), date(2026, 10, 31))]
    assert sign("DISDIK", acting=plt) == Signatory("Kepala Dinas Pendidikan", ActingKind.PLT,
                                                   "Nama SEKDA", SEKDA)
    # vacant: the position without a name
    vacant = [a for a in ASSIGNED if a.position_id != "KADIS"]
    assert sign("DISDIK", assignments=vacant) == Signatory("Kepala Dinas Pendidikan")
    # no head position on the unit: the first one above it; none at all: blank
    no_heads = {k: v for k, v in POSITIONS.items() if not v.heads_unit}
    assert signatory("DISDIK-SD", DAY, UNITS, no_heads, ASSIGNED, (), NAMES) == Signatory()
    assert sign(None) == Signatory()
    assert signing_unit(["DISDIK-SD"], UNITS) == "DISDIK-SD"
    assert signing_unit(["DISDIK-SD", "SDN-1"], UNITS) == "DISDIK"
    assert signing_unit(["DISDIK", "PEMKAB"], UNITS) == "PEMKAB"


def test_what_a_letterhead_cannot_hold():
    assert problems({"address": "Jl. A", "email": "a@b.go.id"}, PNG) == []
    assert problems({"email": None}, JPEG) == []
    assert problems({"email": "disdik.go.id"}) == [
        ("email", "alamat email tidak valid: 'disdik.go.id' (contoh: disdik@kab.go.id)")]
    assert problems({"address": "x" * 201})[0][1].startswith("alamat terlalu panjang (201")
    assert problems({"phone": "1\n2"}) == [("phone", "telepon harus satu baris")]
    assert problems({}, b"GIF89a") == [("logo", "logo harus berkas PNG atau JPEG")]
    assert problems({}, PNG + b"\0" * 600_000)[0][1].startswith("logo terlalu besar")


# ---------------------------------------------------------------- the import and the CLI

@pytest.fixture
def db(fresh_db: str) -> str:
    upgrade(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES "
                     "('kantor-bupati', 'Kantor Bupati', 'Asia/Makassar')")
    return fresh_db


def with_letterheads(rows):
    """The generated regency with the Pemkab's and DISDIK's letterhead columns filled."""
    for r in rows["unit"]:
        if r[0] == "PEMKAB":
            r += ["Jl. Poros Labungkari", None, None, None, "Labungkari"]
        elif r[0] == "DISDIK":
            r += ["Jl. Pendidikan No. 1", "(0402) 2821234", "disdik@butontengahkab.go.id",
                  "disdik.butontengahkab.go.id", None]
    return rows


def test_the_unit_sheet_sets_letterheads_and_a_reimport_changes_nothing(db: str,
                                                                        tmp_path: Path):
    rows = with_letterheads(regency_rows(staff_per_seksi=2))
    path = write_book(rows, tmp_path / "org.xlsx")
    with psycopg.connect(db, autocommit=True) as conn:
        first = store.apply(conn, imports.parse(imports.read(path), store.known(conn)))
        assert first.inserted["unit"] == 19
        heads = store.letterheads(conn, ["PEMKAB", "DISDIK", "DINKES"])
        assert set(heads) == {"PEMKAB", "DISDIK"}
        assert heads["DISDIK"] == Letterhead("DISDIK", "Jl. Pendidikan No. 1", "(0402) 2821234",
                                             "disdik@butontengahkab.go.id",
                                             "disdik.butontengahkab.go.id", None)
        assert heads["PEMKAB"].place == "Labungkari"
        assert store.apply(conn, imports.parse(imports.read(path), store.known(conn))).changed \
            == 0
        # the export carries the columns: importing it back changes nothing either
        out = tmp_path / "export.xlsx"
        store.export_xlsx(conn, out)
        assert store.apply(conn, imports.parse(imports.read(out), store.known(conn))).changed \
            == 0
        # a changed phone is one changed unit; an emptied cell clears that line only
        for r in rows["unit"]:
            if r[0] == "DISDIK":
                r[6], r[8] = "(0402) 999", None
        moved = store.apply(conn, imports.parse(
            imports.read(write_book(rows, tmp_path / "b.xlsx")), store.known(conn)))
        assert moved.updated["unit"] == 1 and moved.changed == 1
        d = store.letterheads(conn, ["DISDIK"])["DISDIK"]
        assert (d.address, d.phone, d.website) == ("Jl. Pendidikan No. 1", "(0402) 999", None)


def test_a_file_without_the_columns_leaves_letterheads_alone(db: str, tmp_path: Path):
    with psycopg.connect(db, autocommit=True) as conn:
        store.apply(conn, imports.parse(imports.read(write_book(
            with_letterheads(regency_rows(staff_per_seksi=1)), tmp_path / "a.xlsx")),
            store.known(conn)))
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / "unit.csv").write_text("id_unit;nama_unit;jenis_unit;id_unit_induk;kabupaten\n"
                                      "DISDIK;Dinas Pendidikan Baru;opd;PEMKAB;Buton Tengah\n",
                                      encoding="utf-8")
    for sheet in ("jabatan", "pegawai"):
        (csv_dir / f"{sheet}.csv").write_text(
            ",".join(c.name for c in imports.COLUMNS[sheet]) + "\n", encoding="utf-8")
    with psycopg.connect(db, autocommit=True) as conn:
        parsed = imports.parse(imports.read(csv_dir), store.known(conn))
        assert parsed.letterheads == {}
        assert store.apply(conn, parsed).updated["unit"] == 1
        assert store.letterheads(conn, ["DISDIK"])["DISDIK"].phone == "(0402) 2821234"


def test_a_bad_letterhead_cell_is_named_by_row_and_column(tmp_path: Path):
    rows = with_letterheads(regency_rows(staff_per_seksi=1))
    assert rows["unit"][1][0] == "DISDIK"  # spreadsheet row 3
    rows["unit"][1][7] = "bukan-email"
    rows["unit"][2] += ["x" * 201]            # DINKES, row 4: an address too long
    path = write_book(rows, tmp_path / "org.xlsx")
    assert [str(p) for p in imports.check(imports.read(path))] == [
        "Unit baris 3, kolom email: alamat email tidak valid: 'bukan-email' "
        "(contoh: disdik@kab.go.id)",
        "Unit baris 4, kolom alamat: alamat terlalu panjang (201 karakter, paling banyak 200)"]


def test_the_cli_sets_a_logo_and_shows_the_letterhead(db: str, tmp_path: Path):
    with psycopg.connect(db, autocommit=True) as conn:
        store.apply(conn, imports.parse(imports.read(write_book(
            regency_rows(staff_per_seksi=1), tmp_path / "a.xlsx")), store.known(conn)))
    logo = tmp_path / "lambang.png"
    Image.new("RGB", (40, 48), "#1b6e3a").save(logo)
    run = CliRunner().invoke
    res = run(org, ["--database-url", db, "letterhead", "PEMKAB", "--logo", str(logo),
                    "--tempat", "Labungkari", "--alamat", "Jl. Poros"])
    assert res.exit_code == 0, res.output
    assert "kop surat PEMKAB dibuat" in res.output and "tempat: Labungkari" in res.output
    assert "logo: image/png" in res.output
    res = run(org, ["--database-url", db, "letterhead", "PEMKAB"])
    assert res.exit_code == 0 and "alamat: Jl. Poros" in res.output and "telepon: -" in res.output
    res = run(org, ["--database-url", db, "letterhead", "PEMKAB", "--alamat", "Jl. Poros"])
    assert "tidak berubah" in res.output
    with psycopg.connect(db) as conn:
        stored = store.letterheads(conn, ["PEMKAB"])["PEMKAB"]
        assert stored.logo == logo.read_bytes() and stored.logo_mime == "image/png"
        # an OPD without a letterhead of its own prints the Pemkab's logo and place
        k, _signer = store.document_head(conn, ["DISDIK-BID1"], date(2026, 10, 6))
        assert (k.office, k.logo, k.place) == ("DINAS DISDIK", stored.logo, "Labungkari")
    # refused: not an image, an unknown unit, a bad email; nothing changes
    bad = tmp_path / "logo.gif"
    bad.write_bytes(b"GIF89a....")
    res = run(org, ["--database-url", db, "letterhead", "PEMKAB", "--logo", str(bad)])
    assert res.exit_code == 1 and "logo harus berkas PNG atau JPEG" in res.output
    res = run(org, ["--database-url", db, "letterhead", "TIDAK-ADA", "--alamat", "x"])
    assert res.exit_code == 1 and "unit TIDAK-ADA tidak ada" in res.output
    res = run(org, ["--database-url", db, "letterhead", "DISDIK", "--email", "x"])
    assert res.exit_code == 1 and "alamat email tidak valid" in res.output
    res = run(org, ["--database-url", db, "letterhead", "PEMKAB", "--hapus-logo", "--alamat", ""])
    assert res.exit_code == 0 and "logo: -" in res.output and "alamat: -" in res.output
    with psycopg.connect(db) as conn:
        assert store.letterheads(conn, ["PEMKAB"])["PEMKAB"].place == "Labungkari"


def test_the_database_refuses_a_logo_without_its_type(db: str):
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, kind) VALUES "
                     "('P', 'Pemkab', 'X', 'pemkab')")
        with pytest.raises(psycopg.errors.CheckViolation):
            store.save_letterhead(conn, "P", {"logo": io.BytesIO(PNG).getvalue()})
        with pytest.raises(ValueError, match="tidak dikenal"):
            store.save_letterhead(conn, "P", {"name": "x"})
