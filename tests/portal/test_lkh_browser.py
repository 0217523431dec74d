"""LKH in a real browser: filed, returned with a note, fixed and approved; screenshots kept
(docs/screenshots/portal-lkh-*.png)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _sign_in(page, url: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(user)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_an_lkh_is_filed_returned_fixed_and_approved(portal_url: str,  # noqa: F811
                                                     browser, fresh_db: str, tmp_path: Path):
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from hadir_cloud.lkh import store
    from hadir_cloud.notify import store as notify_store
    from hadir_cloud.users import activate, invite
    from test_tpp_store import DEWI, SARI, seed_october

    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        for nip in (SARI, DEWI):
            activate(conn, nip, invite(conn, nip), PASSWORD)
        day = store.recent_days(conn, DEWI, datetime.now(ZoneInfo("Asia/Jakarta")).date())[0][0]
        # the notices job ran the morning after: her LKH of that day is still missing
        notify_store.collect(conn, day + timedelta(days=1))
    failed: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.on("response", lambda r: failed.append(r.url) if r.status >= 500 else None)

    _sign_in(page, portal_url, DEWI)
    page.get_by_role("link", name="Pemberitahuan", exact=True).click()
    page.wait_for_url(f"{portal_url}/pemberitahuan")
    assert f"LKH tanggal {day:%d-%m-%Y} belum diisi" in page.locator("#notices").inner_text()
    _shot(page, tmp_path, "portal-notices-id")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="LKH").click()
    page.wait_for_url(f"{portal_url}/lkh")
    _shot(page, tmp_path, "portal-lkh-id")
    page.locator(f'tr[data-day="{day.isoformat()}"] a').click()
    page.wait_for_url(f"**/lkh/{day.isoformat()}")
    page.locator('input[name="kegiatan-1"]').fill("Memverifikasi berkas usulan cuti")
    page.locator('input[name="hasil-1"]').fill("berkas terverifikasi")
    page.locator('input[name="jumlah-1"]').fill("8")
    page.locator('input[name="satuan-1"]').fill("berkas")
    page.locator('input[name="menit-1"]').fill("150")
    _shot(page, tmp_path, "portal-lkh-day-id")
    page.get_by_role("button", name="Ajukan ke atasan").click()
    page.wait_for_url(f"{portal_url}/lkh")
    assert page.locator(f'tr[data-day="{day.isoformat()}"]').get_attribute(
        "data-state") == "diajukan"
    page.context.clear_cookies()

    _sign_in(page, portal_url, SARI)
    page.goto(f"{portal_url}/lkh")
    page.get_by_role("button", name="1 LKH bawahan menunggu persetujuan Anda").click()
    page.wait_for_url(f"{portal_url}/lkh/tinjau")
    assert "Memverifikasi berkas usulan cuti" in page.locator(".lkh-report").inner_text()
    _shot(page, tmp_path, "portal-lkh-queue-id")
    page.locator("#catatan").fill("Sebutkan nomor usulan yang diverifikasi")
    page.get_by_role("button", name="Kembalikan yang dicentang").click()
    page.wait_for_url(f"{portal_url}/lkh/tinjau")
    assert page.locator(".lkh-report").count() == 0
    page.context.clear_cookies()

    _sign_in(page, portal_url, DEWI)
    page.goto(f"{portal_url}/lkh/{day.isoformat()}")
    assert "Sebutkan nomor usulan" in page.locator("#returned").inner_text()
    page.locator('input[name="kegiatan-1"]').fill("Memverifikasi berkas usulan cuti no. 12–19")
    _shot(page, tmp_path, "portal-lkh-returned-id")
    page.get_by_role("button", name="Ajukan ke atasan").click()
    page.wait_for_url(f"{portal_url}/lkh")
    page.context.clear_cookies()

    _sign_in(page, portal_url, SARI)
    page.goto(f"{portal_url}/lkh/tinjau")
    page.get_by_role("button", name="Setujui yang dicentang").click()
    page.wait_for_url(f"{portal_url}/lkh/tinjau")
    assert "1 LKH disetujui." in page.locator(".flash").first.inner_text()
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT status FROM lkh_reports WHERE nip = %s AND day = %s",
                            (DEWI, day)).fetchone() == ("disetujui",)
    assert failed == []
    page.close()
