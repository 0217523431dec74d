"""A kiosk without a TPM (`face.gallery_key = "cloud"`): its gallery key comes from the cloud
at every boot, sealed to a one-time key, and lives in memory only — a copied card gives no
faces away. The agent against a real Mosquitto; the cloud's side signs as the cloud does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hadir_devstack import Mosquitto
from hadir_edge.face import Gallery, GalleryError, GalleryLocked
from hadir_protocol import gallery_key, topics
from hadir_protocol.codec import encode, pack_encoding
from hadir_protocol.models import Command, GalleryDelta, GalleryPerson, Telemetry
from hadir_protocol.signing import generate_key, public_key_b64, sign
from test_device_life import DEV, running_agent, wait  # the agent and the cloud's side

CLOUD_KEY = generate_key()


def _delta(base: int, version: int, *people: GalleryPerson) -> GalleryDelta:
    return GalleryDelta(device_id=DEV, base_version=base, version=version, upserts=list(people))


def _person(nip: str, seed: int) -> GalleryPerson:
    vec = np.random.default_rng(seed).normal(0, 0.1, 128)
    return GalleryPerson(employee_id=nip, name=f"Pegawai {seed}", encodings_b64=[pack_encoding(vec)])


def _card(data_dir: Path) -> bytes:
    """Every byte on the 'SD card': the kiosk's data dir."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())


def test_a_locked_gallery_opens_only_with_this_boot_s_answer(tmp_path: Path):
    key = gallery_key.new_key()
    first = Gallery(tmp_path / "gallery", None)
    assert first.locked and first.key_request() and len(first) == 0
    with pytest.raises(GalleryLocked):
        first.apply(_delta(0, 3, _person("198503122010012003", 1)))
    with pytest.raises(GalleryLocked):
        first.add("198503122010012003", np.zeros(128))
    # an answer sealed to another request (a replayed one of an earlier boot) does not open it
    _other, other_request = gallery_key.new_request()
    with pytest.raises(GalleryError, match="tidak dapat dibuka"):
        first.unlock(gallery_key.seal(key, other_request, DEV), DEV)
    with pytest.raises(GalleryError):  # nor one for another kiosk
        first.unlock(gallery_key.seal(key, str(first.key_request()), "kiosk-lain"), DEV)
    assert first.locked
    first.unlock(gallery_key.seal(key, str(first.key_request()), DEV), DEV)
    assert not first.locked and first.key_request() is None
    first.apply(_delta(0, 3, _person("198503122010012003", 1)))
    assert (tmp_path / "gallery.enc").exists()
    # the card holds neither the key nor the names
    card = _card(tmp_path)
    assert key not in card and key.hex().encode() not in card and b"Pegawai 1" not in card
    # a reboot (or a copied card): locked again, nothing known until the cloud answers
    second = Gallery(tmp_path / "gallery", None)
    assert second.locked and len(second) == 0 and second.key_request() != first.key_request()
    second.unlock(gallery_key.seal(key, str(second.key_request()), DEV), DEV)
    assert second.version == 3 and second.name_of("198503122010012003") == "Pegawai 1"
    # a key that does not open the file (the cloud lost it): kept aside, started empty
    third = Gallery(tmp_path / "gallery", None)
    third.unlock(gallery_key.seal(gallery_key.new_key(), str(third.key_request()), DEV), DEV)
    assert third.version == 0 and len(third) == 0
    assert list(tmp_path.glob("gallery.enc.bad-*"))


@pytest.fixture
def cloud_keyed(tmp_path: Path, broker: Mosquitto):  # type: ignore[no-untyped-def]
    with running_agent(tmp_path, broker, public_key_b64(CLOUD_KEY),
                       face={"gallery_key": "cloud"}) as both:
        yield both


def test_the_heartbeat_asks_for_the_key_and_a_signed_command_unlocks(cloud_keyed):
    agent, cloud = cloud_keyed
    assert not (agent.settings.data_dir / "gallery-key").exists()  # nothing made on the card
    agent.heartbeat()
    beat = Telemetry.model_validate(cloud.next("/telemetry"))
    assert beat.gallery_version is None and beat.gallery_key_request
    key = gallery_key.new_key()
    args = gallery_key.seal(key, beat.gallery_key_request, DEV)
    # an unsigned answer is refused (the kiosk pinned the cloud key)
    cloud.command("gallery-key", "k-unsigned", **args)
    cloud.send(topics.gallery(DEV), encode(sign(
        _delta(0, 2, _person("198503122010012003", 1)).model_dump(
            mode="json", by_alias=True, exclude_none=True), CLOUD_KEY)))
    wait(lambda: agent.refused >= 1, "the unsigned command refused")
    assert agent.gallery.locked  # and the delta waited: the gallery is still locked
    cmd = Command(correlation_id="k-1", issued_at=datetime.now(UTC), args=args)
    cloud.send(topics.cmd(DEV, "gallery-key"),
               encode(sign(cmd.model_dump(mode="json", by_alias=True, exclude_none=True),
                           CLOUD_KEY)))
    reply = cloud.next("/reply/gallery-key")
    assert reply["ok"] and reply["result"] == {"unlocked": True, "gallery_version": 0, "size": 0}
    assert key.hex() not in str(reply)
    agent.heartbeat()
    beat = Telemetry.model_validate(cloud.next("/telemetry"))
    assert beat.gallery_version == 0 and beat.gallery_key_request is None
    # the reply cache on the card holds no key
    assert key not in _card(agent.settings.data_dir)
    assert key.hex().encode() not in _card(agent.settings.data_dir)
