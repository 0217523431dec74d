"""MQTT topics of the v1 wire contract: one table (`ROUTES`), the builders and the parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "hadir/v1"
INGEST_SHARE_GROUP = "hadir-ingest"
FLEET_SHARE_GROUP = "hadir-fleet"
#: The shared-subscription group of each cloud service that consumes kiosk topics.
SHARE_GROUPS = {"ingest": INGEST_SHARE_GROUP, "fleet": FLEET_SHARE_GROUP}
DEVICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
#: A command name is one topic level; "+" only where a subscription filter is built.
NAME_RE = re.compile(r"^(\+|[a-z0-9][a-z0-9-]{0,62})$")


class Direction(StrEnum):
    """Who publishes a topic."""

    UP = "kiosk → cloud"
    DOWN = "cloud → kiosk"


@dataclass(frozen=True)
class Route:
    """One row of the wire contract: a topic, who writes it, how, what it carries, who reads it.

    `models` are class names in `hadir_protocol.models` (names, so this module imports
    nothing); `cloud` is the cloud service at the other end (`ingest` or `fleet`), whose
    workers share its kiosk → cloud topics in the group `SHARE_GROUPS[cloud]`. A pattern
    ending in `/+` has a command name as its last level.
    """

    kind: str
    direction: Direction
    qos: int
    retain: bool
    models: tuple[str, ...]
    cloud: str
    pattern: str

    @property
    def named(self) -> bool:
        """True when the last level is a command name."""
        return self.pattern.endswith("/+")

    def topic(self, device_id: str, name: str | None = None) -> str:
        """The topic of one kiosk (and command name, for cmd/reply)."""
        topic = self.pattern.format(device=_check(device_id))
        if self.named != (name is not None):
            raise ValueError(f"topic kind {self.kind!r} {'needs' if self.named else 'takes no'} name")
        if name is None:
            return topic
        if not NAME_RE.match(name):
            raise ValueError(f"command name {name!r}: one level of lowercase letters, digits, '-'")
        return topic[:-1] + name

    def filter(self, device_id: str = "+") -> str:
        """The subscription filter (and ACL topic) over one kiosk, or every kiosk with '+'."""
        return self.pattern.format(device=device_id if device_id == "+" else _check(device_id))


_UP, _DOWN = Direction.UP, Direction.DOWN
#: The wire contract v1 (docs/wire-contract.md shows the same table; a test holds them equal).
ROUTES: tuple[Route, ...] = (
    Route("checkin", _UP, 1, False, ("CheckIn", "CheckInBatch"), "ingest",
          f"{PREFIX}/{{device}}/checkin"),
    Route("ack", _DOWN, 1, False, ("Ack",), "ingest", f"{PREFIX}/{{device}}/ack"),
    Route("status", _UP, 1, True, ("Status",), "fleet", f"{PREFIX}/{{device}}/status"),
    Route("telemetry", _UP, 0, False, ("Telemetry",), "fleet", f"{PREFIX}/{{device}}/telemetry"),
    Route("config", _DOWN, 1, True, ("Config",), "fleet", f"{PREFIX}/{{device}}/config"),
    Route("gallery", _DOWN, 1, False, ("GalleryDelta",), "fleet", f"{PREFIX}/{{device}}/gallery"),
    Route("cmd", _DOWN, 1, False, ("Command",), "fleet", f"{PREFIX}/{{device}}/cmd/+"),
    Route("reply", _UP, 1, False, ("Reply",), "fleet", f"{PREFIX}/{{device}}/reply/+"),
)
ROUTE: dict[str, Route] = {r.kind: r for r in ROUTES}
#: Kinds without a command name (kept for callers of the first version of this module).
KINDS = tuple(r.kind for r in ROUTES if not r.named)


def _check(device_id: str) -> str:
    if not DEVICE_ID_RE.match(device_id):
        raise ValueError(
            f"device id {device_id!r} must be 2-63 chars of lowercase letters, digits and '-'"
        )
    return device_id


def checkin(device_id: str) -> str:
    """Kiosk → cloud, QoS 1: one signed check-in or a batch."""
    return ROUTE["checkin"].topic(device_id)


def ack(device_id: str) -> str:
    """Cloud → kiosk, QoS 1: application acks per event_id."""
    return ROUTE["ack"].topic(device_id)


def status(device_id: str) -> str:
    """Kiosk → cloud, QoS 1 retained: online/offline (the last will)."""
    return ROUTE["status"].topic(device_id)


def telemetry(device_id: str) -> str:
    """Kiosk → cloud, QoS 0: heartbeat."""
    return ROUTE["telemetry"].topic(device_id)


def config(device_id: str) -> str:
    """Cloud → kiosk, QoS 1 retained: versioned configuration."""
    return ROUTE["config"].topic(device_id)


def gallery(device_id: str) -> str:
    """Cloud → kiosk, QoS 1: face gallery deltas."""
    return ROUTE["gallery"].topic(device_id)


def cmd(device_id: str, name: str) -> str:
    """Cloud → kiosk command request (`name` "+" gives the kiosk's subscription filter)."""
    return ROUTE["cmd"].topic(device_id, name)


def reply(device_id: str, name: str) -> str:
    """Kiosk → cloud command reply."""
    return ROUTE["reply"].topic(device_id, name)


def shared_subscription(kind: str, group: str | None = None) -> str:
    """Shared subscription over every kiosk's `kind` topic, for load-balanced cloud workers."""
    route = ROUTE.get(kind)
    if route is None or route.direction is not Direction.UP:
        raise ValueError(f"unknown kiosk → cloud topic kind {kind!r}")
    return f"$share/{group or SHARE_GROUPS[route.cloud]}/{route.filter()}"


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
    route = ROUTE.get(parts[3])
    if route is None or len(parts) != (5 if route.named else 4):
        raise ValueError(f"unknown topic kind in {topic!r}")
    return ParsedTopic(device_id, route.kind, parts[4] if route.named else None)
