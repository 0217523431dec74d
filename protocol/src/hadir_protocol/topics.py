"""MQTT topics of the v1 wire contract; the device id is the second level."""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "hadir/v1"
INGEST_SHARE_GROUP = "hadir-ingest"
DEVICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")

KINDS = ("checkin", "ack", "status", "telemetry", "config", "gallery")


def _check(device_id: str) -> str:
    if not DEVICE_ID_RE.match(device_id):
        raise ValueError(
            f"device id {device_id!r} must be 2-63 chars of lowercase letters, digits and '-'"
        )
    return device_id


def checkin(device_id: str) -> str:
    """Kiosk → cloud, QoS 1: one signed check-in or a batch."""
    return f"{PREFIX}/{_check(device_id)}/checkin"


def ack(device_id: str) -> str:
    """Cloud → kiosk, QoS 1: application acks per event_id."""
    return f"{PREFIX}/{_check(device_id)}/ack"


def status(device_id: str) -> str:
    """Kiosk → cloud, QoS 1 retained: online/offline (the last will)."""
    return f"{PREFIX}/{_check(device_id)}/status"


def telemetry(device_id: str) -> str:
    """Kiosk → cloud: heartbeat."""
    return f"{PREFIX}/{_check(device_id)}/telemetry"


def config(device_id: str) -> str:
    """Cloud → kiosk, QoS 1 retained: versioned configuration."""
    return f"{PREFIX}/{_check(device_id)}/config"


def gallery(device_id: str) -> str:
    """Cloud → kiosk, QoS 1: face gallery deltas."""
    return f"{PREFIX}/{_check(device_id)}/gallery"


def cmd(device_id: str, name: str) -> str:
    """Cloud → kiosk command request."""
    return f"{PREFIX}/{_check(device_id)}/cmd/{name}"


def reply(device_id: str, name: str) -> str:
    """Kiosk → cloud command reply."""
    return f"{PREFIX}/{_check(device_id)}/reply/{name}"


def shared_subscription(kind: str, group: str = INGEST_SHARE_GROUP) -> str:
    """Shared subscription over every device's `kind` topic, for load-balanced workers."""
    if kind not in KINDS:
        raise ValueError(f"unknown topic kind {kind!r}")
    return f"$share/{group}/{PREFIX}/+/{kind}"


@dataclass(frozen=True)
class ParsedTopic:
    """A topic split into device id and kind (and command name, if any)."""

    device_id: str
    kind: str
    name: str | None = None


def parse(topic: str) -> ParsedTopic:
    """Split a v1 topic; raises ValueError for anything that is not one."""
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != PREFIX:
        raise ValueError(f"not a {PREFIX} topic: {topic!r}")
    device_id = _check(parts[2])
    kind = parts[3]
    if kind in ("cmd", "reply") and len(parts) == 5:
        return ParsedTopic(device_id, kind, parts[4])
    if kind not in KINDS or len(parts) != 4:
        raise ValueError(f"unknown topic kind in {topic!r}")
    return ParsedTopic(device_id, kind)
