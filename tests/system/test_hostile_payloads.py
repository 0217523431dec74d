"""Hostile payloads from a kiosk's real login cannot stop the ingest or the fleet monitor."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from hadir_cloud.devices import add_device
from hadir_devstack import Mosquitto
from hadir_protocol import topics
from hadir_protocol.codec import batch_payload, encode, uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign
from paho.mqtt.enums import CallbackAPIVersion

from .harness import BIN, OFFICE, Proc, Stack, wait_until

pytestmark = [pytest.mark.system]

DEV = "kiosk-jahat-01"
NIP = "198503122010012003"


def event(key, **patch) -> dict:
    ev = CheckIn(event_id=uuid7(), device_id=DEV, seq=1, employee_id=NIP, kind=Kind.IN,
                 captured_at=datetime.now(UTC), clock_source="ntp", gps=GpsFix(fix=False),
                 method=Method.FACE, face=FaceVerdict(distance=0.3, threshold=0.5, model="m")
                 ).to_wire()
    return {**ev, **patch}


def raw_json(ev: dict, field: str, token: str) -> bytes:
    """The event as JSON with `field`'s value replaced by raw JSON text."""
    text = json.dumps({**ev, field: "__X__"}, separators=(",", ":"))
    return text.replace('"__X__"', token).encode()


def hostile_checkins(key) -> list[bytes]:
    """What the issue measured killing the worker, and more; each must end in rejected_messages."""
    e = lambda **p: event(key, **p)  # noqa: E731
    return [
        raw_json(e(), "face", "[" * 50_000 + "]" * 50_000),           # very deep nesting
        raw_json(e(), "seq", "9" * 5000),                              # a 5000-digit integer
        raw_json(sign(e(), key), "clock_drift_s", "NaN"),              # NaN in a float field
        raw_json(e(), "clock_drift_s", "Infinity"),
        raw_json(e(), "clock_drift_s", "1e999"),
        raw_json(e(), "employee_id", '"\\ud800"'),     # a lone surrogate
        raw_json(e(), "employee_id", '"1985\\u0000"'),                 # a NUL
        encode(sign(e(captured_at="9999-12-31T23:59:59-14:00"), key)),  # the calendar's edge
        encode(sign(e(captured_at="0001-01-01T00:00:00+14:00"), key)),
        encode(sign(e(photo_jpeg_b64="!!not base64!!"), key)),          # bad base64 photo
        encode(sign(e(photo_jpeg_b64=base64.b64encode(b"GIF89a" + bytes(64)).decode()), key)),
        b'{"schema":"hadir.checkin/1","schema":"hadir.checkin/1"}',      # duplicate keys
        b"\xef\xbb\xbf" + encode(sign(e(), key)),                        # a BOM
        json.dumps(sign(e(), key)).encode("utf-16"),                     # UTF-16
        b"\xff\xfe\x00garbage",
        encode(sign(e(), generate_key())),                               # a key nobody knows
    ]


DEEP = b"[" * 50_000 + b"]" * 50_000
HOSTILE_FLEET = [
    (lambda d: topics.telemetry(d), b'{"schema":"hadir.telemetry/1","a":' + DEEP + b"}"),
    (lambda d: topics.telemetry(d), b'{"schema":"hadir.telemetry/1","outbox_depth":NaN}'),
    (lambda d: topics.status(d), b'{"schema":"hadir.status/1","device_id":"x\\u0000"}'),
    (lambda d: topics.status(d), b"\xc0\xaf"),
    (lambda d: topics.reply(d, "rotate-credentials"), b'{"correlation_id":' + b"7" * 5000 + b"}"),
]


