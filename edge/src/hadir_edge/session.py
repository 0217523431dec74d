"""One person at a time in front of the kiosk, frame by frame: track, watch liveness, decide.

The live loop behind the screen, `hadir-edge checkin` and the simulator all run camera
frames through a `Session`. Per frame the tracker gives the plain facts (faces, the face's
height and sharpness, who it is, the liveness observation); the liveness window turns the
observations into a verdict (a blink, else a random challenge); and every frame goes to the
one decision through `Kiosk.attempt`, which commits only what the decision says to record.
One decision per person: once final, the track is `decided` and standing there longer
makes no second event.

A typed NIP (`claim`) attaches to the person in front of the camera and is decided on the
next frames like any other attempt: with liveness always (a still photo cannot blink), the
face measured against the person claimed and against everyone else enrolled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from hadir_protocol.models import Kind
from numpy.typing import NDArray

from .config import LivenessConfig
from .decision import FRAME_REFUSALS, Claim, Sight, Status
from .kiosk import Kiosk, Result
from .liveness.core import (
    PROMPTS,
    Challenge,
    LivenessResult,
    Observation,
    Thresholds,
    choose_challenge,
    evaluate,
)
from .liveness.landmarks import Box, make_backend
from .tracking import Encoder, FaceTracker, dlib_encoder

#: frames a typed NIP waits for a face (the person looked down at the keypad) before it is
#: decided on what the camera shows
CLAIM_PATIENCE = 15


@dataclass
class PendingClaim:
    """A NIP typed on the screen, waiting for its decision (`done` is set with `result`)."""

    nip: str
    frames: int = 0
    facts: Claim | None = None
    result: Result | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Track:
    """What is known of the person in front of the camera."""

    observations: list[Observation] = field(default_factory=list)
    challenge: Challenge | None = None
    challenge_from: int = 0
    live: LivenessResult | None = None
    decided: bool = False


@dataclass(frozen=True)
class Step:
    """One frame's outcome: the attempt's result, where the face is, what to ask."""

    result: Result
    box: Box | None = None
    prompt: str | None = None  # the liveness challenge while one runs
    new_track: bool = False
    claim: PendingClaim | None = None  # the NIP claim this frame decided


class Session:
    """Frames in, decisions out, for one kiosk (not thread-safe except `claim`)."""

    def __init__(self, kiosk: Kiosk, liveness: LivenessConfig,
                 encoder: Encoder = dlib_encoder):
        self.kiosk = kiosk
        self.cfg = liveness
        self.backend = make_backend(liveness.backend)
        self.encoder = encoder
        self._gallery_gen = -1
        self.tracker = self._tracker()
        self.track = Track()
        self._lock = threading.Lock()
        self._claim: PendingClaim | None = None

    def _tracker(self) -> FaceTracker:
        gallery = self.kiosk.engine.gallery
        self._gallery_gen = gallery.generation
        return FaceTracker(gallery.index, self.kiosk.runtime.face_distance,
                           self.kiosk.settings.face.upsample, backend=self.backend,
                           encoder=self.encoder)

    def reset(self) -> None:
        """A new person (the simulator's next walk-up)."""
        self.tracker.reset()
        self.track = Track()

    def claim(self, nip: str) -> PendingClaim:
        """Attach a typed NIP to whoever is in front of the camera (from any thread); a claim
        not yet decided is replaced."""
        pending = PendingClaim(nip.strip())
        with self._lock:
            if self._claim is not None and not self._claim.done.is_set():
                self._claim.done.set()  # replaced: its result stays None
            self._claim = pending
        return pending

    def _liveness(self, t: Track) -> LivenessResult | None:
        """The verdict once there is enough to decide; None while still watching."""
        if t.live is not None:
            return t.live
        method = self.backend.method
        if t.challenge is None:
            if len(t.observations) >= Thresholds().min_frames:
                passive = evaluate(t.observations[-self.cfg.window * 2:], method)
                if passive.passed:  # a blink seen: no need to wait for the whole window
                    t.live = passive
                    return passive
            if len(t.observations) >= self.cfg.window:
                t.challenge = choose_challenge()
                t.challenge_from = len(t.observations)
            return None
        since = t.observations[t.challenge_from:]
        result = evaluate(since, method, t.challenge)
        if result.passed or len(since) >= self.cfg.challenge_frames:
            t.live = result
            return result
        return None

    def step(self, frame: NDArray[np.uint8], kind: Kind | None = None) -> Step:
        """One frame through the tracker, the liveness window and the decision."""
        if self.kiosk.engine.gallery.generation != self._gallery_gen:
            self.tracker = self._tracker()
        self.tracker.threshold = self.kiosk.runtime.face_distance
        r = self.tracker.process(frame)
        if r.faces != 1 or r.new_track:
            self.track = Track()
        t = self.track
        if r.observation is not None:
            t.observations.append(r.observation)
            if t.challenge is None and len(t.observations) > 2 * self.cfg.window:
                del t.observations[:-2 * self.cfg.window]  # a stranger standing there a while
        with self._lock:
            pending = self._claim if self._claim and not self._claim.done.is_set() else None
        sight = Sight(r.faces, r.face_px, r.sharpness, r.employee_id, r.distance,
                      self.tracker.threshold)
        claim = None
        if pending is not None:
            pending.frames += 1
            if pending.facts is None and (r.encoding is not None
                                          or pending.frames > CLAIM_PATIENCE):
                pending.facts = self.kiosk.claim(pending.nip, r.encoding)
            claim = pending.facts
        # liveness for whoever may be recorded: a known face (unless off), any claimed NIP
        watch = r.faces == 1 and (claim is not None or (
            r.employee_id is not None and self.cfg.mode != "off"))
        live = self._liveness(t) if watch else None
        result = self.kiosk.attempt(sight, frame, liveness=live, claim=claim,
                                    decided=t.decided, kind=kind)
        status = result.status
        if result.decision.final:
            t.decided = True
        decided_claim = None
        if pending is not None and claim is not None and (
                result.decision.final or status is Status.DONE
                or (status in FRAME_REFUSALS and pending.frames > CLAIM_PATIENCE)):
            pending.result = result
            pending.done.set()
            decided_claim = pending
        prompt = None
        if status is Status.CHECKING and t.challenge is not None and t.live is None:
            prompt = PROMPTS[t.challenge]
        return Step(result, r.box, prompt, r.new_track, decided_claim)

    def until_final(self, frames: Iterator[NDArray[np.uint8]], most: int,
                    kind: Kind | None = None) -> Result:
        """Frames until the attempt is over (or `most` frames): the last result."""
        result: Result | None = None
        for _, frame in zip(range(most), frames, strict=False):
            result = self.step(frame, kind).result
            if result.decision.final:
                break
        if result is None:
            raise ValueError("no frame to decide on")
        return result

    def frames_for_one_attempt(self) -> int:
        """Frames an attempt may take: the liveness window, a challenge, and some to spare."""
        return self.cfg.window + self.cfg.challenge_frames + CLAIM_PATIENCE
