"""Kiosks' public keys and the one rule for verifying what a kiosk signed (ingest and fleet).

A kiosk has one current key (`devices.public_key`) and may have retired keys
(`device_keys`). A retired key verifies an event only when the event was made
before the key was retired (plus the clock margin) and only while the grace
after its retirement lasts. A key whose rotation is still pending (the cloud has
registered the next key, the kiosk has not switched yet: `retired_at` NULL)
verifies like the current one.

The cache reloads on a timer (so `device disable`/`revoke` and a new
registration are noticed without a restart) and, at most once a second, when a
device is unknown or a signature does not verify with what it holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from hadir_protocol.reasons import Reason, Rejected
from hadir_protocol.signing import SignatureError, load_verify_key, verify
from nacl.signing import VerifyKey

logger = logging.getLogger(__name__)

MISS_RELOAD_S = 1.0


@dataclass
class DeviceKey:
    """One kiosk's keys as the cloud knows them."""

    current: VerifyKey | None
    disabled: bool
    #: (key, retired_at) — retired_at None: the kiosk may still sign with it (rotation pending)
    retired: list[tuple[VerifyKey, datetime | None]] = field(default_factory=list)


def allowed(retired_at: datetime | None, made_at: datetime, now: datetime, grace: timedelta,
            margin: timedelta) -> bool:
    """The retired-key rule: made before the retirement, and the grace not over."""
    if retired_at is None:
        return True
    return made_at <= retired_at + margin and now <= retired_at + grace


class DeviceKeys:
    """Registered kiosks' keys, cached, with the verification rule."""

    def __init__(self, grace: timedelta = timedelta(days=7),
                 margin: timedelta = timedelta(minutes=5), reload_s: float = 30.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.grace, self.margin, self.reload_s, self.clock = grace, margin, reload_s, clock
        self._devices: dict[str, DeviceKey] = {}
        self._loaded_at = float("-inf")

    def load(self, conn: psycopg.Connection) -> None:
        """Read every device's key and state, and the keys retired by rotation."""
        devices: dict[str, DeviceKey] = {}
        for device_id, key, disabled in conn.execute(
                "SELECT id, public_key, disabled FROM devices"):
            try:
                current = load_verify_key(key)
            except SignatureError:
                logger.error("device %s has an unusable public key", device_id)
                current = None
            devices[device_id] = DeviceKey(current, bool(disabled))
        for device_id, key, at in conn.execute(
                "SELECT device_id, public_key, retired_at FROM device_keys"):
            if device_id in devices:
                try:
                    devices[device_id].retired.append((load_verify_key(key), at))
                except SignatureError:
                    logger.error("device %s has an unusable retired key", device_id)
        self._devices = devices
        self._loaded_at = time.monotonic()

    def refresh(self, conn: psycopg.Connection, *, miss: bool = False) -> None:
        """Reload when the timer is due, or on a miss at most once a second."""
        age = time.monotonic() - self._loaded_at
        if age > self.reload_s or (miss and age > MISS_RELOAD_S):
            self.load(conn)

    def known(self, conn: psycopg.Connection, device_id: str) -> DeviceKey:
        """The device's keys, or Rejected(UNKNOWN_DEVICE / DISABLED_DEVICE)."""
        self.refresh(conn)
        dev = self._devices.get(device_id)
        if dev is None:
            self.refresh(conn, miss=True)
            dev = self._devices.get(device_id)
        if dev is None:
            raise Rejected(Reason.UNKNOWN_DEVICE, f"device {device_id} is not registered")
        if dev.disabled:
            raise Rejected(Reason.DISABLED_DEVICE, f"device {device_id} is disabled")
        return dev

    def verify(self, conn: psycopg.Connection, device_id: str, raw: dict[str, Any],
               made_at: datetime | None) -> None:
        """Verify `raw`'s signature, or Rejected(UNKNOWN/DISABLED_DEVICE, BAD_SIGNATURE).

        `made_at` None (a reply to a command, made now) allows a retired key only
        while its grace lasts.
        """
        event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
        try:
            self._verify(self.known(conn, device_id), raw, made_at)
            return
        except SignatureError:
            self.refresh(conn, miss=True)  # a rotation or re-registration may have just happened
        try:
            self._verify(self.known(conn, device_id), raw, made_at)
        except SignatureError as err:
            raise Rejected(Reason.BAD_SIGNATURE, str(err), event_id) from err

    def _verify(self, dev: DeviceKey, raw: dict[str, Any], made_at: datetime | None) -> None:
        if dev.current is not None:
            try:
                verify(raw, dev.current)
                return
            except SignatureError:
                pass
        now = self.clock()
        for key, retired_at in dev.retired:
            if allowed(retired_at, made_at or now, now, self.grace, self.margin):
                try:
                    verify(raw, key)
                    return
                except SignatureError:
                    continue
        raise SignatureError("no key of this kiosk verifies the signature")
