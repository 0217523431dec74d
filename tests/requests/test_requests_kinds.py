"""Request kinds as data: the shipped Ogan Ilir file, and loader errors named by field in
Bahasa."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hadir_cloud.requests.kinds import (
    KindsError,
    UnknownKindError,
    load_kinds,
    read_kinds,
    shipped_path,
)

SHIPPED = shipped_path().read_text(encoding="utf-8")
MINIMAL = """
[jenis]
id = "uji"
version = 1
name = "Uji"
regency = "Ogan Ilir"
effective_from = 2026-01-01
legal_basis = "PP 11/2017"

[cuti_tahunan]
quota_days = 12
carry_over_max_days = 6

[[kind]]
code = "izin"
name = "Izin"
absence = "izin"
days = "kerja"
chain = ["atasan"]
"""


def test_shipped_file_has_every_kind_of_the_issue() -> None:
    ks = load_kinds(shipped_path())
    assert [k.code for k in ks.kind] == [
        "izin", "sakit", "cuti_tahunan", "cuti_besar", "cuti_sakit", "cuti_melahirkan",
        "cuti_alasan_penting", "cuti_luar_tanggungan", "dinas_luar", "tugas_belajar",
        "koreksi_presensi"]
    assert (ks.cuti_tahunan.quota_days, ks.cuti_tahunan.carry_over_max_days,
            ks.cuti_tahunan.carry_over_max_days_long) == (12, 6, 12)
    assert ks.cuti_tahunan.cuti_bersama_counts
    ct = ks.get("cuti_tahunan")
    assert (ct.annual_quota, ct.days, ct.absence, ct.chain) == (
        True, "kerja", "cuti", ["atasan", "atasan_atasan"])
    assert ks.get("cuti_besar").chain == ["atasan", "bkpsdm"]
    assert ks.get("cuti_luar_tanggungan").chain == ["atasan", "atasan_atasan", "bkpsdm"]
    assert ks.get("dinas_luar").needs_place and ks.get("dinas_luar").absence == "dl"
    assert ks.get("koreksi_presensi").absence is None
    assert [k.absence_subkind for k in ks.kind if k.absence == "cuti"] == [
        "tahunan", "besar", "sakit", "melahirkan", "alasan_penting", "luar_tanggungan"]
    assert ks.get("dinas_luar").absence_subkind == ""
    assert set(ks.get("koreksi_presensi").subkinds) == {"lupa_absen", "kiosk_rusak"}
    sakit = ks.get("sakit")
    assert [a.code for a in sakit.required_attachments(1)] == []
    assert [a.code for a in sakit.required_attachments(2)] == ["surat_dokter"]
    assert [(k.code, k.max_days) for k in ks.kind if k.code.startswith("cuti_")
            and k.days == "kalender"] == [
        ("cuti_besar", 90), ("cuti_sakit", 365), ("cuti_melahirkan", 90),
        ("cuti_alasan_penting", 30), ("cuti_luar_tanggungan", 1095)]


def test_unknown_kind_is_a_bahasa_lookup_error() -> None:
    with pytest.raises(UnknownKindError, match="jenis permohonan tidak dikenal: 'cuti_haji'"):
        load_kinds(shipped_path()).get("cuti_haji")


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(KindsError) as err:
        read_kinds(text, "jenis.toml")
    return [(p.where, p.message) for p in err.value.problems]


def test_minimal_file_loads() -> None:
    assert read_kinds(MINIMAL, "jenis.toml").get("izin").max_days is None


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('chain = ["atasan"]', 'chain = ["atasan", "kepala_dinas"]',
     ("kind[0].chain[1]", "harus salah satu dari 'atasan', 'atasan_atasan' atau 'bkpsdm', "
      'bukan "kepala_dinas"')),
    ('chain = ["atasan"]', 'chain = ["atasan_atasan"]',
     ("kind[0]", "atasan_atasan harus didahului langkah atasan")),
    ('chain = ["atasan"]', 'chain = ["atasan", "atasan"]',
     ("kind[0]", "langkah persetujuan tidak boleh berulang")),
    ('chain = ["atasan"]', "chain = []", ("kind[0].chain", "harus berisi paling sedikit 1 isian")),
    ("quota_days = 12\n", "", ("cuti_tahunan.quota_days", "wajib diisi")),
    ("carry_over_max_days = 6", "carry_over_max_days = -1",
     ("cuti_tahunan.carry_over_max_days", "di luar rentang: paling kecil 0, bukan -1")),
    ('days = "kerja"', 'days = "minggu"',
     ("kind[0].days", "harus salah satu dari 'kerja' atau 'kalender', bukan \"minggu\"")),
    ('absence = "izin"', 'absence = "libur"',
     ("kind[0].absence", "harus salah satu dari 'izin', 'sakit', 'cuti', 'dl' atau "
      "'tugas_belajar', bukan \"libur\"")),
    ('code = "izin"', 'code = "Izin Harian"',
     ("kind[0].code", "nilai tidak valid: String should match pattern '^[a-z0-9_]+$'")),
])
def test_loader_errors_name_the_field(old: str, new: str, expected: tuple[str, str]) -> None:
    assert old in MINIMAL
    assert problems(MINIMAL.replace(old, new)) == [expected]


def test_unknown_field_lists_the_known_ones() -> None:
    ((where, message),) = problems(MINIMAL.replace('days = "kerja"',
                                                   'max_day = 3\ndays = "kerja"'))
    assert where == "kind[0].max_day"
    assert message.startswith("kolom tidak dikenal (salah ketik?); yang dikenal: code, name, ")


def test_duplicate_codes_and_two_quota_kinds_are_refused() -> None:
    twice = MINIMAL + MINIMAL[MINIMAL.index("[[kind]]"):]
    assert problems(twice) == [("(berkas)", "kode jenis berulang: izin")]
    two = (MINIMAL + MINIMAL[MINIMAL.index("[[kind]]"):].replace('"izin"', '"izin2"', 1)
           ).replace('chain = ["atasan"]', 'chain = ["atasan"]\nannual_quota = true')
    assert problems(two) == [
        ("(berkas)", "paling banyak satu jenis memakai kuota cuti tahunan")]


def test_syntax_error_names_line_and_column() -> None:
    assert problems(MINIMAL.replace('name = "Izin"', 'name = Izin')) == [
        ("baris 16, kolom 8", "nilai tidak valid (teks harus dalam tanda kutip, tanggal "
                              "TTTT-BB-HH, angka tanpa titik ribuan)")]


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KindsError, match="tidak dapat dibaca"):
        load_kinds(tmp_path / "tidak-ada.toml")


def test_shipped_file_is_plain_toml() -> None:
    assert "jenis" in tomllib.loads(SHIPPED)
