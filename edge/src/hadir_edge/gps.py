"""GPS through gpsd (gpsd-py3), a fixed simulated fix, or none; and the geofence.

"No fix" is recorded as such: a position is never invented.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Protocol

from hadir_protocol.geo import haversine_m as haversine_m  # kept importable from here
from hadir_protocol.models import Geofence, GpsFix, Office

from .config import FixedGps, GpsConfig, GpsdConfig

logger = logging.getLogger(__name__)


class GpsError(RuntimeError):
    """gpsd could not be reached."""


class Gps(Protocol):
    """Something that reports the current fix."""

    def fix(self) -> GpsFix:
        """The current fix or an explicit no-fix."""
        ...


class NoGps:
    """No receiver configured."""

    def fix(self) -> GpsFix:
        """Always 'no fix'."""
        return GpsFix(fix=False)


class FixedGpsSource:
    """A simulated kiosk's fix, recorded exactly as configured (demo and tests only)."""

    def __init__(self, cfg: FixedGps):
        self.cfg = cfg

    def fix(self) -> GpsFix:
        """The configured position, stamped now."""
        now = datetime.now(UTC)
        return GpsFix(fix=True, lat=self.cfg.lat, lon=self.cfg.lon, accuracy_m=self.cfg.accuracy_m,
                      satellites=self.cfg.satellites, mode=3, gps_time=now, age_s=0.0)


class GpsdSource:
    """gpsd over its JSON socket, through gpsd-py3's connection."""

    def __init__(self, cfg: GpsdConfig):
        import gpsd  # imported here: only the gpsd backend needs it

        self._gpsd = gpsd
        self.cfg = cfg
        self._connected = False

    def _connect(self) -> None:
        try:
            self._gpsd.connect(host=self.cfg.host, port=self.cfg.port)
        except (OSError, ValueError, KeyError) as err:
            raise GpsError(f"gpsd at {self.cfg.host}:{self.cfg.port}: {err}") from err
        self._connected = True

    def poll(self) -> dict:
        """gpsd's raw ?POLL answer (TPV and SKY reports)."""
        if not self._connected:
            self._connect()
        try:
            self._gpsd.gpsd_stream.write("?POLL;\n")
            self._gpsd.gpsd_stream.flush()
            while True:
                msg = json.loads(self._gpsd.gpsd_stream.readline())
                if msg.get("class") == "POLL":
                    return msg  # type: ignore[no-any-return]
        except (OSError, ValueError) as err:
            self._connected = False
            raise GpsError(f"gpsd stopped answering: {err}") from err

    def fix(self) -> GpsFix:
        """The current fix; gpsd unreachable or mode < 2 → 'no fix'."""
        try:
            poll = self.poll()
        except GpsError as err:
            logger.warning("%s", err)
            return GpsFix(fix=False)
        return fix_from_poll(poll)


def fix_from_poll(poll: dict, now: datetime | None = None) -> GpsFix:
    """Turn gpsd's POLL report into a GpsFix (pure, for tests)."""
    tpv = (poll.get("tpv") or [{}])[-1]
    sky = (poll.get("sky") or [{}])[-1]
    mode = int(tpv.get("mode", 0))
    if not poll.get("active") or mode < 2 or "lat" not in tpv or "lon" not in tpv:
        return GpsFix(fix=False)
    sats = sky.get("satellites") or []
    used = sum(1 for s in sats if s.get("used")) if sats else sky.get("uSat")
    gps_time = None
    age = None
    if tpv.get("time"):
        gps_time = datetime.fromisoformat(tpv["time"].replace("Z", "+00:00"))
        age = max(0.0, ((now or datetime.now(UTC)) - gps_time).total_seconds())
    epx, epy = tpv.get("epx"), tpv.get("epy")
    accuracy = max(epx, epy) if epx is not None and epy is not None else tpv.get("eph")
    return GpsFix(fix=True, lat=tpv["lat"], lon=tpv["lon"], accuracy_m=accuracy,
                  hdop=sky.get("hdop"), satellites=used, mode=mode, gps_time=gps_time, age_s=age)


def make_gps(cfg: GpsConfig) -> Gps:
    """The configured GPS backend."""
    if isinstance(cfg, GpsdConfig):
        return GpsdSource(cfg)
    if isinstance(cfg, FixedGps):
        return FixedGpsSource(cfg)
    return NoGps()


def geofence(fix: GpsFix, office: Office) -> Geofence:
    """Distance to the office and inside/outside; unknown (None) without a fix."""
    if not fix.fix or fix.lat is None or fix.lon is None:
        return Geofence(office_id=office.id, radius_m=office.radius_m)
    d = haversine_m(fix.lat, fix.lon, office.lat, office.lon)
    return Geofence(office_id=office.id, radius_m=office.radius_m, distance_m=round(d, 1),
                    inside=d <= office.radius_m)


def wait_for_fix(gps: Gps, timeout_s: float) -> GpsFix:
    """Poll until a fix or the timeout; returns the last answer."""
    deadline = time.monotonic() + timeout_s
    fix = gps.fix()
    while not fix.fix and time.monotonic() < deadline:
        time.sleep(0.2)
        fix = gps.fix()
    return fix
