"""The kiosk's Ed25519 identity: the key that signs events and replies, and its rotation.

Rotation has two phases so that a lost message never leaves the kiosk signing
with a key the cloud does not know: the kiosk first makes a *pending* key and
reports it (signed with the current key); it switches only when the cloud,
having registered the new key, says `activate` with that key's public half.

On disk (`data_dir`), every file is written tmp → fsync → rename → fsync dir:

- `device_key.pem`: the key in use; after the first boot it always exists.
- `device_key.pending.pem`: phase 1's key, made once and kept until activated.
- `device_key.retired.pem`: the key used before the last activation.

`activate` takes two steps, each atomic: (1) copy the current key to
`retired`, (2) rename `pending` over `device_key.pem`. A power cut can
therefore leave only these states, and start-up resolves each to a key the
cloud knows:

- before (1): current = old, pending = new → keep old (the cloud still accepts
  it as recently retired; the redelivered `activate` finishes the switch);
- between (1) and (2): retired = current, pending present → finish (2). This
  pair is written only by an `activate` in progress, and `activate` runs only
  after the cloud registered the pending key, so rolling forward is safe;
- after (2): current = new, no pending → nothing to do.

`device_key.pem` missing next to `retired` and `pending` is what the previous
release's two-rename `activate` left when cut between its renames; it is
finished the same way (it would also be the state if someone deleted the
current key by hand during a rotation, which nobody should). Any other sign of
an earlier identity without `device_key.pem` stops start-up with
`IdentityError` rather than minting a key the cloud has never seen.

Start-up repair, `pending` and `activate` hold `device_key.lock` (flock), so a
second process opening the identity (`hadir-edge checkin`, a test watching the
kiosk) waits for a running `activate` instead of "repairing" it halfway; the
kernel drops the lock when its holder dies, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hadir_protocol.files import fsync_dir
from hadir_protocol.signing import (
    load_or_create_private_key,
    load_private_key,
    public_key_b64,
    save_private_key,
    sign,
)

logger = logging.getLogger(__name__)


class RotationError(ValueError):
    """An `activate` for a key this kiosk did not make."""


class IdentityError(RuntimeError):
    """The key in use is gone but an earlier identity left traces: no new key is made."""


class DeviceIdentity:
    """The device key in `data_dir/device_key.pem` (mode 0600), thread-safe."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "device_key.pem"
        self.pending_path = data_dir / "device_key.pending.pem"
        self.retired_path = data_dir / "device_key.retired.pem"
        self.lock_path = data_dir / "device_key.lock"
        self._lock = threading.Lock()
        with self._exclusive():
            self._key = self._recover()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold this object's lock and the data dir's lock file (other processes)."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def _recover(self) -> Ed25519PrivateKey:
        """The key in use after finishing a cut-short `activate`; a new one only on a first boot."""
        current = _load(self.path)
        retired = _load(self.retired_path)
        if self.pending_path.exists() and retired is not None and (
            current is None or public_key_b64(current) == public_key_b64(retired)
        ):
            logger.warning("rotasi kunci terputus: menyelesaikan aktivasi %s", self.pending_path)
            return self._switch()
        if current is not None:
            return current
        traces = [p.name for p in (self.pending_path, self.retired_path) if p.exists()]
        if traces:
            raise IdentityError(
                f"kunci perangkat {self.path} hilang, tetapi ada jejak identitas lama "
                f"({', '.join(traces)}); kunci baru tidak dibuat karena cloud tidak akan "
                "mengenalinya. Pulihkan device_key.pem dari cadangan; atau, untuk identitas "
                f"baru, hapus {', '.join(traces)}, jalankan ulang, lalu daftarkan ulang kuncinya "
                "(`hadir-edge pubkey`, lalu `hadir-cloud device add --public-key` di cloud)."
            )
        return load_or_create_private_key(self.path)  # a true first boot

    def _switch(self) -> Ed25519PrivateKey:
        """Step (2): rename the pending key over the current one, durably."""
        key = load_private_key(self.pending_path)
        os.replace(self.pending_path, self.path)
        fsync_dir(self.path.parent)
        return key

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
        with self._exclusive():
            return public_key_b64(load_or_create_private_key(self.pending_path))

    def activate(self, public_key: str) -> str:
        """Phase 2: switch to the pending key whose public half is given (idempotent)."""
        with self._exclusive():
            if public_key_b64(self._key) == public_key:
                return public_key  # already active: a redelivered command
            pending = _load(self.pending_path)
            if pending is None:
                raise RotationError("tidak ada kunci tertunda untuk diaktifkan")
            if public_key_b64(pending) != public_key:
                raise RotationError("kunci yang diminta bukan kunci tertunda kiosk ini")
            save_private_key(self._key, self.retired_path)  # step (1): retired = current
            self._key = self._switch()
            return public_key


def _load(path: Path) -> Ed25519PrivateKey | None:
    """The key at `path`, or None when there is no such file."""
    try:
        return load_private_key(path)
    except FileNotFoundError:
        return None
