"""Choose the camera backend from configuration."""

from __future__ import annotations

from ..config import CameraConfig
from ..config import FilesCamera as FilesCfg
from ..config import Picamera2Camera as PiCfg
from ..config import V4l2Camera as V4lCfg
from .base import Camera


def make_camera(cfg: CameraConfig) -> Camera:
    """The configured camera; raises CameraUnavailable when its backend cannot run here."""
    if isinstance(cfg, FilesCfg):
        from .files import FilesCamera

        return FilesCamera(cfg.paths, cfg.loop, cfg.fps)
    if isinstance(cfg, V4lCfg):
        from .v4l2 import V4l2Camera

        return V4l2Camera(cfg.device, cfg.width, cfg.height)
    if isinstance(cfg, PiCfg):
        from .picamera2 import Picamera2Camera

        return Picamera2Camera(cfg.width, cfg.height)
    raise TypeError(f"unknown camera config {cfg!r}")
