"""The broker as in production: real Mosquitto, real passwords, the ACL generated from the table.

Kiosks `kiosk-a` and `kiosk-b`, and the cloud's users (`ingest-1`, `fleet`, `cli`), each log
in as themselves; every test shows that one of them cannot do what the ACL does not grant,
next to a message that does arrive (so "nothing arrived" is never just "nothing was sent").
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main as cloud_cli
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import MAX_PACKET_SIZE, MESSAGE_SIZE_LIMIT, add_device, add_office, example_acl
from hadir_cloud.mqtt_client import make_client
from hadir_cloud.settings import BrokerRole, CloudSettings
from hadir_devstack import BrokerLogins, Mosquitto
from hadir_protocol import topics
from hadir_protocol.models import MAX_MESSAGE_BYTES
from hadir_protocol.signing import generate_key, public_key_b64
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from system.harness import wait_until

ROOT = Path(__file__).resolve().parents[2]
A, B = "kiosk-a", "kiosk-b"
SETTLE = 1.0  # seconds a message that should not arrive is given to arrive anyway


@dataclass
class Secured:
    """A running broker with the generated ACL, two kiosks and the cloud's users."""

    broker: Mosquitto
    logins: BrokerLogins
    tmp: Path

    def settings(self, role: BrokerRole) -> CloudSettings:
        """Cloud settings naming each role's own user, as a shared environment file would."""
        own = {f"{r}_broker_username": self.logins.user(r) for r in ("fleet", "cli")}
        own |= {f"{r}_broker_password_file": self.logins.password_file(self.logins.user(r))
                for r in ("fleet", "cli")}
        return CloudSettings(broker_port=self.broker.port, broker_username="ingest-1",
                             broker_password_file=self.logins.password_file("ingest-1"), **own)

    def cloud(self, role: BrokerRole) -> Peer:
        """A connected client of a cloud role, made as the cloud's services make theirs."""
        return Peer(self, make_client(self.settings(role), role, f"hadir-{role}-uji"))

    def kiosk(self, device_id: str, client_id: str | None = None, **kw: object) -> Peer:
        """A connected client with a kiosk's login (and, to try, another client id)."""
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or device_id,
                        protocol=mqtt.MQTTv5)
        c.username_pw_set(device_id, self.logins.password_file(device_id).read_text())
        return Peer(self, c, **kw)  # type: ignore[arg-type]


class Peer:
    """One paho client: what it received, its PUBACK reason codes, its disconnects."""

    def __init__(self, stack: Secured, client: mqtt.Client, clean_start: bool = True,
                 expiry: int = 0, wait: bool = True):
        self.c = client
        self.messages: list[tuple[str, bytes]] = []
        self.pubacks: dict[int, mqtt.ReasonCode] = {}
        self.connack: mqtt.ReasonCode | None = None
        self.disconnected = threading.Event()
        self.subacks = 0
        self.c.on_connect = self._connect
        self.c.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload))
        self.c.on_publish = lambda c, u, mid, rc, p: self.pubacks.__setitem__(mid, rc)
        self.c.on_subscribe = lambda *a: setattr(self, "subacks", self.subacks + 1)
        self.c.on_disconnect = lambda *a: self.disconnected.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = expiry
        self.c.connect("127.0.0.1", stack.broker.port, clean_start=clean_start, properties=props)
        self.c.loop_start()
        if wait:
            wait_until(lambda: self.connack is not None, 10, "CONNACK")
            assert self.connack is not None and not self.connack.is_failure, self.connack

    def _connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connack = reason_code

    def subscribe(self, *filters: str) -> Peer:
        """Subscribe (QoS 1) and wait for the SUBACK."""
        before = self.subacks
        self.c.subscribe([(f, 1) for f in filters])
        wait_until(lambda: self.subacks > before, 10, f"SUBACK for {filters}")
        return self

    def publish(self, topic: str, payload: bytes = b"x", retain: bool = False) -> mqtt.ReasonCode:
        """Publish QoS 1; the broker's PUBACK reason code."""
        info = self.c.publish(topic, payload, qos=1, retain=retain)
        wait_until(lambda: info.mid in self.pubacks, 10, f"PUBACK for {topic}")
        return self.pubacks[info.mid]

    def topics(self) -> list[str]:
        """Topics of the messages received so far."""
        return [t for t, _ in self.messages]

    def close(self) -> None:
        """Disconnect."""
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Secured]:
    logins = BrokerLogins(tmp_path / "logins").create()
    for device in (A, B):
        logins.add_kiosk(device)
    broker = Mosquitto(workdir=tmp_path / "mosquitto", password_file=logins.passwd,
                       acl_file=logins.acl).start()
    yield Secured(broker, logins, tmp_path)
    broker.stop()


