"""Gallery keys of kiosks that keep theirs in memory only (`face.gallery_key = "cloud"`).

A kiosk without a TPM asks for its gallery key at every boot (its heartbeat carries a
one-time X25519 key, `Telemetry.gallery_key_request`); the fleet monitor answers with the
`gallery-key` command, the key sealed to that request (hadir_protocol.gallery_key) and signed
by the cloud key like every command. The key is made on the first request and kept here
wrapped by the template key-encryption key (privacy/keys.py); a disabled or revoked kiosk is
never answered (the monitor refuses its messages), so a copied card cannot get it either.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from hadir_protocol import gallery_key, topics
from hadir_protocol.models import Command, CommandName
from psycopg.types.json import Jsonb

from ..privacy import audit
from ..privacy.domain import AuditAction
from ..privacy.keys import KeyService
from .outbound import Outbound

logger = logging.getLogger(__name__)

#: the same request is answered again after this long (the first answer may have been lost)
RESEND_AFTER = timedelta(seconds=30)


def _key(conn: psycopg.Connection, keys: KeyService, device_id: str) -> bytes:
    """The kiosk's gallery key (made and stored wrapped on its first request)."""
    row = conn.execute("SELECT wrapped, key_id FROM device_gallery_keys WHERE device_id = %s "
                       "FOR UPDATE", (device_id,)).fetchone()
    if row is not None:
        return keys.unwrap(bytes(row[0]), row[1])
    key = gallery_key.new_key()
    conn.execute("INSERT INTO device_gallery_keys (device_id, wrapped, key_id) VALUES (%s, %s, %s)",
                 (device_id, keys.wrap(key), keys.key_id))
    return key


def answer(conn: psycopg.Connection, out: Outbound, keys: KeyService, device_id: str,
           request_b64: str) -> bool:
    """Send the kiosk its gallery key sealed to `request_b64`, once per request (again after
    RESEND_AFTER); True when sent. GalleryKeyError for a request that is no X25519 key."""
    with conn.transaction():
        row = conn.execute("SELECT last_request, last_sent_at FROM device_gallery_keys "
                           "WHERE device_id = %s", (device_id,)).fetchone()
        if (row is not None and row[0] == request_b64 and row[1] is not None
                and datetime.now(UTC) - row[1] < RESEND_AFTER):
            return False
        args: dict[str, str | int | float | bool] = dict(
            gallery_key.seal(_key(conn, keys, device_id), request_b64, device_id))
        cmd = Command.model_validate({"correlation_id": uuid.uuid4().hex,
                                      "issued_at": datetime.now(UTC), "args": args})
        # the command row names the request only: the sealed key is not kept
        conn.execute("INSERT INTO device_commands (correlation_id, device_id, name, args) "
                     "VALUES (%s, %s, %s, %s)", (cmd.correlation_id, device_id,
                                                 str(CommandName.GALLERY_KEY),
                                                 Jsonb({"request": request_b64})))
        conn.execute("UPDATE device_gallery_keys SET last_request = %s, last_sent_at = now() "
                     "WHERE device_id = %s", (request_b64, device_id))
        audit.record(conn, "sistem:fleet", AuditAction.KIOSK_KEY_SENT, device_id,
                     {"kunci_induk": keys.key_id}, "fleet")
    out.send(topics.cmd(device_id, CommandName.GALLERY_KEY), cmd)
    logger.info("gallery key sent to %s (sealed to its boot's key)", device_id)
    return True
