"""Drain the outbox over MQTT; an event leaves only on the cloud's application ack.

paho-mqtt 2 with MQTT v5, QoS 1, a persistent session and a retained last will
(`offline`) on the status topic. A PUBACK only means the broker has the
message; the kiosk forgets an event when the ingest's Ack (sent after its
database commit) names it. What is not acked within `ack_timeout_s` goes again;
the cloud dedupes on event_id. While the link is down nothing is published
and nothing is dropped: the outbox is the queue.

A PUBACK saying "no matching subscribers" means the broker dropped the message
because no ingest was subscribed (after a broker restart Mosquitto 2.0 does not
restore the ingest's shared subscription until the ingest reconnects): those
events are due again at once, not after the ack timeout; until a message is
heard again one event at a time goes out (a probe, not the backlog): every
0.5 s for the first 10 s (a restarted broker: the ingest is back within
seconds), then with a doubling wait up to the ack timeout (an ingest that is down).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from hadir_protocol import topics
from hadir_protocol.codec import batch_of_texts, encode
from hadir_protocol.models import MAX_MESSAGE_BYTES, Ack, Status
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from . import __version__
from .config import BrokerConfig, PublisherConfig
from .outbox import Outbox, Pending

logger = logging.getLogger(__name__)


#: A batch stays well under the cloud's (and the broker's) message limit, photos and all.
BATCH_BYTES = MAX_MESSAGE_BYTES - 64 * 1024
#: MQTT 5 PUBACK reason: the broker accepted the message and gave it to nobody.
NO_MATCHING_SUBSCRIBERS = 0x10
#: while nobody receives check-ins: a probe every PROBE_QUICK_S for the first PROBE_QUICK_FOR_S,
#: then a doubling wait up to the ack timeout
PROBE_QUICK_S = 0.5
PROBE_QUICK_FOR_S = 10.0


def probe_wait(silent_for_s: float, previous_s: float | None, ack_timeout_s: float) -> float:
    """How long to wait before the next probe, `silent_for_s` into a silence."""
    if silent_for_s < PROBE_QUICK_FOR_S or previous_s is None:
        return min(PROBE_QUICK_S, ack_timeout_s)
    return min(previous_s * 2, ack_timeout_s)


def chunks(due: list[Pending], most: int, max_bytes: int) -> list[list[Pending]]:
    """`due` in order, in batches of at most `most` events and `max_bytes` encoded bytes."""
    out: list[list[Pending]] = []
    size = 0
    for p in due:
        n = len(p.text) + 1
        if out and len(out[-1]) < most and size + n <= max_bytes:
            out[-1].append(p)
            size += n
        else:
            out.append([p])
            size = n + 128  # the batch envelope
    return out


class Publisher:
    """One MQTT client per kiosk: drains the outbox, applies acks, keeps the status."""

    def __init__(self, device_id: str, outbox: Outbox, broker: BrokerConfig,
                 cfg: PublisherConfig):
        self.device_id = device_id
        self.outbox = outbox
        self.broker = broker
        self.cfg = cfg
        self.connected = threading.Event()
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.acks_received = 0
        self.pump_beat = time.monotonic()
        self.ack_errors = 0  # acks that could not be applied (the events go again; seen in telemetry)
        self.last_connected_at: datetime | None = None
        self.connect_failures = 0  # attempts that found no broker since the last connection
        self.routes: list[tuple[str, Callable[[mqtt.MQTTMessage], None]]] = []
        self.unheard = 0  # events the broker gave to nobody since the start (each went again)
        # PUBACKs (mid, reason) from paho's thread to the pump, which alone knows the mids' events
        self._pubacks: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._mids: dict[int, list[int]] = {}  # message id → the events it carried (the pump's)
        self._unheard_wait: float | None = None  # set while nobody is receiving check-ins
        self._unheard_since = self._probe_at = 0.0  # then: since when; the next probe's time
        self.client = self._make_client()
        self._thread: threading.Thread | None = None

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.device_id,
                             protocol=mqtt.MQTTv5)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password())
        if self.broker.tls:
            client.tls_set()
        offline = encode(Status(device_id=self.device_id, state="offline", version=__version__))
        client.will_set(topics.status(self.device_id), offline, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_connect_fail = self._on_connect_fail
        client.on_publish = self._on_publish
        # paho doubles its wait after each failed attempt; capped low, so that after a week
        # offline the drain starts within seconds of the link returning, not minutes
        client.reconnect_delay_set(0.5, self.cfg.reconnect_max_s)
        return client

    def _on_connect_fail(self, client, userdata):  # type: ignore[no-untyped-def]
        self.connect_failures += 1
        if self.connect_failures == 1 or self.connect_failures % 100 == 0:
            logger.warning("broker %s:%s unreachable (%d attempts); events stay in the outbox",
                           self.broker.host, self.broker.port, self.connect_failures)

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.error("broker refused the kiosk: %s", reason_code)
            return
        client.subscribe([(topics.ack(self.device_id), 1)] + [(t, 1) for t, _ in self.routes])
        online = Status(device_id=self.device_id, state="online",
                        at=datetime.now(UTC), version=__version__)
        client.publish(topics.status(self.device_id), encode(online), qos=1, retain=True)
        self.connected.set()
        self.connect_failures = 0
        self.last_connected_at = datetime.now(UTC)
        self.wake.set()
        logger.info("connected to %s:%s", self.broker.host, self.broker.port)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connected.clear()
        if not self.stop_event.is_set():
            logger.warning("link down (%s); events stay in the outbox", reason_code)

    def _on_publish(self, client, userdata, mid, reason_code, properties):  # type: ignore[no-untyped-def]
        # paho's thread, holding paho's message lock: only hand the answer to the pump
        self._pubacks.put((mid, reason_code.value))
        if reason_code.value == NO_MATCHING_SUBSCRIBERS or self._unheard_wait is not None:
            self.wake.set()

    def _settle_pubacks(self) -> None:
        """Events in messages the broker gave to nobody are due again (the pump's thread); while
        nobody listens, the next probe waits `probe_wait`."""
        again: list[int] = []
        heard = self._unheard_wait is None
        while True:
            try:
                mid, code = self._pubacks.get_nowait()
            except queue.Empty:
                break
            seqs = self._mids.pop(mid, None)
            if seqs is None:
                continue  # a status or reply, or a message from before a restart
            heard = code != NO_MATCHING_SUBSCRIBERS
            if not heard:
                again += seqs
        if again:
            self.outbox.unsent(again)
            self.unheard += len(again)
        if heard:
            self._unheard_wait = None
        elif again:
            now = time.monotonic()
            if self._unheard_wait is None:
                logger.warning("the broker has no subscriber for check-ins (the cloud's ingest is "
                               "not connected); one event goes at a time until it is heard")
                self._unheard_since = now
            wait = probe_wait(now - self._unheard_since, self._unheard_wait, self.cfg.ack_timeout_s)
            self._unheard_wait = wait
            self._probe_at = now + wait
        while len(self._mids) > 4 * self.cfg.window:  # answers that never came (a lost session)
            self._mids.pop(next(iter(self._mids)))

    def route(self, topic_filter: str, handler: Callable[[mqtt.MQTTMessage], None]) -> None:
        """Deliver messages on `topic_filter` (config, gallery, commands) to `handler`."""
        self.routes.append((topic_filter, handler))

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Publish if the link is up; False when it is down (nothing is queued in memory)."""
        if not self.connected.is_set():
            return False
        return self.client.publish(topic, payload, qos=qos, retain=retain).rc == mqtt.MQTT_ERR_SUCCESS

    def _on_message(self, client, userdata, msg):  # type: ignore[no-untyped-def]
        for topic_filter, handler in self.routes:
            if mqtt.topic_matches_sub(topic_filter, msg.topic):
                try:
                    handler(msg)
                except Exception:  # a bad message must never stop the kiosk's MQTT thread
                    logger.exception("handling %s failed", msg.topic)
                return
        try:
            ack = Ack.model_validate_json(msg.payload)
        except ValidationError as err:
            logger.error("unreadable ack on %s: %s", msg.topic, err.errors()[:1])
            return
        try:
            removed = self.outbox.ack(ack.results, self.cfg.held_retry_s, self.cfg.held_retry_max_s)
        except Exception:  # e.g. a full disk: the MQTT thread must live on; the events go again
            self.ack_errors += 1
            logger.exception("applying an ack failed; its events stay and are sent again")
            return
        self.acks_received += removed
        for item in ack.results:
            if item.reason:
                logger.warning("cloud %s %s: %s", item.status.value, item.event_id, item.reason)
        self.wake.set()

    def start(self) -> None:
        """Connect (persistent session) and start draining in a background thread."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 7 * 24 * 3600
        self.client.connect_async(self.broker.host, self.broker.port,
                                  keepalive=self.broker.keepalive, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._pump, name="outbox-pump", daemon=True)
        self._thread.start()

    def alive(self, stale_s: float = 60.0) -> bool:
        """The outbox pump is turning and paho's network thread runs (fed to the watchdog)."""
        pump_ok = (self._thread is not None and self._thread.is_alive()
                   and time.monotonic() - self.pump_beat < stale_s)
        network = f"paho-mqtt-client-{self.device_id}"
        return pump_ok and any(t.name == network and t.is_alive() for t in threading.enumerate())

    def _pump(self) -> None:
        while not self.stop_event.is_set():
            self.pump_beat = time.monotonic()
            self.wake.clear()
            if self.connected.is_set():
                try:
                    self.send_due()
                except Exception:  # the pump must survive anything one message does
                    logger.exception("sending from the outbox failed")
            self.wake.wait(0.5)

    def send_due(self) -> int:
        """Publish what is due, within the in-flight window; returns events sent.

        While nobody receives check-ins one event goes at a time: a probe, not the backlog.
        """
        self._settle_pubacks()
        most = self.cfg.window * self.cfg.batch_max
        if self._unheard_wait is not None:
            if time.monotonic() < self._probe_at:
                return 0
            most = 1
        room = most - self.outbox.in_flight(self.cfg.ack_timeout_s)
        if room <= 0:
            return 0
        due = self.outbox.due(self.cfg.ack_timeout_s, room)
        sent = 0
        for chunk in chunks(due, self.cfg.batch_max, BATCH_BYTES):
            if len(chunk) == 1:
                payload = chunk[0].text.encode("utf-8")
            else:
                payload = batch_of_texts(self.device_id, [p.text for p in chunk])
            info = self.client.publish(topics.checkin(self.device_id), payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                break  # link dropped mid-drain; what was not sent stays due
            self._mids[info.mid] = [p.seq for p in chunk]
            self.outbox.mark_sent(p.seq for p in chunk)
            sent += len(chunk)
        return sent

    def stop(self) -> None:
        """Disconnect cleanly (the retained status is set by the will only on a lost link)."""
        self.stop_event.set()
        self.wake.set()
        if self._thread:
            self._thread.join(5)
        if self.connected.is_set():
            offline = Status(device_id=self.device_id, state="offline",
                             at=datetime.now(UTC), version=__version__)
            self.client.publish(topics.status(self.device_id), encode(offline), qos=1,
                                retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()
