"""Every way a check-in is made goes through the one decision (`hadir_edge.decision.decide`).

Regression: the pure `rules.decide()` was tested and called by nothing in production; the
live loop and `kiosk.py` each made part of the decision, and `hadir-edge checkin` skipped the
face-size and blur limits. Here the source is held to one call of `decide` and one commit
behind it, and each path (the screen's live loop, the simulator; `checkin` in test_cli.py,
the NIP keypad in test_nip_fallback.py) refuses a face the decision finds too small.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hadir_edge.bootstrap import build_service
from hadir_edge.config import EdgeSettings
from hadir_edge.decision import Status
from hadir_edge.screen.live import LiveLoop
from hadir_edge.simulator import SimClock, Simulator
from hadir_protocol.models import Office

SRC = Path(__file__).resolve().parents[2] / "edge" / "src" / "hadir_edge"
OFFICE = Office(id="setda", name="Setda", tz="Asia/Jakarta", lat=-3.2452, lon=104.6513,
                radius_m=50)
NIP = "198503122010012003"


def calls(name: str, on: str = "") -> list[str]:
    """'file:function' of every call of `name` (a function, or a method of something whose
    source contains `on`) in the kiosk's source."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Call):
                    f = node.func
                    called = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                    receiver = ast.unparse(f.value) if isinstance(f, ast.Attribute) else ""
                    if called == name and on in receiver:
                        found.append(f"{path.relative_to(SRC)}:{fn.name}")
    return found


def test_one_call_of_the_decision_and_one_commit_behind_it():
    assert calls("decide") == ["kiosk.py:attempt"]
    assert calls("_commit") == ["kiosk.py:attempt"]  # only what the decision says to record
    assert calls("add", on="outbox") == ["kiosk.py:_commit"]
    assert calls("attempt") == ["session.py:step"]  # the screen, checkin and the simulator


def settings(tmp_path: Path, camera: Path, **face: object) -> EdgeSettings:
    return EdgeSettings(device_id="kiosk-satu-01", data_dir=tmp_path / "data", office=OFFICE,
                        camera={"type": "files", "paths": [str(camera)], "fps": 0},
                        gps={"type": "fixed", "lat": OFFICE.lat, "lon": OFFICE.lon},
                        liveness={"mode": "off"}, repeat_window_s=0,
                        face={"min_face_px": 80, **face})


def enrol(service, faces_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from hadir_edge.camera.files import load_rgb

    engine = service.kiosk.engine
    enc, _ = engine.encode_single(load_rgb(faces_dir / "obama/obama1.jpg"))
    engine.gallery.add(NIP, enc, "Barack Obama")


@pytest.mark.parametrize(("min_face_px", "status"), [(1000, Status.FACE_TOO_SMALL),
                                                     (80, Status.RECORDED)])
def test_the_simulator_decides_like_the_screen(tmp_path, faces_dir, min_face_px, status):
    service = build_service(settings(tmp_path, faces_dir / "obama/obama2.jpg",
                                     min_face_px=min_face_px), screen=False)
    enrol(service, faces_dir)
    sim = Simulator(service, SimClock(), every_s=1.0, count=2)
    try:
        for _ in range(3):
            sim.tick()
        assert sim.session.track is not None
        expected = 2 if status is Status.RECORDED else 0
        assert sim.made == expected and service.outbox.depth() == expected
        assert sim.over == (status is Status.RECORDED)  # stops after `count` check-ins
    finally:
        service.outbox.close()


def test_the_screens_loop_refuses_a_face_too_small(tmp_path, faces_dir):
    service = build_service(settings(tmp_path, faces_dir / "obama/obama2.jpg",
                                     min_face_px=1000))
    enrol(service, faces_dir)
    assert isinstance(service.loop, LiveLoop)
    try:
        step = service.loop.step()
        assert step.result.status is Status.FACE_TOO_SMALL
        assert service.loop.snapshot()["message"] == "wajah terlalu kecil, silakan mendekat"
        assert service.outbox.depth() == 0
    finally:
        service.screen.server.server_close()  # type: ignore[union-attr]
        service.outbox.close()


def test_every_adapter_is_built_in_the_composition_root():
    """camera, face engine, GPS, publisher, device life, live loop and screen: `bootstrap` only."""
    for adapter in ("make_camera", "FaceEngine", "make_gps", "Publisher", "DeviceAgent",
                    "LiveLoop", "ScreenServer", "Kiosk"):
        where = calls(adapter)
        assert where and all(c.startswith("bootstrap.py:") for c in where), (adapter, where)


def test_a_fresh_kiosk_sees_the_faces_the_cloud_sends_without_a_restart(tmp_path, faces_dir):
    """Regression: `make_kiosk` took `gallery or open_gallery(...)`; an empty gallery is falsy,
    so a kiosk that started empty decided with a second gallery and never saw the faces the
    device agent applied from the cloud until it was restarted."""
    from hadir_edge.camera.files import load_rgb
    from hadir_protocol.codec import pack_encoding
    from hadir_protocol.models import GalleryDelta, GalleryPerson

    service = build_service(settings(tmp_path, faces_dir / "obama/obama2.jpg"), screen=False)
    try:
        assert len(service.agent.gallery) == 0
        assert service.kiosk is not None and service.kiosk.engine.gallery is service.agent.gallery
        sim = Simulator(service, SimClock(), every_s=1.0)
        sim.tick()
        assert sim.made == 0  # nobody known yet
        enc, _ = service.kiosk.engine.encode_single(load_rgb(faces_dir / "obama/obama1.jpg"))
        service.agent.gallery.apply(GalleryDelta(
            device_id="kiosk-satu-01", base_version=0, version=1, upserts=[GalleryPerson(
                employee_id=NIP, name="Barack Obama", encodings_b64=[pack_encoding(enc)])]))
        sim.tick()
        assert sim.made == 1 and service.outbox.depth() == 1
    finally:
        service.outbox.close()
