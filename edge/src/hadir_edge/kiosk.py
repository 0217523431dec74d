"""The kiosk's composition root: the only place that picks adapters from configuration.

`check_in()` takes a frame, recognises the person, reads the GPS and the
clock, applies the kiosk's rules, and commits the signed event to the outbox
before it answers — so "tercatat" is never said about an event that a power
cut could lose.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hadir_protocol.codec import uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, Kind, Method
from hadir_protocol.signing import load_or_create_private_key, sign
from numpy.typing import NDArray
from PIL import Image

from . import clock, rules
from .camera.base import Camera
from .camera.factory import make_camera
from .config import EdgeSettings
from .face import FaceEngine, FaceStatus, Gallery, Verdict
from .gps import Gps, geofence, make_gps
from .outbox import Outbox

logger = logging.getLogger(__name__)

MESSAGES = {
    FaceStatus.NO_FACE: "wajah tidak terlihat",
    FaceStatus.MULTIPLE_FACES: "lebih dari satu wajah",
    FaceStatus.UNKNOWN: "wajah tidak dikenali",
}


@dataclass(frozen=True)
class Result:
    """What the screen shows after a check-in attempt."""

    status: str  # recorded | repeat | no_face | multiple_faces | unknown | outside_geofence
    message: str
    employee_id: str | None = None
    kind: str | None = None
    local_time: str | None = None
    event_id: str | None = None
    seq: int | None = None
    distance: float | None = None

    @property
    def recorded(self) -> bool:
        """True when an event was committed to the outbox."""
        return self.status == "recorded"


def photo_jpeg_b64(frame: NDArray[np.uint8], width: int = 320, quality: int = 70) -> str:
    """A small JPEG of the check-in moment, base64."""
    img = Image.fromarray(frame)
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return base64.b64encode(buf.getvalue()).decode()


class Kiosk:
    """Camera, face engine, GPS, clock, rules and outbox, wired together."""

    def __init__(self, settings: EdgeSettings, camera: Camera, engine: FaceEngine, gps: Gps,
                 outbox: Outbox):
        self.settings = settings
        self.camera = camera
        self.engine = engine
        self.gps = gps
        self.outbox = outbox
        self.key = load_or_create_private_key(settings.data_dir / "device_key.pem")

    @classmethod
    def from_settings(cls, settings: EdgeSettings, camera: Camera | None = None) -> Kiosk:
        """Build every adapter from configuration (a backend that cannot run fails now)."""
        data = settings.data_dir
        gallery = Gallery(data / "gallery")
        engine = FaceEngine(gallery, settings.face.threshold, settings.face.upsample,
                            settings.face.num_jitters)
        return cls(settings, camera or make_camera(settings.camera), engine,
                   make_gps(settings.gps), Outbox(data / "outbox.sqlite"))

    def check_in(self, kind: Kind | None = None,
                 frame: NDArray[np.uint8] | None = None) -> Result:
        """One attempt: recognise, apply the rules, commit the signed event, answer."""
        frame = self.camera.capture() if frame is None else frame
        verdict = self.engine.identify(frame)
        if verdict.status is not FaceStatus.MATCHED or verdict.employee_id is None:
            return Result(verdict.status.value, MESSAGES[verdict.status], distance=verdict.distance)
        return self.record(verdict, frame, kind)

    def record(self, verdict: Verdict, frame: NDArray[np.uint8],
               kind: Kind | None = None) -> Result:
        """For a matched face: GPS, geofence, repeat window, clock; then sign and commit."""
        if verdict.status is not FaceStatus.MATCHED or verdict.employee_id is None:
            raise ValueError("only a matched face is recorded")
        now = datetime.now(UTC)
        office = self.settings.office
        local = now.astimezone(ZoneInfo(office.tz))
        fix = self.gps.fix()
        fence = geofence(fix, office)
        position = (fix.lat, fix.lon) if fix.lat is not None and fix.lon is not None else None
        if not rules.geofence_allows(fence.inside, verdict.employee_id, local.date(), position):
            return Result("outside_geofence", rules.Refusal.OUTSIDE_GEOFENCE.value,
                          verdict.employee_id, distance=verdict.distance)
        kind = kind or rules.kind_for(local, self.settings.schedule)
        window = self.settings.repeat_window_s
        if window:
            since = (now - timedelta(seconds=window)).isoformat()
            recent = [(datetime.fromisoformat(at.replace("Z", "+00:00")), Kind(k))
                      for at, k in self.outbox.recent(verdict.employee_id, since)]
            if rules.is_repeat(now, kind, recent, window):
                return Result("repeat", rules.Refusal.REPEAT.value, verdict.employee_id,
                              kind.value, f"{local:%H:%M}")
        clk = clock.current_clock(fix.gps_time, fix_age_s=fix.age_s or 0.0)
        photo = photo_jpeg_b64(frame)
        employee_id = verdict.employee_id
        face = FaceVerdict(distance=round(verdict.distance or 0.0, 4),
                           threshold=verdict.threshold, model=verdict.model)

        def build(seq: int) -> dict:
            event = CheckIn(
                event_id=uuid7(), device_id=self.settings.device_id, seq=seq,
                employee_id=employee_id, kind=kind, captured_at=now,
                clock_source=clk.source, clock_drift_s=clk.drift_s, gps=fix, geofence=fence,
                face=face, method=Method.FACE, photo_jpeg_b64=photo,
            )
            return sign(event.to_wire(), self.key)

        event = self.outbox.add(build)
        label = "Masuk" if kind is Kind.IN else "Pulang"
        return Result("recorded", f"Selamat datang — {label} {local:%H:%M}, tercatat",
                      verdict.employee_id, kind.value, f"{local:%H:%M}", event["event_id"],
                      event["seq"], verdict.distance)

    def close(self) -> None:
        """Release the camera and the outbox."""
        self.camera.close()
        self.outbox.close()
