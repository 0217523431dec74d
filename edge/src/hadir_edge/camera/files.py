"""Image files as a camera (JPEG, PNG with or without alpha)."""

from __future__ import annotations

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


class FilesCamera:
    """Returns the configured images in turn."""

    def __init__(self, paths: list[Path], loop: bool = True):
        if not paths:
            raise CameraError("the files camera needs at least one image path")
        missing = [str(p) for p in paths if not Path(p).is_file()]
        if missing:
            raise CameraError(f"image files not found: {', '.join(missing)}")
        self.paths = [Path(p) for p in paths]
        self.loop = loop
        self._next = 0

    def capture(self) -> NDArray[np.uint8]:
        """The next image."""
        if self._next >= len(self.paths):
            if not self.loop:
                raise CameraError("no more images")
            self._next = 0
        path = self.paths[self._next]
        self._next += 1
        return load_rgb(path)

    def close(self) -> None:
        """Nothing to release."""
