"""The cloud's side of device life: configs, the face gallery, commands, heartbeats, status.

- `publish_config` sends a kiosk its retained, versioned configuration.
- The gallery lives in `face_templates`; every change takes the next value of
  `gallery_version_seq`, so a kiosk holding version v needs exactly the rows
  with version > v. Deltas go out in chunks of at most `CHUNK` people, each
  chunk's version being the highest it covers, so a kiosk that gets only part
  of them still holds a consistent version and asks for the rest by its next
  heartbeat.
- `send_command` / `handle_reply`: commands with correlation ids; replies are
  verified with the kiosk's key. Key rotation is two-phase (see
  docs/wire-contract.md).
- `FleetMonitor` consumes heartbeats, status and replies from a shared
  subscription, stores them, and sends a kiosk the gallery it lacks.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import signal
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from hadir_protocol import topics
from hadir_protocol.codec import encode
from hadir_protocol.models import (
    Command,
    CommandName,
    Config,
    Duty,
    GalleryDelta,
    GalleryPerson,
    Office,
    Reply,
    ScheduleDay,
    Status,
    Telemetry,
    Thresholds,
)
from hadir_protocol.reasons import Reason, Rejected
from hadir_protocol.signing import SignatureError, load_public_key, verify
from hadir_protocol.strict import loads as strict_loads
from hadir_protocol.strict import printable
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from . import refusals
from .keys import DeviceKeys
from .mqtt_client import make_client
from .retry import Stopping, while_db_down
from .settings import CloudSettings

logger = logging.getLogger(__name__)

CHUNK = 500
SHARE = "$share/hadir-fleet/hadir/v1/+"
GALLERY_RESEND_S = 60.0
#: Largest heartbeat, status or reply the monitor reads (a send-logs reply carries log lines).
MAX_FLEET_MESSAGE = 256 * 1024
FLEET_STRING_LIMIT = 16 * 1024


class FleetError(ValueError):
    """Bad input for a fleet operation; the message says what to fix (Bahasa Indonesia)."""


# --- MQTT client for the CLI and the monitor ----------------------------------------------
def connect(settings: CloudSettings, client_id: str, timeout: float = 10.0) -> mqtt.Client:
    """Connected and looping, or FleetError."""
    client = make_client(settings, "cli", client_id)
    ready = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: ready.set() if not rc.is_failure else None
    try:
        client.connect(settings.broker_host, settings.broker_port, keepalive=30)
    except OSError as err:
        raise FleetError(f"broker MQTT {settings.broker_host}:{settings.broker_port} "
                         f"tidak dapat dihubungi: {err}") from err
    client.loop_start()
    if not ready.wait(timeout):
        client.loop_stop()
        raise FleetError("broker MQTT menolak koneksi (periksa nama pengguna/kata sandi)")
    return client


def _publish(client: mqtt.Client, topic: str, payload: bytes, retain: bool = False) -> None:
    info = client.publish(topic, payload, qos=1, retain=retain)
    info.wait_for_publish(10)
    if not info.is_published():
        raise FleetError(f"gagal mengirim ke {topic}")


# --- config --------------------------------------------------------------------------------
SCHEDULE_RE = re.compile(r"^(\d)(?:-(\d))?=(\d{2}:\d{2})-(\d{2}:\d{2})$")


def parse_schedule(specs: list[str]) -> list[ScheduleDay]:
    """`0-4=07:30-16:00` (Monday to Friday) or `5=07:30-12:00`; 0 is Monday."""
    days: dict[int, ScheduleDay] = {}
    for spec in specs:
        m = SCHEDULE_RE.match(spec.strip())
        if not m:
            raise FleetError(f"jadwal {spec!r} tidak valid; contoh: 0-4=07:30-16:00")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (0 <= first <= last <= 6) or m.group(3) >= m.group(4):
            raise FleetError(f"jadwal {spec!r}: hari 0–6 (Senin=0) dan jam mulai < jam selesai")
        for d in range(first, last + 1):
            days[d] = ScheduleDay(weekday=d, start=m.group(3), end=m.group(4))
    return [days[d] for d in sorted(days)]


def _office_of(conn: psycopg.Connection, device_id: str) -> Office:
    row = conn.execute(
        "SELECT o.id, o.name, o.tz, o.lat, o.lon, o.radius_m FROM devices d "
        "JOIN offices o ON o.id = d.office_id WHERE d.id = %s", (device_id,)).fetchone()
    if row is None:
        raise FleetError(f"kiosk {device_id!r} belum terdaftar atau tidak punya kantor")
    return Office(id=row[0], name=row[1], tz=row[2], lat=row[3], lon=row[4], radius_m=row[5])


DUTY_RE = re.compile(r"^([^@]+)@(\d{4}-\d{2}-\d{2})@(-?[\d.]+),(-?[\d.]+),([\d.]+)$")


def parse_duty(spec: str) -> Duty:
    """`NIP@YYYY-MM-DD@lat,lon,radius_m`: an approved duty elsewhere (dinas luar)."""
    m = DUTY_RE.match(spec.strip())
    if not m:
        raise FleetError(f"tugas {spec!r} tidak valid; contoh: "
                         "198503122010012003@2026-11-23@-3.30,104.70,200")
    try:
        return Duty(employee_id=m.group(1), day=date.fromisoformat(m.group(2)),
                    lat=float(m.group(3)), lon=float(m.group(4)), radius_m=float(m.group(5)))
    except ValueError as err:
        raise FleetError(f"tugas {spec!r}: {err}") from err


def publish_config(conn: psycopg.Connection, client: mqtt.Client, device_id: str,
                   schedule: list[ScheduleDay], thresholds: Thresholds,
                   duties: list[Duty] | None = None) -> Config:
    """Store and publish (retained) the next config version for a kiosk."""
    office = _office_of(conn, device_id)
    last = conn.execute("SELECT coalesce(max(version), 0) FROM device_configs WHERE device_id = %s",
                        (device_id,)).fetchone()[0]
    cfg = Config(version=last + 1, device_id=device_id, office=office, schedule=schedule,
                 thresholds=thresholds, duties=duties or [])
    conn.execute("INSERT INTO device_configs (device_id, version, payload) VALUES (%s, %s, %s)",
                 (device_id, cfg.version, json.dumps(cfg.model_dump(mode="json", by_alias=True))))
    _publish(client, topics.config(device_id), encode(cfg), retain=True)
    conn.commit()
    return cfg


# --- gallery -------------------------------------------------------------------------------
def enroll(conn: psycopg.Connection, employee_id: str, name: str, encodings: list[str]) -> int:
    """Add or replace a person's face encodings (base64 float32 ×128); returns the version."""
    person = GalleryPerson(employee_id=employee_id, name=name, encodings_b64=encodings)
    return int(conn.execute(
        "INSERT INTO face_templates (employee_id, name, encodings) VALUES (%s, %s, %s) "
        "ON CONFLICT (employee_id) DO UPDATE SET name = EXCLUDED.name, "
        "encodings = EXCLUDED.encodings, removed = false, "
        "version = nextval('gallery_version_seq'), updated_at = now() RETURNING version",
        (person.employee_id, person.name, person.encodings_b64)).fetchone()[0])


