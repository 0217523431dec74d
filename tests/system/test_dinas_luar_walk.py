"""A dinas luar from the browser to a kiosk of its place, through the real pieces.

An employee of Dinas Kesehatan files a dinas luar at the Setda (with the SPT as a PDF) in the
portal; the Kasi approves it in the inbox. The fleet monitor (`hadir-cloud fleet`) sends the
Setda kiosk its signed config with the duty and the gallery delta with her face, through the
real broker with production logins; the kiosk service (`hadir-edge run`) applies both. Before
the approval the kiosk does not know her face; after it, a check-in there is recorded inside
the geofence and reaches the database through the ingest. Screenshots in the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from .harness import BIN, OFFICE, Proc, Stack, wait_until

pytestmark = [pytest.mark.system, pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "portal"))
sys.path.insert(0, str(ROOT / "tests" / "requests"))
from request_builders import KASI, STAF  # noqa: E402
from test_request_pages import PW, seed_portal  # noqa: E402
from test_shell_browser import _shot, portal_url  # noqa: E402,F401 (a fixture)

DEV = "kiosk-setda-uji"
LOCAL = "198503122010012003"  # someone of the Setda, enrolled on the kiosk itself


def _cloud(stack: Stack, *args: str) -> str:
    out = subprocess.run([str(BIN / "hadir-cloud"), *args], env=stack.cloud_env("cli"),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _checkin(stack: Stack) -> dict[str, object]:
    k = stack.kiosks[DEV]
    done = subprocess.run([str(BIN / "hadir-edge"), "checkin"], env={**os.environ, **k.env},
                          capture_output=True, text=True, timeout=300)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _sign_in(page, url: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(user)
    page.get_by_label("Kata sandi").fill(PW)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_dinas_luar_approved_in_the_portal_lets_her_check_in_at_the_kiosk_there(
        stack: Stack, portal_url: str, browser, photo: Path, faces_dir: Path,  # noqa: F811
        tmp_path: Path):
    seed_portal(stack.db_url)
    her_photo = faces_dir / "kit_harington" / "kit2.jpg"
    k = stack.add_kiosk(DEV, photo, LOCAL, camera=her_photo,
                        top='telemetry_interval_s = 1\nliveness = { mode = "off" }')
    # her face in the cloud's gallery, for the kiosks of her own office (Dinas Kesehatan)
    _cloud(stack, "gallery", "enroll", "--employee", STAF, "--name", "Staf Dinkes",
           "--consent-ref", "FRM-DL-1",
           str(faces_dir / "kit_harington" / "kit1.jpg"))
    stack.start_ingest()
    fleet = Proc("fleet", [str(BIN / "hadir-cloud"), "fleet"], stack.cloud_env("fleet"),
                 stack.tmp / "fleet.log").start()
    try:
        wait_until(lambda: "subscribed to" in (stack.tmp / "fleet.log").read_text(), 30,
                   "the fleet monitor to subscribe")
        _cloud(stack, "device", "config", DEV)
        stack.start_kiosk(DEV)
        wait_until(lambda: (k.data_dir / "config.json").exists(), 60, "the kiosk's first config")
        before = _checkin(stack)
        assert before["status"] == "unknown", before

        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        spt = tmp_path / "spt.pdf"
        spt.write_bytes(b"%PDF-1.4\n% Surat perintah tugas 090/123/Dinkes/2026\n%%EOF\n")
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 500 else None)
        _sign_in(page, portal_url, STAF)
        page.goto(f"{portal_url}/permohonan/baru?jenis=dinas_luar")
        page.locator("input[name=mulai]").fill(today.isoformat())
        page.locator("input[name=selesai]").fill(today.isoformat())
        page.get_by_label("Keterangan").fill("Rapat koordinasi di Setda")
        page.locator("input[name=tempat]").fill(OFFICE[1])
        page.locator("input[name=lat]").fill(str(OFFICE[3]))
        page.locator("input[name=lon]").fill(str(OFFICE[4]))
        page.locator("input[name=radius]").fill("100")
        page.locator("input[name=lampiran-surat_tugas]").set_input_files(str(spt))
        _shot(page, tmp_path, "dl-form-id")
        page.get_by_role("button", name="Ajukan", exact=True).click()
        page.wait_for_url("**/permohonan/*")
        assert page.locator("#state").inner_text() == "diajukan"
        assert page.locator(".summary .files a").inner_text() == "spt.pdf"
        _shot(page, tmp_path, "dl-filed-id")

        _sign_in(page, portal_url, KASI)
        page.goto(f"{portal_url}/permohonan/masuk")
        card = page.locator("article.request").first
        assert "Rapat koordinasi di Setda" in card.inner_text()
        with page.expect_download() as got:  # the approver opens the SPT from the inbox
            card.locator(".files a").click()
        assert Path(got.value.path()).read_bytes() == spt.read_bytes()
        _shot(page, tmp_path, "dl-inbox-id")
        card.get_by_role("button", name="Setujui").click()
        page.wait_for_url(f"{portal_url}/permohonan/masuk")
        assert "disetujui" in page.locator(".flash").first.inner_text()
        _shot(page, tmp_path, "dl-approved-id")
        assert failed == []
        page.close()

        # the fleet monitor sends the kiosk of the place its duty and her face
        def has_duty() -> bool:
            saved = json.loads((k.data_dir / "config.json").read_text())
            return any(d["employee_id"] == STAF for d in saved.get("duties", []))

        wait_until(has_duty, 60, "the duty in the kiosk's config")
        saved = json.loads((k.data_dir / "config.json").read_text())
        (duty,) = [d for d in saved["duties"] if d["employee_id"] == STAF]
        assert duty["day"] == today.isoformat() and duty["radius_m"] == 100
        with psycopg.connect(stack.db_url) as conn:
            sent = conn.execute("SELECT devices FROM duty_deliveries").fetchone()
        assert sent == ([DEV],)

        def knows_her() -> bool:
            got = _checkin(stack)
            if got["status"] == "recorded":
                k.created.append(str(got["event_id"]))
            return got["status"] == "recorded"

        wait_until(knows_her, 90, "her face in the kiosk's gallery", step=2.0)
        stack.wait_drained()
        stack.assert_nothing_lost()
        with psycopg.connect(stack.db_url) as conn:
            row = conn.execute("SELECT employee_id, device_id, geofence_inside, office_id "
                               "FROM checkins WHERE employee_id = %s", (STAF,)).fetchone()
        assert row == (STAF, DEV, True, OFFICE[0])
    finally:
        fleet.kill(15)

