"""The kiosk screen in a real browser: Debian's Chromium driven by Playwright.

The real kiosk service (`hadir-edge run`: live camera loop, liveness, rules,
outbox, publisher, screen) runs against a real Mosquitto, ingest and
PostgreSQL. Its files camera shows scenes made from real face photos (a person
who blinks, a stranger, nobody); the test switches scenes and reads what the
page says, as the person in front of the kiosk would.
"""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from hadir_devstack import free_port
from hadir_devstack.scenes import Stage, blink_frames, still_frames
from hadir_protocol import topics
from hadir_protocol.codec import encode
from hadir_protocol.models import Config, Office, Thresholds
from hadir_protocol.signing import load_private_key, sign
from paho.mqtt.enums import CallbackAPIVersion

from .harness import OFFICE, Stack, wait_until

pytestmark = [pytest.mark.system, pytest.mark.browser, pytest.mark.slow]

NIP_A = "198503122010012003"
NIP_B = "199001012015031001"
NIP_STRANGER = "199203152019032002"


def publish_config(stack: Stack, device_id: str, version: int, lat: float, lon: float) -> None:
    """What `hadir-cloud device config` does: a retained, versioned config for the kiosk."""
    office = Office(id=OFFICE[0], name=OFFICE[1], tz=OFFICE[2], lat=lat, lon=lon,
                    radius_m=OFFICE[5])
    cfg = Config(version=version, device_id=device_id, office=office,
                 thresholds=Thresholds(repeat_window_s=300))
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if stack.logins:  # as the CLI does: the broker's `cli` user
        user = stack.logins.user("cli")
        c.username_pw_set(user, stack.logins.password_file(user).read_text())
    c.connect("127.0.0.1", stack.broker.port)
    c.loop_start()
    signed = sign(cfg.model_dump(mode="json", by_alias=True, exclude_none=True),
                  load_private_key(stack.cloud_key_file))  # the kiosk pinned the cloud key
    c.publish(topics.config(device_id), encode(signed), qos=1, retain=True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def test_kiosk_screen_walkthrough(stack: Stack, faces_dir: Path, tmp_path: Path, browser):
    stage = Stage(tmp_path / "stage")
    stage.add("nobody", still_frames(None))
    stage.add("obama", blink_frames(faces_dir / "obama/obama1.jpg"))
    stage.add("kit", blink_frames(faces_dir / "kit_harington/kit1.jpg"))
    stage.add("stranger", blink_frames(faces_dir / "biden/biden1.jpg"))
    stage.add("printed", still_frames(faces_dir / "biden/biden1.jpg"))
    stage.show("nobody")
    port = free_port()
    k = stack.add_kiosk("kiosk-layar", faces_dir / "obama/obama1.jpg", NIP_A,
                        camera=stage.link, repeat_window_s=300, name="Barack Obama",
                        tables=f"[screen]\nport = {port}\nresult_hold_s = 2.0\n")
    k.kiosk.engine.gallery.add(NIP_B, k.kiosk.engine.encode_single(
        still_frames(faces_dir / "kit_harington/kit1.jpg", 1)[0])[0], "Kit Harington")
    stack.start_ingest()
    runner = stack.start_kiosk("kiosk-layar", headless=False)
    wait_until(lambda: _up(port), 60, "the kiosk screen to answer")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"http://127.0.0.1:{port}/")
    body = page.locator("body")
    message = page.locator("#message")
    detail = page.locator("#detail")

    def see(status: str, timeout: float = 30_000) -> None:
        try:
            page.wait_for_function(
                "s => document.body.dataset.status === s", arg=status, timeout=timeout)
        except Exception as err:
            seen = page.evaluate("() => [document.body.dataset.state, document.body.dataset.status,"
                                 " document.querySelector('#message').textContent]")
            raise AssertionError(f"waiting for {status!r}, the screen shows {seen}") from err

    def step_away() -> None:
        """Nobody in front: the screen asks for a face again. Not just the `idle` state, which
        "done" (the person already decided, still standing there) shares: the next person on
        the stage must be a new track, not the last one still in view."""
        stage.show("nobody")
        page.wait_for_function(
            "m => document.body.dataset.state === 'idle'"
            " && document.querySelector('#message').textContent === m",
            arg="Silakan hadapkan wajah ke kamera", timeout=30_000)

    # 1. recognised: the name and "Masuk/Pulang HH:MM, tercatat", within the blink window
    page.wait_for_function("() => document.body.dataset.state === 'idle'", timeout=30_000)
    stage.show("obama")
    see("recorded")
    assert "tercatat" in message.inner_text()
    assert page.locator("#name").inner_text() == "Barack Obama"
    # 2. the same person again after stepping away: "sudah tercatat", no second event
    step_away()
    stage.show("obama")
    see("repeat")
    assert message.inner_text() == "sudah tercatat"
    # 3. unknown face, then the NIP fallback: a live face, the photo of the moment, for review
    def type_nip(nip: str) -> None:
        page.click("#nip-open")
        for digit in nip:
            page.click(f"#keys button:text-is('{digit}')")
        page.click("#nip-submit")

    step_away()
    stage.show("stranger")
    see("unknown")
    assert message.inner_text() == "wajah tidak dikenali"
    page.screenshot(path=str(tmp_path / "kiosk-unknown.png"))
    type_nip(NIP_STRANGER)
    see("recorded")
    assert "tercatat" in message.inner_text()
    assert "menunggu diperiksa atasan" in detail.inner_text()
    page.screenshot(path=str(tmp_path / "kiosk-nip.png"))
    # 3b. a printed photo held up to the keypad: asked to blink or turn, cannot, refused
    step_away()
    stage.show("printed")
    see("unknown")
    type_nip(NIP_STRANGER)
    see("not_live")
    assert message.inner_text() == "verifikasi wajah hidup gagal"
    # 4. the cloud moves the office 5 km away (retained config): "di luar area kantor"
    publish_config(stack, "kiosk-layar", 1, OFFICE[3] + 0.045, OFFICE[4])
    page.wait_for_function(
        "() => document.querySelector('#it-status').textContent.includes('konfigurasi v1')",
        timeout=30_000)
    step_away()
    stage.show("kit")
    see("outside_geofence")
    assert message.inner_text() == "di luar area kantor"
    publish_config(stack, "kiosk-layar", 2, OFFICE[3], OFFICE[4])
    page.wait_for_function(
        "() => document.querySelector('#it-status').textContent.includes('konfigurasi v2')",
        timeout=30_000)
    wait_until(lambda: json_depth(page) == 0, 60, "the first events to be acked")
    # 5. offline: the check-in is kept, the outbox grows, then drains when the link returns
    stack.broker.stop()
    page.wait_for_selector("#offline-banner", state="visible", timeout=30_000)
    step_away()
    stage.show("kit")
    see("recorded")
    assert "tercatat" in message.inner_text()
    assert "jaringan terputus, data tersimpan" in detail.inner_text()
    assert page.locator("#name").inner_text() == "Kit Harington"
    page.wait_for_function(
        "() => Number(document.querySelector('#it-status').dataset.depth) >= 1", timeout=10_000)
    stack.broker.start()
    page.wait_for_selector("#offline-banner", state="hidden", timeout=60_000)
    page.wait_for_function(
        "() => Number(document.querySelector('#it-status').dataset.depth) === 0", timeout=60_000)
    page.screenshot(path=str(tmp_path / "kiosk.png"))
    assert body.get_attribute("data-state") in ("result", "idle")

    with psycopg.connect(stack.db_url) as conn:
        rows = conn.execute("SELECT employee_id, method, review_required, photo IS NOT "
                            "NULL, liveness_method FROM checkins WHERE device_id = %s ORDER BY seq",
                            ("kiosk-layar",)).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (NIP_A, "face", False), (NIP_STRANGER, "nip", True), (NIP_B, "face", False)]
    assert all(r[3] for r in rows)
    assert rows[0][4] == "blink-dlib5" and rows[2][4] == "blink-dlib5"
    assert runner.alive()


def _up(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def json_depth(page) -> int:  # type: ignore[no-untyped-def]
    """The outbox depth the page shows in its corner."""
    return int(page.locator("#it-status").get_attribute("data-depth") or -1)