class Client:
    """A paho client logged in with a kiosk's real broker credentials."""

    def __init__(self, port: int, username: str, password_file: Path):
        self.acks: list[dict] = []
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=username, protocol=mqtt.MQTTv5)
        self.c.username_pw_set(username, password_file.read_text().strip())
        self.c.on_message = lambda c, u, m: self.acks.append(json.loads(m.payload))
        ok = threading.Event()
        self.c.on_connect = lambda c, u, f, rc, p: ok.set() if not rc.is_failure else None
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        assert ok.wait(10), "the kiosk's login was refused"
        self.c.subscribe(topics.ack(username), qos=1)

    def send(self, topic: str, payload: bytes) -> None:
        info = self.c.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        assert info.is_published(), topic

    def statuses(self) -> dict[str, str]:
        return {r["event_id"]: r["status"] for a in self.acks for r in a.get("results", [])}

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def secure_stack(tmp_path: Path, fresh_db: str, broker: Mosquitto):
    s = Stack(tmp_path, fresh_db, broker, secure=True)
    yield s
    s.close()


def test_hostile_payloads_through_the_broker_stop_neither_worker(secure_stack: Stack):
    stack = secure_stack
    assert stack.logins is not None
    key = generate_key()
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        add_device(conn, DEV, public_key_b64(key), OFFICE[0])
    password = stack.logins.add_kiosk(DEV)
    stack.broker.reload()
    stack.start_ingest()
    fleet_log = stack.tmp / "fleet.log"
    fleet = Proc("fleet", [str(BIN / "hadir-cloud"), "fleet"], stack.cloud_env("fleet"),
                 fleet_log).start()
    wait_until(lambda: fleet_log.exists() and "subscribed" in fleet_log.read_text(), 30,
               "the fleet monitor to subscribe")
    kiosk = Client(stack.broker.port, DEV, password)
    try:
        hostile = hostile_checkins(key)
        for payload in hostile:
            kiosk.send(topics.checkin(DEV), payload)
        fleet_hostile = [(topic(DEV), payload) for topic, payload in HOSTILE_FLEET]
        for topic, payload in fleet_hostile:
            kiosk.send(topic, payload)
        good = sign(event(key), key)
        good_in_batch = sign(event(key), key)
        bad_in_batch = event(key)  # unsigned
        kiosk.send(topics.checkin(DEV), batch_payload(DEV, [bad_in_batch, good_in_batch]))
        kiosk.send(topics.checkin(DEV), encode(good))
        wait_until(lambda: kiosk.statuses().get(good["event_id"]) == "stored", 30, "the good one")
        assert kiosk.statuses()[good_in_batch["event_id"]] == "stored"
        assert kiosk.statuses()[bad_in_batch["event_id"]] == "held"  # kept on the kiosk

        def kept() -> set[bytes]:
            with psycopg.connect(stack.db_url) as conn:
                return {bytes(r[0]) for r in conn.execute("SELECT raw_sha256 FROM rejected_messages")}

        digests = {hashlib.sha256(p).digest(): p[:60] for p in hostile}
        digests |= {hashlib.sha256(p).digest(): p[:60] for _, p in fleet_hostile}
        wait_until(lambda: set(digests) <= kept(), 30, "every hostile payload kept")
        ingest_log = (stack.tmp / "ingest.log").read_text()[-2000:]
        assert stack.ingest is not None and stack.ingest.alive(), ingest_log
        assert fleet.alive(), fleet_log.read_text()[-2000:]
        assert stack.stored(DEV)[:2] == (2, 2)
        # and both still work: a heartbeat after all that is stored
        beat = {"schema": "hadir.telemetry/1", "device_id": DEV,
                "sent_at": datetime.now(UTC).isoformat(), "outbox_depth": 0, "version": "t"}
        kiosk.send(topics.telemetry(DEV), json.dumps(beat).encode())
        with psycopg.connect(stack.db_url) as conn:
            wait_until(lambda: conn.execute("SELECT count(*) FROM device_telemetry").fetchone()[0]
                       == 1, 20, "the heartbeat after the hostile ones")
    finally:
        kiosk.close()
        fleet.kill()
