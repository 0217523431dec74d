"""`hadir-cloud fleet`: heartbeats, status and replies from every kiosk, into the database.

Nothing a message contains can stop the monitor: every message is decoded strictly
and a failure is kept in `rejected_messages`; while the database is down the message
waits (tenacity), and the monitor sends a kiosk the gallery it lacks, every few seconds the
approved dinas luar of its place (devices/duties.py), and every minute, when the work
schedules of its people changed, its config with the new ones (devices/config.py). A heartbeat
also confirms erasures the kiosk has applied (privacy/erasure.py), and a kiosk that keeps its
gallery key in memory only gets it when its heartbeat asks (devices/gallery_keys.py). Face
templates are opened with the key in HADIR_TEMPLATE_KEY_FILE: the monitor does not start
without it, and seals at start any template still stored in the clear.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg
from hadir_protocol import topics
from hadir_protocol.gallery_key import GalleryKeyError
from hadir_protocol.models import Status, Telemetry
from hadir_protocol.reasons import Reason, Rejected
from hadir_protocol.strict import loads as strict_loads
from hadir_protocol.strict import printable
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from ..keys import DeviceKeys
from ..mqtt_client import make_client
from ..privacy import erasure
from ..retry import Stopping, while_db_down
from ..settings import CloudSettings, template_keys
from . import gallery_keys
from .commands import FLEET_STRING_LIMIT, MAX_FLEET_MESSAGE, handle_reply
from .config import SCHEDULE_SOURCES, stale_schedules
from .duties import deliver_pending, refresh_device
from .gallery import current_version, publish_gallery, seal_plain
from .outbound import Outbound, load_cloud_key
from .store import reject, store_status, store_telemetry

logger = logging.getLogger(__name__)

GALLERY_RESEND_S = 60.0
#: how often approved dinas luar are looked for (devices/duties.py)
DUTY_CHECK_S = 5.0
#: how often changed work schedules are looked for (devices/config.py)
SCHEDULE_CHECK_S = 60.0
KINDS = ("telemetry", "status", "reply")


class FleetMonitor:
    """Heartbeats, status and replies from every kiosk, into the database."""

    def __init__(self, settings: CloudSettings):
        self.settings = settings
        self.db_url = settings.require_database_url()
        self.template_keys = template_keys(settings)  # fails loudly at start when missing
        self.keys = DeviceKeys(timedelta(days=settings.key_grace_days),
                               timedelta(seconds=settings.ingest_max_ahead_s),
                               settings.key_reload_s)
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stop_event = threading.Event()
        self.subscribed = threading.Event()
        self.conn: psycopg.Connection | None = None
        self.handled = 0
        self._schedules_seen: tuple[object, ...] | None = None
        self.client = make_client(settings, "fleet", settings.fleet_client_id)
        self.out = Outbound(self.client, load_cloud_key(settings))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._on_subscribed()
        self.client.on_message = lambda c, u, m: self.inbox.put(m)
        self.client.reconnect_delay_set(0.2, 5)

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.error("broker refused the fleet monitor: %s", reason_code)
            return
        client.subscribe([(topics.shared_subscription(k), 1 if k != "telemetry" else 0)
                          for k in KINDS])

    def _on_subscribed(self) -> None:
        self.subscribed.set()
        logger.info("subscribed to %s", ", ".join(topics.shared_subscription(k) for k in KINDS))

    def _db(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.db_url, connect_timeout=5, autocommit=True)
        return self.conn

    def handle(self, msg: mqtt.MQTTMessage) -> None:
        """One message; bad input is kept in rejected_messages, never raised."""
        conn = self._db()
        try:
            parsed = topics.parse(msg.topic)
        except ValueError as err:
            reject(conn, msg.topic, None, Reason.BAD_TOPIC, str(err), msg.payload)
            return
        device_id = parsed.device_id
        try:
            self.keys.known(conn, device_id)
        except Rejected as rej:
            reject(conn, msg.topic, device_id, rej.reason, rej.detail, msg.payload)
            return
        if parsed.kind == "reply":
            handle_reply(conn, self.out, msg.topic, msg.payload, self.keys)
            return
        if parsed.kind == "status" and not msg.payload:
            return  # a cleared retained status
        try:
            raw = strict_loads(msg.payload, MAX_FLEET_MESSAGE, FLEET_STRING_LIMIT)
            if parsed.kind == "telemetry":
                beat = Telemetry.model_validate(raw)
                if beat.device_id != device_id:
                    raise Rejected(Reason.DEVICE_MISMATCH, f"telemetry of {beat.device_id}")
                store_telemetry(conn, device_id, beat)
                erasure.confirm(conn, device_id)
                conn.commit()
                if beat.gallery_key_request:
                    gallery_keys.answer(conn, self.out, self.template_keys, device_id,
                                        beat.gallery_key_request)
                self._maybe_send_gallery(conn, device_id, beat.gallery_version)
            elif parsed.kind == "status":
                status = Status.model_validate(raw)
                if status.device_id != device_id:
                    raise Rejected(Reason.DEVICE_MISMATCH, f"status of {status.device_id}")
                store_status(conn, device_id, status)
                conn.commit()
        except Rejected as rej:
            conn.rollback()
            reject(conn, msg.topic, device_id, rej.reason, rej.detail, msg.payload)
        except (ValueError, ValidationError, GalleryKeyError) as err:
            conn.rollback()
            reject(conn, msg.topic, device_id, Reason.INVALID, str(err), msg.payload)

    def _maybe_send_gallery(self, conn: psycopg.Connection, device_id: str,
                            held: int | None) -> None:
        """Send what the kiosk lacks: at once for a new version, else at most once a minute."""
        latest = current_version(conn)
        if held is None or held == latest or (held > latest and held != 0) or latest == 0:
            return
        sent = conn.execute("SELECT gallery_sent_at, gallery_sent_version FROM device_state "
                            "WHERE device_id = %s", (device_id,)).fetchone()
        if (sent and sent[0] and sent[1] == latest
                and datetime.now(UTC) - sent[0] < timedelta(seconds=GALLERY_RESEND_S)):
            return  # sent moments ago: it may still be on its way
        publish_gallery(conn, self.out, device_id, held, self.template_keys)

    def _seal_plain_templates(self) -> None:
        """Templates enrolled before templates were sealed get sealed now (once)."""
        try:
            n = seal_plain(self._db(), self.template_keys, "sistem:fleet", "fleet")
        except psycopg.Error as err:
            logger.warning("could not seal stored templates yet (database): %s", err)
            self._drop_connection()
            return
        if n:
            logger.info("sealed %d face templates stored in the clear", n)

    def run(self) -> None:
        """Until stopped; the database being down only delays (messages wait in memory)."""
        self._seal_plain_templates()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 24 * 3600
        self.client.connect_async(self.settings.broker_host, self.settings.broker_port,
                                  keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        next_duties = next_schedules = 0.0
        while not self.stop_event.is_set():
            if time.monotonic() >= next_duties:
                next_duties = time.monotonic() + DUTY_CHECK_S
                self._deliver_duties()
            if time.monotonic() >= next_schedules:
                next_schedules = time.monotonic() + SCHEDULE_CHECK_S
                self._refresh_schedules()
            try:
                msg = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                while_db_down(self.stop_event, lambda m=msg: self.handle(m), self._drop_connection)
                self.handled += 1
            except Stopping:
                break
            except Exception as err:  # one bad message must not stop the monitor
                logger.exception("handling %s failed", printable(msg.topic))
                self._keep_failed(msg, err)
        self.client.disconnect()
        self.client.loop_stop()
        if self.conn is not None:
            self.conn.close()

    def _deliver_duties(self) -> None:
        """Approved dinas luar to the kiosks of their place (devices/duties.py); while the
        broker or the database is away they wait in duty_deliveries for the next round."""
        if not self.client.is_connected():
            return
        try:
            deliver_pending(self._db(), self.out, self.settings.today())
        except psycopg.Error as err:
            logger.warning("dinas luar not delivered yet (database): %s", err)
            self._drop_connection()
        except Exception:  # one bad delivery must not stop the monitor
            logger.exception("delivering dinas luar failed; tried again in %s s", DUTY_CHECK_S)

    def _refresh_schedules(self) -> None:
        """Republish the configs whose work schedules changed (a schedule edited, a person
        moved, a Ramadan period added or over): looked at only when one of their source tables
        changed or the day turned; while the broker or the database is away, next round."""
        if not self.client.is_connected():
            return
        try:
            conn = self._db()
            versions = conn.execute("SELECT name, version FROM data_versions WHERE name = "
                                    "ANY(%s) ORDER BY name", (list(SCHEDULE_SOURCES),)).fetchall()
            key = (tuple(versions), datetime.now(UTC).date())
            if key == self._schedules_seen:
                return
            today = self.settings.today()
            for device_id in stale_schedules(conn):
                version = refresh_device(conn, self.out, device_id, today)
                logger.info("work schedules changed: config v%s sent to %s", version, device_id)
            self._schedules_seen = key
        except psycopg.Error as err:
            logger.warning("work schedules not refreshed yet (database): %s", err)
            self._drop_connection()
        except Exception:  # one bad config must not stop the monitor
            logger.exception("refreshing work schedules failed; tried again in %s s",
                             SCHEDULE_CHECK_S)

    def _drop_connection(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _keep_failed(self, msg: mqtt.MQTTMessage, err: Exception) -> None:
        """A message that failed in an unexpected way is kept as an internal error."""
        try:
            if self.conn is not None:
                self.conn.rollback()
            reject(self._db(), msg.topic, None, Reason.INTERNAL_ERROR,
                    f"{type(err).__name__}: {err}", msg.payload)
        except Exception:
            logger.exception("could not keep the failed message")

    def stop(self, *_: object) -> None:
        """Stop after the current message."""
        self.stop_event.set()


def run_fleet(settings: CloudSettings) -> None:
    """Run the monitor until SIGTERM/SIGINT."""
    monitor = FleetMonitor(settings)
    signal.signal(signal.SIGTERM, monitor.stop)
    signal.signal(signal.SIGINT, monitor.stop)
    monitor.run()
