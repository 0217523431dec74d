"""Where the kiosk's time comes from (NTP, GPS or its own clock) and how far it drifts."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from hadir_protocol.models import ClockSource

logger = logging.getLogger(__name__)

#: chrony reference ids that mean the GPS/PPS refclocks of firmware_config/chrony.
GPS_REFIDS = {"GPS", "PPS", "NMEA", "SHM0", "PPS0"}
DEFAULT_DRIFT_THRESHOLD_S = 2.0


@dataclass(frozen=True)
class ClockStatus:
    """The clock source stamped on every event, and the GPS-to-system drift."""

    source: ClockSource
    drift_s: float | None = None
    drift_flagged: bool = False
    detail: str = ""


def parse_chronyc_tracking(csv_line: str) -> tuple[ClockSource, str]:
    """Classify `chronyc -c tracking` output.

    Fields: ref id (hex), ref name, stratum, ref time, system offset, …, leap status (last).
    A GPS/PPS reference → gps; another reference while synchronised → ntp; else local.
    """
    fields = csv_line.strip().split(",")
    if len(fields) < 14:
        raise ValueError(f"unexpected chronyc tracking output: {csv_line!r}")
    ref_name, stratum, leap = fields[1].strip(), fields[2].strip(), fields[-1].strip()
    if leap == "Not synchronised" or ref_name in ("", "0.0.0.0") or stratum == "0":
        return ClockSource.LOCAL, f"chrony unsynchronised ({leap})"
    refid_ascii = bytes.fromhex(fields[0].strip().zfill(8)).decode("ascii", "replace").strip("\0 ")
    if ref_name.upper() in GPS_REFIDS or refid_ascii.upper() in GPS_REFIDS:
        return ClockSource.GPS, f"chrony reference {ref_name or refid_ascii}"
    return ClockSource.NTP, f"chrony reference {ref_name}"


def parse_timedatectl(value: str) -> ClockSource:
    """`timedatectl show -p NTPSynchronized --value`: yes → ntp, else local."""
    return ClockSource.NTP if value.strip() == "yes" else ClockSource.LOCAL


def _run(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=3)
    except (OSError, subprocess.TimeoutExpired) as err:
        logger.debug("%s failed: %s", cmd[0], err)
        return None
    return out.stdout if out.returncode == 0 else None


#: how long an answer of chrony or timedatectl is used (asking takes a process per check-in)
SOURCE_TTL_S = 30.0
_source_cache: tuple[float, tuple[ClockSource, str]] | None = None


def system_clock_source() -> tuple[ClockSource, str]:
    """The time service's answer, asked at most every `SOURCE_TTL_S` seconds."""
    global _source_cache
    mono = time.monotonic()
    if _source_cache is None or mono - _source_cache[0] > SOURCE_TTL_S:
        _source_cache = (mono, ask_clock_source())
    return _source_cache[1]


def ask_clock_source() -> tuple[ClockSource, str]:
    """Ask chrony, then systemd-timesyncd; without either the clock is only local."""
    tracking = _run(["chronyc", "-c", "tracking"])
    if tracking:
        try:
            return parse_chronyc_tracking(tracking.splitlines()[0])
        except ValueError as err:
            logger.warning("%s", err)
    synced = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if synced is not None:
        return parse_timedatectl(synced), "timedatectl"
    return ClockSource.LOCAL, "no time service answered"


def drift(gps_time: datetime | None, system_time: datetime | None = None) -> float | None:
    """GPS time minus system time in seconds, or None without a GPS time."""
    if gps_time is None:
        return None
    now = system_time or datetime.now(UTC)
    return (gps_time - now).total_seconds()


def current_clock(
    gps_time: datetime | None,
    *,
    fix_age_s: float = 0.0,
    threshold_s: float = DEFAULT_DRIFT_THRESHOLD_S,
    source: tuple[ClockSource, str] | None = None,
    system_time: datetime | None = None,
) -> ClockStatus:
    """The clock status for an event: source, drift from a fresh GPS time, and a flag."""
    src, detail = source or system_clock_source()
    d = drift(gps_time, system_time)
    if d is not None:
        d += fix_age_s  # the fix's time was true `fix_age_s` ago
    flagged = d is not None and abs(d) > threshold_s
    if flagged:
        logger.warning("GPS-to-system clock drift %.1f s exceeds %.1f s", d, threshold_s)
    return ClockStatus(source=src, drift_s=None if d is None else round(d, 3),
                       drift_flagged=flagged, detail=detail)
