"""A simulated kiosk for demos and tests (`hadir-edge simulate`): the kiosk service without a
screen, someone walking up to its camera every few seconds, on a clock that may run faster
than real time, or jump ahead at every walk-up (a week of check-ins in a few minutes, the
same week however fast the machine).

Each walk-up is a new person for the session: the frames of its camera go through the same
tracker, liveness window and decision as on a real kiosk, until the attempt is over. A
simulated camera shows the same few photos again and again, so the encoding of a face is
computed once per distinct frame and remembered (`MemoEncoder`); detection, landmarks,
quality, the decision, signing and the outbox run every time.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from .bootstrap import Service, build_service
from .config import EdgeSettings
from .liveness.landmarks import Box
from .session import Session
from .tracking import dlib_encoder

logger = logging.getLogger(__name__)


class SimClock:
    """Kiosk time that starts at `start`, runs `scale` times faster than real time (0: stands
    still) and jumps by `step` seconds at every walk-up (`advance`)."""

    def __init__(self, start: datetime | None = None, scale: float = 1.0, step: float = 0.0):
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self.scale = scale
        self.step = step
        self._jumped = 0.0
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(
            seconds=(time.monotonic() - self._t0) * self.scale + self._jumped)

    def advance(self) -> None:
        """A walk-up: kiosk time jumps by `step`."""
        self._jumped += self.step


class MemoEncoder:
    """The dlib encoder, remembering the encoding of each distinct frame and face box."""

    def __init__(self, most: int = 256):
        self.most = most
        self._seen: dict[tuple[bytes, Box], NDArray[np.float64]] = {}

    def __call__(self, frame: NDArray[np.uint8], box: Box) -> NDArray[np.float64]:
        key = (hashlib.blake2b(frame.tobytes(), digest_size=16).digest(), box)
        enc = self._seen.get(key)
        if enc is None:
            if len(self._seen) >= self.most:
                self._seen.clear()
            enc = self._seen[key] = dlib_encoder(frame, box)
        return enc


class Simulator:
    """Walk-ups on the service's kiosk every `every_s` real seconds, until kiosk time `until`
    or `count` check-ins (then the service goes on: draining, heartbeats)."""

    def __init__(self, service: Service, clock: SimClock, every_s: float,
                 until: datetime | None = None, count: int | None = None):
        if service.kiosk is None:
            raise ValueError("the simulator needs the kiosk (not headless)")
        self.service = service
        self.kiosk = service.kiosk
        self.clock = clock
        self.every_s = every_s
        self.until = until
        self.count = count
        self.made = 0
        self.session = Session(self.kiosk, service.settings.liveness, MemoEncoder())
        self.over = False

    def _frames(self) -> Iterator[NDArray[np.uint8]]:
        while True:
            yield self.kiosk.camera.capture()

    def tick(self) -> float:
        """One walk-up; seconds until the next."""
        if self.over:
            return 3600.0
        if (self.until is not None and self.clock() >= self.until) or (
                self.count is not None and self.made >= self.count):
            logger.info("simulation over at %s after %d check-ins; draining only",
                        self.clock().isoformat(), self.made)
            self.over = True
            return 3600.0
        self.clock.advance()
        self.session.reset()
        result = self.session.until_final(self._frames(), self.session.frames_for_one_attempt())
        self.made += int(result.recorded)
        logger.info("simulated check-in: %s %s", result.status.value, result.message)
        return self.every_s


def run(settings: EdgeSettings, every_s: float, time_scale: float = 1.0,
        start: datetime | None = None, until: datetime | None = None,
        count: int | None = None, step_s: float = 0.0) -> None:
    """The simulated kiosk service until SIGTERM/SIGINT."""
    clock = SimClock(start, time_scale, step_s)
    service = build_service(settings, screen=False, now=clock)
    sim = Simulator(service, clock, every_s, until, count)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service.serve(stop, tick=sim.tick,
                  beat_every_s=settings.telemetry_interval_s / max(time_scale, 1.0))
