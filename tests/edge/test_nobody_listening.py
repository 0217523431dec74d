"""A broker that gives the kiosk's check-ins to nobody: they go again within a second or two of
the ingest's return, not after the ack timeout, and only one message at a time meanwhile.

Real Mosquitto: after a restart, Mosquitto 2.0 restores the ingest's persistent session but not
its shared subscription until the ingest reconnects, and answers a kiosk that is quicker with
PUBACK "no matching subscribers" (the message is dropped). Regression: the kiosk waited the
whole ack timeout (20 s by default) before sending those events again — the offline week's
drain started 6.6 s after the link returned instead of about 2 s.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from hadir_devstack import Mosquitto
from hadir_edge.config import BrokerConfig, PublisherConfig
from hadir_edge.outbox import Outbox
from hadir_edge.publisher import PROBE_QUICK_FOR_S, PROBE_QUICK_S, Publisher, probe_wait
from hadir_protocol import topics
from hadir_protocol.codec import encode, split_checkin_payload, uuid7
from hadir_protocol.models import CHECKIN_SCHEMA, Ack, AckItem, AckStatus
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

DEV = "kiosk-uji-02"
EVENTS = 40
BATCH = 5
WINDOW = 4


def event(seq: int) -> dict:
    return {"schema": CHECKIN_SCHEMA, "seq": seq, "event_id": str(uuid7()),
            "employee_id": "198503122010012003",
            "kind": "in", "captured_at": "2026-10-05T00:28:00+00:00"}


class Ingest:
    """The cloud's side as the broker sees it: a persistent session in the shared subscription
    and an application ack for every event received; `away()` and `back()` hold its network
    thread, so it reconnects exactly when the scene says."""

    def __init__(self, port: int):
        self.received: set[str] = set()
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ingest-uji",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.1, 0.1)
        self.subscribed = threading.Event()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async("127.0.0.1", port, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        client.subscribe(topics.shared_subscription("checkin"), qos=1)
        self.subscribed.set()

    def _on_message(self, client, userdata, msg):  # type: ignore[no-untyped-def]
        events = split_checkin_payload(msg.payload, DEV)
        with self.lock:
            self.received.update(e["event_id"] for e in events)
        ack = Ack(results=[AckItem(event_id=e["event_id"], status=AckStatus.STORED)
                           for e in events])
        client.publish(topics.ack(DEV), encode(ack), qos=1)

    def away(self) -> None:
        self.client.loop_stop()
        self.subscribed.clear()

    def back(self) -> None:
        self.client.loop_start()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def attempts(box: Outbox) -> int:
    return int(box.db.execute("SELECT coalesce(sum(attempts), 0) FROM events").fetchone()[0])


def test_checkins_nobody_received_go_again_when_the_ingest_returns(tmp_path: Path,
                                                                   broker: Mosquitto):
    ingest = Ingest(broker.port)
    assert ingest.subscribed.wait(10)
    time.sleep(0.3)  # the SUBACK is in: the broker has the subscription to save
    broker.stop()  # saved with the ingest's session
    ingest.away()  # it comes back 3 s after the broker, later than the kiosk

    box = Outbox(tmp_path / "outbox.sqlite")
    ids = [box.add(event)["event_id"] for _ in range(EVENTS)]
    pub = Publisher(DEV, box, BrokerConfig(host="127.0.0.1", port=broker.port),
                    PublisherConfig(ack_timeout_s=60, batch_max=BATCH, window=WINDOW,
                                    reconnect_max_s=0.5))
    try:
        pub.start()
        t_link = time.monotonic()
        broker.start()
        assert pub.connected.wait(10), "the kiosk did not reach the broker"
        deadline = time.monotonic() + 10
        while pub.unheard == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pub.unheard >= BATCH, "the broker did not say it gave the check-ins to nobody"
        assert not ingest.received
        # nobody listening: after the first window, one event every 0.5 s (with the window
        # open it would be 20 events a round, every round)
        time.sleep(max(0.0, t_link + 3.0 - time.monotonic()))
        sent = attempts(box)
        assert sent <= WINDOW * BATCH + 3.0 / PROBE_QUICK_S + 1, f"{sent} sends while nobody listened"
        assert not ingest.received
        ingest.back()
        assert ingest.subscribed.wait(10)

        deadline = time.monotonic() + 50  # well inside the 60 s ack timeout
        while box.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        drained_s = time.monotonic() - t_link
        print(f"\nnobody listening for 3 s: {sent} event sends meanwhile; "
              f"all {EVENTS} events acked {drained_s:.1f} s after the broker returned")
        assert box.depth() == 0, f"{box.depth()} events still waiting"
        with ingest.lock:
            assert ingest.received == set(ids)
        # the ingest is back 3 s after the broker and the next probe within 0.5 s; without the
        # PUBACK's answer the events would wait the 60 s ack timeout
        assert drained_s < 3.0 + 1.0 + 2.5, f"drained {drained_s:.1f} s after the broker returned"
        assert pub.alive()
    finally:
        pub.stop()
        ingest.close()
        box.close()


def test_probes_are_quick_after_a_restart_then_back_off_while_the_ingest_stays_down():
    waits, silent, previous = [], 0.0, None
    while silent < 600:
        previous = probe_wait(silent, previous, ack_timeout_s=20.0)
        waits.append(previous)
        silent += previous
    quick = [w for w in waits if w == PROBE_QUICK_S]
    assert len(quick) == PROBE_QUICK_FOR_S / PROBE_QUICK_S  # a probe each 0.5 s for 10 s
    assert waits[len(quick):len(quick) + 5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert set(waits[len(quick) + 5:]) == {20.0}  # then one every ack timeout: about 3 a minute
    assert probe_wait(0.0, None, ack_timeout_s=0.2) == 0.2  # never longer than the ack timeout
