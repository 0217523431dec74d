"""HR's TPP reference data in a real browser: a bad rule file's problems by field, the good one
saved, a holiday added (and a duplicate refused), a schedule edited with a wrong time first.

docs/screenshots/portal-tpp-rules-*.png, portal-tpp-calendar-*.png and
portal-tpp-schedule*.png are taken here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tpp"))
from test_settings_pages import BAD, NEXT  # noqa: E402
from test_tpp_store import seed_october  # noqa: E402


def test_hr_loads_rules_adds_a_holiday_and_edits_a_schedule(portal_url: str,  # noqa: F811
                                                            browser, fresh_db: str,
                                                            tmp_path: Path):
    seed_october(fresh_db)
    (tmp_path / "salah.toml").write_text(BAD, encoding="utf-8")
    (tmp_path / "ogan-ilir-2090.toml").write_text(NEXT, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500
            or r.status in (403, 404) else None)
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    menu = page.get_by_role("navigation", name="Menu utama")

    # rule sets: the bad file's problems, each by its field, then the good file saved
    menu.get_by_role("link", name="Aturan TPP").click()
    page.wait_for_url(f"{portal_url}/tpp/aturan")
    assert page.title().startswith("Aturan TPP")
    assert "ogan-ilir-asn@v1" in page.locator("#in-force").inner_text()
    _shot(page, tmp_path, "portal-tpp-rules-id")
    page.get_by_label("Berkas aturan (.toml)").set_input_files(tmp_path / "salah.toml")
    page.get_by_role("button", name="Periksa").click()
    page.wait_for_url(f"{portal_url}/tpp/aturan/periksa")
    problems = page.locator("#problems tbody tr")
    assert problems.count() == 6
    table = {problems.nth(i).locator("td").nth(0).inner_text():
             problems.nth(i).locator("td").nth(1).inner_text() for i in range(6)}
    assert table["late.tiers[2].pct"] == 'harus angka, bukan "banyak"'
    assert table["absence_pct.tk"] == "di luar rentang: paling besar 100, bukan 150"
    assert table["ruleset.version"] == "wajib diisi"
    assert "6 masalah di salah.toml" in page.get_by_role("alert").first.inner_text()
    _shot(page, tmp_path, "portal-tpp-rules-problems-id")

    page.get_by_label("Berkas aturan (.toml)").set_input_files(tmp_path / "ogan-ilir-2090.toml")
    page.get_by_role("button", name="Periksa").click()
    assert "Berkas ogan-ilir-2090.toml valid" in page.locator("#checked").inner_text()
    summary = page.locator("dl.summary").inner_text()
    assert "Ogan Ilir" in summary and "mulai 2090-01-01" in summary
    _shot(page, tmp_path, "portal-tpp-rules-checked-id")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{portal_url}/tpp/aturan")
    assert "Aturan ogan-ilir-asn@v2 disimpan" in page.locator(".flash").inner_text()
    assert "akan berlaku" in page.locator('tr[data-key="ogan-ilir-asn@v2"]').inner_text()
    _shot(page, tmp_path, "portal-tpp-rules-saved-id")

    # the calendar: a regional holiday for every office, then the same day again (refused)
    menu.get_by_role("link", name="Kalender kerja").click()
    page.goto(f"{portal_url}/tpp/kalender?tahun=2026")
    assert "Kalender kerja 2026" in page.locator("h1").inner_text()
    form = page.locator("#add-day")
    for _ in range(2):
        form.get_by_label("Tanggal").fill("2026-10-06")
        form.get_by_label("Jenis").select_option("libur_daerah")
        form.get_by_label("Nama").fill("Hari Jadi Kabupaten")
        form.get_by_role("button", name="Tambah").click()
        form = page.locator("#add-day")
    assert "sudah tercatat untuk semua kantor: Hari Jadi Kabupaten" in page.locator(
        "#tanggal-error").inner_text()
    assert page.locator('input[name="tanggal"]').get_attribute("aria-invalid") == "true"
    _shot(page, tmp_path, "portal-tpp-calendar-error-id")
    page.goto(f"{portal_url}/tpp/kalender?tahun=2026")
    row = page.locator('tr[data-day="2026-10-06"]')
    assert "Hari Jadi Kabupaten" in row.inner_text() and "semua kantor" in row.inner_text()
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM calendar_days WHERE day = '2026-10-06'"
                            ).fetchone()[0] == 1
    row.scroll_into_view_if_needed()
    _shot(page, tmp_path, "portal-tpp-calendar-id")

    # a schedule: a wrong time is named next to its field, then the right one is saved
    menu.get_by_role("link", name="Jadwal kerja").click()
    page.wait_for_url(f"{portal_url}/tpp/jadwal")
    assert "07:30–16:00" in page.locator('tr[data-id="kantor-2026"]').inner_text()
    _shot(page, tmp_path, "portal-tpp-schedules-id")
    page.locator('tr[data-id="kantor-2026"]').get_by_role("link", name="Ubah").click()
    page.wait_for_url(f"{portal_url}/tpp/jadwal/kantor-2026")
    page.get_by_label("Ramadan — Jam masuk", exact=True).fill("16:00")
    page.get_by_label("Sabtu — Jam masuk", exact=True).fill("07:00")
    page.get_by_role("button", name="Simpan jadwal").click()
    assert "urutan jam harus" in page.locator("#ramadan-error").inner_text()
    assert "isi keempat jam" in page.locator("#saturday-end-error").inner_text()
    _shot(page, tmp_path, "portal-tpp-schedule-errors-id")
    page.get_by_label("Ramadan — Jam masuk", exact=True).fill("08:30")
    page.get_by_label("Sabtu — Jam masuk", exact=True).fill("")
    page.get_by_role("button", name="Simpan jadwal").click()
    page.wait_for_url(f"{portal_url}/tpp/jadwal")
    assert "08:30–15:00" in page.locator('tr[data-id="kantor-2026"]').inner_text()
    assert failed == []
    page.close()