def own_kinds(direction: topics.Direction, device: str) -> list[str]:
    """A kiosk's own topics in one direction (command names filled in)."""
    return [r.topic(device, "uji") if r.named else r.topic(device)
            for r in topics.ROUTES if r.direction is direction]


def test_a_kiosk_reads_only_its_own_ack_config_gallery_and_commands(secured: Secured):
    a = secured.kiosk(A).subscribe("hadir/v1/#")  # a subscription is never refused: delivery is
    b = secured.kiosk(B).subscribe("hadir/v1/kiosk-b/#")
    ingest, fleet = secured.cloud("ingest"), secured.cloud("fleet")
    for topic in own_kinds(topics.Direction.DOWN, B):
        sender = ingest if topic == topics.ack(B) else fleet
        assert not sender.publish(topic, b"untuk-b", retain=True).is_failure, topic
    # sentinels to A from both senders, after B's: when A has them, B's would have come first
    ingest.publish(topics.ack(A), b"untuk-a")
    fleet.publish(topics.config(A), b"untuk-a", retain=True)
    wait_until(lambda: len(a.messages) >= 2 and len(b.messages) >= 4, 10, "both kiosks' messages")
    assert sorted(b.topics()) == sorted(own_kinds(topics.Direction.DOWN, B))
    assert sorted(a.topics()) == sorted([topics.ack(A), topics.config(A)])
    # nor do B's retained messages reach A when A subscribes to them afterwards
    a.close()
    late = secured.kiosk(A).subscribe(topics.config(B), topics.config(A))
    wait_until(lambda: late.messages, 10, "A's own retained config")
    time.sleep(SETTLE)
    assert late.topics() == [topics.config(A)]


def denied(peer: Peer, topic: str) -> str:
    """Publish what the ACL denies: the PUBACK's reason, after which Mosquitto 2.0 hangs up."""
    reason = peer.publish(topic, b"palsu").getName()
    assert peer.disconnected.wait(10), f"still connected after publishing to {topic}"
    peer.close()
    return reason


def test_a_kiosk_cannot_publish_under_another_kiosks_topics(secured: Secured):
    ingest = secured.cloud("ingest").subscribe(topics.shared_subscription("checkin"))
    fleet = secured.cloud("fleet").subscribe(
        *(topics.shared_subscription(k) for k in ("status", "telemetry", "reply")))
    for topic in own_kinds(topics.Direction.UP, B):
        assert denied(secured.kiosk(A), topic) == "Not authorized", topic
    a = secured.kiosk(A)
    for topic in own_kinds(topics.Direction.UP, A):
        assert not a.publish(topic, b"asli").is_failure, topic
    wait_until(lambda: ingest.messages and len(fleet.messages) >= 3, 10, "A's own messages")
    time.sleep(SETTLE)
    assert ingest.topics() == [topics.checkin(A)]
    assert sorted(fleet.topics()) == sorted(t for t in own_kinds(topics.Direction.UP, A)
                                            if t != topics.checkin(A))


def test_a_kiosk_cannot_take_over_another_kiosks_session(secured: Secured):
    """With use_username_as_clientid the client id is the login: A asking for B's id gets A's."""
    for device in (A, B):  # persistent sessions holding one ack each
        secured.kiosk(device, expiry=300, clean_start=True).subscribe(topics.ack(device)).close()
    ingest = secured.cloud("ingest")
    for device in (A, B):
        ingest.publish(topics.ack(device), device.encode())
    impostor = secured.kiosk(A, client_id=B, expiry=300, clean_start=False)
    wait_until(lambda: impostor.messages, 10, "the impostor's queued message")
    b = secured.kiosk(B, expiry=300, clean_start=False)
    wait_until(lambda: b.messages, 10, "B's queued ack")
    time.sleep(SETTLE)
    assert impostor.messages == [(topics.ack(A), b"kiosk-a")]  # its own session, not B's
    assert b.messages == [(topics.ack(B), b"kiosk-b")]
    assert not impostor.disconnected.is_set() and not b.disconnected.is_set()


