"""Per-frame work of the kiosk: detect every frame, encode once per face track.

A person stands in front of the kiosk for a second or two; the liveness window
needs those frames anyway. The face is detected on every frame (HOG, no
upsampling: the face guide asks for at least 80 px), followed by its box from
frame to frame, and encoded and matched only when a new track starts (or every
`reencode_every` frames, so a swap of faces inside one track is caught). The
match is one matrix product over the gallery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .engine import face_recognition
from .liveness.core import Observation
from .liveness.landmarks import Box, LandmarkBackend, make_backend

logger = logging.getLogger(__name__)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = lambda x: max(0, x[1] - x[3]) * max(0, x[2] - x[0])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union else 0.0


class GalleryIndex:
    """Encodings as a float32 matrix with precomputed norms: distance by one mat-vec product."""

    def __init__(self, encodings: NDArray[np.floating], labels: list[str]):
        if len(encodings) != len(labels):
            raise ValueError("one label per encoding")
        self.matrix = np.asarray(encodings, dtype=np.float32).reshape(-1, 128)
        self.sq = np.einsum("ij,ij->i", self.matrix, self.matrix)
        self.labels = labels

    def _d2(self, encoding: NDArray[np.floating]) -> NDArray[np.float32]:
        e = np.asarray(encoding, dtype=np.float32)
        return self.sq - 2 * (self.matrix @ e) + float(e @ e)  # type: ignore[no-any-return]

    def nearest(self, encoding: NDArray[np.floating],
                exclude: str | None = None) -> tuple[str | None, float]:
        """The closest label (other than `exclude`) and its Euclidean distance (None when there
        is nobody to compare with)."""
        d2 = self._d2(encoding) if self.labels else np.zeros(0, np.float32)
        if exclude is not None:
            d2 = np.where(np.array(self.labels) == exclude, np.inf, d2)
        if not len(d2) or not np.isfinite(d2).any():
            return None, float("inf")
        i = int(np.argmin(d2))
        return self.labels[i], float(np.sqrt(max(float(d2[i]), 0.0)))

    def distance_to(self, encoding: NDArray[np.floating], label: str) -> float | None:
        """The distance to `label`'s closest enrolled encoding (None when not enrolled)."""
        rows = [i for i, lab in enumerate(self.labels) if lab == label]
        if not rows:
            return None
        return float(np.sqrt(max(float(self._d2(encoding)[rows].min()), 0.0)))


def sharpness(grey_face: NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of a grey face crop (OpenCV), the usual blur measure."""
    import cv2

    return float(cv2.Laplacian(grey_face, cv2.CV_64F).var())


Encoder = Callable[[NDArray[np.uint8], Box], NDArray[np.float64]]


def dlib_encoder(frame: NDArray[np.uint8], box: Box) -> NDArray[np.float64]:
    """The 128-d encoding of the face at `box` (dlib's ResNet, one jitter)."""
    return face_recognition().face_encodings(frame, [box], num_jitters=1)[0]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class FrameResult:
    """One frame: the faces seen, the track's identity and distance, the liveness observation,
    the face's height and sharpness, and its encoding (the track's latest)."""

    faces: int
    box: Box | None
    employee_id: str | None
    distance: float | None
    observation: Observation | None
    encoded: bool
    new_track: bool = False
    face_px: int = 0
    sharpness: float = 0.0
    encoding: NDArray[np.float64] | None = None


@dataclass
class FaceTracker:
    """Detect per frame, encode per track, observe liveness per frame."""

    gallery: GalleryIndex
    threshold: float = 0.5
    upsample: int = 0
    reencode_every: int = 15
    min_iou: float = 0.4
    backend: LandmarkBackend = field(default_factory=lambda: make_backend("dlib5"))
    encoder: Encoder = dlib_encoder
    _box: Box | None = None
    _identity: tuple[str | None, float | None] = (None, None)
    _encoding: NDArray[np.float64] | None = None
    _since_encode: int = 0

    def reset(self) -> None:
        """Forget the current track (the person walked away)."""
        self._box = None
        self._identity = (None, None)
        self._encoding = None
        self._since_encode = 0
        self.backend.reset()

    def process(self, frame: NDArray[np.uint8]) -> FrameResult:
        """Run one frame through detection, tracking, matching and liveness."""
        boxes = face_recognition().face_locations(frame, self.upsample)
        if len(boxes) != 1:
            # none or several: never guess; a new person starts a new track
            self.reset()
            return FrameResult(len(boxes), None, None, None, None, False)
        box = boxes[0]
        new_track = self._box is None or iou(self._box, box) < self.min_iou
        if new_track:
            self.reset()
        encoded = new_track or self._since_encode >= self.reencode_every
        if encoded:
            enc = self.encoder(frame, box)
            label, dist = self.gallery.nearest(enc)
            identity = label if dist <= self.threshold else None
            if not new_track and identity != self._identity[0]:
                self.backend.reset()  # another face in the same place: a new person
                new_track = True
            self._identity = (identity, dist)
            self._encoding = enc
            self._since_encode = 0
        else:
            self._since_encode += 1
        self._box = box
        obs = self.backend.observe(frame, box)
        top, right, bottom, left = box
        grey = frame[max(top, 0):bottom, max(left, 0):right].mean(axis=2).astype(np.uint8)
        return FrameResult(1, box, self._identity[0], self._identity[1], obs, encoded, new_track,
                           bottom - top, sharpness(grey), self._encoding)
