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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hadir_protocol.codec import uuid7
from hadir_protocol.identifiers import nip_problem
from hadir_protocol.models import CheckIn, FaceVerdict, Kind, Method
from numpy.typing import NDArray
from PIL import Image

from . import clock, rules
from .camera.base import Camera
from .camera.factory import make_camera
from .config import EdgeSettings
from .face import FaceEngine, FaceStatus, Verdict, open_gallery
from .gps import Gps, geofence, make_gps
from .identity import DeviceIdentity
from .liveness.core import LivenessResult
from .outbox import Outbox
from .runtime import RuntimeConfig

logger = logging.getLogger(__name__)

MESSAGES = {
    FaceStatus.NO_FACE: "wajah tidak terlihat",
    FaceStatus.MULTIPLE_FACES: "lebih dari satu wajah",
    FaceStatus.UNKNOWN: "wajah tidak dikenali",
}


@dataclass(frozen=True)
class Result:
    """What the screen shows after a check-in attempt."""

    # recorded | repeat | no_face | multiple_faces | unknown | outside_geofence | not_live
    # | too_small | blurred | invalid_nip
    status: str
    message: str
    employee_id: str | None = None
    kind: str | None = None
    local_time: str | None = None
    event_id: str | None = None
    seq: int | None = None
    distance: float | None = None
    name: str | None = None
    method: str | None = None

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


def utc_now() -> datetime:
    """The system clock in UTC (a simulation passes its own clock instead)."""
    return datetime.now(UTC)


class Kiosk:
    """Camera, face engine, GPS, clock, rules and outbox, wired together."""

    def __init__(self, settings: EdgeSettings, camera: Camera, engine: FaceEngine, gps: Gps,
                 outbox: Outbox, runtime: RuntimeConfig | None = None,
                 identity: DeviceIdentity | None = None,
                 now: Callable[[], datetime] = utc_now):
        self.settings = settings
        self.camera = camera
        self.engine = engine
        self.gps = gps
        self.outbox = outbox
        self.runtime = runtime or RuntimeConfig(settings)
        self.identity = identity or DeviceIdentity(settings.data_dir)
        self.now = now
        self.engine.threshold = self.runtime.face_distance

    @classmethod
    def from_settings(cls, settings: EdgeSettings, camera: Camera | None = None,
                      now: Callable[[], datetime] = utc_now) -> Kiosk:
        """Build every adapter from configuration (a backend that cannot run fails now)."""
        engine = FaceEngine(open_gallery(settings), settings.face.threshold,
                            settings.face.upsample, settings.face.num_jitters)
        return cls(settings, camera or make_camera(settings.camera), engine,
                   make_gps(settings.gps), Outbox(settings.data_dir / "outbox.sqlite"), now=now)

    def check_in(self, kind: Kind | None = None,
                 frame: NDArray[np.uint8] | None = None) -> Result:
        """One attempt from a single frame (no liveness): recognise, apply the rules, commit."""
        frame = self.camera.capture() if frame is None else frame
        self.engine.threshold = self.runtime.face_distance
        verdict = self.engine.identify(frame)
        if verdict.status is not FaceStatus.MATCHED or verdict.employee_id is None:
            return Result(verdict.status.value, MESSAGES[verdict.status], distance=verdict.distance)
        return self.record(verdict, frame, kind)

    def record(self, verdict: Verdict, frame: NDArray[np.uint8], kind: Kind | None = None,
               liveness: LivenessResult | None = None) -> Result:
        """For a matched face: GPS, geofence, repeat window, clock; then sign and commit."""
        if verdict.status is not FaceStatus.MATCHED or verdict.employee_id is None:
            raise ValueError("only a matched face is recorded")
        face = FaceVerdict(
            distance=round(verdict.distance or 0.0, 4), threshold=verdict.threshold,
            model=verdict.model,
            liveness_method=liveness.method if liveness else "none",
            liveness_score=liveness.score if liveness else None,
            liveness_passed=liveness.passed if liveness else None)
        return self._commit(verdict.employee_id, frame, face, Method.FACE, kind)

    def record_nip(self, nip: str, frame: NDArray[np.uint8] | None = None,
                   kind: Kind | None = None) -> Result:
        """The fallback: a typed NIP plus the photo of the moment, flagged for review."""
        nip = nip.strip()
        problem = nip_problem(nip)
        if problem and nip not in self.engine.gallery.employees():
            return Result("invalid_nip", problem)
        frame = self.camera.capture() if frame is None else frame
        verdict = self.engine.identify(frame)
        if verdict.faces != 1:
            status = FaceStatus.NO_FACE if verdict.faces == 0 else FaceStatus.MULTIPLE_FACES
            return Result(status.value, MESSAGES[status] + ": foto bukti perlu satu wajah")
        face = FaceVerdict(distance=None if verdict.distance is None else round(verdict.distance, 4),
                           threshold=verdict.threshold, model=verdict.model)
        return self._commit(nip, frame, face, Method.NIP, kind)

    def _commit(self, employee_id: str, frame: NDArray[np.uint8], face: FaceVerdict,
                method: Method, kind: Kind | None) -> Result:
        now = self.now()
        office = self.runtime.office
        local = now.astimezone(ZoneInfo(office.tz))
        name = self.engine.gallery.name_of(employee_id)
        fix = self.gps.fix()
        fence = geofence(fix, office)
        position = (fix.lat, fix.lon) if fix.lat is not None and fix.lon is not None else None
        if not rules.geofence_allows(fence.inside, employee_id, local.date(), position,
                                     self.runtime.duties):
            return Result("outside_geofence", rules.Refusal.OUTSIDE_GEOFENCE.value, employee_id,
                          distance=face.distance, name=name, method=method.value)
        kind = kind or rules.kind_for(local, self.runtime.schedule)
        window = self.runtime.repeat_window_s
        if window:
            since = (now - timedelta(seconds=window)).isoformat()
            recent = [(datetime.fromisoformat(at.replace("Z", "+00:00")), Kind(k))
                      for at, k in self.outbox.recent(employee_id, since)]
            if rules.is_repeat(now, kind, recent, window):
                return Result("repeat", rules.Refusal.REPEAT.value, employee_id, kind.value,
                              f"{local:%H:%M}", name=name, method=method.value)
        clk = clock.current_clock(fix.gps_time, fix_age_s=fix.age_s or 0.0)
        photo = photo_jpeg_b64(frame)

        def build(seq: int) -> dict:
            event = CheckIn(
                event_id=uuid7(), device_id=self.settings.device_id, seq=seq,
                employee_id=employee_id, kind=kind, captured_at=now,
                clock_source=clk.source, clock_drift_s=clk.drift_s, gps=fix, geofence=fence,
                face=face, method=method, review_required=method is Method.NIP,
                photo_jpeg_b64=photo,
            )
            return self.identity.sign(event.to_wire())

        event = self.outbox.add(build)
        label = "Masuk" if kind is Kind.IN else "Pulang"
        review = " (NIP + foto, diperiksa atasan)" if method is Method.NIP else ""
        return Result("recorded", f"{label} {local:%H:%M}, tercatat{review}", employee_id,
                      kind.value, f"{local:%H:%M}", event["event_id"], event["seq"],
                      face.distance, name, method.value)

    def close(self) -> None:
        """Release the camera and the outbox."""
        self.camera.close()
        self.outbox.close()
