"""The face engine (dlib through face_recognition) and the kiosk's local gallery.

Every verdict carries distance and threshold. A frame with no face or with two
or more faces is never matched, and a face farther than the threshold from
everyone is 'unknown': nobody is guessed into someone else's check-in.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .tracking import GalleryIndex

logger = logging.getLogger(__name__)

MODEL = "dlib_face_recognition_resnet_model_v1"


class FaceStatus(StrEnum):
    """What the engine saw."""

    MATCHED = "matched"
    UNKNOWN = "unknown"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one frame."""

    status: FaceStatus
    employee_id: str | None
    distance: float | None
    threshold: float
    faces: int
    box: tuple[int, int, int, int] | None = None
    model: str = MODEL


class Gallery:
    """Enrolled encodings per employee, saved in the kiosk's data dir (npz + json labels)."""

    def __init__(self, path: Path):
        self.path = path
        self.labels: list[str] = []
        self.encodings = np.zeros((0, 128), dtype=np.float32)
        if path.with_suffix(".npz").exists():
            data = np.load(path.with_suffix(".npz"))
            self.encodings = data["encodings"].astype(np.float32)
            self.labels = json.loads(path.with_suffix(".json").read_text())
        self.index = GalleryIndex(self.encodings, self.labels)

    def add(self, employee_id: str, encoding: NDArray[np.floating]) -> None:
        """Add one encoding for an employee and save."""
        self.encodings = np.vstack([self.encodings, np.asarray(encoding, np.float32)[None, :]])
        self.labels.append(employee_id)
        self.index = GalleryIndex(self.encodings, self.labels)
        self.save()

    def save(self) -> None:
        """Write atomically (a kiosk may lose power at any moment)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, encodings=self.encodings)
        os.replace(tmp, self.path.with_suffix(".npz"))
        tmp_json = self.path.with_suffix(".tmp.json")
        tmp_json.write_text(json.dumps(self.labels))
        os.replace(tmp_json, self.path.with_suffix(".json"))

    def __len__(self) -> int:
        return len(self.labels)

    def employees(self) -> set[str]:
        """Every enrolled employee id."""
        return set(self.labels)


class FaceEngine:
    """Detect, encode and match with face_recognition (dlib)."""

    def __init__(self, gallery: Gallery, threshold: float = 0.5, upsample: int = 0,
                 num_jitters: int = 1):
        import face_recognition  # imported here: the engine's adapter owns its library

        self._fr = face_recognition
        self.gallery = gallery
        self.threshold = threshold
        self.upsample = upsample
        self.num_jitters = num_jitters

    def encode_single(self, frame: NDArray[np.uint8]) -> tuple[NDArray[np.float64] | None, int]:
        """The encoding of the only face in the frame, and how many faces there were."""
        boxes = self._fr.face_locations(frame, self.upsample)
        if len(boxes) == 0 and self.upsample == 0:
            boxes = self._fr.face_locations(frame, 1)  # enrolment photos may be small
        if len(boxes) != 1:
            return None, len(boxes)
        return self._fr.face_encodings(frame, boxes, num_jitters=self.num_jitters)[0], 1

    def identify(self, frame: NDArray[np.uint8]) -> Verdict:
        """Match the single face in the frame against the gallery."""
        boxes = self._fr.face_locations(frame, self.upsample)
        if not boxes:
            return Verdict(FaceStatus.NO_FACE, None, None, self.threshold, 0)
        if len(boxes) > 1:
            return Verdict(FaceStatus.MULTIPLE_FACES, None, None, self.threshold, len(boxes))
        enc = self._fr.face_encodings(frame, boxes, num_jitters=self.num_jitters)[0]
        label, dist = self.gallery.index.nearest(enc)
        if label is None or dist > self.threshold:
            return Verdict(FaceStatus.UNKNOWN, None, None if label is None else dist,
                           self.threshold, 1, boxes[0])
        return Verdict(FaceStatus.MATCHED, label, dist, self.threshold, 1, boxes[0])
