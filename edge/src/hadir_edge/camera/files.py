"""Image files as a camera (JPEG, PNG with or without alpha)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from .base import CameraError


def load_rgb(path: Path) -> NDArray[np.uint8]:
    """An image file as an RGB array (alpha flattened onto white)."""
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return np.array(Image.alpha_composite(white, rgba).convert("RGB"))
            return np.array(img.convert("RGB"))
    except (OSError, UnidentifiedImageError) as err:
        raise CameraError(f"{path}: not a readable image: {err}") from err


def letterbox(img: Image.Image, width: int = 640, height: int = 480) -> NDArray[np.uint8]:
    """The image scaled down to fit a width×height frame, centred on grey (a camera-sized frame)."""
    img = img.convert("RGB")
    img.thumbnail((width, height))
    canvas = Image.new("RGB", (width, height), (90, 90, 90))
    canvas.paste(img, ((width - img.width) // 2, (height - img.height) // 2))
    return np.array(canvas)


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


class FilesCamera:
    """Returns the configured images in turn.

    A directory stands for the image files in it (sorted), listed again each
    time the sequence starts over: a scene can be changed while the kiosk
    runs (tests and demos replace a symlink to switch scenes).
    """

    def __init__(self, paths: list[Path], loop: bool = True, fps: float = 0.0):
        if not paths:
            raise CameraError("the files camera needs at least one image path")
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise CameraError(f"image files not found: {', '.join(missing)}")
        self.sources = [Path(p) for p in paths]
        self.loop = loop
        self.paths = self._expand()
        self._next = 0
        self.interval = 1.0 / fps if fps > 0 else 0.0
        self._due = 0.0

    def _expand(self) -> list[Path]:
        out: list[Path] = []
        for p in self.sources:
            if p.is_dir():
                out += sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            else:
                out.append(p)
        return out

    def capture(self) -> NDArray[np.uint8]:
        """The next image (no faster than `fps`, as a real camera delivers them)."""
        if self.interval:
            wait = self._due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._due = max(self._due, time.monotonic() - self.interval) + self.interval
        if self._next >= len(self.paths) or not self.paths:
            if not self.loop and self.paths:
                raise CameraError("no more images")
            self._next = 0
            self.paths = self._expand()
            if not self.paths:
                raise CameraError("no images in " + ", ".join(map(str, self.sources)))
        path = self.paths[self._next]
        self._next += 1
        return load_rgb(path)

    def close(self) -> None:
        """Nothing to release."""
