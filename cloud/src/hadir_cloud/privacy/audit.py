"""The audit trail: who did what to whose personal data, when, from where (`audit_log`).

Any area records with one call, in the transaction of what it records:

    from hadir_cloud.privacy import audit
    audit.record(conn, actor, audit.AuditAction.PHOTO_VIEW, subject_nip,
                 {"event_id": str(event_id)}, origin)

`actor` is the portal username (or `cli:<os user>`, or `sistem:<job>`), `subject` the person
concerned (a NIP) or the thing, `detail` a small JSON object (never a photo, an encoding or a
secret), `origin` where from (the client's IP address, `cli@host`, a job's name). The table
takes inserts only: a trigger refuses updates, truncation and deletes (except the retention
job's of entries past their time). Portal views use `privacy.web.audit(...)`, which fills in
the signed-in account and the address.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .domain import AuditAction

__all__ = ["AuditAction", "AuditEntry", "cli_actor", "cli_origin", "entries", "record"]


def record(conn: psycopg.Connection, actor: str, action: AuditAction | str,
           subject: str | None = None, detail: Mapping[str, Any] | None = None,
           origin: str | None = None) -> None:
    """Append one entry (the database stamps its time and the subject's regency: its
    retention)."""
    conn.execute(
        "INSERT INTO audit_log (actor, action, subject, detail, origin) VALUES "
        "(%s, %s, %s, %s, %s)",
        (actor[:200] or "?", str(AuditAction(action)), subject, Jsonb(dict(detail or {})),
         origin))


def cli_actor(by: str | None = None) -> str:
    """Who runs a CLI command: the name given, else `cli:<os user>`."""
    return by or f"cli:{getpass.getuser()}"


def cli_origin() -> str:
    """Where a CLI command runs."""
    return f"cli@{socket.gethostname()}"


@dataclass(frozen=True)
class AuditEntry:
    """One entry as the audit page shows it."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]
    origin: str | None
    subject_name: str | None


#: entries on one page of the audit trail
PAGE_SIZE = 50


def entries(conn: psycopg.Connection, *, actor: str | None = None, action: str | None = None,
            subject: str | None = None, since: datetime | None = None,
            until: datetime | None = None, before: tuple[datetime, int] | None = None,
            limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Entries newest first, filtered; `before` is the last (at, id) of the previous page."""
    rows = conn.execute(
        "SELECT a.id, a.at, a.actor, a.action, a.subject, a.detail, a.origin, e.name "
        "FROM audit_log a LEFT JOIN employees e ON e.nip = a.subject "
        "WHERE (%(actor)s::text IS NULL OR a.actor = %(actor)s) "
        "AND (%(action)s::text IS NULL OR a.action = %(action)s) "
        "AND (%(subject)s::text IS NULL OR a.subject = %(subject)s) "
        "AND (%(since)s::timestamptz IS NULL OR a.at >= %(since)s) "
        "AND (%(until)s::timestamptz IS NULL OR a.at < %(until)s) "
        "AND (%(b_at)s::timestamptz IS NULL OR (a.at, a.id) < (%(b_at)s, %(b_id)s::bigint)) "
        "ORDER BY a.at DESC, a.id DESC LIMIT %(limit)s",
        {"actor": actor, "action": action, "subject": subject, "since": since, "until": until,
         "b_at": before[0] if before else None, "b_id": before[1] if before else None,
         "limit": limit}).fetchall()
    return [AuditEntry(*r) for r in rows]
