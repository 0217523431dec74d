"""Landmark backends that turn a frame and a face box into a liveness `Observation`.

`dlib5` (default) uses dlib's 5-point shape predictor, shipped in
face_recognition_models and free for any use: eye corners and the nose tip. Eye
openness is the contrast of the eye patch between the corners (an open eye
shows sclera and iris; a closed lid is even skin). `dlib68` computes the
classic eye aspect ratio from the 68-point predictor, whose training data
(iBUG 300-W) is licensed for non-commercial research only: opt-in, not for a
commercial deployment. See docs/liveness.md.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .core import Observation

logger = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # top, right, bottom, left (face_recognition order)


def _grey(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
    return frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _crop_delta(grey: NDArray[np.float32], box: Box, prev: NDArray[np.float32] | None
                ) -> tuple[NDArray[np.float32], float | None]:
    top, right, bottom, left = box
    crop = grey[max(top, 0):bottom, max(left, 0):right]
    if crop.size == 0:
        return np.zeros((32, 32), np.float32), None
    ys = np.linspace(0, crop.shape[0] - 1, 32).astype(int)
    xs = np.linspace(0, crop.shape[1] - 1, 32).astype(int)
    small = crop[np.ix_(ys, xs)]
    delta = None if prev is None else float(np.mean(np.abs(small - prev)))
    return small, delta


def _eye_patch_openness(grey: NDArray[np.float32], a: tuple[int, int], b: tuple[int, int]) -> float:
    (x1, y1), (x2, y2) = a, b
    width = math.hypot(x2 - x1, y2 - y1)
    if width < 4:
        return 0.0
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = width * 0.45, width * 0.22
    top, bottom = int(cy - half_h), int(cy + half_h) + 1
    left, right = int(cx - half_w), int(cx + half_w) + 1
    patch = grey[max(top, 0):bottom, max(left, 0):right]
    if patch.size < 9:
        return 0.0
    # The same eye region in the same number of samples whatever the face's size: a larger
    # face shows lashes and skin texture that a smaller one averages away.
    patch = _resample(patch, PATCH_SIZE)
    # Dark iris and pupil against the lid's skin: how far the darkest tenth of
    # the patch sits below its median. A closing lid covers the dark pixels.
    return float(np.median(patch) - np.percentile(patch, 10))


#: (width, height) every eye patch is resampled to before it is measured
PATCH_SIZE = (18, 9)


def _resample(patch: NDArray[np.float32], size: tuple[int, int]) -> NDArray[np.float32]:
    """The patch averaged (area resampling) down, or interpolated up, to `size`."""
    import cv2

    h, w = patch.shape
    interpolation = cv2.INTER_AREA if w >= size[0] else cv2.INTER_LINEAR
    return cv2.resize(patch, size, interpolation=interpolation)  # type: ignore[no-any-return]


def _yaw(left_eye: list[tuple[int, int]], right_eye: list[tuple[int, int]],
         nose: tuple[int, int]) -> float:
    """Yaw in degrees from where the nose sits between the eyes (+ = the person's left)."""
    lx = sum(p[0] for p in left_eye) / len(left_eye)
    rx = sum(p[0] for p in right_eye) / len(right_eye)
    inter = abs(rx - lx)
    if inter < 1:
        return 0.0
    offset = (nose[0] - (lx + rx) / 2) / inter  # about ±0.5 at a 45° turn
    return math.degrees(math.asin(max(-1.0, min(1.0, 2 * offset)))) / 2


@dataclass
class LandmarkBackend:
    """Stateful per-window observer: keeps the previous crop to measure change."""

    model: str = "small"
    method: str = "blink-dlib5"
    history: int = 7
    _prev: NDArray[np.float32] | None = field(default=None, repr=False)
    _eyes: list[NDArray[np.float64]] = field(default_factory=list, repr=False)

    def reset(self) -> None:
        """Start a new window (a new person)."""
        self._prev = None
        self._eyes = []

    def _stable_eyes(self, nose: tuple[int, int], corners: list[tuple[int, int]]
                     ) -> list[tuple[int, int]]:
        """Eye corners as the median of recent frames, relative to the nose tip.

        The predictor drifts towards the brow while the lid is shut, exactly when
        the patch must stay on the eye; the nose tip does not move in a blink and
        follows the head, so offsets from it, medianed over a few frames, hold.
        The offsets are kept in pixels: the predictor also spreads the corners of a
        shut eye, and an offset scaled by this frame's spread would move the patch
        off the eye (regression: a blink was missed at 150 px, seen at 120 px).
        """
        rel = np.array(corners, dtype=float) - nose
        self._eyes = [*self._eyes[-(self.history - 1):], rel]
        med = np.median(np.stack(self._eyes), axis=0) + nose
        return [(int(round(x)), int(round(y))) for x, y in med]

    def observe(self, frame: NDArray[np.uint8], box: Box) -> Observation:
        """One frame's observation for the face at `box`."""
        from ..engine import face_recognition  # the engine's library, imported inside its adapter

        grey = _grey(frame)
        self._prev, delta = _crop_delta(grey, box, self._prev)
        marks = face_recognition().face_landmarks(frame, [box], model=self.model)
        if not marks:
            return Observation(openness=None, yaw_deg=None, frame_delta=delta)
        m = marks[0]
        if self.model == "large":
            openness = (_ear(m["left_eye"]) + _ear(m["right_eye"])) / 2
            nose = m["nose_tip"][len(m["nose_tip"]) // 2]
        else:
            nose = m["nose_tip"][0]
            c = self._stable_eyes(nose, [*m["left_eye"][:2], *m["right_eye"][:2]])
            # divided by the face's own brightness: a dimmer screen is no blink
            top, right, bottom, left = box
            face_level = float(np.median(grey[max(top, 0):bottom, max(left, 0):right])) or 1.0
            openness = 100 * (_eye_patch_openness(grey, c[0], c[1])
                              + _eye_patch_openness(grey, c[2], c[3])) / 2 / face_level
        return Observation(openness=openness, yaw_deg=_yaw(m["left_eye"], m["right_eye"], nose),
                           frame_delta=delta)


def _ear(eye: list[tuple[int, int]]) -> float:
    """Eye aspect ratio over the six 68-point eye landmarks."""
    p = [np.array(pt, dtype=float) for pt in eye]
    vertical = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    horizontal = 2 * np.linalg.norm(p[0] - p[3])
    return float(vertical / horizontal) if horizontal else 0.0


def make_backend(name: str) -> LandmarkBackend:
    """`dlib5` (default, licence-clean) or `dlib68` (non-commercial model, opt-in)."""
    if name == "dlib5":
        return LandmarkBackend(model="small", method="blink-dlib5")
    if name == "dlib68":
        logger.warning("liveness backend dlib68 uses a model licensed for non-commercial use only")
        return LandmarkBackend(model="large", method="blink-ear68")
    raise ValueError(f"unknown liveness backend {name!r} (dlib5 or dlib68)")
