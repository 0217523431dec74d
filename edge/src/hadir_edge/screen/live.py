"""The live camera loop: per frame, detect and track; per person, identify, check liveness, decide.

A person walks up: the face is tracked from frame to frame (encoded once per
track), the liveness window fills, and the kiosk commits the event and shows
the name and time. One decision per track: standing there longer does not
make a second event; stepping away and back gives "sudah tercatat" from the
repeat window. An unknown face is offered the NIP fallback.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..camera.base import CameraError
from ..config import LivenessConfig
from ..face import FaceStatus, Verdict
from ..kiosk import Kiosk, Result
from ..liveness.core import PROMPTS, Challenge, LivenessResult, Observation, choose_challenge, evaluate
from ..liveness.landmarks import make_backend
from ..rules import FrameQuality, Refusal, check_quality, sharpness
from ..tracking import FaceTracker

logger = logging.getLogger(__name__)

IDLE = "Silakan hadapkan wajah ke kamera"


@dataclass
class ScreenState:
    """What the page shows; served as JSON."""

    state: str = "idle"  # idle | checking | challenge | result | refused | unknown | camera_error
    message: str = IDLE
    status: str | None = None  # the Result status when state is result/refused/unknown
    name: str | None = None
    employee_id: str | None = None
    kind: str | None = None
    local_time: str | None = None
    method: str | None = None
    seq: int | None = None
    nip_offer: bool = False
    saved_offline: bool = False
    box: list[int] | None = None
    frame_no: int = 0
    decisions: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class _Track:
    observations: list[Observation] = field(default_factory=list)
    challenge: Challenge | None = None
    challenge_from: int = 0
    decided: bool = False


class LiveLoop:
    """Runs the camera → tracker → liveness → rules → outbox path in a thread."""

    def __init__(self, kiosk: Kiosk, liveness: LivenessConfig, hold_s: float = 4.0,
                 online: threading.Event | None = None):
        self.kiosk = kiosk
        self.cfg = liveness
        self.hold_s = hold_s
        self.online = online
        self.backend = make_backend(liveness.backend)
        self._gallery_gen = -1
        self.tracker = self._tracker()
        self.track = _Track()
        self.state = ScreenState()
        self.camera_state = "ok"
        self._hold_until = 0.0
        self._jpeg = b""
        self._last_frame: NDArray[np.uint8] | None = None
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_step_at = time.monotonic()

    def _tracker(self) -> FaceTracker:
        gallery = self.kiosk.engine.gallery
        self._gallery_gen = gallery.generation
        return FaceTracker(gallery.index, self.kiosk.runtime.face_distance,
                           self.kiosk.settings.face.upsample, backend=self.backend)

    # --- what the web page reads ------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The screen state as JSON-ready data."""
        with self.lock:
            return self.state.as_dict()

    def jpeg(self) -> bytes:
        """The latest camera frame as JPEG (the preview)."""
        with self.lock:
            return self._jpeg

    def last_frame(self) -> NDArray[np.uint8] | None:
        """The latest frame (the NIP fallback's photo)."""
        with self.lock:
            return self._last_frame

    # --- the loop --------------------------------------------------------------------
    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name="live-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop."""
        self.stop_event.set()
        if self._thread:
            self._thread.join(5)

    def run(self) -> None:
        """Process frames until stopped; a failing frame never stops the kiosk."""
        while not self.stop_event.is_set():
            self.last_step_at = time.monotonic()
            try:
                self.step()
            except CameraError as err:
                self.camera_state = str(err)[:200]
                self._show(ScreenState(state="camera_error",
                                       message="Kamera bermasalah — hubungi petugas TI"))
                self.stop_event.wait(2.0)
            except Exception:
                logger.exception("live frame failed")
                self.stop_event.wait(0.5)

    def alive(self, within_s: float = 30.0) -> bool:
        """False when a frame has hung for longer than `within_s` (the watchdog then lapses)."""
        return time.monotonic() - self.last_step_at < within_s

    def _show(self, state: ScreenState, hold: bool = False) -> None:
        with self.lock:
            state.frame_no = self.state.frame_no
            state.decisions = self.state.decisions + (1 if hold else 0)
            self.state = state
        if hold:
            self._hold_until = time.monotonic() + self.hold_s

    def _holding(self) -> bool:
        return time.monotonic() < self._hold_until

    def step(self) -> None:
        """One frame."""
        frame = self.kiosk.camera.capture()
        self.camera_state = "ok"
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, "JPEG", quality=70)
        with self.lock:
            self._jpeg = buf.getvalue()
            self._last_frame = frame
            self.state.frame_no += 1
        if self.kiosk.engine.gallery.generation != self._gallery_gen:
            self.tracker = self._tracker()
        self.tracker.threshold = self.kiosk.runtime.face_distance
        r = self.tracker.process(frame)
        if r.faces != 1:
            self.track = _Track()
            if r.faces > 1 and not self._holding():
                self._show(ScreenState(state="refused", status="multiple_faces",
                                       message=Refusal.MULTIPLE_FACES.value))
            elif not self._holding():
                self._show(ScreenState())
            return
        if r.new_track:
            self.track = _Track()
        t = self.track
        if t.decided:  # one decision per person in front of the kiosk
            if not self._holding():
                self._show(ScreenState(message="Terima kasih, silakan lanjut"))
            return
        assert r.box is not None
        top, right, bottom, left = r.box
        grey = frame[max(top, 0):bottom, max(left, 0):right].mean(axis=2).astype(np.uint8)
        refusal = check_quality(FrameQuality(1, bottom - top, sharpness(grey)),
                                self.kiosk.runtime.limits)
        if refusal is not None:
            t.observations.clear()
            if not self._holding():
                self._show(ScreenState(state="refused", status=refusal.name.lower(),
                                       message=refusal.value, box=list(r.box)))
            return
        if r.employee_id is None:
            if not self._holding() or self.state.state == "unknown":
                self._show(ScreenState(state="unknown", status="unknown",
                                       message=Refusal.UNKNOWN_FACE.value, nip_offer=True,
                                       box=list(r.box)))
            return
        if r.observation is not None:
            t.observations.append(r.observation)
        live = self._liveness(t)
        if live is None:
            return
        if not live.passed:
            t.decided = True
            self._show(ScreenState(state="refused", status="not_live",
                                   message=Refusal.NOT_LIVE.value, box=list(r.box)), hold=True)
            return
        verdict = Verdict(FaceStatus.MATCHED, r.employee_id, r.distance,
                          self.kiosk.runtime.face_distance, 1, r.box)
        result = self.kiosk.record(verdict, frame, liveness=live if self.cfg.mode != "off" else None)
        t.decided = True
        self.show_result(result)

    def _liveness(self, t: _Track) -> LivenessResult | None:
        """The verdict once there is enough to decide; None while still watching."""
        if self.cfg.mode == "off":
            return LivenessResult("none", 0.0, True, "liveness off")
        method = self.backend.method
        if t.challenge is None:
            if len(t.observations) < self.cfg.window:
                if not self._holding():
                    self._show(ScreenState(state="checking", message="Tahan sebentar…"))
                return None
            result = evaluate(t.observations[-self.cfg.window * 2:], method)
            if result.passed:
                return result
            t.challenge = choose_challenge()
            t.challenge_from = len(t.observations)
            self._show(ScreenState(state="challenge", message=PROMPTS[t.challenge]))
            return None
        since = t.observations[t.challenge_from:]
        result = evaluate(since, method, t.challenge)
        if result.passed or len(since) >= self.cfg.challenge_frames:
            return result
        return None

    def show_result(self, result: Result) -> None:
        """Put a check-in result on the screen for `hold_s`."""
        offline = result.recorded and self.online is not None and not self.online.is_set()
        message = result.message
        if offline:
            message += " — jaringan terputus, data tersimpan"
        state = "result" if result.status in ("recorded", "repeat") else "refused"
        self._show(ScreenState(
            state=state, message=message, status=result.status, name=result.name,
            employee_id=result.employee_id, kind=result.kind, local_time=result.local_time,
            method=result.method, seq=result.seq, saved_offline=offline), hold=True)
