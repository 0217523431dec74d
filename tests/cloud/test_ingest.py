"""The ingest with a real broker and database: good events land once, bad ones are kept."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from hadir_cloud.devices import add_device
from hadir_protocol import topics
from hadir_protocol.codec import batch_payload, encode, uuid7
from hadir_protocol.models import Ack, CheckIn, FaceVerdict, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign
from paho.mqtt.enums import CallbackAPIVersion
from system.harness import Stack, wait_until

DEV = "kiosk-uji-01"
NIP = "198503122010012003"


def event(key, seq: int, device: str = DEV, **patch) -> dict:
    ev = CheckIn(event_id=uuid7(), device_id=device, seq=seq, employee_id=NIP, kind=Kind.IN,
                 captured_at=datetime.now(UTC), clock_source="ntp",
                 gps=GpsFix(fix=False), method=Method.FACE,
                 face=FaceVerdict(distance=0.3, threshold=0.5, model="m")).to_wire()
    return sign({**ev, **patch}, key) if key else {**ev, **patch}


class Kiosk:
    """A bare MQTT client standing in for a kiosk's publisher, to send crafted messages."""

    def __init__(self, port: int, device: str = DEV):
        self.acks: list[Ack] = []
        self.got = threading.Condition()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{device}",
                             protocol=mqtt.MQTTv5)
        self.c.on_message = self._msg
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topics.ack(device), qos=1)
        self.c.loop_start()

    def _msg(self, client, userdata, msg):
        with self.got:
            self.acks.append(Ack.model_validate_json(msg.payload))
            self.got.notify_all()

    def send(self, payload: bytes, device: str = DEV) -> None:
        self.c.publish(topics.checkin(device), payload, qos=1).wait_for_publish(5)

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        return {str(i.event_id): (i.status.value, i.reason) for a in self.acks for i in a.results}

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def cloud(tmp_path: Path, fresh_db: str, broker):
    stack = Stack(tmp_path, fresh_db, broker)
    key = generate_key()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_device(conn, DEV, public_key_b64(key), "setda-uji")
    stack.start_ingest()
    kiosk = Kiosk(broker.port)
    yield stack, key, kiosk
    kiosk.close()
    stack.close()


def rejected(db_url: str) -> list[tuple[str, str | None, bytes]]:
    with psycopg.connect(db_url) as conn:
        return [(r[0], r[1], bytes(r[2])) for r in
                conn.execute("SELECT reason, event_id, raw FROM rejected_messages ORDER BY id")]


def test_event_lands_once_and_replay_is_a_duplicate(cloud):
    stack, key, kiosk = cloud
    ev = event(key, 1)
    kiosk.send(encode(ev))
    wait_until(lambda: kiosk.statuses().get(ev["event_id"]) == ("stored", None), 20, "stored ack")
    kiosk.send(encode(ev))
    kiosk.send(batch_payload(DEV, [ev, event(key, 2)]))
    def statuses() -> list[str]:
        return [i.status.value for a in kiosk.acks for i in a.results
                if str(i.event_id) == ev["event_id"]]

    wait_until(lambda: len(statuses()) >= 3, 20, "acks for the replays")
    assert statuses() == ["stored", "duplicate", "duplicate"]
    assert stack.stored() == (2, 2, [1, 2])
    with psycopg.connect(stack.db_url) as conn:
        photo, payload = conn.execute("SELECT photo, payload FROM checkins WHERE seq = 1").fetchone()
    assert payload["event_id"] == ev["event_id"] and payload["signature"] == ev["signature"]


def test_a_kiosk_registered_after_the_ingest_started_is_stored_for_real(cloud):
    """Unknown kiosks are told 'held' (they keep the event and resend); a key reload never
    leaves writes uncommitted."""
    stack, key, kiosk = cloud
    late_key = generate_key()
    late = Kiosk(stack.broker.port, "kiosk-baru-01")
    try:
        ev = event(late_key, 1, "kiosk-baru-01")
        late.send(encode(ev), "kiosk-baru-01")  # not registered yet: held on the kiosk
        wait_until(lambda: [r[0] for r in rejected(stack.db_url)] == ["unknown_device"], 20,
                   "the unknown kiosk's message to be kept")
        wait_until(lambda: late.statuses().get(ev["event_id"]) == ("held", "unknown_device"), 20,
                   "a 'held' ack")
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            add_device(conn, "kiosk-baru-01", public_key_b64(late_key), "setda-uji")

        def resent_and_stored() -> bool:  # what the kiosk's publisher does after its ack timeout
            if late.statuses().get(ev["event_id"]) == ("stored", None):
                return True
            late.send(encode(ev), "kiosk-baru-01")
            return False

        wait_until(resent_and_stored, 30, "the resent event to be stored", step=0.7)
        ev3 = event(key, 1)
        kiosk.send(encode(ev3))
        wait_until(lambda: kiosk.statuses().get(ev3["event_id"]) == ("stored", None), 20, "stored")
        # what was acked is visible to everyone else: committed
        assert stack.stored("kiosk-baru-01")[:2] == (1, 1)
        assert stack.stored(DEV)[:2] == (1, 1)
    finally:
        late.close()


def test_each_bad_message_is_kept_with_its_reason_and_the_next_good_one_lands(cloud):
    stack, key, kiosk = cloud
    other = generate_key()
    bad_sig = event(other, 1)
    impossible = event(key, 2, captured_at="2026-10-05T00:28:07")  # no time zone
    unknown_dev = event(None, 1, device="kiosk-asing")
    unknown_dev = sign(unknown_dev, other)
    mismatch = event(key, 3, device="kiosk-lain")
    cases = [
        (b"{not json", "malformed_json"),
        (json.dumps({"schema": "hadir.checkin/9", "x": 1}).encode(), "unknown_schema"),
        (encode(bad_sig), "bad_signature"),
        (encode(impossible), "invalid"),
        (b'{"schema":"hadir.checkin/1","pad":"' + b"x" * (2 * 1024 * 1024 + 10) + b'"}', "oversize"),
        (encode(mismatch), "device_mismatch"),
    ]
    for payload, _reason in cases:
        kiosk.send(payload)
    kiosk.send(encode(unknown_dev), device="kiosk-asing")
    good = event(key, 4)
    kiosk.send(encode(good))
    wait_until(lambda: kiosk.statuses().get(good["event_id"]) == ("stored", None), 20, "good one")
    wait_until(lambda: len(rejected(stack.db_url)) == len(cases) + 1, 20, "all rejections")
    rows = rejected(stack.db_url)
    assert sorted(r[0] for r in rows) == sorted([r for _, r in cases] + ["unknown_device"])
    by_reason = {r[0]: r for r in rows}
    assert by_reason["malformed_json"][2] == b"{not json"
    assert json.loads(by_reason["bad_signature"][2])["event_id"] == bad_sig["event_id"]
    # the kiosk hears why its event was refused
    # a signature the cloud cannot verify may be a re-imaged kiosk: held there, not dropped
    assert kiosk.statuses()[bad_sig["event_id"]] == ("held", "bad_signature")
    assert kiosk.statuses()[impossible["event_id"]] == ("rejected", "invalid")
    assert stack.stored() == (1, 1, [4])
    assert stack.ingest and stack.ingest.alive()
