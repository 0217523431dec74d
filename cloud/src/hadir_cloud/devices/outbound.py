"""Cloud → kiosk messages: published at QoS 1, signed with the cloud key the kiosks pinned.

Config, gallery deltas and commands carry an Ed25519 signature by the cloud key
(`HADIR_CLOUD_KEY_FILE`, made by `hadir-cloud cloud-key init`); a kiosk that pinned
the public half at provisioning (`cloud_public_key`) ignores anything else.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hadir_protocol.codec import encode
from hadir_protocol.signing import SignatureError, load_private_key, sign
from pydantic import BaseModel

from ..mqtt_client import make_client
from ..settings import CloudSettings, SettingsError
from .domain import FleetError

logger = logging.getLogger(__name__)


def load_cloud_key(settings: CloudSettings) -> Ed25519PrivateKey | None:
    """The cloud's signing key, or None (unsigned, with a warning) when none is configured."""
    path = settings.cloud_key_file
    if path is None:
        logger.warning("HADIR_CLOUD_KEY_FILE is not set: config, gallery and commands go out "
                       "unsigned, and kiosks that pinned a cloud key will ignore them")
        return None
    try:
        return load_private_key(Path(path))
    except (OSError, ValueError, SignatureError) as err:
        raise SettingsError(f"HADIR_CLOUD_KEY_FILE={path} is not a readable Ed25519 key "
                            f"(`hadir-cloud cloud-key init --out {path}` makes one): {err}"
                            ) from err


@dataclass
class Outbound:
    """A connected client and the key that signs what it sends to kiosks."""

    client: mqtt.Client
    key: Ed25519PrivateKey | None

    def send(self, topic: str, model: BaseModel, retain: bool = False) -> dict[str, object]:
        """Sign (where a key is set) and publish; FleetError when the broker does not take it."""
        wire = model.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.key is not None:
            wire = sign(wire, self.key)
        info = self.client.publish(topic, encode(wire), qos=1, retain=retain)
        info.wait_for_publish(10)
        if not info.is_published():
            raise FleetError(f"gagal mengirim ke {topic}")
        return wire

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def connect(settings: CloudSettings, client_id: str, timeout: float = 10.0) -> Outbound:
    """The CLI's link: connected as the `cli` broker user and looping, or FleetError."""
    client = make_client(settings, "cli", client_id)
    ready = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: ready.set() if not rc.is_failure else None
    try:
        client.connect(settings.broker_host, settings.broker_port, keepalive=30)
    except OSError as err:
        raise FleetError(f"broker MQTT {settings.broker_host}:{settings.broker_port} "
                         f"tidak dapat dihubungi: {err}") from err
    client.loop_start()
    if not ready.wait(timeout):
        client.loop_stop()
        raise FleetError("broker MQTT menolak koneksi (periksa nama pengguna/kata sandi)")
    return Outbound(client, load_cloud_key(settings))
