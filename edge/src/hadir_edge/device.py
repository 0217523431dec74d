"""Device life over MQTT: heartbeat telemetry, the retained config, gallery deltas, commands.

The agent shares the publisher's MQTT client (one connection, one persistent
session per kiosk). Everything that arrives is validated; a bad message is
logged and dropped, never allowed to stop the kiosk. Commands are answered on
`reply/{name}` with the same correlation id, signed with the device key; a
redelivered command (QoS 1) gets the reply it got the first time.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from hadir_protocol import topics
from hadir_protocol.codec import encode
from hadir_protocol.files import write_durably
from hadir_protocol.models import (
    Command,
    CommandName,
    Config,
    GalleryDelta,
    GpsFix,
    Reply,
    Telemetry,
)
from hadir_protocol.signing import SignatureError, load_verify_key, verify
from pydantic import ValidationError

from . import __version__, clock
from .config import EdgeSettings
from .face import Gallery, GalleryError, GalleryVersionError
from .identity import DeviceIdentity, RotationError
from .outbox import Outbox
from .publisher import Publisher
from .runtime import ConfigMismatch, RuntimeConfig

logger = logging.getLogger(__name__)

REPLY_CACHE = 50
MAX_LOG_LINES = 2000


def rss_mb() -> float | None:
    """Resident memory of this process (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def temperature_c() -> float | None:
    """The SoC temperature where the kernel reports one (a Pi does)."""
    try:
        return round(int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000, 1)
    except (OSError, ValueError):
        return None


def tail_lines(path: Path, n: int) -> list[str]:
    """The last `n` lines of a text file (read from the end, not the whole file)."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        block, data = 8192, b""
        while size > 0 and data.count(b"\n") <= n:
            step = min(block, size)
            size -= step
            fh.seek(size)
            data = fh.read(step) + data
    return [line.decode("utf-8", "replace") for line in data.splitlines()[-n:]]


class DeviceAgent:
    """Config, gallery, commands and telemetry for one kiosk."""

    def __init__(self, settings: EdgeSettings, publisher: Publisher, outbox: Outbox,
                 gallery: Gallery, runtime: RuntimeConfig, identity: DeviceIdentity,
                 gps_fix: Callable[[], GpsFix | None] = lambda: None,
                 camera_state: Callable[[], str | None] = lambda: None):
        self.settings = settings
        self.device_id = settings.device_id
        self.pub = publisher
        self.outbox = outbox
        self.gallery = gallery
        self.runtime = runtime
        self.identity = identity
        self.gps_fix = gps_fix
        self.camera_state = camera_state
        self.started = time.monotonic()
        self._replies_path = settings.data_dir / "replies.json"
        self._replies: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._lock = threading.Lock()
        if self._replies_path.exists():
            try:
                self._replies.update(json.loads(self._replies_path.read_text()))
            except ValueError:
                logger.error("reply cache unreadable; starting empty")
        self.cloud_key = (load_verify_key(settings.cloud_public_key)
                          if settings.cloud_public_key else None)
        if self.cloud_key is None:
            logger.warning("no cloud key pinned (cloud_public_key): config, gallery and commands "
                           "are accepted unsigned")
        self.refused = 0  # cloud → kiosk messages refused (unsigned, forged, unreadable)
        publisher.route(topics.config(self.device_id), self.on_config)
        publisher.route(topics.gallery(self.device_id), self.on_gallery)
        publisher.route(topics.cmd(self.device_id, "+"), self.on_command)

    # --- cloud → kiosk ------------------------------------------------------------------
    def _from_cloud(self, msg: mqtt.MQTTMessage, what: str) -> dict[str, Any] | None:
        """The message as JSON if it is signed by the pinned cloud key (or none is pinned)."""
        try:
            raw = json.loads(msg.payload)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            if self.cloud_key is not None:
                verify(raw, self.cloud_key)
        except (ValueError, SignatureError) as err:
            self.refused += 1
            logger.error("%s refused: %s", what, err)
            return None
        return raw

    def on_config(self, msg: mqtt.MQTTMessage) -> None:
        """Apply a newer retained config (signed by the cloud) and persist it."""
        if not msg.payload:
            return  # a cleared retained message
        raw = self._from_cloud(msg, "config")
        if raw is None:
            return
        try:
            self.runtime.apply(Config.model_validate(raw))
        except (ValidationError, ConfigMismatch) as err:
            self.refused += 1
            logger.error("config refused: %s", err)

    def on_gallery(self, msg: mqtt.MQTTMessage) -> None:
        """Apply a gallery delta (signed by the cloud) on top of the version held."""
        raw = self._from_cloud(msg, "gallery delta")
        if raw is None:
            return
        try:
            delta = GalleryDelta.model_validate(raw)
        except ValidationError as err:
            logger.error("gallery delta unreadable: %s", err.errors()[:1])
            return
        if delta.device_id != self.device_id:
            logger.error("gallery delta for %s ignored", delta.device_id)
            return
        try:
            self.gallery.apply(delta)
        except GalleryVersionError as err:
            logger.warning("%s; the next heartbeat asks for what is missing", err)
            return
        logger.info("gallery version %d: %d people", self.gallery.version,
                    len(self.gallery.employees()))

    def on_command(self, msg: mqtt.MQTTMessage) -> None:
        """Run a command and reply (or repeat the earlier reply to a redelivered one)."""
        name = msg.topic.rsplit("/", 1)[-1]
        raw = self._from_cloud(msg, f"command {name}")
        if raw is None:
            return
        try:
            cmd = Command.model_validate(raw)
        except ValidationError as err:
            logger.error("command %s unreadable: %s", name, err.errors()[:1])
            return
        with self._lock:
            reply = self._replies.get(cmd.correlation_id)
            if reply is None:
                reply = self._run(name, cmd)
                self._replies[cmd.correlation_id] = reply
                while len(self._replies) > REPLY_CACHE:
                    self._replies.popitem(last=False)
                write_durably(self._replies_path, json.dumps(self._replies))
        self.pub.client.publish(topics.reply(self.device_id, name), encode(reply), qos=1)

    def _run(self, name: str, cmd: Command) -> dict[str, Any]:
        ok, error, result = True, None, {}
        try:
            if name == CommandName.RESYNC_GALLERY:
                previous = self.gallery.forget_version()
                result = {"previous_version": previous, "gallery_version": 0,
                          "size": len(self.gallery.employees())}
            elif name == CommandName.SEND_LOGS:
                n = max(1, min(int(cmd.args.get("lines", 200)), MAX_LOG_LINES))
                path = self.settings.log_path()
                result = {"lines": tail_lines(path, n), "source": str(path)}
            elif name == CommandName.GALLERY_KEY:
                # the key stays in memory only; the reply (cached on disk) says nothing of it
                self.gallery.unlock(dict(cmd.args), self.device_id)
                result = {"unlocked": True, "gallery_version": self.gallery.version,
                          "size": len(self.gallery.employees())}
            elif name == CommandName.ROTATE_CREDENTIALS:
                activate = cmd.args.get("activate")
                if activate:
                    self.identity.activate(str(activate))
                    result = {"phase": "active", "public_key": self.identity.public_key()}
                else:
                    result = {"phase": "pending", "public_key": self.identity.pending(),
                              "previous_public_key": self.identity.public_key()}
            else:
                ok, error = False, f"perintah tidak dikenal: {name}"
        except (OSError, ValueError, RotationError, GalleryError) as err:
            ok, error, result = False, str(err), {}
        logger.info("command %s (%s): %s", name, cmd.correlation_id, "ok" if ok else error)
        reply = Reply(correlation_id=cmd.correlation_id, device_id=self.device_id, ok=ok,
                      error=error, result=result)
        return self.identity.sign(reply.model_dump(mode="json", by_alias=True, exclude_none=True))

    # --- kiosk → cloud ------------------------------------------------------------------
    def telemetry(self) -> Telemetry:
        """The heartbeat as it would be sent now."""
        fix = self.gps_fix()
        clk = clock.current_clock(fix.gps_time if fix else None)
        disk = self.outbox.disk_free_mb()
        camera = self.camera_state()
        return Telemetry(
            device_id=self.device_id, sent_at=datetime.now(UTC),
            outbox_depth=self.outbox.depth(), oldest_unacked_at=self.outbox.oldest_unacked(),
            last_ack_at=self.outbox.last_ack(),
            gps_mode=fix.mode if fix else None, gps_satellites=fix.satellites if fix else None,
            gps_fix=fix.fix if fix else None,
            camera_ok=None if camera is None else camera == "ok", camera_state=camera,
            disk_free_mb=disk, temperature_c=temperature_c(), clock_source=clk.source,
            config_version=self.runtime.version,
            # a locked gallery (its key not yet from the cloud) holds no known version
            gallery_version=None if self.gallery.locked else self.gallery.version,
            gallery_key_request=self.gallery.key_request(),
            gallery_size=len(self.gallery.employees()),
            rejected_count=self.outbox.rejected_count(), held_count=self.outbox.held_count(),
            ack_errors=self.pub.ack_errors, disk_full=self.outbox.disk_full(), rss_mb=rss_mb(),
            uptime_s=round(time.monotonic() - self.started, 1), version=__version__)

    def heartbeat(self) -> bool:
        """Send the heartbeat (QoS 0); False while the link is down (it is not queued)."""
        return self.pub.publish(topics.telemetry(self.device_id), encode(self.telemetry()), qos=0)
