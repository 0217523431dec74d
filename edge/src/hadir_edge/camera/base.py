"""The camera port: frames as RGB numpy arrays."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class CameraError(RuntimeError):
    """A frame could not be taken."""


class CameraUnavailable(CameraError):
    """The configured camera backend cannot run on this machine (fails at start, loudly)."""


class Camera(Protocol):
    """Something that gives RGB frames."""

    def capture(self) -> NDArray[np.uint8]:
        """One RGB frame (H×W×3, uint8)."""
        ...

    def close(self) -> None:
        """Release the device."""
        ...
