"""The kiosk's Ed25519 identity: the key that signs events and replies, and its rotation.

Rotation has two phases so that a lost message never leaves the kiosk signing
with a key the cloud does not know: the kiosk first makes a *pending* key and
reports it (signed with the current key); it switches only when the cloud,
having registered the new key, says `activate` with that key's public half.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hadir_protocol.signing import load_or_create_private_key, public_key_b64, sign


class RotationError(ValueError):
    """An `activate` for a key this kiosk did not make."""


class DeviceIdentity:
    """The device key in `data_dir/device_key.pem` (mode 0600), thread-safe."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "device_key.pem"
        self.pending_path = data_dir / "device_key.pending.pem"
        self.retired_path = data_dir / "device_key.retired.pem"
        self._lock = threading.Lock()
        self._key = load_or_create_private_key(self.path)

    @property
    def key(self) -> Ed25519PrivateKey:
        """The key events are signed with now."""
        with self._lock:
            return self._key

    def public_key(self) -> str:
        """The current public key, base64."""
        return public_key_b64(self.key)

    def sign(self, wire: dict[str, Any]) -> dict[str, Any]:
        """Sign a wire dict with the current key."""
        return sign(wire, self.key)

    def pending(self) -> str:
        """Phase 1: the pending key's public half (made once, kept across restarts)."""
        with self._lock:
            return public_key_b64(load_or_create_private_key(self.pending_path))

    def activate(self, public_key: str) -> str:
        """Phase 2: switch to the pending key whose public half is given (idempotent)."""
        with self._lock:
            if public_key_b64(self._key) == public_key:
                return public_key  # already active: a redelivered command
            if not self.pending_path.exists():
                raise RotationError("tidak ada kunci tertunda untuk diaktifkan")
            pending = load_or_create_private_key(self.pending_path)
            if public_key_b64(pending) != public_key:
                raise RotationError("kunci yang diminta bukan kunci tertunda kiosk ini")
            os.replace(self.path, self.retired_path)
            os.replace(self.pending_path, self.path)
            self._key = pending
            return public_key
