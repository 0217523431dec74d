"""The live camera loop behind the kiosk screen: frames through the session, onto the screen.

A person walks up: the session tracks the face, the liveness window fills, the one decision
says what happens, and the screen shows it (the name and time, or why not). A final result
stays on the screen for `hold_s`; a typed NIP (`submit_nip`) is decided by the same loop on
the next frames, with liveness, and its result shown the same way.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..camera.base import CameraError
from ..config import LivenessConfig
from ..decision import TEXT, Note, Status
from ..kiosk import Kiosk, Result
from ..session import Session, Step
from ..tracking import Encoder, dlib_encoder

logger = logging.getLogger(__name__)

#: what the page shows for a status (its `state`), besides "refused"
SCREEN_STATES = {Status.IDLE: "idle", Status.NO_FACE: "idle", Status.DONE: "idle",
                 Status.CHECKING: "checking", Status.RECORDED: "result",
                 Status.REPEAT: "result", Status.UNKNOWN: "unknown",
                 Status.CAMERA_ERROR: "camera_error"}


@dataclass
class ScreenState:
    """What the page shows; served as JSON."""

    state: str = "idle"  # idle | checking | challenge | result | refused | unknown | camera_error
    message: str = TEXT[Status.IDLE]
    detail: str | None = None  # the second line: late/early, NIP review, offline
    status: str | None = None  # the decision's status when state is result/refused/unknown
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


class LiveLoop:
    """Runs camera → session (tracker, liveness, decision, outbox) → screen in a thread."""

    def __init__(self, kiosk: Kiosk, liveness: LivenessConfig, hold_s: float = 4.0,
                 online: threading.Event | None = None, encoder: Encoder = dlib_encoder):
        self.kiosk = kiosk
        self.hold_s = hold_s
        self.online = online
        self.session = Session(kiosk, liveness, encoder)
        self.state = ScreenState()
        self.camera_state = "ok"
        self._hold_until = 0.0
        self._jpeg = b""
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_step_at = time.monotonic()

    # --- what the web page reads ------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The screen state as JSON-ready data."""
        with self.lock:
            return self.state.as_dict()

    def jpeg(self) -> bytes:
        """The latest camera frame as JPEG (the preview)."""
        with self.lock:
            return self._jpeg

    def submit_nip(self, nip: str, timeout_s: float = 20.0) -> Result | None:
        """A NIP typed on the screen: decided by the loop on the next frames (with liveness);
        its result, or None when not decided within the timeout (the screen shows it later)."""
        pending = self.session.claim(nip)
        if not self.alive():
            return None
        pending.done.wait(timeout_s)
        return pending.result

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
                self._show(ScreenState(state="camera_error", status=Status.CAMERA_ERROR.value,
                                       message=TEXT[Status.CAMERA_ERROR]))
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

    def step(self) -> Step:
        """One frame: capture, preview, decide, show."""
        frame = self.kiosk.camera.capture()
        self.camera_state = "ok"
        self._preview(frame)
        step = self.session.step(frame)
        self.show(step)
        return step

    def _preview(self, frame: NDArray[np.uint8]) -> None:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, "JPEG", quality=70)
        with self.lock:
            self._jpeg = buf.getvalue()
            self.state.frame_no += 1

    def show(self, step: Step) -> None:
        """Put a frame's outcome on the screen: a final one held for `hold_s`, a passing one
        (come closer, hold still, unknown face) only while nothing is held."""
        result = step.result
        d = result.decision
        box = list(step.box) if step.box else None
        if d.final or step.claim is not None:
            self.show_result(result)
            return
        if self._holding() and not (d.status is Status.UNKNOWN and self.state.state == "unknown"):
            return
        if step.prompt:
            self._show(ScreenState(state="challenge", message=step.prompt,
                                   status=Status.CHECKING.value, box=box))
            return
        state = SCREEN_STATES.get(d.status, "refused")
        message = TEXT[Status.IDLE] if d.status is Status.NO_FACE else d.message
        self._show(ScreenState(state=state, message=message,
                               status=None if state == "idle" else d.status.value,
                               nip_offer=d.status is Status.UNKNOWN, box=box,
                               name=result.name, employee_id=d.employee_id))

    def show_result(self, result: Result) -> None:
        """Put an attempt's result on the screen for `hold_s`."""
        d = result.decision
        offline = result.recorded and self.online is not None and not self.online.is_set()
        notes = [*d.notes, *([TEXT[Note.OFFLINE]] if offline else [])]
        state = "result" if d.status in (Status.RECORDED, Status.REPEAT) else "refused"
        self._show(ScreenState(
            state=state, message=d.headline, detail="; ".join(notes) or None,
            status=d.status.value, name=result.name,
            employee_id=d.employee_id, kind=d.kind.value if d.kind else None,
            local_time=d.local_time, method=d.method.value, seq=result.seq,
            saved_offline=offline), hold=True)
