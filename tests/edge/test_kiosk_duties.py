"""An approved duty elsewhere, sent in the config, lets that person check in outside the fence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hadir_cloud.devices.domain import FleetError, parse_duty
from hadir_edge.bootstrap import make_kiosk
from hadir_edge.camera.files import load_rgb
from hadir_edge.config import EdgeSettings
from hadir_edge.decision import Status
from hadir_edge.liveness.core import LivenessResult
from hadir_protocol.models import Config, Duty, Office

OFFICE = Office(id="setda", name="Setda", tz="Asia/Jakarta", lat=-3.2452, lon=104.6513,
                radius_m=50)
FIELD = (-3.3000, 104.7000)  # about 9 km away: a duty place
NIP_A, NIP_B = "198503122010012003", "199001012015031001"


def test_duty_from_the_config_topic_opens_the_geofence_for_that_person_only(
        tmp_path: Path, faces_dir: Path):
    settings = EdgeSettings(
        device_id="kiosk-lapangan-01", data_dir=tmp_path, office=OFFICE, repeat_window_s=0,
        camera={"type": "files", "paths": [str(faces_dir / "obama/obama1.jpg")]},
        gps={"type": "fixed", "lat": FIELD[0], "lon": FIELD[1]})
    kiosk = make_kiosk(settings)
    frame = load_rgb(faces_dir / "obama/obama1.jpg")
    enc, _ = kiosk.engine.encode_single(frame)
    kiosk.engine.gallery.add(NIP_A, enc, "Obama")
    kiosk.engine.gallery.add(NIP_B, enc, "Kembaran")  # same face, two ids: pick by the sight
    sight = kiosk.look(frame)
    assert sight.employee_id in (NIP_A, NIP_B)
    live = LivenessResult("blink-dlib5", 0.5, True, "berkedip")
    assert kiosk.attempt(sight, frame, liveness=live).status is Status.OUTSIDE_GEOFENCE
    today = datetime.now(UTC).astimezone(ZoneInfo(OFFICE.tz)).date()
    duty = Duty(employee_id=sight.employee_id, day=today, lat=FIELD[0], lon=FIELD[1],
                radius_m=500)
    assert kiosk.runtime.apply(Config(version=1, device_id="kiosk-lapangan-01", office=OFFICE,
                                      duties=[duty]))
    result = kiosk.attempt(sight, frame, liveness=live)
    assert result.recorded, result
    other = NIP_B if sight.employee_id == NIP_A else NIP_A
    assert kiosk.attempt(replace(sight, employee_id=other), frame, liveness=live).status \
        is Status.OUTSIDE_GEOFENCE
    assert kiosk.outbox.depth() == 1
    kiosk.close()


def test_duty_spec_on_the_command_line():
    d = parse_duty(f"{NIP_A}@2026-11-23@-3.30,104.70,200")
    assert (d.employee_id, str(d.day), d.lat, d.lon, d.radius_m) == (NIP_A, "2026-11-23", -3.3,
                                                                     104.7, 200.0)
    for bad in (f"{NIP_A}@2026-13-40@-3.3,104.7,200", "budi@kemarin@x,y,z",
                f"{NIP_A}@2026-11-23@-95,104.7,200"):
        with pytest.raises(FleetError):
            parse_duty(bad)
