"""The kiosk's outbox: SQLite (WAL, synchronous=FULL) through sqlite-utils.

An event is committed here before the kiosk says "tercatat", with its
per-device `seq` allocated in the same transaction (never reused, even after a
crash). It leaves only when the cloud's application ack names its event_id:
stored, duplicate or quarantined (the cloud keeps it) → `acked` history;
rejected → the local `rejected` table, kept for inspection. An event the cloud
*holds* (it cannot verify it yet: this kiosk is unknown to it, disabled, or
re-keyed before IT registered the new key) stays here with its reason and is
sent again with exponential back-off until the cloud can store it.
The schema is versioned with `PRAGMA user_version` and brought up to date by the outbox's
own migrations (`MIGRATIONS`), each in one transaction. Two processes may share the file
(a CLI adding while the service drains). The NIP fallback's attempts are kept here too,
so its rate limit holds across restarts and between the service and the CLI.
"""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from hadir_protocol.models import AckItem, AckStatus

ACKED_HISTORY = 5000
#: Below this much free space the kiosk says plainly that its disk is full.
DISK_LOW_MB = 64.0
F = TypeVar("F", bound=Callable[..., Any])


def _v1_events(conn: sqlite3.Connection) -> None:
    """The queue, the acked history, the rejected events, and the held events' columns (an
    outbox made before versioning has the tables without those columns)."""
    for statement in (
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL "
        "UNIQUE, employee_id TEXT NOT NULL, kind TEXT NOT NULL, captured_at TEXT NOT NULL, "
        "payload TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT, attempts INTEGER NOT "
        "NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS acked (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
        "employee_id TEXT NOT NULL, kind TEXT NOT NULL, captured_at TEXT NOT NULL, status TEXT "
        "NOT NULL, acked_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rejected (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
        "reason TEXT, payload TEXT NOT NULL, rejected_at TEXT NOT NULL)",
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('last_seq', '0')",
    ):
        conn.execute(statement)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(events)")}
    for name, decl in (("held_reason", "TEXT"), ("held_count", "INTEGER NOT NULL DEFAULT 0"),
                       ("retry_after", "TEXT")):
        if name not in cols:
            conn.execute(f"ALTER TABLE events ADD COLUMN {name} {decl}")


def _v2_decisions(conn: sqlite3.Connection) -> None:
    """What the decision reads on every frame, indexed (a person's events of today); the NIP
    attempts it rate-limits; and what the drain and the screen ask of a deep queue, indexed
    (without an index every such question reads every photo: a week offline is 70 MB)."""
    conn.execute("CREATE INDEX IF NOT EXISTS events_person ON events (employee_id, captured_at)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_due ON events (seq, sent_at, retry_after)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_sent ON events (sent_at)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_held ON events (held_reason)")
    conn.execute("CREATE INDEX IF NOT EXISTS acked_person ON acked (employee_id, captured_at)")
    conn.execute("CREATE TABLE IF NOT EXISTS nip_attempts (at TEXT NOT NULL, nip TEXT NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS nip_attempts_at ON nip_attempts (at)")


#: The outbox's own migrations: MIGRATIONS[i] takes the file from version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_events, _v2_decisions]
SCHEMA_VERSION = len(MIGRATIONS)
#: NIP attempts older than this are forgotten
NIP_ATTEMPTS_KEPT_S = 24 * 3600


