"""Camera backends behind one port; chosen from configuration in `factory`."""

from .base import Camera, CameraError, CameraUnavailable

__all__ = ["Camera", "CameraError", "CameraUnavailable"]
