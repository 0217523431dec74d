"""`hadir-cloud ingest`: MQTT check-ins → validated, verified, deduplicated rows → acks.

The order that keeps every check-in: a batch of MQTT messages is validated and
written in ONE database transaction (COPY into a staging table, then INSERT …
ON CONFLICT DO NOTHING RETURNING, so stored and duplicate are known); only after
COMMIT are the MQTT messages acked (`manual_ack`) and the application acks
published to each kiosk. A crash before the commit leaves the messages unacked
and the broker redelivers them; a crash after the commit and before the acks
redelivers them too, and they come back as duplicates. Bad messages go to
`rejected_messages` with reason and raw bytes, in the same transaction.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hadir_protocol import topics
from hadir_protocol.codec import Reason, Rejected, encode, parse_checkin, split_checkin_payload
from hadir_protocol.models import Ack, AckItem, AckStatus
from hadir_protocol.signing import SignatureError, load_public_key, verify
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .rows import COLUMNS, checkin_row
from .settings import CloudSettings

logger = logging.getLogger(__name__)

CRASH_AFTER_COMMIT_ENV = "HADIR_INGEST_TEST_CRASH_AFTER_COMMIT"


@dataclass
class Batch:
    """What one transaction writes and what is acked after it."""

    messages: list[mqtt.MQTTMessage] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    row_device: dict[str, str] = field(default_factory=dict)  # event_id → device
    rejected: list[tuple[str, str | None, str | None, str, str, bytes]] = field(
        default_factory=list
    )
    acks: dict[str, list[AckItem]] = field(default_factory=lambda: defaultdict(list))


class DeviceKeys:
    """Registered kiosks' public keys (and retired ones), cached; reloaded on an unknown device."""

    def __init__(self, grace: timedelta = timedelta(days=7)) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._retired: dict[str, list[tuple[Ed25519PublicKey, datetime]]] = {}
        self._loaded_at = 0.0
        self.grace = grace

    def load(self, conn: psycopg.Connection) -> None:
        """Read every enabled device's key, and the keys retired by rotation."""
        keys: dict[str, Ed25519PublicKey] = {}
        for device_id, key in conn.execute("SELECT id, public_key FROM devices WHERE NOT disabled"):
            try:
                keys[device_id] = load_public_key(key)
            except SignatureError:
                logger.error("device %s has an unusable public key", device_id)
        retired: dict[str, list[tuple[Ed25519PublicKey, datetime]]] = {}
        if conn.execute("SELECT to_regclass('device_keys')").fetchone()[0] is not None:
            for device_id, key, at in conn.execute(
                    "SELECT device_id, public_key, retired_at FROM device_keys"):
                try:
                    retired.setdefault(device_id, []).append((load_public_key(key), at))
                except SignatureError:
                    logger.error("device %s has an unusable retired key", device_id)
        self._keys, self._retired = keys, retired
        self._loaded_at = time.monotonic()

    def get(self, conn: psycopg.Connection, device_id: str) -> Ed25519PublicKey | None:
        """The key of `device_id`, reloading at most once a second on a miss."""
        key = self._keys.get(device_id)
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            self.load(conn)
            key = self._keys.get(device_id)
        return key

    def verify(self, conn: psycopg.Connection, device_id: str, raw: dict[str, Any],
               made_at: datetime) -> None:
        """Verify with the current key, else with a key retired after `made_at` (within grace).

        A kiosk that rotated its key may still hold events signed with the old
        one in its outbox; those verify for `grace` after the rotation.
        """
        key = self.get(conn, device_id)
        if key is None:
            raise SignatureError(f"device {device_id} is not registered")
        try:
            verify(raw, key)
            return
        except SignatureError:
            if device_id not in self._retired and time.monotonic() - self._loaded_at > 1.0:
                self.load(conn)  # a rotation may have just happened
        for old, retired_at in self._retired.get(device_id, []):
            if made_at <= retired_at + self.grace:
                try:
                    verify(raw, old)
                    return
                except SignatureError:
                    continue
        verify(raw, self._keys.get(device_id, key))  # raises with the current key's message


