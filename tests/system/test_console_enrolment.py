"""Issue 12's done-when: a face enrolled in the portal (a browser uploading a photo to the fleet
console) reaches a kiosk through the real broker and fleet monitor, and that kiosk recognises
the person from a different photo. Every piece is the real one, each its own process: the
portal (`hadir-cloud portal`), the job worker (`hadir-cloud worker`, the face engine on the
photo), the fleet monitor (`hadir-cloud fleet`), Mosquitto with production logins and ACL, the
kiosk (`hadir-edge run`), Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.users import add_user, grant
from hadir_devstack import free_port
from hadir_edge.face import Gallery, load_or_create_gallery_key

from .harness import BIN, OFFICE, Proc, Stack, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "portal"))
from test_shell_browser import _shot  # noqa: E402

pytestmark = [pytest.mark.system, pytest.mark.browser, pytest.mark.slow]

NIP_OBAMA = "198503122010012003"
NIP_KIT = "199001012015031001"
DEV = "kiosk-konsol"
PASSWORD = "kata-sandi-rahasia"


def identify(k, photo: Path) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """`hadir-edge identify` on the kiosk's own configuration and gallery."""
    return subprocess.run([str(BIN / "hadir-edge"), "identify", str(photo)],
                          env={**os.environ, **k.env}, capture_output=True, text=True,
                          timeout=180)


def test_a_face_enrolled_in_the_portal_is_recognised_by_the_kiosk(
        stack: Stack, photo: Path, photo2: Path, faces_dir: Path, browser, tmp_path: Path):
    k = stack.add_kiosk(DEV, photo2, NIP_KIT, name="Kit", top="telemetry_interval_s = 1")
    other_photo = faces_dir / "obama" / "obama2.jpg"
    before = identify(k, other_photo)
    assert before.returncode == 1 and "tidak dikenali" in before.stdout  # nobody knows him yet
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, kind) VALUES "
                     "('setda', 'Sekretariat Daerah', 'Uji', 'opd')")
        conn.execute("INSERT INTO employees VALUES (%s, 'Barack Obama', 'setda', 'ASN', '9', "
                     "'kantor', '2020-01-01', NULL, %s)", (NIP_OBAMA, OFFICE[0]))
        add_user(conn, "ti", PASSWORD, "staf")
        grant(conn, "ti", "operator_ti", None, "uji")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs = [
        Proc("fleet", [str(BIN / "hadir-cloud"), "fleet"], stack.cloud_env("fleet"),
             stack.tmp / "fleet.log"),
        Proc("worker", [str(BIN / "hadir-cloud"), "worker"], stack.cloud_env("cli"),
             stack.tmp / "worker.log"),
        Proc("portal", [str(BIN / "hadir-cloud"), "portal", "--port", str(port)],
             stack.cloud_env("cli", HADIR_SECRET_KEY="s" * 40), stack.tmp / "portal.log"),
    ]
    try:
        for p in procs:
            p.start()
        wait_until(lambda: "subscribed to" in (stack.tmp / "fleet.log").read_text(), 30,
                   "the fleet monitor to subscribe")
        wait_until(lambda: _answers(f"{url}/healthz"), 30, "the portal to answer")
        stack.start_kiosk(DEV)
        wait_until(lambda: _one(stack, "SELECT state FROM device_state WHERE device_id = %s")
                   == "online", 60, "the kiosk's heartbeat")

        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(f"{url}/masuk")
        page.get_by_label("NIP atau nama pengguna").fill("ti")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_load_state()
        page.goto(f"{url}/kiosk/")
        row = page.locator(f"#kiosks tr[data-kiosk='{DEV}']")
        assert "Sehat" in row.inner_text()
        page.wait_for_function("document.querySelectorAll('#fleet-map path.leaflet-interactive')"
                               ".length === 1")
        _shot(page, tmp_path, "portal-kiosk-online-id")

        page.get_by_role("button", name="Daftarkan wajah").click()  # a link styled as one
        page.wait_for_url(f"{url}/kiosk/wajah")
        page.get_by_label("NIP", exact=True).fill(NIP_OBAMA)
        page.get_by_label("Foto wajah").set_input_files(str(photo))
        page.locator("input[name=setuju]").check()
        page.get_by_label("Nomor formulir persetujuan", exact=False).fill("PWJ/2026/001")
        _shot(page, tmp_path, "portal-kiosk-faces-filled-id")
        page.get_by_role("button", name="Daftarkan wajah").click()
        page.wait_for_url("**/kiosk/wajah/tugas/*")
        enrolled = page.locator("#enrolled")
        enrolled.wait_for(timeout=120_000)  # htmx polls until the job is done
        assert "Terdaftar: Barack Obama, 1 foto" in enrolled.inner_text()
        _shot(page, tmp_path, "portal-kiosk-enrolled-id")

        # the fleet monitor sends the kiosk the gallery it lacks; the kiosk keeps it encrypted
        key = load_or_create_gallery_key(k.data_dir / "gallery-key")
        wait_until(lambda: NIP_OBAMA in Gallery(k.data_dir / "gallery", key).employees(), 60,
                   "the face at the kiosk")
        after = identify(k, other_photo)
        assert after.returncode == 0, after.stdout + after.stderr
        assert after.stdout.split("\t")[0] == NIP_OBAMA  # obama2.jpg: not the enrolled photo
        version = _one(stack, "SELECT max(version) FROM face_templates")
        wait_until(lambda: _one(stack, "SELECT gallery_version FROM device_state WHERE "
                                       "device_id = %s") == version, 30,
                   "the kiosk's heartbeat to report the new gallery")
        page.goto(f"{url}/kiosk/perangkat/{DEV}")
        assert f"/ {version}" in page.locator("#vitals").inner_text()
        _shot(page, tmp_path, "portal-kiosk-gallery-id")
        assert failed == []
        page.close()
    finally:
        for p in reversed(procs):
            p.kill(15)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        time.sleep(0.2)
        return False


def _one(stack: Stack, sql: str) -> object:
    with psycopg.connect(stack.db_url) as conn:
        row = conn.execute(sql, (DEV,) if "%s" in sql else ()).fetchone()
    return row[0] if row else None
