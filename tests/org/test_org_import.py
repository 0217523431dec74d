"""Checking an org import: every problem named by sheet, row and column, in Bahasa."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hadir_cloud.org import imports
from hadir_cloud.org.imports import COLUMNS, ImportProblems, Known, Problem, check, parse
from openpyxl import load_workbook
from org_builders import nip, regency_rows, write_book

ROOT = Path(__file__).resolve().parents[2]


def broken(rows):
    """Three bad rows among ~200: a NIP with a 13th month, a duplicate NIP, an unknown unit."""
    emp = rows["pegawai"]
    emp[10][0] = "19851312" + emp[10][0][8:]      # spreadsheet row 12
    emp[50][0] = emp[49][0]                        # row 52 repeats row 51
    emp[120][3] = "DISDIK-BID9"                    # row 122
    return rows


def test_a_regency_of_200_with_three_bad_rows_is_listed_then_fixed(tmp_path: Path):
    rows = regency_rows()
    assert len(rows["pegawai"]) == 199
    path = write_book(broken(regency_rows()), tmp_path / "org.xlsx")
    problems = check(imports.read(path), Known(offices=frozenset({"kantor-bupati"})))
    assert problems == [
        Problem("Pegawai", 12, "nip", f"NIP {rows['pegawai'][10][0][:0]}19851312"
                f"{rows['pegawai'][10][0][8:]} tidak valid: tanggal lahir dalam NIP tidak valid"),
        Problem("Pegawai", 52, "nip", f"NIP {rows['pegawai'][49][0]} ganda (sudah ada di baris 51)"),
        Problem("Pegawai", 122, "id_unit", "unit tidak dikenal: DISDIK-BID9"),
    ]
    assert str(problems[2]) == "Pegawai baris 122, kolom id_unit: unit tidak dikenal: DISDIK-BID9"
    with pytest.raises(ImportProblems) as err:
        parse(imports.read(path))
    assert len(err.value.problems) == 3

    fixed = write_book(rows, tmp_path / "fixed.xlsx")
    parsed = parse(imports.read(fixed), Known(offices=frozenset({"kantor-bupati"})))
    assert (len(parsed.units), len(parsed.positions), len(parsed.employees)) == (19, 25, 199)
    assert parsed.employees[0].join_date == date(2015, 3, 1)


def test_every_kind_of_problem_in_one_dry_run(tmp_path: Path):
    book = {
        "unit": [["PEMKAB", "Pemkab", "pemkab", None, "Buton Tengah"],
                 ["OPD1", "Dinas", "opd", "PEMKAB", "Buton Tengah"],
                 ["OPD1", "Dinas lagi", "opd", "PEMKAB", "Buton Tengah"],    # row 4
                 ["X", "Unit X", "dinas", "PEMKAB", "Buton Tengah"],         # row 5
                 ["Y", "Unit Y", "bidang", "ENTAH", "Buton Tengah"]],        # row 6
        "jabatan": [["KEP", "Kepala", "struktural", "II.b", "OPD1", "ya", None],
                    ["KEP2", "Kepala lagi", "struktural", "II.b", "OPD1", "ya", None],  # 3
                    ["ST", "Staf", "struktural", None, "OPD1", "tidak", None],          # 4
                    ["GURU", "Guru", "fungsional", None, "SEKOLAH9", "tidak", None],    # 5
                    ["PL", "Pelaksana", "pelaksana", None, "OPD1", "tidak", "NONE"]],   # 6
        "pegawai": [
            [nip(1), "A", "ASN", "OPD1", "KEP", date(2024, 1, 2), "9", "k", "kantor-1",
             date(2010, 1, 1), date(2009, 1, 1)],                                     # row 2
            [nip(2), "B", "kontrak", "OPD1", None, None, "7", "k", "kantor-1",
             date(2010, 1, 1), None],                                                 # row 3
            [nip(3), "C", "ASN", "OPD1", "PL", "31-02-2024", "7", "k", "kantor-9",
             "2010-01-01", None],                                                     # row 4
            [int(nip(4)), "D", "ASN", "OPD1", None, None, "7", "k", "kantor-1",
             date(2010, 1, 1), None],                                                 # row 5
            ["HNR-0001", "E", "honorer", "OPD1", "ENTAH", date(2024, 1, 2), "1", "k",
             "kantor-1", date(2024, 2, 1), None],                                     # row 6
            ["12", "F", "honorer", "OPD1", None, None, "1", "k", "kantor-1",
             date(2024, 1, 1), None],                                                 # row 7
        ],
    }
    path = write_book(book, tmp_path / "bad.xlsx")
    got = [(p.sheet, p.row, p.column, p.message)
           for p in check(imports.read(path), Known(offices=frozenset({"kantor-1"})))]
    expected = [
        ("Unit", 4, "id_unit", "id_unit OPD1 ganda (sudah ada di baris 3)"),
        ("Unit", 5, "jenis_unit", "jenis unit tidak dikenal: 'dinas'"),
        ("Unit", 6, "id_unit_induk", "unit induk ENTAH tidak dikenal"),
        ("Jabatan", 3, "kepala_unit", "unit OPD1 sudah punya jabatan kepala (baris 2)"),
        ("Jabatan", 4, "eselon", "jabatan struktural wajib punya eselon"),
        ("Jabatan", 5, "id_unit", "jabatan di unit yang tidak dikenal: SEKOLAH9"),
        ("Jabatan", 6, "id_jabatan_atasan", "jabatan atasan NONE tidak dikenal"),
        ("Pegawai", 2, "tanggal_keluar", "tanggal keluar 2009-01-01 sebelum tmt masuk 2010-01-01"),
        ("Pegawai", 3, "jenis_pegawai", "jenis pegawai tidak dikenal: 'kontrak'"),
        ("Pegawai", 4, "tmt_jabatan", "tanggal tidak valid: '31-02-2024'"),
        ("Pegawai", 4, "id_kantor", "kantor belum terdaftar: kantor-9"),
        ("Pegawai", 5, "nip", "NIP tersimpan sebagai angka"),
        ("Pegawai", 6, "id_jabatan", "jabatan tidak dikenal: ENTAH"),
        ("Pegawai", 6, "tmt_jabatan", "tmt jabatan 2024-01-02 sebelum tmt masuk 2024-02-01"),
        ("Pegawai", 7, "nip", "NIP 12 tidak valid: ID honorer harus 4–32 huruf/angka"),
    ]
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert g[:3] == e[:3] and g[3].startswith(e[3]), (g, e)


def test_a_missing_column_and_csv_files(tmp_path: Path):
    (tmp_path / "unit.csv").write_text("id_unit;nama_unit;jenis_unit;id_unit_induk\n"
                                       "PEMKAB;Pemkab;pemkab;\n", encoding="utf-8")
    (tmp_path / "jabatan.csv").write_text(
        ",".join(c.name for c in COLUMNS["jabatan"]) + "\n", encoding="utf-8")
    (tmp_path / "pegawai.csv").write_text(
        ",".join(c.name for c in COLUMNS["pegawai"]) + "\n"
        f"{nip(7)},Siti,PPPK,PEMKAB,,,7,kantor,kantor-1,01/03/2021,\n", encoding="utf-8")
    problems = check(imports.read(tmp_path))
    assert [str(p) for p in problems] == [
        "Unit baris 1, kolom kabupaten: kolom wajib tidak ada di baris judul",
        "Unit baris 2, kolom kabupaten: wajib diisi",
        "Pegawai baris 2, kolom id_unit: unit tidak dikenal: PEMKAB",
    ]


def test_the_shipped_template_is_what_make_template_makes():
    shipped, made = load_workbook(imports.TEMPLATE), imports.make_template()
    assert shipped.sheetnames == made.sheetnames == ["unit", "jabatan", "pegawai", "petunjuk"]
    for name in made.sheetnames:
        assert [list(r) for r in shipped[name].iter_rows(values_only=True)] == \
            [list(r) for r in made[name].iter_rows(values_only=True)], name
    assert shipped["pegawai"].column_dimensions["A"].number_format == "@"


def test_the_docs_describe_every_column():
    doc = (ROOT / "docs" / "org-import.md").read_text(encoding="utf-8")
    for sheet, cols in COLUMNS.items():
        assert f"`{sheet}`" in doc
        for c in cols:
            assert f"| `{c.name}` |" in doc, (sheet, c.name)
