"""`hadir-cloud ingest`: the MQTT worker around `pipeline` (shared subscription, manual acks).

The order that keeps every check-in: a batch of MQTT messages goes through
`Pipeline.process` in ONE database transaction; only after COMMIT are the MQTT
messages acked (`manual_ack`) and the application acks published to each kiosk.
A crash before the commit leaves the messages unacked and the broker redelivers
them; a crash after the commit and before the acks redelivers them too, and they
come back as duplicates. While the database is down nothing is acked.

Nothing a message contains can stop the worker: the pipeline turns every
failure of one message into a refusal of that message; should the pipeline
itself fail on a batch, the batch is retried one message at a time, and a
message that still fails is recorded as an internal error and acked.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from datetime import timedelta

import paho.mqtt.client as mqtt
import psycopg
from hadir_protocol import topics
from hadir_protocol.codec import encode
from hadir_protocol.models import Ack
from hadir_protocol.reasons import Reason
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .. import refusals
from ..keys import DeviceKeys
from ..mqtt_client import make_client
from ..retry import Stopping, while_db_down
from ..settings import CloudSettings
from .pipeline import Pipeline, Result

logger = logging.getLogger(__name__)

class IngestWorker:
    """One worker of the shared subscription."""

    def __init__(self, settings: CloudSettings):
        self.settings = settings
        self.db_url = settings.require_database_url()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.keys = DeviceKeys(timedelta(days=settings.key_grace_days),
                               timedelta(seconds=settings.ingest_max_ahead_s),
                               settings.key_reload_s)
        self.pipeline = Pipeline(self.keys, timedelta(seconds=settings.ingest_max_ahead_s),
                                 timedelta(days=settings.ingest_max_age_days))
        self.stop_event = threading.Event()
        self.conn: psycopg.Connection | None = None
        self.connected = threading.Event()
        self.stored = self.duplicates = self.rejected = 0
        self.client = self._make_client()

    # --- MQTT -------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        client = make_client(self.settings, "ingest", self.settings.ingest_client_id,
                             manual_ack=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        # capped low: when the broker comes back, kiosks drain their backlog within seconds
        client.reconnect_delay_set(0.2, 2)
        client.max_inflight_messages_set(1000)
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.error("broker refused the connection: %s", reason_code)
            return
        client.subscribe(topics.shared_subscription("checkin"), qos=1)
        self.connected.set()
        logger.info("connected to the broker (session present: %s)", flags.session_present)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):  # type: ignore[no-untyped-def]
        if any(rc.is_failure for rc in reason_codes):
            logger.error("subscription refused: %s", reason_codes)
        else:
            logger.info("subscribed to %s", topics.shared_subscription("checkin"))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connected.clear()
        if not self.stop_event.is_set():
            logger.warning("disconnected from the broker: %s", reason_code)

    def _on_message(self, client, userdata, msg):  # type: ignore[no-untyped-def]
        self.inbox.put(msg)

    def start(self) -> None:
        """Connect (persistent session) and start the network loop."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 7 * 24 * 3600
        props.ReceiveMaximum = self.settings.ingest_receive_maximum
        self.client.connect_async(self.settings.broker_host, self.settings.broker_port,
                                  keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    # --- database ---------------------------------------------------------------------
    def _db(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            # autocommit: reads outside `_write` (a key reload) never open a transaction, so
            # `conn.transaction()` there is a real BEGIN … COMMIT and not a savepoint inside a
            # transaction nobody commits (which would ack events that were never stored)
            self.conn = psycopg.connect(self.db_url, connect_timeout=5, autocommit=True)
            Pipeline.prepare(self.conn)
            self.keys.load(self.conn)
        return self.conn

    # --- processing -------------------------------------------------------------------
    def _acknowledge(self, messages: list[mqtt.MQTTMessage], result: Result) -> None:
        """After the commit: MQTT acks, then the application acks per kiosk."""
        for msg in messages:
            self.client.ack(msg.mid, msg.qos)
        for device, items in result.acks.items():
            if items:
                self.client.publish(topics.ack(device), encode(Ack(results=items)), qos=1)

    def _write(self, messages: list[mqtt.MQTTMessage]) -> Result | None:
        """The pipeline over `messages`, retrying while the database is down; None when stopping."""
        try:
            return while_db_down(self.stop_event,
                                 lambda: self.pipeline.process(self._db(), messages),
                                 self._drop_connection)
        except Stopping:
            return None

    def _drop_connection(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def process(self, messages: list[mqtt.MQTTMessage]) -> None:
        """Write a batch and ack it after the commit; a batch that fails is split up."""
        try:
            result = self._write(messages)
        except Exception:  # a pipeline bug: never let it stop the worker or the whole batch
            logger.exception("a batch of %d failed; processing its messages one by one",
                             len(messages))
            if len(messages) > 1:
                for msg in messages:
                    self.process([msg])
                return
            result = self._last_resort(messages[0])
        if result is None:
            return  # stopping: leave the messages unacked, the broker keeps them
        self._acknowledge(messages, result)
        self.stored += result.stored
        self.duplicates += result.duplicates
        self.rejected += result.refused

    def _last_resort(self, msg: mqtt.MQTTMessage) -> Result | None:
        """Keep a message the pipeline cannot handle as an internal error, so it is not redelivered
        forever; None (not acked) only when even that cannot be written."""
        try:
            with self._db().transaction():
                refusals.keep(self._db(), msg.topic, None, None, Reason.INTERNAL_ERROR,
                              "the pipeline failed on this message", msg.payload)
        except Exception:
            logger.exception("could not even keep the failing message; it stays unacked")
            return None
        return Result(outcomes=[[]])

    def run(self) -> None:
        """Collect messages into batches and process them until stopped."""
        self.start()
        limit = self.settings.ingest_batch_events
        wait_s = self.settings.ingest_flush_ms / 1000
        last_log = time.monotonic()
        while not self.stop_event.is_set():
            try:
                first = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            messages = [first]
            deadline = time.monotonic() + wait_s
            while len(messages) < limit:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    messages.append(self.inbox.get(timeout=remaining))
                except queue.Empty:
                    break
            self.process(messages)
            if time.monotonic() - last_log > 10:
                logger.info("stored %d, duplicates %d, refused %d", self.stored,
                            self.duplicates, self.rejected)
                last_log = time.monotonic()
        self.client.disconnect()
        self.client.loop_stop()
        if self.conn is not None:
            self.conn.close()

    def stop(self, *_: object) -> None:
        """Stop after the current batch."""
        self.stop_event.set()


def run_ingest(settings: CloudSettings) -> None:
    """Run one worker until SIGTERM/SIGINT."""
    worker = IngestWorker(settings)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
