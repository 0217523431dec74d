"""The NIP fallback holds: a live face, measured against the person claimed, a few attempts.

Regression: the fallback accepted any well-formed NIP with any face in front of the camera,
photos included, without liveness and without a limit, and recorded the distance to whoever
in the gallery was nearest: one person could check in ten colleagues. Here the real session
(tracker, liveness window, decision, outbox) of the kiosk screen decides typed NIPs on real
photos: a blink made from real frames, a printed photo (a still) before the camera.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hadir_devstack.scenes import blink_frames, portrait, sensor_noise
from hadir_edge.bootstrap import make_kiosk
from hadir_edge.camera.files import load_rgb
from hadir_edge.config import EdgeSettings
from hadir_edge.decision import Status
from hadir_edge.kiosk import Kiosk, Result
from hadir_edge.screen.app import create_screen_app
from hadir_edge.screen.live import LiveLoop
from hadir_edge.session import Session
from hadir_protocol.models import Office
from system.harness import wait_until

pytestmark = pytest.mark.slow

OFFICE = Office(id="setda", name="Setda", tz="Asia/Jakarta", lat=-3.2452, lon=104.6513,
                radius_m=50)
OBAMA, KIT, ALEX = "198503122010012003", "199001012015031001", "199203152019032002"
NOT_ENROLLED = ["198811112012122001", "197001011995031002", "198002022005012003",
                "197505052000031004", "196912122000121005", "198707072010011006"]


class Clock:
    """The kiosk's clock, moved by the test."""

    def __init__(self) -> None:
        self.at = datetime(2026, 10, 5, 0, 30, tzinfo=UTC)  # 07:30 WIB, a Monday

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def kiosk(tmp_path: Path, faces_dir: Path) -> Iterator[tuple[Kiosk, Clock]]:
    settings = EdgeSettings(
        device_id="kiosk-nip-01", data_dir=tmp_path / "data", office=OFFICE, repeat_window_s=0,
        camera={"type": "files", "paths": [str(faces_dir / "obama/obama1.jpg")]},
        gps={"type": "fixed", "lat": OFFICE.lat, "lon": OFFICE.lon})
    clock = Clock()
    k = make_kiosk(settings, now=clock)
    for nip, photo in ((OBAMA, "obama/obama1.jpg"), (KIT, "kit_harington/kit1.jpg"),
                       (ALEX, "alex_lacamoire/alex1.jpg")):
        enc, _ = k.engine.encode_single(load_rgb(faces_dir / photo))
        k.engine.gallery.add(nip, enc, nip)
    yield k, clock
    k.close()


def typed(session: Session, nip: str, frames: list[np.ndarray], most: int = 80) -> Result:
    """A NIP typed while `frames` (cycled) are before the camera: the claim's decision.

    The person stands before the camera while typing (one pass of the scene: a live one
    blinks once), so the claim is decided on what the camera saw and sees."""
    session.reset()  # a person walks up
    for frame in frames:
        session.step(frame)
    pending = session.claim(nip)
    for frame in itertools.islice(itertools.cycle(frames), most):
        session.step(frame)
        if pending.done.is_set():
            break
    assert pending.result is not None, f"the claim for {nip} was not decided"
    return pending.result


def still_photo(path: Path, n: int = 6) -> list[np.ndarray]:
    """A printed photo held before the camera: the camera's noise changes, the face does not."""
    rng = np.random.default_rng(9)
    frame = portrait(path)
    return [sensor_noise(frame, rng) for _ in range(n)]


def test_a_live_unknown_face_checks_in_with_its_own_nip_for_review(kiosk, faces_dir):
    k, _ = kiosk
    session = Session(k, k.settings.liveness)
    alex = blink_frames(faces_dir / "alex_lacamoire/alex2.png")  # 0.52 from alex1: unknown
    assert session.step(alex[0]).result.status is Status.UNKNOWN
    result = typed(session, ALEX, alex)
    assert result.status is Status.RECORDED and result.decision.method.value == "nip"
    assert 0.5 < result.decision.distance < 0.6  # to the person claimed
    assert "menunggu diperiksa atasan" in result.message
    payload = json.loads(k.outbox.db.execute("SELECT payload FROM events").fetchone()[0])
    assert payload["method"] == "nip" and payload["review_required"] is True
    assert payload["employee_id"] == ALEX and payload["face"]["liveness_passed"] is True
    assert payload["face"]["distance"] == result.decision.distance


