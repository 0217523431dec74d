"""The Raspberry Pi camera through picamera2, imported here only: it cannot import off a Pi."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .base import CameraError, CameraUnavailable


class Picamera2Camera:
    """picamera2 configured for RGB frames."""

    def __init__(self, width: int = 640, height: int = 480):
        try:
            from picamera2 import Picamera2  # type: ignore[import-not-found]
        except Exception as err:  # ImportError, or libcamera failing to load off a Pi
            raise CameraUnavailable(
                f"picamera2 cannot be used on this machine ({type(err).__name__}: {err}); "
                "on a Raspberry Pi install python3-picamera2, elsewhere use camera.type = "
                "\"v4l2\" or \"files\""
            ) from err
        self.cam = Picamera2()
        config = self.cam.create_preview_configuration(
            main={"size": (width, height), "format": "RGB888"})
        self.cam.configure(config)
        self.cam.start()

    def capture(self) -> NDArray[np.uint8]:
        """One frame (picamera2's RGB888 is BGR in memory; flip to RGB)."""
        try:
            frame = self.cam.capture_array("main")
        except Exception as err:
            raise CameraError(f"picamera2 gave no frame: {err}") from err
        return np.ascontiguousarray(frame[:, :, ::-1])

    def close(self) -> None:
        """Stop the camera."""
        self.cam.stop()
