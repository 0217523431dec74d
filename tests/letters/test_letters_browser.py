"""Letters in a real browser (Debian's Chromium, the real `hadir-cloud portal` and `hadir-cloud
worker`): a draft goes from the staf through the Kasi, is returned by the Kabid, fixed, climbs
Kasi → Kabid → Sekretaris → Kepala, is signed by the job worker and downloaded, and its
verify page says valid; TU registers an incoming letter, the Kepala disposes it to the Kabid,
the Kabid to the Kasi, and it is a task in the Kasi's LKH that becomes today's activity.
Screenshots of every page are kept in the test's tmp_path (docs/screenshots/ with
HADIR_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from letters_support import KABID, KADIS, KASI, SEKRETARIS, STAF, make_ca, seed
from test_request_browser import _menu, _sign_in
from test_shell_browser import CLI, _shot, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def letters_env(fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The Dinas Kesehatan seeded, a local CA, and `hadir-cloud worker` signing with it; the
    portal started after this reads the same CA folder."""
    seed(fresh_db)
    ca_dir = make_ca(tmp_path / "ca")
    monkeypatch.setenv("HADIR_LETTERS_CA_DIR", str(ca_dir))
    monkeypatch.setenv("HADIR_LOGIN_RATE_LIMIT", "200 per minute")  # one person, many roles
    env = dict(os.environ, HADIR_DATABASE_URL=fresh_db)
    log = (tmp_path / "worker.log").open("w")
    cli = str(CLI) if CLI.exists() else "hadir-cloud"
    worker = subprocess.Popen([cli, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    yield ca_dir
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    log.close()


def _open_letter(page, url: str, box: str, subject: str) -> None:  # type: ignore[no-untyped-def]
    _menu(page, "Surat")
    page.goto(f"{url}/surat?kotak={box}")
    page.get_by_role("link", name=subject).first.click()
    page.wait_for_load_state()


def test_a_letter_climbs_the_chain_is_signed_and_an_incoming_one_becomes_work(
        letters_env, portal_url: str, browser, tmp_path: Path):  # noqa: F811
    url = portal_url
    failed: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.on("response", lambda r: failed.append(r.url) if r.status >= 500 else None)
    subject = "Rapat koordinasi Bulan Imunisasi Anak Sekolah"

    # the staf writes and submits a draft
    _sign_in(page, url, STAF)
    _menu(page, "Surat")
    _shot(page, tmp_path, "portal-letters-empty-id")
    page.get_by_role("button", name="Buat surat").click()
    page.wait_for_url(f"{url}/surat/baru")
    assert page.locator("select[name=penandatangan] option:checked").inner_text() \
        == "Kepala Dinas Kesehatan"
    page.get_by_label("Perihal").fill(subject)
    page.get_by_label("Kepada (tujuan surat)").fill("Kepala Puskesmas se-Kabupaten Ogan Ilir")
    page.locator("textarea[name=isi]").fill(
        "Dengan hormat,\n\nDalam rangka Bulan Imunisasi Anak Sekolah, kami mengundang "
        "Bapak/Ibu untuk hadir pada rapat koordinasi.\n\nDemikian, atas perhatiannya kami "
        "ucapkan terima kasih.")
    page.locator("select[name=klasifikasi]").select_option("440")
    _shot(page, tmp_path, "portal-letters-draft-id")
    page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url("**/surat/1")
    page.get_by_role("button", name="Ajukan untuk diperiksa").click()
    page.wait_for_url("**/surat/1")
    assert page.locator("#state").inner_text() == "diperiksa"
    assert [li.get_attribute("data-position") for li in page.locator("#chain li").all()[1:]] \
        == ["KASI", "KABID", "SEKRETARIS", "KADIS"]
    _shot(page, tmp_path, "portal-letters-submitted-id")

    # the Kasi initials; the Kabid returns it with a note
    _sign_in(page, url, KASI)
    _menu(page, "Surat")
    assert page.locator('#boxes a[data-box="paraf"] .count').inner_text() == "1"
    _shot(page, tmp_path, "portal-letters-inbox-id")
    _open_letter(page, url, "paraf", subject)
    page.get_by_role("button", name="Paraf dan teruskan").click()
    page.wait_for_url(f"{url}/surat")
    _sign_in(page, url, KABID)
    _open_letter(page, url, "paraf", subject)
    page.locator("#note-form textarea[name=catatan]").fill(
        "Cantumkan hari, tanggal dan tempat rapat.")
    _shot(page, tmp_path, "portal-letters-review-id")
    page.get_by_role("button", name="Kembalikan ke penyusun").click()
    page.wait_for_url(f"{url}/surat")

    # the staf fixes it and submits again
    _sign_in(page, url, STAF)
    _open_letter(page, url, "saya", subject)
    assert "Cantumkan hari" in page.locator("#returned").inner_text()
    page.get_by_role("button", name="Ubah", exact=True).click()
    page.wait_for_url("**/surat/1/ubah")
    body = page.locator("textarea[name=isi]")
    body.fill(body.input_value().replace(
        "rapat koordinasi.", "rapat koordinasi pada Senin, 7 Desember 2026 pukul 09.00 WIB "
        "di Aula Dinas Kesehatan."))
    page.get_by_role("button", name="Simpan dan ajukan").click()
    page.wait_for_url("**/surat/1")
    assert page.locator("#state").inner_text() == "diperiksa"
    assert page.locator("#diff .add").count() >= 1
    _shot(page, tmp_path, "portal-letters-diff-id")

    for who in (KASI, KABID, SEKRETARIS):
        _sign_in(page, url, who)
        _open_letter(page, url, "paraf", subject)
        page.get_by_role("button", name="Paraf dan teruskan").click()
        page.wait_for_url(f"{url}/surat")

    # the Kepala signs; the worker numbers, renders and signs; the PDF is downloaded
    _sign_in(page, url, KADIS)
    _menu(page, "Surat")
    assert page.locator('#boxes a[data-box="ttd"] .count').inner_text() == "1"
    _open_letter(page, url, "ttd", subject)
    _shot(page, tmp_path, "portal-letters-to-sign-id")
    page.get_by_role("button", name="Tandatangani secara elektronik").click()
    page.wait_for_url("**/surat/1/tugas/*")
    page.locator("#signed").wait_for(timeout=60_000)
    assert "/DINKES/" in page.locator("#signed").inner_text()
    _shot(page, tmp_path, "portal-letters-signed-id")
    with page.expect_download() as dl:
        page.locator("#download").click()
    saved = tmp_path / "surat.pdf"
    dl.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF") and b"/ByteRange" in data
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(saved),
                    str(tmp_path / "portal-letters-pdf")], check=True)
    page.goto(f"{url}/surat/1")
    page.get_by_role("link", name="Halaman verifikasi").click()
    page.wait_for_load_state()
    assert page.locator("#verdict").get_attribute("data-valid") == "ya"
    _shot(page, tmp_path, "portal-letters-verify-id")

    # TU registers an incoming letter; the Kepala disposes it to the Kabid, the Kabid to Kasi
    _sign_in(page, url, "tu")
    _menu(page, "Registrasi surat masuk")
    page.locator("select[name=unit]").select_option("DINKES")
    page.get_by_label("Pengirim").fill("Kementerian Kesehatan RI")
    page.get_by_label("Nomor surat").fill("PR.03.01/B/1234/2026")
    page.get_by_label("Perihal").fill("Pelaksanaan Bulan Imunisasi Anak Sekolah 2026")
    page.locator("select[name=klasifikasi]").select_option("440")
    page.locator("select[name=sifat]").select_option("segera")
    page.locator("input[name=pindaian]").set_input_files(str(saved))
    _shot(page, tmp_path, "portal-letters-register-id")
    page.get_by_role("button", name="Registrasi dan teruskan ke pimpinan").click()
    page.wait_for_url("**/surat/masuk/*")
    incoming = page.url
    assert "/DINKES/" in page.locator("#agenda").inner_text()
    for who, to, instruction in ((KADIS, KABID, "Tindak lanjuti, koordinasikan dengan "
                                  "puskesmas"), (KABID, KASI, "Siapkan jadwal dan undangan")):
        _sign_in(page, url, who)
        page.goto(incoming)
        page.locator("#dispose-form select[name=kepada]").select_option(to)
        page.get_by_label("Instruksi").fill(instruction)
        if who == KADIS:
            _shot(page, tmp_path, "portal-letters-dispose-id")
        page.get_by_role("button", name="Disposisikan").click()
        page.wait_for_url(incoming)
    assert page.locator(f'#dispositions tr[data-to="{KASI}"]').count() == 1
    _shot(page, tmp_path, "portal-letters-dispositions-id")

    # the Kasi's LKH shows the task; one action makes it today's activity
    _sign_in(page, url, KASI)
    _menu(page, "LKH")
    task = page.locator("#tasks tr[data-disposition]")
    assert task.count() == 1 and "Siapkan jadwal" in task.inner_text()
    _shot(page, tmp_path, "portal-letters-lkh-task-id")
    task.get_by_role("button", name="Jadikan kegiatan hari ini").click()
    page.wait_for_url("**/lkh/*")
    assert "Tindak lanjut disposisi surat" in page.locator("input[name=kegiatan-1]").input_value()
    assert "/surat/masuk/" in page.locator("input[name=tautan-1]").input_value()
    _shot(page, tmp_path, "portal-letters-lkh-activity-id")
    assert failed == []
    page.close()
