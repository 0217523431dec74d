"""The rule that places a rating in a predicate and a quadrant is data: the shipped file is the
PermenPANRB 6/2022 matrix; a broken file is refused with every problem named by its field; and
ratings read from a sheet are checked row by row (pure: no database)."""

from __future__ import annotations

import pytest
from hadir_cloud.dashboards import domain
from hadir_cloud.dashboards.quadrants import QuadrantRuleError, load_rule, read_rule, shipped

RULE = load_rule()


@pytest.mark.parametrize(("results", "behaviour", "predicate", "quadrant"), [
    ("di_atas", "di_atas", "sangat_baik", "A"),
    ("di_atas", "sesuai", "baik", "B"),
    ("sesuai", "di_atas", "baik", "B"),
    ("sesuai", "sesuai", "baik", "B"),
    ("di_atas", "di_bawah", "butuh_perbaikan", "C"),
    ("sesuai", "di_bawah", "butuh_perbaikan", "C"),
    ("di_bawah", "di_atas", "kurang", "D"),
    ("di_bawah", "sesuai", "kurang", "D"),
    ("di_bawah", "di_bawah", "sangat_kurang", "D"),
])
def test_the_shipped_matrix(results: str, behaviour: str, predicate: str, quadrant: str):
    assert RULE.predicate(results, behaviour) == predicate
    assert RULE.quadrant_of(predicate).code == quadrant


def _variant(old: str, new: str) -> str:
    text = shipped().read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('[[matrix]]\nresults = "di_atas"\nbehaviour = "di_atas"\npredicate = "sangat_baik"\n', "",
     "matriks belum lengkap: di_atas×di_atas"),
    ('predicates = ["kurang", "sangat_kurang"]', 'predicates = ["kurang"]',
     "predikat tanpa kuadran: sangat_kurang"),
    ('predicates = ["baik"]', 'predicates = ["baik", "kurang"]',
     "predikat di lebih dari satu kuadran: kurang"),
    ('predicate = "baik"', 'predicate = "istimewa"', "predikat 'istimewa' tidak ada"),
    ('code = "D"', 'code = "B"', "kode kuadran harus unik"),
    ('results = "di_atas"', 'results = "tinggi"', "matrix[0].results"),
    ('version = 1', 'version = 0', "kuadran.version"),
    ('[levels]', '[levels\n', "baris"),
])
def test_a_broken_rule_is_refused_naming_the_field(old: str, new: str, problem: str):
    with pytest.raises(QuadrantRuleError) as err:
        read_rule(_variant(old, new), "kuadran.toml")
    assert problem in str(err.value) and str(err.value).startswith("kuadran.toml: ")


def test_ratings_from_a_sheet_row_by_row():
    known = {"198001012005011001", "198002022005011002"}
    rows = [["nip", "PERIODE", "hasil_kerja", "Perilaku Kerja", "catatan"],
            ["198001012005011001", "2026-tw3", "DI ATAS EKSPEKTASI", "sesuai", "x"],
            ["", "", "", ""],
            ["198002022005011002", "2026", "sesuai_ekspektasi", "rendah"],
            ["198002022005011002", "2026-00", "sesuai", "sesuai"],
            [198001012005011001.0, "2026", "sesuai", "sesuai"],
            ["198001012005011001", "2026-TW3", "sesuai", "sesuai"]]
    ratings, problems = domain.parse_ratings(rows, known)
    assert ratings == [domain.Rating("198001012005011001", "2026-TW3", "di_atas", "sesuai")]
    assert [(p.row, p.message) for p in problems] == [
        (4, "nilai rendah tidak dikenal: tulis di bawah ekspektasi, sesuai ekspektasi atau di "
            "atas ekspektasi"),
        (5, "periode 2026-00 tidak valid (contoh: 2026, 2026-11, 2026-TW3)"),
        (6, "NIP 198001012005011008 tersimpan sebagai angka dan digit terakhirnya hilang: "
            "jadikan kolom NIP teks, lalu ketik ulang"),
        (7, "198001012005011001 sudah dinilai untuk 2026-TW3 di baris 2")]
    with pytest.raises(domain.SheetError, match="Perilaku kerja"):
        domain.parse_ratings([["NIP", "Periode", "Hasil kerja"]], known)


def test_placing_and_counting():
    ratings = [("a", "di_atas", "di_atas"), ("b", "sesuai", "sesuai"), ("c", "di_bawah", "sesuai"),
               ("d", "di_bawah", "di_bawah")]
    placed = domain.place(ratings, RULE)
    assert [(p.predicate, p.quadrant) for p in placed] == [
        ("sangat_baik", "A"), ("baik", "B"), ("kurang", "D"), ("sangat_kurang", "D")]
    counts = domain.quadrant_counts(placed, {"a": "opd-1", "b": "opd-1", "c": "opd-2",
                                             "d": "opd-2"}, RULE)
    assert counts == {"opd-1": {"A": 1, "B": 1, "C": 0, "D": 0},
                      "opd-2": {"A": 0, "B": 0, "C": 0, "D": 2}}
    matrix = domain.matrix_counts(ratings)
    assert len(matrix) == 9 and sum(matrix.values()) == 4
    assert list(matrix)[0] == ("di_atas", "di_bawah")  # best results first, as the board shows


def test_the_days_a_month_counts():
    from datetime import date

    assert domain.month_days(date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 3)) == (
        date(2026, 12, 1), date(2026, 12, 2))
    assert domain.month_days(date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 1)) is None
    assert domain.month_days(date(2027, 1, 1), date(2027, 1, 31), date(2026, 12, 3)) is None
    assert domain.month_days(date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 3)) == (
        date(2026, 11, 1), date(2026, 11, 30))