def remove(conn: psycopg.Connection, employee_id: str) -> int:
    """Take a person out of every kiosk's gallery (a tombstone with the next version)."""
    row = conn.execute(
        "UPDATE face_templates SET removed = true, version = nextval('gallery_version_seq'), "
        "updated_at = now() WHERE employee_id = %s AND NOT removed RETURNING version",
        (employee_id,)).fetchone()
    if row is None:
        raise FleetError(f"{employee_id} tidak ada di galeri")
    return int(row[0])


def current_version(conn: psycopg.Connection) -> int:
    """The gallery's version: the last change's."""
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM face_templates").fetchone()[0])


def deltas_for(conn: psycopg.Connection, device_id: str, base_version: int,
               chunk: int = CHUNK) -> list[GalleryDelta]:
    """What a kiosk at `base_version` needs, in chunks (base 0: a full snapshot). [] if nothing."""
    now = current_version(conn)
    if base_version >= now and base_version != 0:
        return []
    if base_version == 0:
        rows = conn.execute("SELECT employee_id, name, encodings, removed, version FROM "
                            "face_templates WHERE NOT removed ORDER BY version").fetchall()
    else:
        rows = conn.execute("SELECT employee_id, name, encodings, removed, version FROM "
                            "face_templates WHERE version > %s ORDER BY version",
                            (base_version,)).fetchall()
    if not rows and base_version == 0 and now == 0:
        return []
    out: list[GalleryDelta] = []
    base = base_version
    for i in range(0, max(len(rows), 1), chunk):
        part = rows[i:i + chunk]
        last = i + chunk >= len(rows)
        version = now if last else int(part[-1][4])
        out.append(GalleryDelta(
            device_id=device_id, base_version=base, version=max(version, base + 1),
            upserts=[GalleryPerson(employee_id=r[0], name=r[1], encodings_b64=r[2])
                     for r in part if not r[3]],
            removals=[r[0] for r in part if r[3]]))
        base = out[-1].version
    return out


