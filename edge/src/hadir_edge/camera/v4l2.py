"""A V4L2 webcam through OpenCV (imported here only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .base import CameraError, CameraUnavailable


class V4l2Camera:
    """cv2.VideoCapture on a V4L2 device."""

    def __init__(self, device: int | str = 0, width: int = 640, height: int = 480):
        try:
            import cv2
        except ImportError as err:
            raise CameraUnavailable(f"OpenCV is not installed: {err}") from err
        self._cv2 = cv2
        self.cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
        if not self.cap.isOpened():
            raise CameraUnavailable(f"V4L2 camera {device!r} cannot be opened")
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def capture(self) -> NDArray[np.uint8]:
        """One frame, converted from BGR to RGB."""
        ok, frame = self.cap.read()
        if not ok:
            raise CameraError("the webcam gave no frame")
        return self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2RGB)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Release the device."""
        self.cap.release()
