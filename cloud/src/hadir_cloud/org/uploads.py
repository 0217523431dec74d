"""A checked org import waits in `org_import_uploads` from the dry run until its apply job ends.

In the database, not a temp dir: the worker that applies it may run on another host or with
its own /tmp, and a retried job finds it again. The job deletes it when it ends (in the apply's
own transaction when it succeeds); a dry run nobody applied is deleted after a day.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import psycopg

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
#: a checked upload nobody applied is kept this long
KEEP_UNAPPLIED = "1 day"


@dataclass(frozen=True)
class Upload:
    """One kept upload."""

    token: str
    filename: str
    data: bytes
    created_by: str
    job_id: int | None


def valid_token(token: str) -> bool:
    """Whether `token` has the shape `save` makes (anything else is never looked up)."""
    return bool(TOKEN_RE.match(token))


def save(conn: psycopg.Connection, filename: str, data: bytes, by: str) -> str:
    """Keep a checked upload; returns its token. Drops unapplied uploads older than a day."""
    conn.execute("DELETE FROM org_import_uploads WHERE job_id IS NULL AND "
                 "created_at < now() - %s::interval", (KEEP_UNAPPLIED,))
    token = secrets.token_hex(16)
    conn.execute("INSERT INTO org_import_uploads (token, filename, data, created_by) "
                 "VALUES (%s, %s, %s, %s)", (token, filename, data, by))
    return token


def get(conn: psycopg.Connection, token: str) -> Upload | None:
    """The kept upload, or None (never kept, expired, or its job has ended)."""
    if not valid_token(token):
        return None
    row = conn.execute("SELECT token, filename, data, created_by, job_id FROM org_import_uploads "
                       "WHERE token = %s", (token,)).fetchone()
    return Upload(row[0], row[1], bytes(row[2]), row[3], row[4]) if row else None


def claim(conn: psycopg.Connection, token: str) -> tuple[str, int | None] | None:
    """(file name, apply job or None) of an upload, locked until the caller's transaction ends
    (two presses of Terapkan queue one job), or None when it is gone."""
    if not valid_token(token):
        return None
    row = conn.execute("SELECT filename, job_id FROM org_import_uploads WHERE token = %s "
                       "FOR UPDATE", (token,)).fetchone()
    return (row[0], row[1]) if row else None


def attach_job(conn: psycopg.Connection, token: str, job_id: int) -> None:
    """Record the apply job that will read the upload (it is no longer dropped after a day)."""
    conn.execute("UPDATE org_import_uploads SET job_id = %s WHERE token = %s", (job_id, token))


def delete(conn: psycopg.Connection, token: str) -> None:
    """Forget an upload (its job has ended)."""
    conn.execute("DELETE FROM org_import_uploads WHERE token = %s", (token,))