class IngestWorker:
    """One worker of the shared subscription."""

    def __init__(self, settings: CloudSettings):
        self.settings = settings
        self.db_url = settings.require_database_url()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.keys = DeviceKeys(timedelta(days=settings.key_grace_days))
        self.stop_event = threading.Event()
        self.conn: psycopg.Connection | None = None
        self.connected = threading.Event()
        self.stored = self.duplicates = self.rejected = 0
        self.client = self._make_client()

    # --- MQTT -------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.settings.ingest_client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.settings.broker_username:
            client.username_pw_set(self.settings.broker_username, self.settings.broker_password())
        if self.settings.broker_tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.reconnect_delay_set(0.2, 5)
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
            self.conn.execute(
                "CREATE TEMP TABLE stage (LIKE checkins INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            self.keys.load(self.conn)
        return self.conn

    # --- processing -------------------------------------------------------------------
    def _classify(self, conn: psycopg.Connection, msg: mqtt.MQTTMessage, batch: Batch) -> None:
        """Validate one message into rows or rejections (no writes yet)."""
        try:
            device = topics.parse(msg.topic).device_id
        except ValueError as err:
            batch.rejected.append((msg.topic, None, None, Reason.INVALID, str(err), msg.payload))
            return
        try:
            raws = split_checkin_payload(msg.payload, device)
        except Rejected as rej:
            batch.rejected.append((msg.topic, device, None, rej.reason, rej.detail, msg.payload))
            return
        key = self.keys.get(conn, device)
        for raw in raws:
            raw_id = raw.get("event_id") if isinstance(raw, dict) else None
            try:
                event = parse_checkin(raw, device)
                if key is None:
                    raise Rejected(Reason.UNKNOWN_DEVICE, f"device {device} is not registered",
                                   str(raw_id))
                try:
                    self.keys.verify(conn, device, raw, event.captured_at)
                except SignatureError as err:
                    raise Rejected(Reason.BAD_SIGNATURE, str(err), str(event.event_id)) from err
            except Rejected as rej:
                event_raw = encode(raw) if isinstance(raw, dict) else msg.payload
                batch.rejected.append((msg.topic, device, rej.event_id, rej.reason, rej.detail,
                                       event_raw))
                # an unknown kiosk gets no ack: it keeps the event and sends it again, and once
                # IT registers it (`hadir-cloud device add`) the event lands; nothing is lost
                item = (_ack_item(rej.event_id, rej.reason)
                        if rej.event_id and rej.reason is not Reason.UNKNOWN_DEVICE else None)
                if item is not None:
                    batch.acks[device].append(item)
                continue
            eid = str(event.event_id)
            if eid in batch.row_device:  # the same event twice in one batch
                batch.acks[device].append(AckItem(event_id=event.event_id,
                                                  status=AckStatus.DUPLICATE))
                continue
            batch.rows.append(checkin_row(event, raw))
            batch.row_device[eid] = device

    def _write(self, conn: psycopg.Connection, batch: Batch) -> None:
        """One transaction: staged COPY, insert-or-skip, rejections; then COMMIT."""
        stored: set[str] = set()
        with conn.transaction():
            if batch.rows:
                cols = ", ".join(COLUMNS)
                with conn.cursor() as cur:
                    with cur.copy(f"COPY stage ({cols}) FROM STDIN") as cp:
                        for row in batch.rows:
                            cp.write_row(row)
                    cur.execute(
                        f"INSERT INTO checkins ({cols}) SELECT {cols} FROM stage "
                        "ON CONFLICT DO NOTHING RETURNING event_id"
                    )
                    stored = {str(r[0]) for r in cur.fetchall()}
            if batch.rejected:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO rejected_messages (topic, device_id, event_id, reason, "
                        "detail, raw) VALUES (%s, %s, %s, %s, %s, %s)",
                        [(t, d, e, str(r), det, raw) for t, d, e, r, det, raw in batch.rejected],
                    )
        for eid, device in batch.row_device.items():
            status = AckStatus.STORED if eid in stored else AckStatus.DUPLICATE
            batch.acks[device].append(AckItem(event_id=eid, status=status))  # type: ignore[arg-type]
        self.stored += len(stored)
        self.duplicates += len(batch.row_device) - len(stored)
        self.rejected += len(batch.rejected)

    def _acknowledge(self, batch: Batch) -> None:
        """After the commit: MQTT acks, then the application acks per kiosk."""
        for msg in batch.messages:
            self.client.ack(msg.mid, msg.qos)
        for device, items in batch.acks.items():
            if items:
                self.client.publish(topics.ack(device), encode(Ack(results=items)), qos=1)

    def process(self, messages: list[mqtt.MQTTMessage]) -> None:
        """Write a batch, retrying while the database is down; never ack before commit."""
        delay = 0.2
        while not self.stop_event.is_set():
            try:
                conn = self._db()
                batch = Batch(messages=messages)
                for msg in messages:
                    self._classify(conn, msg, batch)
                self._write(conn, batch)
                break
            except psycopg.OperationalError as err:
                logger.warning("database unavailable (%s); retrying in %.1fs", err, delay)
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self.stop_event.wait(delay)
                delay = min(delay * 2, 5.0)
        else:
            return  # stopping: leave the messages unacked, the broker keeps them
        if os.environ.get(CRASH_AFTER_COMMIT_ENV):
            logger.error("test hook: exiting after commit, before acks")
            os._exit(70)
        self._acknowledge(batch)

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
                logger.info("stored %d, duplicates %d, rejected %d", self.stored,
                            self.duplicates, self.rejected)
                last_log = time.monotonic()
        self.client.disconnect()
        self.client.loop_stop()
        if self.conn is not None:
            self.conn.close()

    def stop(self, *_: object) -> None:
        """Stop after the current batch."""
        self.stop_event.set()


def _ack_item(event_id: str, reason: Reason) -> AckItem | None:
    """A 'rejected' ack, or None when the event id is not even a UUID (nothing to ack)."""
    try:
        return AckItem.model_validate({"event_id": event_id, "status": "rejected",
                                       "reason": reason})
    except ValueError:
        return None


def run_ingest(settings: CloudSettings) -> None:
    """Run one worker until SIGTERM/SIGINT."""
    worker = IngestWorker(settings)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
