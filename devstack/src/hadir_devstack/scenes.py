"""Camera scenes made from real face photos, for the files camera of a live kiosk (tests,
the face benchmark).

No camera is at hand here, so a person walking up is a short sequence of
640×480 frames of a real photo with sensor noise, and a blink is the same
photo with the eyelids closed over three frames (the eye region blended into
the skin just below it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from hadir_edge.engine import face_recognition
from PIL import Image


def close_eyes(frame: np.ndarray, marks: dict, level: float) -> np.ndarray:
    """Blend each eye region towards the skin below it by `level` (1 = shut)."""
    out = frame.copy()
    for eye in ("left_eye", "right_eye"):
        (x1, y1), (x2, y2) = marks[eye][:2]
        w = abs(x2 - x1)
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        skin = frame[int(cy + w * 0.5):int(cy + w * 0.7), int(cx - w * 0.3):int(cx + w * 0.3)]
        skin_rgb = skin.reshape(-1, 3).mean(0)
        hh = int(w * 0.3)
        ys, xs = slice(cy - hh, cy + hh + 1), slice(int(cx - w * 0.6), int(cx + w * 0.6) + 1)
        region = out[ys, xs].astype(float)
        out[ys, xs] = (region * (1 - level) + skin_rgb * level).astype(np.uint8)
    return out


def sensor_noise(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a camera adds to every frame of a live scene."""
    return np.clip(frame.astype(int) + rng.integers(-4, 5, frame.shape), 0, 255).astype(np.uint8)


def portrait(photo: Path, face_px: int = 120) -> np.ndarray:
    """A 640×480 frame of the person standing at the kiosk: the face about `face_px` high."""
    fr = face_recognition()
    img = Image.open(photo).convert("RGB")
    top, right, bottom, left = fr.face_locations(np.array(img), 1)[0]
    cx, cy, h = (left + right) / 2, (top + bottom) / 2, bottom - top
    half_h = h * 240 / face_px
    crop = img.crop((int(cx - half_h * 4 / 3), int(cy - half_h), int(cx + half_h * 4 / 3),
                     int(cy + half_h)))
    return np.array(crop.resize((640, 480)))


def blink_frames(photo: Path, seed: int = 3, face_px: int = 120) -> list[np.ndarray]:
    """12 frames of a live person: eyes open, a blink over three frames, open again."""
    fr = face_recognition()
    rng = np.random.default_rng(seed)
    frame = portrait(photo, face_px)
    box = fr.face_locations(frame, 0)[0]
    marks = fr.face_landmarks(frame, [box], model="small")[0]
    seq = [frame] * 5 + [close_eyes(frame, marks, lv) for lv in (0.6, 1.0, 0.7)] + [frame] * 4
    return [sensor_noise(f, rng) for f in seq]


def still_frames(photo: Path | None, n: int = 6, seed: int = 5) -> list[np.ndarray]:
    """n noisy frames of a photo (or of an empty grey scene when photo is None)."""
    rng = np.random.default_rng(seed)
    frame = portrait(photo) if photo else np.full((480, 640, 3), 90, np.uint8)
    return [sensor_noise(frame, rng) for _ in range(n)]


class Stage:
    """Scenes as directories of JPEG frames; `show()` swaps the camera's symlink atomically."""

    def __init__(self, root: Path):
        self.root = root
        self.link = root / "camera"
        root.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, frames: list[np.ndarray]) -> Path:
        """Write a scene."""
        d = self.root / name
        d.mkdir()
        for i, f in enumerate(frames):
            Image.fromarray(f).save(d / f"{i:03d}.jpg", quality=95)
        return d

    def show(self, name: str) -> None:
        """Point the camera at a scene (taken up when its current sequence ends)."""
        tmp = self.root / "camera.tmp"
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(self.root / name, target_is_directory=True)
        os.replace(tmp, self.link)
