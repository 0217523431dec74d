"""The recap in a real browser: day and month of the seeded October, screenshots kept.

docs/screenshots/portal-recap-day-id.png, portal-recap-month-id.png, portal-recap-person-id.png
and portal-recap-empty-id.png are taken here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_a_supervisor_reads_the_day_and_the_month(portal_url: str,  # noqa: F811
                                                  browser, fresh_db: str, tmp_path: Path):
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from test_tpp_store import DEWI, SARI, seed_october

    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, parent_id, kind) VALUES "
                     "('SUBBAG', 'Subbagian Umum', 'Buton Tengah', 'BKPSDM', 'subbag')")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    page.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Kehadiran tim").click()
    page.wait_for_url(f"{portal_url}/rekap")
    assert page.title().startswith("Rekap kehadiran")

    # the day: pick 6 October in the form, as a supervisor would
    page.locator('input[name="tanggal"]').fill("2026-10-06")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url("**tanggal=2026-10-06**")
    assert "6 Oktober 2026" in page.locator("h1").inner_text()
    # a regency-wide account opens on one line per OPD, then picks one
    assert page.locator('#overview tr[data-unit="BKPSDM"] td').nth(1).inner_text() == "2"
    _shot(page, tmp_path, "portal-recap-overview-id")
    page.locator('#overview tr[data-unit="BKPSDM"] a').click()
    page.wait_for_url("**unit=BKPSDM**")
    assert page.locator('#counts [data-column="tk"] strong').inner_text() == "1"
    assert "Tanpa keterangan" in page.locator(f'tr[data-nip="{SARI}"]').inner_text()
    assert "Izin" in page.locator(f'tr[data-nip="{DEWI}"]').inner_text()
    _shot(page, tmp_path, "portal-recap-day-id")

    # the month, then one person's calendar from it
    page.get_by_role("link", name="lihat rekap bulan 2026-10").click()
    page.wait_for_url("**bulan=2026-10**")
    assert "Oktober 2026" in page.locator("h1").inner_text()
    assert page.locator(f'tr[data-nip="{SARI}"] td[data-col="TK"]').inner_text() == "1"
    _shot(page, tmp_path, "portal-recap-month-id")
    # the month as a PDF, next to the Excel button
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh PDF (A4, dengan kop surat)").click()
    assert download.value.suggested_filename == "rekap-BKPSDM-2026-10.pdf"
    saved = tmp_path / "rekap-BKPSDM-2026-10.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    page.locator(f'tr[data-nip="{SARI}"] a').first.click()
    page.wait_for_url(f"**/rekap/pegawai/{SARI}**")
    assert "TK" in page.locator('td[data-day="2026-10-06"]').inner_text()
    _shot(page, tmp_path, "portal-recap-person-id")

    # a unit with nobody in it says what to do
    page.goto(f"{portal_url}/rekap?unit=SUBBAG&tanggal=2026-10-06")
    assert "Belum ada pegawai di unit ini." in page.locator("#recap").inner_text()
    _shot(page, tmp_path, "portal-recap-empty-id")

    # the header's search: part of a name, Enter, then the person's month
    box = page.get_by_role("searchbox", name="Cari pegawai")
    box.fill(SARI[:8])
    box.press("Enter")
    page.wait_for_url("**/cari?q=**")
    assert page.locator("#found tbody tr").count() >= 1
    _shot(page, tmp_path, "portal-search-id")
    page.locator(f'#found tr[data-nip="{SARI}"] a').click()
    page.wait_for_url(f"**/rekap/pegawai/{SARI}**")

    # HR's accounts page: Dewi has none yet; a code for her, shown once
    page.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Akun pegawai").click()
    page.wait_for_url(f"{portal_url}/akun")
    assert page.locator(f'#accounts tr[data-nip="{DEWI}"]').get_attribute(
        "data-state") == "tidak_ada"
    _shot(page, tmp_path, "portal-accounts-id")
    page.locator(f'#accounts tr[data-nip="{DEWI}"]').get_by_role(
        "button", name="Buat kode aktivasi").click()
    page.wait_for_url(f"**/akun/{DEWI}/kode")
    assert len(page.locator("#code-slip .code").inner_text().strip()) == 11
    _shot(page, tmp_path, "portal-account-code-id")
    assert failed == []
    page.close()


def test_an_atasan_sees_the_unit_and_exports_it(portal_url: str,  # noqa: F811
                                                browser, fresh_db: str, tmp_path: Path):
    """Sari heads BKPSDM: her own account opens on her unit's people (not the regency's
    overview), and she downloads the day as Excel and the month as PDF."""
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from hadir_cloud.users import activate, invite
    from openpyxl import load_workbook
    from test_tpp_store import DEWI, GURU, SARI, seed_october

    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        activate(conn, SARI, invite(conn, SARI), PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID",
                            accept_downloads=True)
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(SARI)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Kehadiran tim").click()
    page.wait_for_url(f"{portal_url}/rekap")
    page.goto(f"{portal_url}/rekap?tanggal=2026-10-06")
    assert page.locator("#overview").count() == 0
    nips = set(page.locator("#recap tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.nip)"))
    assert nips == {SARI, DEWI} and GURU not in nips
    _shot(page, tmp_path, "portal-recap-atasan-id")
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh Excel (.xlsx)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    assert {r[1] for r in sheet.iter_rows(values_only=True)} >= {SARI, DEWI}
    page.get_by_role("link", name="lihat rekap bulan 2026-10").click()
    page.wait_for_url("**bulan=2026-10**")
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh PDF (A4, dengan kop surat)").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    page.close()
