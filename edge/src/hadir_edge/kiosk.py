"""The kiosk's facts and commits: around the one decision (`decision.decide`).

`Kiosk.attempt` gathers what the decision needs besides the camera's facts (the clock, the
GPS fix and geofence, approved duties, the work schedules, the person's events of today),
calls `decide`, and — only when the decision says so — signs the event and commits it to
the outbox before it answers, so "tercatat" is never said about an event that a power cut
could lose. The NIP fallback's facts (`Kiosk.claim`: distances to the person claimed and to
everyone else, the attempts made lately) are gathered here too.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from hadir_protocol.codec import uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, Geofence, GpsFix, Kind, Method
from numpy.typing import NDArray
from PIL import Image

from . import clock
from .camera.base import Camera
from .config import EdgeSettings
from .decision import Claim, Context, Decision, Policy, Sight, Status, decide
from .face import MODEL, FaceEngine
from .gps import Gps, geofence
from .identity import DeviceIdentity
from .liveness.core import LivenessResult
from .outbox import Outbox
from .runtime import RuntimeConfig
from .tracking import sharpness

logger = logging.getLogger(__name__)

#: a GPS fix is asked for at most this often (the decision runs on every frame)
FIX_MAX_AGE_S = 1.0


@dataclass(frozen=True)
class Result:
    """What came of an attempt: the decision, and the event when one was committed."""

    decision: Decision
    name: str | None = None
    event_id: str | None = None
    seq: int | None = None

    @property
    def status(self) -> Status:
        """The decision's status."""
        return self.decision.status

    @property
    def message(self) -> str:
        """What the screen says."""
        return self.decision.message

    @property
    def recorded(self) -> bool:
        """True when an event was committed to the outbox."""
        return self.event_id is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the CLI's output line, the screen's NIP answer)."""
        d = self.decision
        return {"status": d.status.value, "message": d.message, "employee_id": d.employee_id,
                "kind": d.kind.value if d.kind else None, "local_time": d.local_time,
                "event_id": self.event_id, "seq": self.seq, "distance": d.distance,
                "name": self.name, "method": d.method.value, "schedule": d.schedule_ref}


def photo_jpeg_b64(frame: NDArray[np.uint8], width: int = 320, quality: int = 70) -> str:
    """A small JPEG of the check-in moment, base64."""
    img = Image.fromarray(frame)
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return base64.b64encode(buf.getvalue()).decode()


def utc_now() -> datetime:
    """The system clock in UTC (the simulator passes its own clock instead)."""
    return datetime.now(UTC)


def wire_time(at: datetime) -> str:
    """`at` to the second in the outbox's text form, for range comparisons."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Kiosk:
    """Camera, face engine, GPS, clock, decision and outbox, wired by `bootstrap`."""

    def __init__(self, settings: EdgeSettings, camera: Camera, engine: FaceEngine, gps: Gps,
                 outbox: Outbox, runtime: RuntimeConfig, identity: DeviceIdentity,
                 now: Callable[[], datetime] = utc_now):
        self.settings = settings
        self.camera = camera
        self.engine = engine
        self.gps = gps
        self.outbox = outbox
        self.runtime = runtime
        self.identity = identity
        self.now = now
        self.engine.threshold = self.runtime.face_distance
        self._fix: tuple[float, GpsFix] | None = None

    # --- facts -----------------------------------------------------------------------
    def policy(self) -> Policy:
        """The limits in force (settings and the cloud's latest config)."""
        nip = self.settings.nip
        return Policy(limits=self.runtime.limits, liveness=self.settings.liveness.mode != "off",
                      repeat_window_s=self.runtime.repeat_window_s,
                      nip_kiosk_limit=nip.kiosk_attempts, nip_kiosk_window_s=nip.kiosk_window_s,
                      nip_limit=nip.attempts, nip_window_s=nip.window_s,
                      nip_max_distance=nip.max_distance)

    def fix(self) -> GpsFix:
        """The GPS fix, asked for at most once a second."""
        mono = time.monotonic()
        if self._fix is None or mono - self._fix[0] > FIX_MAX_AGE_S:
            self._fix = (mono, self.gps.fix())
        return self._fix[1]

    def context(self, employee_id: str | None) -> tuple[Context, GpsFix, Geofence]:
        """Where and when, for a person: the decision's context and the evidence behind it."""
        now = self.now()
        office = self.runtime.office
        fix = self.fix()
        fence = geofence(fix, office)
        position = (fix.lat, fix.lon) if fix.lat is not None and fix.lon is not None else None
        events: list[tuple[datetime, Kind]] = []
        came = False
        if employee_id is not None:
            local = now.astimezone(ZoneInfo(office.tz))
            day_began = datetime.combine(local.date(), datetime.min.time(), local.tzinfo)
            came = self.outbox.checked_in_since(employee_id, wire_time(day_began))
            window = now - timedelta(seconds=self.runtime.repeat_window_s)
            events = [(datetime.fromisoformat(at.replace("Z", "+00:00")), Kind(k))
                      for at, k in self.outbox.recent(employee_id, wire_time(window))]
        ctx = Context(now_utc=now, tz=office.tz, inside_office=fence.inside, position=position,
                      duties=self.runtime.duties, work=self.runtime.work,
                      checked_in_today=came, events=events)
        return ctx, fix, fence

    def claim(self, nip: str, encoding: NDArray[np.floating] | None) -> Claim:
        """The NIP fallback's facts for a typed NIP and the face's encoding; the attempt is
        remembered (in the outbox, so the limit holds across restarts)."""
        nip = nip.strip()
        index = self.engine.gallery.index
        enrolled = nip in self.engine.gallery.employees()
        distance = other = None
        if encoding is not None:
            distance = index.distance_to(encoding, nip)
            label, d = index.nearest(encoding, exclude=nip)
            other = (label, d) if label is not None else None
        now = self.now()
        policy = self.policy()
        on_kiosk, for_nip = self.outbox.nip_attempts(now, policy.nip_kiosk_window_s, nip,
                                                     policy.nip_window_s)
        self.outbox.note_nip_attempt(nip, now)
        return Claim(nip=nip, enrolled=enrolled,
                     distance=None if distance is None else round(distance, 4),
                     nearest_other=other, kiosk_attempts=on_kiosk, nip_attempts=for_nip)

    def look(self, frame: NDArray[np.uint8]) -> Sight:
        """What one frame shows, through the face engine on the whole frame (no tracking)."""
        v = self.engine.identify(frame)
        face_px, sharp = 0, 0.0
        if v.box is not None:
            top, right, bottom, left = v.box
            face_px = bottom - top
            sharp = sharpness(frame[max(top, 0):bottom, max(left, 0):right].mean(axis=2)
                              .astype(np.uint8))
        return Sight(v.faces, face_px, sharp, v.employee_id, v.distance, v.threshold)

    # --- the decision, and the commit of what it says -----------------------------------
    def attempt(self, sight: Sight, frame: NDArray[np.uint8] | None, *,
                liveness: LivenessResult | None, claim: Claim | None = None,
                decided: bool = False, kind: Kind | None = None) -> Result:
        """Decide on what the camera shows (with the context gathered now); commit when the
        decision says record."""
        who = claim.nip if claim is not None else sight.employee_id
        ctx, fix, fence = self.context(who)
        decision = decide(sight, liveness=liveness, context=ctx, policy=self.policy(),
                          claim=claim, decided=decided, kind=kind)
        name = self.engine.gallery.name_of(decision.employee_id) if decision.employee_id else None
        if not decision.record:
            return Result(decision, name)
        if frame is None:
            raise ValueError("a recorded check-in needs the frame of the moment (its photo)")
        return self._commit(decision, sight, frame, liveness, ctx.now_utc, fix, fence, name)

    def _commit(self, d: Decision, sight: Sight, frame: NDArray[np.uint8],
                liveness: LivenessResult | None, now: datetime, fix: GpsFix, fence: Geofence,
                name: str | None) -> Result:
        assert d.employee_id is not None and d.kind is not None
        face = FaceVerdict(
            distance=None if d.distance is None else round(d.distance, 4),
            threshold=sight.threshold, model=MODEL,
            liveness_method=liveness.method if liveness else "none",
            liveness_score=liveness.score if liveness else None,
            liveness_passed=liveness.passed if liveness else None)
        clk = clock.current_clock(fix.gps_time, fix_age_s=fix.age_s or 0.0)
        photo = photo_jpeg_b64(frame)
        employee_id, kind, method = d.employee_id, d.kind, d.method

        def build(seq: int) -> dict[str, Any]:
            event = CheckIn(
                event_id=uuid7(), device_id=self.settings.device_id, seq=seq,
                employee_id=employee_id, kind=kind, captured_at=now,
                clock_source=clk.source, clock_drift_s=clk.drift_s, gps=fix, geofence=fence,
                face=face, method=method, review_required=method is Method.NIP,
                photo_jpeg_b64=photo,
            )
            return self.identity.sign(event.to_wire())

        event = self.outbox.add(build)
        return Result(d, name, event["event_id"], event["seq"])

    def close(self) -> None:
        """Release the camera and the outbox."""
        self.camera.close()
        self.outbox.close()
