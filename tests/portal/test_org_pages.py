"""HR imports the organisation in the browser: 3 OPD and 199 people with 3 bad rows are
shown by sheet, row and column; fixed and uploaded again, they are applied all at once."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.devices import add_office

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "org"))  # the org builders
from org_builders import regency_rows, write_book  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: E402,F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def broken(rows):  # type: ignore[no-untyped-def]
    """Three bad rows: a NIP with a 13th month, a duplicate NIP, an unknown unit."""
    emp = rows["pegawai"]
    emp[10][0] = "19851312" + emp[10][0][8:]
    emp[50][0] = emp[49][0]
    emp[120][3] = "DISDIK-BID9"
    return rows


def test_hr_imports_an_organisation_with_bad_rows_then_fixed(portal_url: str, browser,  # noqa: F811
                                                             fresh_db: str, tmp_path: Path):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "kantor-bupati", "Kantor Bupati", "Asia/Makassar", -5.33, 122.56, 50)
    bad = write_book(broken(regency_rows()), tmp_path / "organisasi-salah.xlsx")
    good = write_book(regency_rows(), tmp_path / "organisasi.xlsx")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link",
                                                                  name="Organisasi").click()
    page.wait_for_url(f"{portal_url}/organisasi/impor")

    page.locator('input[name="berkas"]').set_input_files(str(bad))
    page.get_by_role("button", name="Periksa").click()
    rows = page.locator("#problems tbody tr")
    assert rows.count() == 3
    text = page.locator("#problems").inner_text()
    assert "tanggal lahir dalam NIP tidak valid" in text and "ganda" in text
    assert "unit tidak dikenal: DISDIK-BID9" in text
    assert page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").count() == 0
    _shot(page, tmp_path, "portal-org-import-problems-id")
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 0

    page.locator('input[name="berkas"]').set_input_files(str(good))
    page.get_by_role("button", name="Periksa").click()
    assert "Tidak ada masalah." in page.locator("main").inner_text()
    page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").click()
    page.wait_for_url(f"{portal_url}/organisasi/impor")
    assert "pegawai 199 baru" in page.locator(".flash").inner_text()
    _shot(page, tmp_path, "portal-org-import-applied-id")
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 199
        assert conn.execute("SELECT count(*) FROM units WHERE kind = 'opd'").fetchone()[0] == 3
    page.close()
