"""Liveness over a short window of per-frame observations (pure: plain numbers in, verdict out).

A live face blinks and moves; a photo, a phone screen or a replayed still does
neither. Each frame gives an `Observation`: eye openness (from whichever
landmark backend is configured), head yaw, and how much the face crop changed
since the previous frame. A natural blink in the window passes; without one the
kiosk asks for a randomized challenge (blink, or turn the head left or right).
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Challenge(StrEnum):
    """What the kiosk asks a person to do when a passive blink was not seen."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


PROMPTS = {
    Challenge.BLINK: "Silakan berkedip",
    Challenge.TURN_LEFT: "Silakan menoleh ke kiri",
    Challenge.TURN_RIGHT: "Silakan menoleh ke kanan",
}


@dataclass(frozen=True)
class Observation:
    """One frame: eye openness (backend units), yaw in degrees (+ = person's left), crop change."""

    openness: float | None
    yaw_deg: float | None = None
    frame_delta: float | None = None


@dataclass(frozen=True)
class LivenessResult:
    """The verdict that travels with the event (method, score, passed) and why."""

    method: str
    score: float
    passed: bool
    reason: str
    challenge: Challenge | None = None


@dataclass(frozen=True)
class Thresholds:
    """Tunable limits; defaults fit the dlib 5-point eye-patch backend at 640×480."""

    blink_drop: float = 0.30  # openness must fall this fraction below the open baseline
    min_frames: int = 5
    still_delta: float = 0.8  # mean grey-level change per pixel below which frames are "still"
    turn_deg: float = 12.0


def detect_blink(openness: Sequence[float | None], drop: float = 0.30) -> tuple[bool, float]:
    """A dip of the eye openness below (1-drop)×baseline that recovers; returns (seen, depth).

    The baseline is the median of the upper half of the window (the eyes are open
    most of the time). Depth is the largest relative dip, 0..1.
    """
    values = [v for v in openness if v is not None]
    if len(values) < 3:
        return False, 0.0
    upper = sorted(values)[len(values) // 2:]
    baseline = statistics.median(upper)
    if baseline <= 0:
        return False, 0.0
    closed_level = baseline * (1 - drop)
    reopened_level = baseline * (1 - drop / 2)
    depth = 0.0
    state = "open_needed"
    for v in values:
        rel = 1 - v / baseline
        if state == "open_needed" and v >= reopened_level:
            state = "open"
        elif state == "open" and v <= closed_level:
            state = "closed"
            depth = max(depth, rel)
        elif state == "closed":
            depth = max(depth, rel)
            if v >= reopened_level:
                return True, round(min(depth, 1.0), 3)
    return False, round(max(0.0, max(1 - v / baseline for v in values)), 3)


def detect_turn(yaws: Sequence[float | None], challenge: Challenge, min_deg: float = 12.0) -> bool:
    """The head turned the asked way by at least `min_deg` from where it started."""
    values = [v for v in yaws if v is not None]
    if len(values) < 2 or challenge is Challenge.BLINK:
        return False
    start = statistics.median(values[: max(1, len(values) // 4)])
    if challenge is Challenge.TURN_LEFT:
        return max(values) - start >= min_deg
    return start - min(values) >= min_deg


def is_still_stream(deltas: Sequence[float | None], threshold: float = 0.8) -> bool:
    """True when consecutive face crops barely change: a replayed still or a photo."""
    values = [d for d in deltas if d is not None]
    return bool(values) and statistics.median(values) < threshold


def choose_challenge() -> Challenge:
    """A randomized challenge, so a prepared video cannot know what comes."""
    return secrets.choice(list(Challenge))


def evaluate(
    observations: Sequence[Observation],
    method: str,
    challenge: Challenge | None = None,
    limits: Thresholds = Thresholds(),
) -> LivenessResult:
    """Decide over a window: a blink passes; else the challenge must be met; else refuse."""
    if len(observations) < limits.min_frames:
        return LivenessResult(method, 0.0, False, "terlalu sedikit bingkai", challenge)
    still = is_still_stream([o.frame_delta for o in observations], limits.still_delta)
    blinked, depth = detect_blink([o.openness for o in observations], limits.blink_drop)
    if challenge in (Challenge.TURN_LEFT, Challenge.TURN_RIGHT):
        turned = detect_turn([o.yaw_deg for o in observations], challenge, limits.turn_deg)
        if turned and not still:
            return LivenessResult(f"{method}+{challenge}", 1.0, True, "menoleh", challenge)
        return LivenessResult(f"{method}+{challenge}", 0.0, False,
                              "tantangan tidak terpenuhi", challenge)
    if blinked and not still:
        name = f"{method}+{challenge}" if challenge else method
        return LivenessResult(name, depth, True, "berkedip", challenge)
    reason = "gambar diam (foto atau layar)" if still else "tidak terlihat berkedip"
    return LivenessResult(method, depth, False, reason, challenge)