def publish_gallery(conn: psycopg.Connection, client: mqtt.Client, device_id: str,
                    base_version: int) -> int:
    """Send a kiosk what it lacks; returns how many messages went out."""
    deltas = deltas_for(conn, device_id, base_version)
    for d in deltas:
        _publish(client, topics.gallery(device_id), encode(d))
    sent = deltas[-1].version if deltas else None
    conn.execute("INSERT INTO device_state (device_id, gallery_sent_at, gallery_sent_version) "
                 "VALUES (%s, now(), %s) ON CONFLICT (device_id) DO UPDATE SET "
                 "gallery_sent_at = now(), gallery_sent_version = EXCLUDED.gallery_sent_version",
                 (device_id, sent))
    conn.commit()
    if deltas:
        logger.info("gallery %d→%d sent to %s in %d message(s)", base_version,
                    deltas[-1].version, device_id, len(deltas))
    return len(deltas)


# --- commands ------------------------------------------------------------------------------
def send_command(conn: psycopg.Connection, client: mqtt.Client, device_id: str, name: str,
                 args: dict[str, Any] | None = None) -> str:
    """Store and publish a command; returns its correlation id."""
    if name not in set(CommandName):
        raise FleetError(f"perintah {name!r} tidak dikenal; pilih: "
                         + ", ".join(c.value for c in CommandName))
    _office_of(conn, device_id)
    cmd = Command(correlation_id=uuid.uuid4().hex, issued_at=datetime.now(UTC), args=args or {})
    conn.execute("INSERT INTO device_commands (correlation_id, device_id, name, args) "
                 "VALUES (%s, %s, %s, %s)",
                 (cmd.correlation_id, device_id, name, json.dumps(cmd.args)))
    conn.commit()
    _publish(client, topics.cmd(device_id, name), encode(cmd))
    return cmd.correlation_id


def _verify_reply(conn: psycopg.Connection, keys: DeviceKeys, device_id: str,
                  raw: dict[str, Any], key_b64: str | None) -> None:
    """With the given key (a rotation's new key), else by the one rule for kiosks' keys."""
    if key_b64 is not None:
        verify(raw, load_public_key(key_b64))
        return
    try:
        keys.verify(conn, device_id, raw, None)
    except Rejected as rej:
        raise SignatureError(rej.detail) from rej


def _reject(conn: psycopg.Connection, topic: str, device_id: str | None, reason: str,
            detail: str, raw: bytes) -> None:
    refusals.keep(conn, topic, device_id, None, reason, detail, raw)
    conn.commit()
    logger.warning("%s on %s: %s", reason, printable(topic), printable(detail)[:200])