def test_each_cloud_user_does_only_its_service_s_part(secured: Secured):
    b = secured.kiosk(B).subscribe("hadir/v1/kiosk-b/#")
    # first what is denied (each costs the connection, and a second login of the same user
    # would take over the first one's client id)
    for topic in (topics.config(B), topics.gallery(B), topics.cmd(B, "send-logs")):
        assert denied(secured.cloud("ingest"), topic) == "Not authorized", topic
    for role in ("fleet", "cli"):
        assert denied(secured.cloud(role), topics.ack(B)) == "Not authorized", role
    # then what each may do, watched by all of them
    ingest = secured.cloud("ingest").subscribe(topics.shared_subscription("checkin"))
    # (not in the ingest's group: a member without read access swallows its share, see below)
    fleet = secured.cloud("fleet").subscribe(f"$share/{topics.FLEET_SHARE_GROUP}/hadir/v1/+/checkin",
                                             "hadir/v1/+/checkin", "hadir/v1/+/ack")
    cli = secured.cloud("cli").subscribe("hadir/v1/#")
    for topic in (topics.config(B), topics.gallery(B), topics.cmd(B, "send-logs")):
        assert not cli.publish(topic, b"cli").is_failure, topic
    b.publish(topics.checkin(B), b"checkin")
    b.publish(topics.status(B), b"online")
    ingest.publish(topics.ack(B), b"ack")
    wait_until(lambda: ingest.messages and len(b.messages) >= 4, 10, "what each may do")
    time.sleep(SETTLE)
    assert ingest.topics() == [topics.checkin(B)]
    assert sorted(b.messages) == sorted([(topics.config(B), b"cli"), (topics.gallery(B), b"cli"),
                                         (topics.cmd(B, "send-logs"), b"cli"),
                                         (topics.ack(B), b"ack")])
    assert fleet.messages == [] and cli.messages == []


def test_a_kiosk_in_the_ingest_share_group_reads_nothing(secured: Secured):
    """Mosquitto's acl_file never checks SUBSCRIBE, so a kiosk can join `$share/hadir-ingest`:
    it reads nothing, but the check-ins routed to it are dropped (the kiosk resends them when
    no application ack comes; docs/broker.md). If this starts failing, update that page."""
    ingest = secured.cloud("ingest").subscribe(topics.shared_subscription("checkin"))
    a = secured.kiosk(A).subscribe(topics.shared_subscription("checkin"))
    b = secured.kiosk(B)
    for i in range(10):
        b.publish(topics.checkin(B), str(i).encode())
    wait_until(lambda: ingest.messages, 10, "check-ins at the ingest")
    time.sleep(SETTLE)
    assert a.messages == []
    assert 0 < len(ingest.messages) < 10, "Mosquitto now skips members without read access"


def test_a_revoked_kiosk_is_cut_off_at_once(secured: Secured, fresh_db: str, monkeypatch):
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda", "Setda", "Asia/Jakarta", -3.2, 104.6, 50)
        for device in (A, B):
            add_device(conn, device, public_key_b64(generate_key()), "setda")
    ingest = secured.cloud("ingest").subscribe(topics.shared_subscription("checkin"))
    a, b = secured.kiosk(A), secured.kiosk(B)
    assert not b.publish(topics.checkin(B), b"sebelum").is_failure
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    assert secured.broker.proc is not None
    out = CliRunner().invoke(cloud_cli, [
        "device", "revoke", "--id", B, "--mosquitto-passwd", str(secured.logins.passwd),
        "--mosquitto-acl", str(secured.logins.acl), "--broker-pid", str(secured.broker.proc.pid)])
    assert out.exit_code == 0, out.output
    assert "dicabut" in out.output and "kata sandi, ACL" in out.output
    # the open connection is cut by the reload, not at B's next publish
    assert b.disconnected.wait(10), "the broker kept the revoked kiosk connected"
    again = secured.kiosk(B, client_id="kiosk-b-lagi", wait=False)
    wait_until(lambda: again.connack is not None, 10, "CONNACK for the revoked kiosk")
    assert again.connack is not None and again.connack.getName() == "Not authorized"
    # the other kiosk is untouched
    assert not a.disconnected.is_set() and not a.publish(topics.checkin(A), b"a").is_failure
    wait_until(lambda: len(ingest.messages) == 2, 10, "A's check-in")
    assert ingest.topics() == [topics.checkin(B), topics.checkin(A)]
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT id FROM devices WHERE disabled ORDER BY 1").fetchall() == [(B,)]
    assert f"user {B}" not in secured.logins.acl.read_text()
    assert f"user {A}" in secured.logins.acl.read_text()
    assert not any(line.startswith(f"{B}:") for line in secured.logins.passwd.read_text().splitlines())
    # revoking again finds nothing left to remove and says so
    out = CliRunner().invoke(cloud_cli, [
        "device", "revoke", "--id", B, "--mosquitto-passwd", str(secured.logins.passwd),
        "--mosquitto-acl", str(secured.logins.acl)])
    assert out.exit_code == 0 and "sudah dicabut" in out.output and "kill -HUP" in out.output


