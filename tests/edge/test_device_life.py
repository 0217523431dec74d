"""Device life against a real Mosquitto: config, gallery deltas, commands with replies, heartbeat.

A paho client plays the cloud. The kiosk side is the real publisher and agent
of `hadir-edge run`.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from hadir_devstack import Mosquitto
from hadir_edge.config import EdgeSettings
from hadir_edge.device import DeviceAgent, tail_lines
from hadir_edge.face import open_gallery
from hadir_edge.identity import DeviceIdentity
from hadir_edge.outbox import Outbox
from hadir_edge.publisher import Publisher
from hadir_edge.runtime import RuntimeConfig
from hadir_protocol import topics
from hadir_protocol.codec import encode, pack_encoding
from hadir_protocol.models import (
    Command,
    Config,
    GalleryDelta,
    GalleryPerson,
    Office,
    Telemetry,
    Thresholds,
)
from hadir_protocol.signing import (
    SignatureError,
    generate_key,
    load_public_key,
    public_key_b64,
    sign,
    verify,
)
from paho.mqtt.enums import CallbackAPIVersion

DEV = "kiosk-uji-01"
OFFICE = Office(id="setda", name="Setda", tz="Asia/Jakarta", lat=-3.2452, lon=104.6513,
                radius_m=50)


class Cloud:
    """The cloud's side of the topics, as a plain MQTT client."""

    def __init__(self, port: int):
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.c.on_message = lambda c, u, m: self.inbox.put((m.topic, m.payload))
        self.c.connect("127.0.0.1", port)
        self.c.subscribe([(f"hadir/v1/{DEV}/reply/+", 1), (topics.telemetry(DEV), 0)])
        self.c.loop_start()

    def send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def command(self, name: str, cid: str, **args: object) -> None:
        cmd = Command(correlation_id=cid, issued_at=datetime.now(UTC), args=args)  # type: ignore[arg-type]
        self.send(topics.cmd(DEV, name), encode(cmd))

    def next(self, suffix: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                topic, payload = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            if topic.endswith(suffix):
                return json.loads(payload)
        raise AssertionError(f"nothing on …{suffix}")

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


CLOUD_KEY = generate_key()


@contextmanager
def running_agent(tmp_path: Path, broker: Mosquitto, pinned: str | None,
                  **more: object) -> Iterator[tuple[DeviceAgent, Cloud]]:
    """The kiosk's agent on a real broker, and the cloud's side of its topics."""
    settings = EdgeSettings(
        device_id=DEV, data_dir=tmp_path / "data", office=OFFICE,
        camera={"type": "files", "paths": [str(tmp_path)]},
        broker={"host": "127.0.0.1", "port": broker.port}, log_file=tmp_path / "kiosk.log",
        cloud_public_key=pinned, **more)
    settings.data_dir.mkdir()
    settings.log_path().write_text("".join(f"baris {i}\n" for i in range(500)))
    outbox = Outbox(settings.data_dir / "outbox.sqlite")
    pub = Publisher(DEV, outbox, settings.broker, settings.publisher)
    agent = DeviceAgent(settings, pub, outbox, open_gallery(settings), RuntimeConfig(settings),
                        DeviceIdentity(settings.data_dir))
    pub.start()
    assert pub.connected.wait(10)
    cloud = Cloud(broker.port)
    try:
        yield agent, cloud
    finally:
        cloud.close()
        pub.stop()
        outbox.close()


@pytest.fixture(params=["unpinned"])
def kiosk(request, tmp_path: Path, broker: Mosquitto):
    pinned = public_key_b64(CLOUD_KEY) if request.param == "pinned" else None
    with running_agent(tmp_path, broker, pinned) as both:
        yield both


def wait(cond, what: str, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(what)


def cfg(version: int, device: str = DEV, repeat: int = 120) -> bytes:
    return encode(Config(version=version, device_id=device, office=OFFICE,
                         thresholds=Thresholds(repeat_window_s=repeat, face_distance=0.45)))


def test_retained_config_is_applied_persisted_and_never_rolled_back(kiosk):
    agent, cloud = kiosk
    cloud.send(topics.config(DEV), b"{not json", retain=False)  # refused, nothing changes
    cloud.send(topics.config(DEV), cfg(3), retain=True)
    wait(lambda: agent.runtime.version == 3, "config v3 applied")
    assert agent.runtime.repeat_window_s == 120 and agent.runtime.face_distance == 0.45
    refused = agent.refused
    cloud.send(topics.config(DEV), cfg(2, repeat=5))  # older: ignored
    # Regression: this once went to another kiosk's topic, where it could never arrive, so
    # the test could not fail. Now it comes on this kiosk's topic, made for another kiosk.
    cloud.send(topics.config(DEV), cfg(9, device="kiosk-lain"))
    wait(lambda: agent.refused == refused + 1, "the other kiosk's config refused")
    assert agent.runtime.version == 3 and agent.runtime.repeat_window_s == 120
    again = RuntimeConfig(agent.settings)  # a reboot without network keeps it
    assert again.version == 3 and again.repeat_window_s == 120
    cloud.send(topics.config(DEV), b"", retain=True)  # clear the retained message


def _person(nip: str, seed: int) -> GalleryPerson:
    vec = np.random.default_rng(seed).normal(0, 0.1, 128)
    return GalleryPerson(employee_id=nip, name=f"Pegawai {seed}", encodings_b64=[pack_encoding(vec)])


def test_gallery_deltas_and_the_heartbeat_that_reports_the_version(kiosk):
    agent, cloud = kiosk
    a, b = _person("198503122010012003", 1), _person("199001012015031001", 2)
    cloud.send(topics.gallery(DEV), encode(GalleryDelta(device_id=DEV, base_version=0, version=4,
                                                        upserts=[a, b])))
    wait(lambda: agent.gallery.version == 4, "snapshot applied")
    # a delta from a version the kiosk does not hold is ignored (the heartbeat tells the cloud)
    cloud.send(topics.gallery(DEV), encode(GalleryDelta(device_id=DEV, base_version=6, version=7,
                                                        removals=[a.employee_id])))
    cloud.send(topics.gallery(DEV), b'{"schema": "hadir.gallery/1"}')
    cloud.send(topics.gallery(DEV), encode(GalleryDelta(device_id=DEV, base_version=4, version=5,
                                                        removals=[a.employee_id])))
    wait(lambda: agent.gallery.version == 5, "delta applied")
    assert agent.gallery.employees() == {b.employee_id}
    assert agent.heartbeat()
    beat = Telemetry.model_validate(cloud.next("/telemetry"))
    assert beat.gallery_version == 5 and beat.gallery_size == 1 and beat.outbox_depth == 0
    assert beat.rss_mb and beat.rss_mb > 10 and beat.disk_free_mb and beat.version
    # resync: the kiosk drops to version 0 so the cloud sends a full snapshot
    cloud.command("resync-gallery", "c-resync")
    reply = cloud.next("/reply/resync-gallery")
    assert reply["ok"] and reply["result"] == {"previous_version": 5, "gallery_version": 0,
                                               "size": 1}
    assert agent.gallery.version == 0


def test_send_logs_reply_is_signed_and_redelivery_gets_the_same_reply(kiosk):
    agent, cloud = kiosk
    cloud.command("send-logs", "c-logs-1", lines=3)
    reply = cloud.next("/reply/send-logs")
    assert reply["correlation_id"] == "c-logs-1" and reply["ok"]
    assert reply["result"]["lines"] == ["baris 497", "baris 498", "baris 499"]
    verify(reply, load_public_key(agent.identity.public_key()))
    cloud.command("send-logs", "c-logs-1", lines=3)  # QoS 1 redelivery
    assert cloud.next("/reply/send-logs") == reply
    cloud.command("reboot-now", "c-x")
    bad = cloud.next("/reply/reboot-now")
    assert not bad["ok"] and "tidak dikenal" in bad["error"]


def test_rotate_credentials_in_two_phases(kiosk):
    agent, cloud = kiosk
    old = agent.identity.public_key()
    cloud.command("rotate-credentials", "c-rot-1")
    pending = cloud.next("/reply/rotate-credentials")
    assert pending["result"]["phase"] == "pending"
    assert pending["result"]["previous_public_key"] == old
    new = pending["result"]["public_key"]
    assert new != old
    verify(pending, load_public_key(old))  # the report of the new key is signed by the old one
    assert agent.identity.public_key() == old  # still signing with the old key
    cloud.command("rotate-credentials", "c-rot-2", activate="bm90LXRoZS1wZW5kaW5nLWtleQ==")
    refused = cloud.next("/reply/rotate-credentials")
    assert not refused["ok"] and agent.identity.public_key() == old
    cloud.command("rotate-credentials", "c-rot-3", activate=new)
    active = cloud.next("/reply/rotate-credentials")
    assert active["ok"] and active["result"] == {"phase": "active", "public_key": new}
    verify(active, load_public_key(new))
    with pytest.raises(SignatureError):
        verify(active, load_public_key(old))
    assert agent.identity.public_key() == new
    assert DeviceIdentity(agent.settings.data_dir).public_key() == new  # survives a restart


def test_tail_lines_reads_from_the_end(tmp_path: Path):
    log = tmp_path / "big.log"
    log.write_text("".join(f"{i:06d} {'x' * 100}\n" for i in range(50_000)))
    assert [line[:6] for line in tail_lines(log, 2)] == ["049998", "049999"]


@pytest.mark.parametrize("kiosk", ["pinned"], indirect=True)
def test_a_kiosk_that_pinned_the_cloud_key_obeys_only_signed_messages(kiosk):
    """Anyone who can publish on a kiosk's topics (a leaked cloud password, a broker bug) must
    not be able to move its office, change its faces or run its commands."""
    agent, cloud = kiosk
    forger = generate_key()

    def signed(model, key) -> bytes:  # type: ignore[no-untyped-def]
        return encode(sign(model.model_dump(mode="json", by_alias=True, exclude_none=True), key))

    config = Config(version=5, device_id=DEV, office=OFFICE, thresholds=Thresholds(repeat_window_s=7))
    cloud.send(topics.config(DEV), cfg(4))  # unsigned
    cloud.send(topics.config(DEV), signed(config, forger))  # signed by somebody else
    cmd = Command(correlation_id="c-palsu", issued_at=datetime.now(UTC), args={"lines": 5})
    cloud.send(topics.cmd(DEV, "send-logs"), signed(cmd, forger))
    wait(lambda: agent.refused == 3, "three messages refused")
    assert agent.runtime.version == 0
    cloud.send(topics.config(DEV), signed(config, CLOUD_KEY))
    wait(lambda: agent.runtime.version == 5, "the signed config applied")
    assert agent.runtime.repeat_window_s == 7
    good = Command(correlation_id="c-asli", issued_at=datetime.now(UTC), args={"lines": 5})
    cloud.send(topics.cmd(DEV, "send-logs"), signed(good, CLOUD_KEY))
    reply = cloud.next("/reply/send-logs")
    assert reply["correlation_id"] == "c-asli" and reply["ok"]  # the forged one got no reply