def handle_reply(conn: psycopg.Connection, client: mqtt.Client, topic: str, payload: bytes,
                 keys: DeviceKeys) -> Reply | None:
    """Verify and store a kiosk's reply; finish key rotation and gallery resync.

    A reply counts only for a command the cloud sent to this kiosk under that name and
    that is still outstanding: a kiosk cannot start or finish a rotation on its own.
    """
    parsed = topics.parse(topic)
    device_id, name = parsed.device_id, parsed.name or ""
    try:
        raw = strict_loads(payload, MAX_FLEET_MESSAGE, FLEET_STRING_LIMIT)
        reply = Reply.model_validate(raw)
    except Rejected as rej:
        _reject(conn, topic, device_id, rej.reason, rej.detail, payload)
        return None
    except (ValueError, ValidationError) as err:
        _reject(conn, topic, device_id, Reason.INVALID, str(err), payload)
        return None
    if reply.device_id != device_id:
        _reject(conn, topic, device_id, Reason.DEVICE_MISMATCH, f"reply of {reply.device_id}",
                payload)
        return None
    outstanding = conn.execute(
        "SELECT 1 FROM device_commands WHERE correlation_id = %s AND device_id = %s "
        "AND name = %s AND replied_at IS NULL", (reply.correlation_id, device_id, name)).fetchone()
    if outstanding is None:
        _reject(conn, topic, device_id, Reason.INVALID,
                "no outstanding command with this correlation id, kiosk and name", payload)
        return None
    rotating = name == CommandName.ROTATE_CREDENTIALS and reply.ok
    active = rotating and reply.result.get("phase") == "active"
    try:
        _verify_reply(conn, keys, device_id, raw, reply.result.get("public_key") if active else None)
        if active:  # the new key must be the one registered in phase 1
            current = conn.execute("SELECT public_key FROM devices WHERE id = %s",
                                   (device_id,)).fetchone()
            if current is None or current[0] != reply.result.get("public_key"):
                raise SignatureError("activated key is not the registered one")
    except (SignatureError, ValueError) as err:
        _reject(conn, topic, device_id, Reason.BAD_SIGNATURE, str(err), payload)
        return None
    conn.execute("UPDATE device_commands SET ok = %s, reply = %s, replied_at = now() "
                 "WHERE correlation_id = %s AND device_id = %s",
                 (reply.ok, json.dumps(raw), reply.correlation_id, device_id))
    if active:  # the kiosk signs with the new key from now on: the old one's grace starts
        conn.execute("UPDATE device_keys SET retired_at = now() WHERE device_id = %s "
                     "AND retired_at IS NULL", (device_id,))
    conn.commit()
    if rotating and reply.result.get("phase") == "pending":
        _register_pending_key(conn, client, device_id, raw, reply)
    elif name == CommandName.RESYNC_GALLERY and reply.ok:
        publish_gallery(conn, client, device_id, 0)
    return reply


def _register_pending_key(conn: psycopg.Connection, client: mqtt.Client, device_id: str,
                          raw: dict[str, Any], reply: Reply) -> None:
    """Phase 1 done: the report of the new key is signed by the current key; register it."""
    new, old = reply.result.get("public_key"), reply.result.get("previous_public_key")
    current = conn.execute("SELECT public_key FROM devices WHERE id = %s",
                           (device_id,)).fetchone()[0]
    if new != current:
        if old != current:
            logger.error("rotation reply of %s names a previous key that is not current", device_id)
            return
        try:
            verify(raw, load_public_key(current))  # only the current key may introduce the next
            load_public_key(str(new))
        except (SignatureError, ValueError) as err:
            _reject(conn, topics.reply(device_id, CommandName.ROTATE_CREDENTIALS), device_id,
                    Reason.BAD_SIGNATURE, str(err), json.dumps(raw).encode())
            return
        # retired_at NULL: the kiosk still signs with it until it activates the new key
        conn.execute("INSERT INTO device_keys (device_id, public_key, retired_at) "
                     "VALUES (%s, %s, NULL) ON CONFLICT DO NOTHING", (device_id, current))
        conn.execute("UPDATE devices SET public_key = %s WHERE id = %s", (new, device_id))
        conn.commit()
        logger.info("kiosk %s: new signing key registered; asking it to activate", device_id)
    send_command(conn, client, device_id, CommandName.ROTATE_CREDENTIALS, {"activate": new})


# --- heartbeats and status -----------------------------------------------------------------
TELEMETRY_COLUMNS = (
    "outbox_depth", "oldest_unacked_at", "last_ack_at", "gps_fix", "gps_mode", "gps_satellites",
    "camera_ok", "camera_state", "disk_free_mb", "temperature_c", "clock_source",
    "config_version", "gallery_version", "gallery_size", "rejected_count", "rss_mb", "uptime_s",
    "version", "held_count", "ack_errors", "disk_full",
)


def store_telemetry(conn: psycopg.Connection, device_id: str, beat: Telemetry) -> None:
    """One heartbeat row, and the device's latest state."""
    values = [getattr(beat, c) for c in TELEMETRY_COLUMNS]
    cols = ", ".join(TELEMETRY_COLUMNS)
    marks = ", ".join(["%s"] * len(TELEMETRY_COLUMNS))
    conn.execute(f"INSERT INTO device_telemetry (device_id, sent_at, {cols}, payload) "
                 f"VALUES (%s, %s, {marks}, %s)",
                 (device_id, beat.sent_at, *values, beat.model_dump_json(by_alias=True)))
    conn.execute(
        "INSERT INTO device_state (device_id, last_telemetry_at, outbox_depth, config_version, "
        "gallery_version, version, held_count, disk_full) VALUES (%s, now(), %s, %s, %s, %s, %s, "
        "%s) ON CONFLICT (device_id) DO "
        "UPDATE SET last_telemetry_at = now(), outbox_depth = EXCLUDED.outbox_depth, "
        "config_version = EXCLUDED.config_version, gallery_version = EXCLUDED.gallery_version, "
        "version = EXCLUDED.version, held_count = EXCLUDED.held_count, "
        "disk_full = EXCLUDED.disk_full",
        (device_id, beat.outbox_depth, beat.config_version, beat.gallery_version, beat.version,
         beat.held_count, beat.disk_full))


