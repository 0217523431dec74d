"""Requests in a real browser: an employee files 3 days of cuti tahunan (last week's, days she
was away without notice), the atasan and the atasan's atasan approve in their inboxes; the
employee sees it approved, the balance 3 days lower, those days as cuti in her month and a
higher TPP estimate; the atasan's recap of the day shows her on leave. Screenshots in the
test's tmp_path (docs/screenshots/portal-request-*.png with HADIR_DOCS_SCREENSHOTS)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _tmp_shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot kept in the test's tmp_path only (not one of the docs')."""
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def _sign_in(page, url: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(user)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def _menu(page, label: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name=label,
                                                                  exact=True).click()
    page.wait_for_load_state()


def test_cuti_filed_approved_twice_and_the_balance_shown(portal_url: str,  # noqa: F811
                                                         browser, fresh_db: str,
                                                         tmp_path: Path):
    sys.path.insert(0, str(ROOT / "tests" / "portal"))
    sys.path.insert(0, str(ROOT / "tests" / "requests"))
    import test_request_pages
    from request_builders import KABID, KASI, STAF

    assert test_request_pages.PW == PASSWORD
    test_request_pages.seed_portal(fresh_db)
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    start = today - timedelta(days=today.weekday() + 7)  # last week's Monday to Wednesday
    end = start + timedelta(days=2)
    month = start.strftime("%Y-%m")
    # she came to work on time every other working day of that month up to yesterday
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from tpp_builders import calendar_2026, office_schedule, on_time_month
    from tpp_db import add_punches

    cal = calendar_2026()
    away = {start + timedelta(days=i) for i in range(3)}
    later = {d for d in cal.working_days(start.year, start.month) if d >= today}
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_punches(conn, STAF, on_time_month(cal, office_schedule(), start.year, start.month,
                                              skip=away | later))
    failed: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.on("response", lambda r: failed.append(r.url) if r.status >= 500 else None)

    _sign_in(page, portal_url, STAF)
    page.goto(f"{portal_url}/bulan-saya?bulan={month}")
    net_before = Decimal(page.locator("#tpp-net").get_attribute("data-net"))
    assert "TK" in page.locator(f'td[data-day="{start.isoformat()}"]').inner_text()
    _tmp_shot(page, tmp_path, "month-before")
    _menu(page, "Permohonan")
    assert page.url == f"{portal_url}/permohonan"
    left = int(page.locator("#balance-left").inner_text())
    _shot(page, tmp_path, "portal-request-mine-id")
    page.get_by_role("button", name="Ajukan permohonan").click()
    page.wait_for_url(f"{portal_url}/permohonan/baru")
    assert page.locator("article[data-kind]").count() == 11  # the shipped kinds
    _shot(page, tmp_path, "portal-request-kinds-id")
    page.locator('article[data-kind="cuti_tahunan"] a').click()
    page.wait_for_url("**/permohonan/baru?jenis=cuti_tahunan")
    page.locator("input[name=mulai]").fill(end.isoformat())  # the wrong way round first
    page.locator("input[name=selesai]").fill(start.isoformat())
    page.get_by_role("button", name="Ajukan", exact=True).click()
    page.wait_for_load_state()
    assert "tidak boleh sebelum" in page.locator("#selesai-error").inner_text()
    _tmp_shot(page, tmp_path, "request-form-errors")
    page.locator("input[name=mulai]").fill(start.isoformat())
    page.locator("input[name=selesai]").fill(end.isoformat())
    page.get_by_label("Keterangan").fill("Menghadiri pernikahan adik di Palembang")
    _shot(page, tmp_path, "portal-request-form-id")
    page.get_by_role("button", name="Ajukan", exact=True).click()
    page.wait_for_url("**/permohonan/1")
    assert page.locator("#state").inner_text() == "diajukan"
    assert f"Pegawai {KASI[-4:]}" in page.locator("#waiting").inner_text()
    _tmp_shot(page, tmp_path, "request-filed")

    for approver, step in ((KASI, "menunggu langkah berikutnya"),
                           (KABID, "Permohonan #1 disetujui.")):
        _sign_in(page, portal_url, approver)
        _menu(page, "Persetujuan permohonan")
        assert page.url == f"{portal_url}/permohonan/masuk"
        card = page.locator('article.request[data-id="1"]')
        assert "Menghadiri pernikahan adik" in card.inner_text()
        if approver == KASI:
            _shot(page, tmp_path, "portal-request-inbox-id")
        card.get_by_role("button", name="Setujui").click()
        page.wait_for_url(f"{portal_url}/permohonan/masuk")
        assert step in page.locator(".flash").first.inner_text()
        assert page.locator('article.request[data-id="1"]').count() == 0
    _tmp_shot(page, tmp_path, "request-inbox-done")

    _sign_in(page, portal_url, STAF)
    _menu(page, "Permohonan")
    row = page.locator('#my-requests tr[data-id="1"]')
    assert row.get_attribute("data-state") == "disetujui"
    assert int(page.locator("#balance-left").inner_text()) == left - 3
    _shot(page, tmp_path, "portal-request-approved-id")
    row.get_by_role("link", name="#1").click()
    page.wait_for_url("**/permohonan/1")
    assert page.locator('#history tr[data-move="setujui"]').count() == 2
    _shot(page, tmp_path, "portal-request-history-id")
    # her month: the three days are cuti now, and the estimate lost their TK deductions
    page.goto(f"{portal_url}/bulan-saya?bulan={month}")
    for d in (start, start + timedelta(days=1), end):
        cell = page.locator(f'td[data-day="{d.isoformat()}"]').inner_text()
        assert "C" in cell and "TK" not in cell, cell
    net_after = Decimal(page.locator("#tpp-net").get_attribute("data-net"))
    assert net_after > net_before
    _shot(page, tmp_path, "portal-request-month-after-id")
    # the atasan's recap of the first day has her on leave
    _sign_in(page, portal_url, KASI)
    page.goto(f"{portal_url}/rekap?tanggal={start.isoformat()}")
    row = page.locator(f'tr[data-nip="{STAF}"]')
    assert row.get_attribute("data-column") == "izin"  # "Izin, sakit, cuti, dinas luar"
    assert "cuti" in row.inner_text().lower()
    _tmp_shot(page, tmp_path, "recap-after")
    assert failed == []
    page.close()
