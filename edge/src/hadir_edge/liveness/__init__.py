"""Liveness: a printed photo, a phone screen or a replayed still must not check anyone in."""

from .core import (
    Challenge,
    LivenessResult,
    Observation,
    choose_challenge,
    detect_blink,
    detect_turn,
    evaluate,
    is_still_stream,
)

__all__ = [
    "Challenge", "LivenessResult", "Observation", "choose_challenge", "detect_blink",
    "detect_turn", "evaluate", "is_still_stream",
]
