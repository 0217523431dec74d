"""The import's shape: its sheets and their columns, the empty workbook and the template.

`docs/org-import.md` describes every column (a test holds it to `COLUMNS`); the shipped
`template.xlsx` is what `make_template` makes (a test holds that too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

SHEETS: tuple[str, ...] = ("unit", "jabatan", "pegawai", "plt")
#: sheets a file may leave out entirely (an older export has no `plt`)
OPTIONAL_SHEETS: tuple[str, ...] = ("plt",)
STAFF_KINDS: tuple[str, ...] = ("ASN", "PPPK", "honorer")
TEMPLATE = Path(__file__).resolve().parent / "template.xlsx"


@dataclass(frozen=True)
class Column:
    """One column of an import sheet."""

    name: str
    required: bool
    description: str
    example: str


COLUMNS: dict[str, tuple[Column, ...]] = {
    "unit": (
        Column("id_unit", True, "Kode unit, unik", "DISDIK-BID-SD"),
        Column("nama_unit", True, "Nama unit", "Bidang Pembinaan SD"),
        Column("jenis_unit", True, "pemkab, opd, sekretariat, bidang, bagian, seksi, subbag, "
               "sekolah", "bidang"),
        Column("id_unit_induk", False, "Kode unit di atasnya; kosong untuk yang teratas",
               "DISDIK"),
        Column("kabupaten", True, "Nama kabupaten", "Buton Tengah"),
        # the letterhead (kop surat), for OPD and the Pemkab; the logo: `hadir-cloud org letterhead`
        Column("alamat", False, "Kop surat: alamat kantor (OPD dan Pemkab)",
               "Jl. Lintas Timur Km 35, Indralaya 30662"),
        Column("telepon", False, "Kop surat: nomor telepon", "(0711) 581234"),
        Column("email", False, "Kop surat: alamat email", "disdik@butontengahkab.go.id"),
        Column("situs", False, "Kop surat: alamat situs web", "disdik.butontengahkab.go.id"),
        Column("tempat", False, "Tempat penandatanganan dokumen (nama kota)", "Labungkari"),
    ),
    "jabatan": (
        Column("id_jabatan", True, "Kode jabatan, unik", "DISDIK-KABID-SD"),
        Column("nama_jabatan", True, "Nama jabatan", "Kepala Bidang Pembinaan SD"),
        Column("jenis_jabatan", True, "struktural, fungsional, pelaksana", "struktural"),
        Column("eselon", False, "Wajib untuk struktural (II.a … IV.b), kosong untuk lainnya",
               "III.b"),
        Column("id_unit", True, "Unit tempat jabatan berada", "DISDIK-BID-SD"),
        Column("kepala_unit", False, "ya bila jabatan ini memimpin unitnya (satu per unit)",
               "ya"),
        Column("id_jabatan_atasan", False, "Atasan langsung bila berbeda dari kepala unit",
               ""),
    ),
    "pegawai": (
        Column("nip", True, "NIP 18 angka (ASN), NI PPPK 18 angka, atau ID honorer; "
               "format sel Teks", "198503122010011003"),
        Column("nama", True, "Nama lengkap dengan gelar", "Budi Santoso, S.Pd."),
        Column("jenis_pegawai", True, "ASN, PPPK, honorer", "ASN"),
        Column("id_unit", True, "Unit kerja", "DISDIK-BID-SD"),
        Column("id_jabatan", False, "Jabatan sekarang (harus di unit yang sama)",
               "DISDIK-KABID-SD"),
        Column("tmt_jabatan", False, "Tanggal mulai jabatan; wajib bila ada id_jabatan",
               "2024-01-02"),
        Column("kelas_jabatan", True, "Kelas jabatan untuk TPP", "9"),
        Column("kelompok_jadwal", True, "Kelompok jam kerja", "kantor"),
        Column("id_kantor", True, "Kantor tempat absen (sudah terdaftar)", "kantor-bupati"),
        Column("tmt_masuk", True, "Tanggal mulai bekerja", "2010-01-01"),
        Column("tanggal_keluar", False, "Tanggal berhenti/pensiun; kosong bila masih aktif", ""),
    ),
    "plt": (
        Column("nip", True, "NIP pegawai yang ditunjuk (ada di lembar pegawai atau sudah "
               "terdaftar); format sel Teks", "197811112003121004"),
        Column("id_jabatan", True, "Jabatan yang kewenangannya dijalankan", "DISDIK-KADIS"),
        Column("jenis", True, "plt (pejabat definitif berhalangan tetap atau jabatan kosong) "
               "atau plh (berhalangan sementara)", "plt"),
        Column("tanggal_mulai", True, "Tanggal mulai penugasan", "2026-10-01"),
        Column("tanggal_selesai", True, "Tanggal terakhir penugasan (tidak sebelum tanggal "
               "mulai)", "2026-12-31"),
        Column("nomor_sk", False, "Nomor SK/surat perintah penunjukan", "800/123/BKPSDM/2026"),
    ),
}
SHEET_LABEL = {"unit": "Unit", "jabatan": "Jabatan", "pegawai": "Pegawai", "plt": "Plt/Plh"}
SHEET_ORDER = {SHEET_LABEL[s]: i for i, s in enumerate(SHEETS)}


def new_workbook() -> Workbook:
    """An empty workbook with the import's sheets, their header rows and NIP as text."""
    wb = Workbook()
    wb.remove(wb.active)
    for s in SHEETS:
        ws = wb.create_sheet(s)
        ws.append([c.name for c in COLUMNS[s]])
        for i, c in enumerate(COLUMNS[s]):
            ws.column_dimensions[chr(ord("A") + i)].width = max(14, len(c.name) + 4)
    # Excel turns an 18-digit number into 1.98503E+17; keep NIP as text
    wb["pegawai"].column_dimensions["A"].number_format = "@"
    wb["plt"].column_dimensions["A"].number_format = "@"
    return wb


def make_template() -> Workbook:
    """The import template: the empty sheets and a `petunjuk` sheet of columns."""
    wb = new_workbook()
    ws = wb.create_sheet("petunjuk")
    ws.append(["lembar", "kolom", "wajib", "keterangan", "contoh"])
    for s in SHEETS:
        for c in COLUMNS[s]:
            ws.append([s, c.name, "ya" if c.required else "tidak", c.description,
                       c.example or "(kosong)"])
    ws.column_dimensions["D"].width = 70
    return wb


def write_template(path: Path) -> None:
    """Save the import template to `path`."""
    make_template().save(path)
