"""Files uploaded as evidence (a doctor's letter, proof for a correction, an LKH day's output):
checked on upload, kept in the `attachments` table with their SHA-256, listed and served back
to whoever may see what they belong to (the areas decide who that is)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import psycopg

#: the largest file accepted
MAX_BYTES = 5 * 1024 * 1024
#: the types accepted, known by their first bytes (not by the name or the browser's claim)
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"\x89PNG\r\n\x1a\n", "image/png"))


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Stored:
    """A kept file, without its bytes."""

    id: int
    code: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


def content_type(data: bytes) -> str | None:
    """The type of `data` from its first bytes, or None when it is none of PDF, JPEG, PNG."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def problem(up: Upload) -> str | None:
    """What is wrong with an upload, in Bahasa, or None when it can be kept."""
    if not up.data:
        return f"berkas {up.filename} kosong"
    if len(up.data) > MAX_BYTES:
        return (f"berkas {up.filename} terlalu besar ({len(up.data) / 1048576:.1f} MB; paling "
                f"besar {MAX_BYTES // 1048576} MB)")
    if content_type(up.data) is None:
        return f"berkas {up.filename} bukan PDF, JPEG atau PNG"
    return None


def _clean_name(name: str) -> str:
    """The file's own name, without a path and control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable() and c not in '"<>') or "lampiran"
    return base[-200:]


def save(conn: psycopg.Connection, owner_kind: str, owner_id: str, code: str, up: Upload,
         by: str) -> Stored:
    """Keep a checked upload (call `problem` first; a bad one raises ValueError)."""
    bad = problem(up)
    if bad is not None:
        raise ValueError(bad)
    kind = content_type(up.data)
    digest = hashlib.sha256(up.data).hexdigest()
    row = conn.execute(
        "INSERT INTO attachments (owner_kind, owner_id, code, filename, content_type, "
        "size_bytes, sha256, data, uploaded_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "RETURNING " + _COLS, (owner_kind, owner_id, code, _clean_name(up.filename), kind,
                               len(up.data), digest, up.data, by)).fetchone()
    assert row is not None
    return Stored(*row)


_COLS = "id, code, filename, content_type, size_bytes, sha256, uploaded_by, uploaded_at"


def of(conn: psycopg.Connection, owner_kind: str, owner_id: str) -> list[Stored]:
    """The files kept for one request or LKH day, oldest first."""
    return [Stored(*r) for r in conn.execute(
        f"SELECT {_COLS} FROM attachments WHERE owner_kind = %s AND owner_id = %s ORDER BY id",
        (owner_kind, owner_id))]


def load(conn: psycopg.Connection, owner_kind: str, owner_id: str,
         file_id: int) -> tuple[Stored, bytes] | None:
    """One kept file and its bytes, only when it belongs to that owner."""
    row = conn.execute(f"SELECT {_COLS}, data FROM attachments WHERE id = %s AND owner_kind = %s "
                       "AND owner_id = %s", (file_id, owner_kind, owner_id)).fetchone()
    if row is None:
        return None
    return Stored(*row[:-1]), bytes(row[-1])
