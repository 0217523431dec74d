"""Commands with correlation ids, and the kiosks' signed replies (key rotation in two phases).

A reply counts only for a command the cloud sent to that kiosk under that name that is
still outstanding. See docs/wire-contract.md for the rotation.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from hadir_protocol import topics
from hadir_protocol.models import Command, CommandName, Reply
from hadir_protocol.reasons import Reason, Rejected
from hadir_protocol.signing import SignatureError, load_public_key, verify
from hadir_protocol.strict import loads as strict_loads
from pydantic import ValidationError

from ..keys import DeviceKeys
from .config import office_of
from .domain import FleetError
from .gallery import publish_gallery
from .outbound import Outbound
from .store import reject

logger = logging.getLogger(__name__)

#: Largest heartbeat, status or reply the monitor reads (a send-logs reply carries log lines).
MAX_FLEET_MESSAGE = 256 * 1024
FLEET_STRING_LIMIT = 16 * 1024


def send_command(conn: psycopg.Connection, out: Outbound, device_id: str, name: str,
                 args: dict[str, Any] | None = None) -> str:
    """Store and publish a command; returns its correlation id."""
    if name not in set(CommandName):
        raise FleetError(f"perintah {name!r} tidak dikenal; pilih: "
                         + ", ".join(c.value for c in CommandName))
    office_of(conn, device_id)
    cmd = Command(correlation_id=uuid.uuid4().hex, issued_at=datetime.now(UTC), args=args or {})
    conn.execute("INSERT INTO device_commands (correlation_id, device_id, name, args) "
                 "VALUES (%s, %s, %s, %s)",
                 (cmd.correlation_id, device_id, name, json.dumps(cmd.args)))
    conn.commit()
    out.send(topics.cmd(device_id, name), cmd)
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


def handle_reply(conn: psycopg.Connection, out: Outbound, topic: str, payload: bytes,
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
        reject(conn, topic, device_id, rej.reason, rej.detail, payload)
        return None
    except (ValueError, ValidationError) as err:
        reject(conn, topic, device_id, Reason.INVALID, str(err), payload)
        return None
    if reply.device_id != device_id:
        reject(conn, topic, device_id, Reason.DEVICE_MISMATCH, f"reply of {reply.device_id}",
                payload)
        return None
    outstanding = conn.execute(
        "SELECT 1 FROM device_commands WHERE correlation_id = %s AND device_id = %s "
        "AND name = %s AND replied_at IS NULL", (reply.correlation_id, device_id, name)).fetchone()
    if outstanding is None:
        reject(conn, topic, device_id, Reason.INVALID,
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
        reject(conn, topic, device_id, Reason.BAD_SIGNATURE, str(err), payload)
        return None
    conn.execute("UPDATE device_commands SET ok = %s, reply = %s, replied_at = now() "
                 "WHERE correlation_id = %s AND device_id = %s",
                 (reply.ok, json.dumps(raw), reply.correlation_id, device_id))
    if active:  # the kiosk signs with the new key from now on: the old one's grace starts
        conn.execute("UPDATE device_keys SET retired_at = now() WHERE device_id = %s "
                     "AND retired_at IS NULL", (device_id,))
    conn.commit()
    if rotating and reply.result.get("phase") == "pending":
        _register_pending_key(conn, out, device_id, raw, reply)
    elif name == CommandName.RESYNC_GALLERY and reply.ok:
        publish_gallery(conn, out, device_id, 0)
    elif name == CommandName.GALLERY_KEY and reply.ok:  # unlocked: what it lacks, at once
        version = reply.result.get("gallery_version")
        if isinstance(version, int) and version >= 0:
            publish_gallery(conn, out, device_id, version)
    return reply


def _register_pending_key(conn: psycopg.Connection, out: Outbound, device_id: str,
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
            reject(conn, topics.reply(device_id, CommandName.ROTATE_CREDENTIALS), device_id,
                    Reason.BAD_SIGNATURE, str(err), json.dumps(raw).encode())
            return
        # retired_at NULL: the kiosk still signs with it until it activates the new key
        conn.execute("INSERT INTO device_keys (device_id, public_key, retired_at) "
                     "VALUES (%s, %s, NULL) ON CONFLICT DO NOTHING", (device_id, current))
        conn.execute("UPDATE devices SET public_key = %s WHERE id = %s", (new, device_id))
        conn.commit()
        logger.info("kiosk %s: new signing key registered; asking it to activate", device_id)
    send_command(conn, out, device_id, CommandName.ROTATE_CREDENTIALS, {"activate": new})


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