def store_status(conn: psycopg.Connection, device_id: str, status: Status) -> None:
    """Online/offline (offline is the kiosk's last will)."""
    conn.execute(
        "INSERT INTO device_state (device_id, state, status_at) VALUES (%s, %s, "
        "coalesce(%s, now())) ON CONFLICT (device_id) DO UPDATE SET state = EXCLUDED.state, "
        "status_at = EXCLUDED.status_at", (device_id, status.state, status.at))


class FleetMonitor:
    """Heartbeats, status and replies from every kiosk, into the database."""

    def __init__(self, settings: CloudSettings):
        self.settings = settings
        self.db_url = settings.require_database_url()
        self.keys = DeviceKeys(timedelta(days=settings.key_grace_days),
                               timedelta(seconds=settings.ingest_max_ahead_s),
                               settings.key_reload_s)
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stop_event = threading.Event()
        self.subscribed = threading.Event()
        self.conn: psycopg.Connection | None = None
        self.handled = 0
        self.client = make_client(settings, "fleet", settings.fleet_client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._on_subscribed()
        self.client.on_message = lambda c, u, m: self.inbox.put(m)
        self.client.reconnect_delay_set(0.2, 5)

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.error("broker refused the fleet monitor: %s", reason_code)
            return
        client.subscribe([(f"{SHARE}/telemetry", 0), (f"{SHARE}/status", 1),
                          (f"{SHARE}/reply/+", 1)])

    def _on_subscribed(self) -> None:
        self.subscribed.set()
        logger.info("subscribed to %s/{telemetry,status,reply/+}", SHARE)

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
            _reject(conn, msg.topic, None, Reason.BAD_TOPIC, str(err), msg.payload)
            return
        device_id = parsed.device_id
        try:
            self.keys.known(conn, device_id)
        except Rejected as rej:
            _reject(conn, msg.topic, device_id, rej.reason, rej.detail, msg.payload)
            return
        if parsed.kind == "reply":
            handle_reply(conn, self.client, msg.topic, msg.payload, self.keys)
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
                conn.commit()
                self._maybe_send_gallery(conn, device_id, beat.gallery_version)
            elif parsed.kind == "status":
                status = Status.model_validate(raw)
                if status.device_id != device_id:
                    raise Rejected(Reason.DEVICE_MISMATCH, f"status of {status.device_id}")
                store_status(conn, device_id, status)
                conn.commit()
        except Rejected as rej:
            conn.rollback()
            _reject(conn, msg.topic, device_id, rej.reason, rej.detail, msg.payload)
        except (ValueError, ValidationError) as err:
            conn.rollback()
            _reject(conn, msg.topic, device_id, Reason.INVALID, str(err), msg.payload)

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
        publish_gallery(conn, self.client, device_id, held)

    def run(self) -> None:
        """Until stopped; the database being down only delays (messages wait in memory)."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 24 * 3600
        self.client.connect_async(self.settings.broker_host, self.settings.broker_port,
                                  keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        while not self.stop_event.is_set():
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

    def _drop_connection(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _keep_failed(self, msg: mqtt.MQTTMessage, err: Exception) -> None:
        """A message that failed in an unexpected way is kept as an internal error."""
        try:
            if self.conn is not None:
                self.conn.rollback()
            _reject(self._db(), msg.topic, None, Reason.INTERNAL_ERROR,
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


def wait_reply(conn: psycopg.Connection, correlation_id: str, timeout: float) -> dict | None:
    """The stored reply to a command (the fleet monitor stores it), or None after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        row = conn.execute("SELECT reply FROM device_commands WHERE correlation_id = %s",
                           (correlation_id,)).fetchone()
        conn.commit()
        if row and row[0] is not None:
            return row[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