def test_the_broker_passes_the_apps_largest_message_and_not_much_more(secured: Secured):
    ingest = secured.cloud("ingest").subscribe(topics.shared_subscription("checkin"))
    b = secured.kiosk(B)
    assert MAX_MESSAGE_BYTES <= MESSAGE_SIZE_LIMIT <= MAX_MESSAGE_BYTES + 64 * 1024
    # just over the app's limit: reaches the ingest, which keeps it and answers "oversize"
    assert not b.publish(topics.checkin(B), b"x" * (MAX_MESSAGE_BYTES + 1)).is_failure
    # over the broker's: Mosquitto 2.0.11 drops it and cuts the connection (no PUBACK error,
    # whatever its manual says), and paho would resend it at every reconnect
    b.c.publish(topics.checkin(B), b"y" * (MESSAGE_SIZE_LIMIT + 1), qos=1)
    assert b.disconnected.wait(10), "the broker took a message over its limit"
    b.close()
    secured.kiosk(B).publish(topics.checkin(B), b"z")
    wait_until(lambda: len(ingest.messages) >= 2, 20, "the check-ins that fit")
    time.sleep(SETTLE)
    assert [len(p) for _, p in ingest.messages] == [MAX_MESSAGE_BYTES + 1, 1]


def conf_value(text: str, key: str) -> str:
    """The value of one option in a Mosquitto configuration."""
    m = re.search(rf"^{key} (.+)$", text, re.M)
    assert m, f"{key} missing"
    return m.group(1).strip()


def test_the_production_config_agrees_with_the_code_and_mosquitto_accepts_it(tmp_path: Path):
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    assert int(conf_value(conf, "message_size_limit")) == MESSAGE_SIZE_LIMIT
    assert int(conf_value(conf, "max_packet_size")) == MAX_PACKET_SIZE > MESSAGE_SIZE_LIMIT
    assert conf_value(conf, "use_username_as_clientid") == "true"
    assert conf_value(conf, "allow_anonymous") == "false"
    assert int(conf_value(conf, "max_queued_messages")) > 0
    assert int(conf_value(conf, "max_queued_bytes")) > 100 * MAX_MESSAGE_BYTES
    # the same file (without TLS, on loopback) runs: a kiosk logs in, anonymous does not
    logins = BrokerLogins(tmp_path / "logins").create()
    logins.add_kiosk(A)
    broker = Mosquitto(workdir=tmp_path / "mosquitto")
    local = re.sub(r"^(certfile|keyfile|tls_version) .*\n", "", conf, flags=re.M)
    local = (local.replace("listener 8883", f"listener {broker.port} 127.0.0.1")
             .replace("/mosquitto/secrets/passwd", str(logins.passwd))
             .replace("/mosquitto/secrets/acl", str(logins.acl))
             .replace("/mosquitto/data/", f"{tmp_path}/"))
    if os.geteuid() == 0:  # as devstack does: root would drop to the `mosquitto` user
        local += "user root\n"
    (tmp_path / "prod.conf").write_text(local)
    broker.start(tmp_path / "prod.conf")
    try:
        stack = Secured(broker, logins, tmp_path)
        stack.kiosk(A).close()
        anon = Peer(stack, mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5), wait=False)
        wait_until(lambda: anon.connack is not None, 10, "CONNACK for an anonymous client")
        assert anon.connack is not None and anon.connack.is_failure
    finally:
        broker.stop()


def test_acl_example_is_the_generated_text():
    """deploy/mosquitto/acl.example is `hadir-cloud broker acl --example`; regenerate, don't edit."""
    assert (ROOT / "deploy/mosquitto/acl.example").read_text() == example_acl()