def test_a_printed_photo_held_to_the_keypad_is_refused(kiosk, faces_dir):
    k, _ = kiosk
    session = Session(k, k.settings.liveness)
    result = typed(session, NOT_ENROLLED[0], still_photo(faces_dir / "biden/biden1.jpg"))
    assert result.status is Status.NOT_LIVE and not result.recorded
    assert k.outbox.depth() == 0


def test_a_face_closer_to_someone_else_enrolled_is_refused(kiosk, faces_dir):
    k, _ = kiosk
    session = Session(k, k.settings.liveness)
    alex = blink_frames(faces_dir / "alex_lacamoire/alex2.png")
    result = typed(session, OBAMA, alex)  # Alex's face is far closer to Alex than to Obama
    assert result.status is Status.NIP_OTHER_PERSON, result
    assert result.message == "wajah ini lebih mirip pegawai lain yang terdaftar; NIP ditolak"
    # a stranger typing a colleague's NIP: far from that colleague's photos
    biden = blink_frames(faces_dir / "biden/biden1.jpg")
    assert typed(session, OBAMA, biden).status is Status.NIP_MISMATCH
    assert k.outbox.depth() == 0


def test_the_sixth_attempt_within_a_minute_on_one_kiosk_is_refused(kiosk, faces_dir):
    k, clock = kiosk
    session = Session(k, k.settings.liveness)
    biden = blink_frames(faces_dir / "biden/biden1.jpg")  # a live face, nobody enrolled
    results = []
    for nip in NOT_ENROLLED:
        results.append(typed(session, nip, biden))
        clock.at += timedelta(seconds=5)
    assert [r.status for r in results[:5]] == [Status.RECORDED] * 5
    assert results[5].status is Status.NIP_RATE_LIMITED
    assert "terlalu banyak percobaan NIP" in results[5].message
    assert k.outbox.depth() == 5
    clock.at += timedelta(minutes=2)  # a minute later the kiosk takes NIPs again ...
    assert typed(session, NOT_ENROLLED[5], biden).status is Status.RECORDED
    # ... but one NIP has three attempts in a quarter of an hour, across restarts
    again = make_kiosk(k.settings, outbox=k.outbox, now=clock)
    second = Session(again, k.settings.liveness)
    clock.at += timedelta(minutes=2)
    assert typed(second, NOT_ENROLLED[5], biden).status is Status.RECORDED
    clock.at += timedelta(minutes=2)
    assert typed(second, NOT_ENROLLED[5], biden).status is Status.NIP_RATE_LIMITED
    clock.at += timedelta(minutes=16)
    assert typed(second, NOT_ENROLLED[5], biden).status is Status.RECORDED


def test_the_screen_posts_the_nip_to_the_live_loop(kiosk, faces_dir, tmp_path):
    """The keypad's POST is decided by the running loop on the camera's next frames."""
    k, _ = kiosk
    frames = blink_frames(faces_dir / "alex_lacamoire/alex2.png")
    scene = tmp_path / "alex"
    scene.mkdir()
    from PIL import Image

    for i, f in enumerate(frames):
        Image.fromarray(f).save(scene / f"{i:03d}.png")
    from hadir_edge.camera.files import FilesCamera

    k.camera = FilesCamera([scene], fps=30)
    loop = LiveLoop(k, k.settings.liveness, hold_s=1.0, online=threading.Event())
    app = create_screen_app(k, loop, token="t")
    client = app.test_client()
    loop.start()
    try:
        wait_until(lambda: client.get("/api/state").json["frame_no"] > len(frames), 30,
                   "Alex to stand before the camera while typing")
        assert client.get("/api/state").json["status"] == "unknown"
        assert client.post("/api/nip", json={"nip": ALEX}).status_code == 403  # no token
        answer = client.post("/api/nip", json={"nip": ALEX}, headers={"X-Kiosk-Token": "t"})
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == "recorded" and answer.json["method"] == "nip"
        state = client.get("/api/state").json
        assert state["status"] == "recorded" and state["method"] == "nip"
        assert state["message"].endswith("tercatat")
        assert "menunggu diperiksa atasan" in state["detail"]
        assert "jaringan terputus, data tersimpan" in state["detail"]  # offline: kept
        empty = client.post("/api/nip", json={"nip": " "}, headers={"X-Kiosk-Token": "t"})
        assert empty.status_code == 400 and empty.json["status"] == "invalid_nip"
    finally:
        loop.stop()
