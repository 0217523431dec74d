"""Checking an org import: every problem named by sheet, row and column, in Bahasa."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hadir_cloud.org import imports
from hadir_cloud.org.domain import ActingAssignment, ActingKind
from hadir_cloud.org.imports import COLUMNS, ImportProblems, Known, Problem, check, parse
from openpyxl import load_workbook
from org_builders import holder, nip, regency_rows, with_acting, write_book

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
    assert shipped.sheetnames == made.sheetnames == ["unit", "jabatan", "pegawai", "plt",
                                                     "petunjuk"]
    for name in made.sheetnames:
        assert [list(r) for r in shipped[name].iter_rows(values_only=True)] == \
            [list(r) for r in made[name].iter_rows(values_only=True)], name
    assert shipped["pegawai"].column_dimensions["A"].number_format == "@"
    assert shipped["plt"].column_dimensions["A"].number_format == "@"
    assert [r[0] for r in shipped["plt"].iter_rows(values_only=True)] == \
        ["nip"]  # the header row only


def test_the_docs_describe_every_column():
    doc = (ROOT / "docs" / "org-import.md").read_text(encoding="utf-8")
    for sheet, cols in COLUMNS.items():
        assert f"`{sheet}`" in doc
        for c in cols:
            assert f"| `{c.name}` |" in doc, (sheet, c.name)


KNOWN = Known(offices=frozenset({"kantor-bupati"}),
              employees=frozenset({"196901011990031001"}))  # one person only in the database


def test_plt_sheet_good_rows_are_read_and_every_bad_row_is_named(tmp_path: Path):
    rows = with_acting(regency_rows())
    sekre, kabid_pos = rows["plt"][0][0], rows["plt"][0][1]
    dinkes_sekre = rows["plt"][1][0]
    rows["plt"] += [
        [dinkes_sekre, "DINKES-BID1-KEPALA", "Plh.", "12-10-2026", "16/10/2026", ""],   # row 4
        ["196901011990031001", "BKPSDM-KEPALA", "PLT", date(2026, 11, 1),
         date(2027, 1, 31), "821/5/2026"],                                              # row 5
        [nip(900), kabid_pos, "plt", date(2026, 10, 1), date(2026, 10, 31), None],      # row 6
        [sekre, "DISDIK-KADIS", "plt", date(2026, 10, 1), date(2026, 10, 31), None],    # row 7
        [sekre, kabid_pos, "pj", date(2027, 1, 1), date(2027, 1, 31), None],            # row 8
        [sekre, kabid_pos, "plh", date(2027, 2, 10), date(2027, 2, 1), None],           # row 9
        [sekre, kabid_pos, "plh", "31-09-2026", date(2026, 10, 2), None],               # row 10
        [sekre, kabid_pos, "plt", date(2026, 10, 1), date(2026, 11, 30), None],         # row 11
        [int(sekre), kabid_pos, "plh", date(2027, 3, 1), date(2027, 3, 5), None],       # row 12
        [sekre, kabid_pos, "plh", date(2027, 4, 1), None, None],                        # row 13
    ]
    path = write_book(rows, tmp_path / "plt.xlsx")
    got = [str(p) for p in check(imports.read(path), KNOWN)]
    assert got == [
        f"Plt/Plh baris 6, kolom nip: pegawai {nip(900)} tidak ada di lembar pegawai maupun "
        "di basis data",
        "Plt/Plh baris 7, kolom id_jabatan: jabatan tidak dikenal: DISDIK-KADIS",
        "Plt/Plh baris 8, kolom jenis: jenis penugasan tidak dikenal: 'pj' (pilihan: plt, plh)",
        "Plt/Plh baris 9, kolom tanggal_selesai: tanggal selesai 2027-02-01 sebelum tanggal "
        "mulai 2027-02-10",
        "Plt/Plh baris 10, kolom tanggal_mulai: tanggal tidak valid: '31-09-2026' (pakai "
        "YYYY-MM-DD atau DD-MM-YYYY)",
        f"Plt/Plh baris 11, kolom tanggal_mulai: penugasan {sekre} di {kabid_pos} mulai "
        "2026-10-01 ganda (sudah ada di baris 2)",
        "Plt/Plh baris 12, kolom nip: NIP tersimpan sebagai angka (digit bisa hilang); format "
        "kolom nip sebagai Teks",
        "Plt/Plh baris 13, kolom tanggal_selesai: wajib diisi",
    ]
    # without a database, a NIP outside the file cannot be checked (as offices are not)
    assert not any("nip" in p.column and "basis data" in p.message
                   for p in check(imports.read(path)))

    rows["plt"] = rows["plt"][:4]
    parsed = parse(imports.read(write_book(rows, tmp_path / "good.xlsx")), KNOWN)
    assert parsed.acting == [
        ActingAssignment(sekre, kabid_pos, date(2026, 10, 1), date(2026, 12, 31), ActingKind.PLT,
                         "800/112/BKPSDM/2026"),
        ActingAssignment(dinkes_sekre, "DINKES-KEPALA", date(2026, 10, 12), date(2026, 10, 16),
                         ActingKind.PLH),
        ActingAssignment(dinkes_sekre, "DINKES-BID1-KEPALA", date(2026, 10, 12),
                         date(2026, 10, 16), ActingKind.PLH),
        ActingAssignment("196901011990031001", "BKPSDM-KEPALA", date(2026, 11, 1),
                         date(2027, 1, 31), ActingKind.PLT, "821/5/2026"),
    ]
    assert parsed.total == 19 + 25 + 199 + 4


def test_the_plt_sheet_is_optional_but_checked_when_present(tmp_path: Path):
    """An export made before the plt sheet existed still imports cleanly."""
    path = write_book(regency_rows(), tmp_path / "old.xlsx")
    wb = load_workbook(path)
    wb.remove(wb["plt"])
    wb.save(path)
    assert check(imports.read(path), KNOWN) == []
    wb = load_workbook(path)
    ws = wb.create_sheet("PLT")  # sheet names are case-insensitive
    ws.append(["nip", "id_jabatan", "tanggal_mulai", "tanggal_selesai"])
    ws.append([holder(regency_rows(), "DISDIK-SEKRE-KEPALA"), "DISDIK-BID1-KEPALA",
               date(2026, 10, 1), date(2026, 10, 31)])
    wb.save(path)
    assert [str(p) for p in check(imports.read(path), KNOWN)] == [
        "Plt/Plh baris 1, kolom jenis: kolom wajib tidak ada di baris judul",
        "Plt/Plh baris 2, kolom jenis: wajib diisi",
    ]


def test_a_plt_csv_beside_the_others(tmp_path: Path):
    rows = with_acting(regency_rows())
    for sheet, cols in COLUMNS.items():
        lines = [",".join(c.name for c in cols)]
        for r in rows[sheet]:
            lines.append(",".join("" if v is None else str(v) for v in r))
        (tmp_path / f"{sheet}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = parse(imports.read(tmp_path), KNOWN)
    assert [(a.kind, a.start, a.end) for a in parsed.acting] == [
        (ActingKind.PLT, date(2026, 10, 1), date(2026, 12, 31)),
        (ActingKind.PLH, date(2026, 10, 12), date(2026, 10, 16))]