def _locked(method: F) -> F:
    """One thread at a time on the shared connection (the screen, the pump, the MQTT thread)."""

    @functools.wraps(method)
    def wrapper(self: Outbox, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Pending:
    """An event waiting for its ack, as the signed JSON text committed (sent as it is)."""

    seq: int
    event_id: str
    text: str
    sent_at: str | None

    @property
    def payload(self) -> dict[str, Any]:
        """The event as a dict."""
        event: dict[str, Any] = json.loads(self.text)
        return event


class Outbox:
    """Durable queue of signed events."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None,
                               check_same_thread=False)
        self._lock = threading.RLock()
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._schema()

    def _schema(self) -> None:
        """Bring the file to `SCHEMA_VERSION`, one migration at a time, each in its own
        transaction with its `user_version` bump (a power cut leaves a whole version)."""
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        for target, migrate in enumerate(MIGRATIONS[version:], start=version + 1):
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrate(conn)
                conn.execute(f"PRAGMA user_version = {target}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @_locked
    def add(self, build: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Allocate the next seq, build the signed event with it, and commit — atomically."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = int(conn.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()[0])
            event = build(last + 1)
            conn.execute(
                "INSERT INTO events (seq, event_id, employee_id, kind, captured_at, payload, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event["seq"], event["event_id"], event["employee_id"], event["kind"],
                 event["captured_at"], json.dumps(event, separators=(",", ":")), _now()),
            )
            conn.execute("UPDATE meta SET value=? WHERE key='last_seq'", (str(event["seq"]),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return event

    @_locked
    def due(self, ack_timeout_s: float, limit: int) -> list[Pending]:
        """Events never sent, or sent longer ago than the ack timeout, in seq order."""
        cutoff = datetime.fromtimestamp(
            datetime.now(UTC).timestamp() - ack_timeout_s, UTC).isoformat()
        # which ones from the index alone, then only their rows (and photos) are read
        rows = self.db.execute(
            "SELECT seq, event_id, payload, sent_at FROM events WHERE seq IN ("
            "SELECT seq FROM events INDEXED BY events_due WHERE (sent_at IS NULL OR sent_at < ?) "
            "AND (retry_after IS NULL OR retry_after <= ?) ORDER BY seq LIMIT ?) ORDER BY seq",
            (cutoff, _now(), limit)).fetchall()
        return [Pending(r[0], r[1], r[2], r[3]) for r in rows]

    @_locked
    def in_flight(self, ack_timeout_s: float) -> int:
        """Events sent within the ack timeout and not acked yet."""
        cutoff = datetime.fromtimestamp(
            datetime.now(UTC).timestamp() - ack_timeout_s, UTC).isoformat()
        return int(self.db.execute("SELECT count(*) FROM events WHERE sent_at >= ?",
                                   (cutoff,)).fetchone()[0])

    @_locked
    def mark_sent(self, seqs: Iterable[int]) -> None:
        """Record that these events went out now."""
        now = _now()
        self._update_each("UPDATE events SET sent_at=?, attempts=attempts+1 WHERE seq=?",
                          [(now, s) for s in seqs])

    @_locked
    def unsent(self, seqs: Iterable[int]) -> None:
        """These events went out but nobody received them (the broker had no subscriber):
        due again now, not after the ack timeout."""
        self._update_each("UPDATE events SET sent_at=NULL WHERE seq=?", [(s,) for s in seqs])

    def _update_each(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement over `rows` in one transaction (the caller holds the lock)."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @_locked
    def ack(self, items: Iterable[AckItem], held_retry_s: float = 30.0,
            held_retry_max_s: float = 900.0) -> int:
        """Apply the cloud's acks; returns how many events left the outbox.

        A `held` event stays: it is due again after `held_retry_s` × 2^(times held), at
        most `held_retry_max_s`.
        """
        now = _now()
        removed = 0
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in items:
                eid = str(item.event_id)
                row = conn.execute("SELECT seq, employee_id, kind, captured_at, payload FROM events "
                                   "WHERE event_id=?", (eid,)).fetchone()
                if row is None:
                    continue  # already acked (a redelivered ack)
                if item.status is AckStatus.HELD:
                    held = int(conn.execute("SELECT held_count FROM events WHERE event_id=?",
                                            (eid,)).fetchone()[0])
                    wait = min(held_retry_s * 2 ** min(held, 20), held_retry_max_s)
                    retry = datetime.fromtimestamp(datetime.now(UTC).timestamp() + wait, UTC)
                    conn.execute("UPDATE events SET held_reason=?, held_count=held_count+1, "
                                 "retry_after=?, sent_at=NULL WHERE event_id=?",
                                 (item.reason or "held", retry.isoformat(), eid))
                    continue
                if item.status is AckStatus.REJECTED:
                    conn.execute("INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?)",
                                 (eid, row[0], item.reason, row[4], now))
                else:
                    conn.execute("INSERT OR REPLACE INTO acked VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (eid, row[0], row[1], row[2], row[3], item.status.value, now))
                conn.execute("DELETE FROM events WHERE event_id=?", (eid,))
                removed += 1
            conn.execute("DELETE FROM acked WHERE seq <= (SELECT max(seq) FROM acked) - ?",
                         (ACKED_HISTORY,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return removed

    @_locked
    def depth(self) -> int:
        """Events waiting for an ack."""
        return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])

    @_locked
    def oldest_unacked(self) -> str | None:
        """captured_at of the oldest waiting event."""
        row = self.db.execute("SELECT min(captured_at) FROM events").fetchone()
        return row[0] if row else None

    @_locked
    def last_ack(self) -> str | None:
        """When the last ack arrived."""
        row = self.db.execute("SELECT max(acked_at) FROM acked").fetchone()
        return row[0] if row else None

    @_locked
    def last_seq(self) -> int:
        """The last seq allocated."""
        return int(self.db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()[0])

    @_locked
    def recent(self, employee_id: str, since_iso: str) -> list[tuple[str, str]]:
        """(captured_at, kind) of this person's events since a time, acked or not."""
        rows = self.db.execute(
            "SELECT captured_at, kind FROM events WHERE employee_id=? AND captured_at>=? "
            "UNION ALL SELECT captured_at, kind FROM acked WHERE employee_id=? AND captured_at>=?",
            (employee_id, since_iso, employee_id, since_iso)).fetchall()
        return [(r[0], r[1]) for r in rows]

    @_locked
    def nip_attempts(self, now: datetime, kiosk_window_s: float, nip: str,
                     nip_window_s: float) -> tuple[int, int]:
        """NIP attempts on this kiosk within `kiosk_window_s`, and for `nip` within
        `nip_window_s`, before `now` (the kiosk's clock)."""
        def since(s: float) -> str:
            return (now - timedelta(seconds=s)).isoformat()

        row = self.db.execute(
            "SELECT (SELECT count(*) FROM nip_attempts WHERE at > ? AND at <= ?), "
            "(SELECT count(*) FROM nip_attempts WHERE nip = ? AND at > ? AND at <= ?)",
            (since(kiosk_window_s), now.isoformat(), nip, since(nip_window_s), now.isoformat()),
        ).fetchone()
        return int(row[0]), int(row[1])

    @_locked
    def note_nip_attempt(self, nip: str, now: datetime) -> None:
        """Remember a NIP attempt (and forget those older than a day)."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO nip_attempts (at, nip) VALUES (?, ?)",
                         (now.isoformat(), nip))
            conn.execute("DELETE FROM nip_attempts WHERE at < ?",
                         ((now - timedelta(seconds=NIP_ATTEMPTS_KEPT_S)).isoformat(),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @_locked
    def checked_in_since(self, employee_id: str, since_iso: str) -> bool:
        """Whether this person has an 'in' event since a time, acked or not."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM events WHERE employee_id=? AND captured_at>=? AND "
            "kind='in') OR EXISTS (SELECT 1 FROM acked WHERE employee_id=? AND captured_at>=? "
            "AND kind='in')", (employee_id, since_iso, employee_id, since_iso)).fetchone()
        return bool(row[0])

    @_locked
    def rejected_count(self) -> int:
        """Events the cloud refused (kept here for inspection)."""
        return int(self.db.execute("SELECT count(*) FROM rejected").fetchone()[0])

    def disk_free_mb(self) -> float | None:
        """Free space where the outbox lives (None when it cannot be read)."""
        try:
            return round(shutil.disk_usage(self.path.parent).free / 2**20, 1)
        except OSError:
            return None

    def disk_full(self) -> bool:
        """True when the outbox's disk is (nearly) full: new check-ins may fail to save."""
        free = self.disk_free_mb()
        return free is not None and free < DISK_LOW_MB

    @_locked
    def held_count(self) -> int:
        """Events the cloud could not verify yet (kept here and retried with back-off)."""
        return int(self.db.execute("SELECT count(*) FROM events WHERE held_reason IS NOT NULL"
                                   ).fetchone()[0])

    @_locked
    def held_reasons(self) -> dict[str, int]:
        """Held events by the cloud's reason."""
        rows = self.db.execute("SELECT held_reason, count(*) FROM events WHERE held_reason IS NOT "
                               "NULL GROUP BY held_reason").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    @_locked
    def close(self) -> None:
        """Close the database."""
        self.db.conn.close()
