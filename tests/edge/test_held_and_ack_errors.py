"""The kiosk keeps what the cloud cannot verify yet, and its MQTT thread survives a failing ack."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from hadir_devstack import Mosquitto
from hadir_edge.config import BrokerConfig, PublisherConfig
from hadir_edge.outbox import Outbox
from hadir_edge.publisher import Publisher
from hadir_protocol import topics
from hadir_protocol.codec import encode, uuid7
from hadir_protocol.models import Ack, AckItem, AckStatus
from paho.mqtt.enums import CallbackAPIVersion

DEV = "kiosk-uji-01"


def event(seq: int) -> dict:
    return {"seq": seq, "event_id": str(uuid7()), "employee_id": "198503122010012003",
            "kind": "in", "captured_at": "2026-10-05T00:28:00+00:00"}


def test_held_events_stay_and_come_back_with_backoff(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.sqlite")
    a = box.add(event)
    b = box.add(event)
    box.mark_sent([a["seq"], b["seq"]])
    held = AckItem(event_id=a["event_id"], status=AckStatus.HELD, reason="bad_signature")
    assert box.ack([held], held_retry_s=0.4, held_retry_max_s=10) == 0
    assert box.depth() == 2 and box.held_count() == 1
    assert box.held_reasons() == {"bad_signature": 1}
    assert [p.seq for p in box.due(ack_timeout_s=0.0, limit=10)] == [b["seq"]]  # a waits
    held_at = time.monotonic()
    while len(box.due(ack_timeout_s=0.0, limit=10)) < 2 and time.monotonic() - held_at < 10:
        time.sleep(0.02)
    assert time.monotonic() - held_at >= 0.35, "a held event came back before its wait"
    assert [p.seq for p in box.due(ack_timeout_s=0.0, limit=10)] == [a["seq"], b["seq"]]
    box.ack([held], held_retry_s=0.4, held_retry_max_s=10)  # held again: twice the wait
    row = box.db.execute("SELECT held_count, retry_after FROM events WHERE seq=?",
                         (a["seq"],)).fetchone()
    assert row[0] == 2
    assert a["seq"] not in [p.seq for p in box.due(ack_timeout_s=0.0, limit=10)]
    time.sleep(0.5)
    assert a["seq"] not in [p.seq for p in box.due(ack_timeout_s=0.0, limit=10)], "0.8 s wait"
    # the key is registered: the next answer is 'stored' and the event leaves
    assert box.ack([AckItem(event_id=a["event_id"], status=AckStatus.STORED)]) == 1
    assert box.held_count() == 0 and box.depth() == 1
    # quarantined: the cloud keeps it for review, the kiosk may forget it
    assert box.ack([AckItem(event_id=b["event_id"], status=AckStatus.QUARANTINED,
                            reason="future_time")]) == 1
    assert box.depth() == 0 and box.rejected_count() == 0


def test_an_outbox_of_the_previous_version_is_upgraded_in_place(tmp_path: Path):
    path = tmp_path / "outbox.sqlite"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,
            employee_id TEXT NOT NULL, kind TEXT NOT NULL, captured_at TEXT NOT NULL,
            payload TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0);
        INSERT INTO meta VALUES ('last_seq', '1');
        INSERT INTO events VALUES (1, 'e1', 'x', 'in', '2026-10-05T00:28:00+00:00', '{}',
                                   '2026-10-05T00:28:00+00:00', NULL, 0);
    """)
    old.close()
    box = Outbox(path)
    assert box.db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert box.depth() == 1 and box.held_count() == 0 and box.last_seq() == 1
    assert [p.seq for p in box.due(0.0, 10)] == [1]


def read_only(box: Outbox, on: bool) -> None:
    """Break (or mend) the outbox's disk, between the pump's and paho's transactions: the
    connection is shared, and a PRAGMA in the middle of the pump's write confuses both."""
    with box._lock:
        box.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


def test_the_mqtt_thread_survives_an_ack_it_cannot_apply(tmp_path: Path, broker: Mosquitto):
    """Regression: a SQLite error while applying an ack ended paho's thread silently; the kiosk
    stopped syncing and nothing noticed."""
    box = Outbox(tmp_path / "outbox.sqlite")
    pub = Publisher(DEV, box, BrokerConfig(host="127.0.0.1", port=broker.port),
                    PublisherConfig(ack_timeout_s=60))
    cloud = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    cloud.connect("127.0.0.1", broker.port)
    cloud.loop_start()
    try:
        pub.start()
        assert pub.connected.wait(10)
        a, b = box.add(event), box.add(event)

        def ack(ev: dict) -> None:
            msg = Ack(results=[AckItem(event_id=ev["event_id"], status=AckStatus.STORED)])
            cloud.publish(topics.ack(DEV), encode(msg), qos=1).wait_for_publish(5)

        read_only(box, True)  # every write now fails like a broken disk
        ack(a)
        deadline = time.monotonic() + 10
        while pub.ack_errors == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pub.ack_errors == 1 and box.depth() == 2  # nothing lost: a goes again
        read_only(box, False)
        ack(b)
        deadline = time.monotonic() + 10
        while box.depth() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert box.depth() == 1, "the MQTT thread stopped after the failed ack"
        assert pub.alive()
    finally:
        cloud.loop_stop()
        cloud.disconnect()
        pub.stop()
        box.close()


def test_batches_stay_under_the_message_limit_with_photos():
    """Regression: 100 events with photos could make a batch over the broker's limit, which
    closes the connection; the same batch then went again, forever."""
    from hadir_edge.outbox import Pending
    from hadir_edge.publisher import BATCH_BYTES, chunks
    from hadir_protocol.codec import batch_of_texts, batch_payload
    from hadir_protocol.models import MAX_MESSAGE_BYTES

    due = [Pending(i, f"e{i}", json.dumps({**event(i), "photo_jpeg_b64": "A" * 90_000}), None)
           for i in range(1, 101)]
    batches = chunks(due, 100, BATCH_BYTES)
    assert [p.seq for b in batches for p in b] == list(range(1, 101))  # all, in order
    assert len(batches) > 4
    for b in batches:
        sent = batch_of_texts(DEV, [p.text for p in b])
        assert len(sent) <= MAX_MESSAGE_BYTES
        assert json.loads(sent) == json.loads(batch_payload(DEV, [p.payload for p in b]))
    small = [Pending(i, f"e{i}", json.dumps(event(i)), None) for i in range(1, 251)]
    assert [len(b) for b in chunks(small, 100, BATCH_BYTES)] == [100, 100, 50]
