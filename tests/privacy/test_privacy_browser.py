"""The privacy walk in a real browser (Debian's Chromium, the real portal and worker): an
employee reads the notice and downloads their data; HR erases a person and watches the kiosks
confirm; the auditor finds both in the trail. Screenshots of every page in tmp_path."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest
from hadir_cloud.devices.gallery import enroll, reference_jpeg
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.users import activate, add_user, grant, invite
from hadir_protocol.codec import pack_encoding
from privacy_db import BUDI, RINA, checkin, seed
from shared_faces import FACES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "portal"))
from test_request_browser import _menu, _sign_in  # noqa: E402
from test_shell_browser import PASSWORD as PW  # noqa: E402
from test_shell_browser import _shot, portal_url  # noqa: E402,F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HADIR_CLOUD = shutil.which("hadir-cloud", path=str(Path(sys.executable).parent)) or "hadir-cloud"


def _seed(url: str) -> None:
    seed(url)
    photo = reference_jpeg(FACES / "kit_harington" / "kit1.jpg")
    with psycopg.connect(url, autocommit=True) as conn:
        for nip in (RINA, BUDI):
            activate(conn, nip, invite(conn, nip), PW)
        for name, role in (("hr", "admin_bkpsdm"), ("auditor", "auditor")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, None, "admin")
        for day in range(3):
            checkin(conn, BUDI, datetime.now(UTC).replace(hour=0, minute=25 + day), "kiosk-bt",
                    photo=photo)
        checkin(conn, RINA, datetime.now(UTC), photo=photo)
        for nip, seed_ in ((RINA, 1), (BUDI, 2)):
            enc = [pack_encoding(np.random.default_rng(seed_).normal(0, 0.1, 128))]
            enroll(conn, nip, f"Pegawai {nip}", enc, photo=photo,
                   consent=Consent(f"FRM-{seed_:03d}", "hr"))
        # both kiosks hold the current gallery
        conn.execute("INSERT INTO device_state (device_id, gallery_version, last_telemetry_at) "
                     "SELECT id, (SELECT max(version) FROM face_templates), now() FROM devices")


def test_an_employee_downloads_their_data_hr_erases_the_auditor_sees_both(
        portal_url: str, browser, fresh_db: str, tmp_path: Path):  # noqa: F811
    _seed(fresh_db)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID",
                            accept_downloads=True)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 500 else None)
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([HADIR_CLOUD, "worker"], stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "HADIR_DATABASE_URL": fresh_db},
                              start_new_session=True)
    try:
        # the notice, public
        page.goto(f"{portal_url}/privasi")
        assert "Berapa lama disimpan" in page.locator("main").inner_text()
        _shot(page, tmp_path, "privacy-notice-id")

        # Budi downloads his data
        _sign_in(page, portal_url, BUDI)
        _menu(page, "Data saya")
        assert "terdaftar, tersimpan terenkripsi" in page.locator("#face-state").inner_text()
        _shot(page, tmp_path, "privacy-my-data-id")
        page.get_by_role("button", name="Unduh data saya").click()
        page.wait_for_url(re.compile(r".*/privasi/data-saya/ekspor/\d+$"))
        page.wait_for_selector('#job-progress[data-state="done"]', timeout=60_000)
        _shot(page, tmp_path, "privacy-export-ready-id")
        with page.expect_download() as got:
            page.locator("#download").click()
        zipped = zipfile.ZipFile(io.BytesIO(Path(got.value.path()).read_bytes()))
        assert got.value.suggested_filename.startswith(f"data-pribadi-{BUDI}-")
        photos = [n for n in zipped.namelist() if n.startswith("foto-presensi/")]
        assert len(photos) == 3 and "wajah/foto-referensi.jpg" in zipped.namelist()
        assert all(RINA not in zipped.read(n).decode(errors="ignore") for n in zipped.namelist())

        # HR erases Rina's biometric data: a wrong confirmation first
        _sign_in(page, portal_url, "hr")
        _menu(page, "Penghapusan biometrik")
        page.get_by_label("NIP").fill(RINA)
        page.get_by_role("button", name="Cari").click()
        assert "ada (terenkripsi)" in page.locator("#held").inner_text()
        _shot(page, tmp_path, "privacy-erasure-lookup-id")
        page.get_by_label("Alasan").fill("permintaan pegawai (surat 12/2026)")
        page.get_by_label("Ketik ulang NIP untuk mengonfirmasi").fill(RINA[:-1])
        page.get_by_role("button", name="Hapus data biometrik").click()
        error = page.locator("#konfirmasi-error")
        assert "Ketik ulang NIP yang sama" in error.inner_text()
        _shot(page, tmp_path, "privacy-erasure-error-id")
        page.get_by_label("Ketik ulang NIP untuk mengonfirmasi").fill(RINA)
        page.get_by_role("button", name="Hapus data biometrik").click()
        page.wait_for_url(re.compile(r".*/privasi/penghapusan/\d+$"))
        assert page.locator('#erased tr[data-place="templat_wajah"] td').nth(1).inner_text() == "1"
        assert page.locator('#erasure-kiosks[data-complete="tidak"]').count() == 1
        _shot(page, tmp_path, "privacy-erasure-waiting-id")
        # the kiosks' next heartbeats report the removal: the page follows (htmx polls)
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute("UPDATE device_state SET gallery_version = (SELECT max(version) FROM "
                         "face_templates), last_telemetry_at = now() + interval '1 second'")
            from hadir_cloud.privacy.erasure import confirm

            assert confirm(conn) == 2
        page.wait_for_selector('#erasure-kiosks[data-complete="ya"]', timeout=15_000)
        _shot(page, tmp_path, "privacy-erasure-confirmed-id")
        # and sets how long Buton Tengah keeps selfies
        _menu(page, "Masa simpan data")
        page.get_by_label("Berlaku untuk").select_option("buton-tengah")
        page.get_by_label("Hari").fill("60")
        page.get_by_role("button", name="Simpan masa simpan").click()
        page.wait_for_load_state()
        assert "60 hari" in page.locator(
            '#retention tr[data-regency="buton-tengah"][data-kind="foto_presensi"]').inner_text()
        _shot(page, tmp_path, "privacy-retention-id")

        # the auditor sees both in the trail
        _sign_in(page, portal_url, "auditor")
        _menu(page, "Log audit")
        table = page.locator("#audit").inner_text()
        assert "mengunduh ekspor data pribadi" in table and "menghapus data biometrik" in table
        assert "mengubah masa simpan" in table
        _shot(page, tmp_path, "privacy-audit-id")
        page.get_by_label("Aksi").select_option("biometrik.hapus")
        page.get_by_role("button", name="Saring").click()
        rows = page.locator("#audit tbody tr")
        assert rows.count() == 1 and "hr" in rows.first.inner_text()
        assert "Pegawai" not in rows.first.inner_text() or RINA in rows.first.inner_text()
        _shot(page, tmp_path, "privacy-audit-erasure-id")
        assert failed == []
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        log.close()
        page.close()
