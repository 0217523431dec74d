"""The leaders' board and the fleet console in a real browser (Debian's Chromium, the real
`hadir-cloud portal`) over the boards' seeded regency: charts drawn by the vendored uPlot, the
map by the vendored Leaflet with no tiles, drill-down OPD → unit → person; a screenshot of
every page (tmp_path; docs/screenshots/ with HADIR_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.dashboards import domain, store
from hadir_cloud.users import add_user, grant
from test_shell_browser import PASSWORD, _shot, serve_portal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dashboards"))
import board_seed as S  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RATINGS = {"A1": ("di_atas", "di_atas"), "A2": ("sesuai", "di_bawah"), "A3": ("sesuai", "sesuai"),
           "B1": ("di_bawah", "sesuai"), "B2": ("di_atas", "sesuai"),
           "B3": ("di_bawah", "di_bawah"), "C1": ("di_atas", "sesuai")}


@pytest.fixture
def seeded_portal(fresh_db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The boards' regency (November, today, the fleet, a TPP run), ratings for 2026, a leader
    and an IT operator, and `hadir-cloud portal` on a free port."""
    S.seed_all(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        store.save_ratings(conn, [domain.Rating(S.PEOPLE[k].nip, "2026", r, b)
                                  for k, (r, b) in RATINGS.items()], "impor:uji.xlsx", "tes")
        for name, role in (("pimpinan", "pimpinan"), ("ti", "operator_ti")):
            add_user(conn, name, PASSWORD, "staf")
            grant(conn, name, role, None, "tes")
    env = dict(os.environ, HADIR_DATABASE_URL=fresh_db, HADIR_SECRET_KEY="s" * 40)
    with serve_portal(env, tmp_path) as url:
        yield url


def _page(browser) -> tuple[object, list[str], list[str]]:  # type: ignore[no-untyped-def]
    """A page that records failed requests and script errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    failed: list[str] = []
    # a request the next navigation cut short (net::ERR_ABORTED) is no failure of the page
    page.on("requestfailed", lambda r: None if "ABORTED" in (r.failure or "") else
            failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, failed, errors


def _login(page, url: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(user)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_the_leaders_board_walk(seeded_portal: str, browser, tmp_path: Path):
    url = seeded_portal
    page, failed, errors = _page(browser)
    _login(page, url, "pimpinan")
    nav = page.get_by_role("navigation", name="Menu utama")
    nav.get_by_role("link", name="Dasbor").click()
    page.wait_for_url(f"{url}/dasbor/")
    page.goto(f"{url}/dasbor/?bulan=2026-11")
    assert page.title() == "Dasbor pimpinan — Hadir"
    for chart in ("chart-now", "chart-trend", "chart-lkh"):
        page.wait_for_selector(f"#{chart} canvas")
    tiles = page.locator("#tiles").inner_text()
    assert "Hadir\n5" in tiles and "Belum masuk\n1" in tiles
    assert page.locator("#matrix td.quad-A strong").first.inner_text() == "1"
    assert page.locator("#quadrants tr[data-key='opd-b'] td").all_inner_texts()[1:] == [
        "0", "1", "0", "2"]  # B2 Baik; B1 Kurang and B3 Sangat Kurang
    _shot(page, tmp_path, "portal-dasbor-id")
    page.locator("#now-table").get_by_role("link", name="Dinas Pendidikan").click()
    page.wait_for_url("**/dasbor/opd/opd-a**")
    page.wait_for_selector("#chart-now canvas")
    assert page.locator("#now-table tbody tr").count() == 2
    _shot(page, tmp_path, "portal-dasbor-opd-id")
    page.locator("#now-table").get_by_role("link", name="Bidang SD").click()
    page.wait_for_url("**/dasbor/unit/bidang-a**")
    page.wait_for_selector("#chart-trend canvas")
    rows = page.locator("#people tbody tr")
    assert rows.count() == 2
    assert "Sangat Baik" in rows.nth(0).inner_text() or "Sangat Baik" in rows.nth(1).inner_text()
    _shot(page, tmp_path, "portal-dasbor-unit-id")
    page.get_by_role("link", name="Pegawai A2").click()
    page.wait_for_url(f"**/rekap/pegawai/{S.PEOPLE['A2'].nip}**")
    _shot(page, tmp_path, "portal-dasbor-pegawai-id")
    assert failed == [] and errors == []
    page.close()


def test_the_fleet_console_walk(seeded_portal: str, browser, tmp_path: Path):
    url = seeded_portal
    page, failed, errors = _page(browser)
    _login(page, url, "ti")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Kiosk").click()
    page.wait_for_url(f"{url}/kiosk/")
    # one circle per office (three offices have kiosks), over the country outlines
    page.wait_for_function("document.querySelectorAll('#fleet-map path.leaflet-interactive')"
                           ".length === 3")
    page.wait_for_function("document.querySelectorAll('#fleet-map path').length > 3")
    assert page.locator("#kiosks tbody tr").count() == 5
    assert page.locator("img.leaflet-tile").count() == 0  # no tiles fetched
    _shot(page, tmp_path, "portal-kiosk-list-id")
    page.get_by_role("link", name="kiosk-b").click()
    page.wait_for_url(f"{url}/kiosk/perangkat/kiosk-b")
    assert "luring sejak" in page.locator("hgroup").inner_text()
    _shot(page, tmp_path, "portal-kiosk-detail-id")
    page.goto(f"{url}/kiosk/baru")
    page.get_by_label("Id kiosk").fill("kiosk-baru-01")
    page.get_by_label("Kantor").select_option("kantor-wita")
    page.get_by_label("Kunci publik (Ed25519, base64)").fill("bukan-kunci")
    page.get_by_role("button", name="Daftarkan").click()
    assert "kunci publik tidak valid" in page.locator("#kunci-error").inner_text()
    _shot(page, tmp_path, "portal-kiosk-new-id")
    page.goto(f"{url}/kiosk/wajah")
    _shot(page, tmp_path, "portal-kiosk-faces-id")
    assert [u for u in failed if not u.endswith("/kiosk/baru")] == [] and errors == []
    page.close()
