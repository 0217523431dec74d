"""The configuration the cloud sends on the retained config topic, applied and persisted.

The TOML file gives the first office, work schedules and thresholds; a `Config`
from the cloud with a higher version replaces them and is written to
`data_dir/config.json` (atomically), so a kiosk that reboots without network
keeps the last configuration it was given.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from hadir_protocol.files import write_durably
from hadir_protocol.models import Config, Office, WorkSchedules

from .config import EdgeSettings
from .decision import DutyApproval, QualityLimits

logger = logging.getLogger(__name__)


class ConfigMismatch(ValueError):
    """A config for another kiosk."""


class RuntimeConfig:
    """Office, work schedules and thresholds in force now (read on every decision)."""

    def __init__(self, settings: EdgeSettings):
        self.device_id = settings.device_id
        self.path: Path = settings.data_dir / "config.json"
        self._lock = threading.Lock()
        self.version = 0
        self.office: Office = settings.office
        self.work: WorkSchedules = settings.work_schedules
        self.repeat_window_s = settings.repeat_window_s
        self.face_distance = settings.face.threshold
        self.limits = QualityLimits(settings.face.min_face_px, settings.face.min_sharpness)
        self.duties: list[DutyApproval] = []
        if self.path.exists():
            try:
                self._use(Config.model_validate_json(self.path.read_text()))
            except ValueError as err:  # keep the file for inspection, run on the TOML values
                bad = self.path.with_suffix(".json.bad")
                os.replace(self.path, bad)
                logger.error("persisted config unreadable (%s); kept as %s", err, bad)

    def _use(self, cfg: Config) -> None:
        self.version = cfg.version
        self.office = cfg.office
        self.work = cfg.work_schedules
        self.repeat_window_s = cfg.thresholds.repeat_window_s
        self.face_distance = cfg.thresholds.face_distance
        self.limits = QualityLimits(cfg.thresholds.min_face_px, self.limits.min_sharpness)
        self.duties = [DutyApproval(d.employee_id, d.day, d.lat, d.lon, d.radius_m)
                       for d in cfg.duties]

    def apply(self, cfg: Config) -> bool:
        """Use and persist a newer config; False when it is not newer (a retained redelivery)."""
        if cfg.device_id != self.device_id:
            raise ConfigMismatch(f"config for {cfg.device_id}, this kiosk is {self.device_id}")
        with self._lock:
            if cfg.version <= self.version:
                return False
            write_durably(self.path, json.dumps(cfg.model_dump(mode="json", by_alias=True)))
            self._use(cfg)
        logger.info("config version %d applied (office %s)", cfg.version, cfg.office.id)
        return True
