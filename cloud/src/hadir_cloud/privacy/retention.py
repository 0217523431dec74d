"""The retention job: what is past its regency's time goes, the same on both engines.

- Check-in selfies (`checkins.photo`, `checkin_quarantine.photo`): the photo column is cleared;
  the check-in stays (it is the attendance record). On TimescaleDB `checkins` is a compressed
  hypertable: the same UPDATE runs there (DML on compressed chunks, TimescaleDB ≥ 2.11).
- Rejected raw payloads (`rejected_messages`): deleted (a plain table on both engines: its
  unique key on the digest cannot hold a time column).
- Telemetry (`device_telemetry`) and audit entries (`audit_log`): hypertables on TimescaleDB,
  where whole chunks older than the LONGEST retention of any regency are dropped first
  (`drop_chunks`); then, on both engines, what is left past its regency's time is deleted row
  by row. The audit trail's trigger lets only this job (`hadir.retensi`) delete, and only
  entries past their time.

A row's regency is its person's (units.regency through employees) for photos and audit entries,
its kiosk's office's (`office_regencies`) for telemetry and rejected messages, else the default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg

from . import audit
from .domain import AuditAction, RetentionKind

logger = logging.getLogger(__name__)

#: rows changed per statement (short transactions beside the ingest)
BATCH = 5000

_PERSON_REGENCY = ("LEFT JOIN employees e ON e.nip = {t}.employee_id "
                   "LEFT JOIN units u ON u.id = e.unit_id")
_DEVICE_REGENCY = ("LEFT JOIN devices d ON d.id = {t}.device_id "
                   "LEFT JOIN office_regencies o ON o.office_id = d.office_id")
_PAST = ("{t}.{col} < now() - make_interval(days => %(least)s) AND {t}.{col} < now() - "
         "make_interval(days => retention_days(%(kind)s, coalesce({reg}, '*')))")

#: the retention's statements, one batch each; {…} filled per table
_SELFIES = (
    "WITH due AS (SELECT c.event_id, c.captured_at FROM checkins c "
    + _PERSON_REGENCY.format(t="c") + " WHERE c.photo IS NOT NULL AND "
    + _PAST.format(t="c", col="captured_at", reg="u.regency") + " LIMIT %(batch)s) "
    "UPDATE checkins c SET photo = NULL FROM due "
    "WHERE c.event_id = due.event_id AND c.captured_at = due.captured_at")
_QUARANTINE = (
    "UPDATE checkin_quarantine SET photo = NULL WHERE event_id IN (SELECT q.event_id FROM "
    "checkin_quarantine q " + _PERSON_REGENCY.format(t="q") + " WHERE q.photo IS NOT NULL AND "
    + _PAST.format(t="q", col="received_at", reg="u.regency") + " LIMIT %(batch)s)")
_REJECTED = (
    "DELETE FROM rejected_messages WHERE id IN (SELECT r.id FROM rejected_messages r "
    + _DEVICE_REGENCY.format(t="r") + " WHERE "
    + _PAST.format(t="r", col="last_seen_at", reg="o.regency") + " LIMIT %(batch)s)")
_TELEMETRY = (
    "DELETE FROM device_telemetry WHERE (id, received_at) IN (SELECT t.id, t.received_at FROM "
    "device_telemetry t " + _DEVICE_REGENCY.format(t="t") + " WHERE "
    + _PAST.format(t="t", col="received_at", reg="o.regency") + " LIMIT %(batch)s)")
_AUDIT = (
    "DELETE FROM audit_log WHERE (id, at) IN (SELECT a.id, a.at FROM audit_log a WHERE "
    + _PAST.format(t="a", col="at", reg="a.regency") + " LIMIT %(batch)s)")


def is_hypertable(conn: psycopg.Connection, table: str) -> bool:
    """Is `table` a TimescaleDB hypertable here?"""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is None:
        return False
    return conn.execute("SELECT 1 FROM timescaledb_information.hypertables WHERE "
                        "hypertable_schema = 'public' AND hypertable_name = %s",
                        (table,)).fetchone() is not None


def _bounds(conn: psycopg.Connection, kind: RetentionKind) -> tuple[int, int]:
    """(shortest, longest) days `kind` is kept in any regency."""
    row = conn.execute("SELECT min(days), max(days) FROM retention_policies WHERE kind = %s",
                       (str(kind),)).fetchone()
    assert row is not None and row[0] is not None, "migration 1400 seeds every default"
    return int(row[0]), int(row[1])


def _batches(conn: psycopg.Connection, sql: str, kind: RetentionKind, batch: int,
             before: Callable[[], None] | None = None) -> int:
    """Run a batch statement until it touches fewer rows than a batch; how many in all."""
    least, _ = _bounds(conn, kind)
    total = 0
    while True:
        with conn.transaction():
            if before is not None:
                before()
            n = conn.execute(sql, {"least": least, "kind": str(kind), "batch": batch}).rowcount
        total += n
        if n < batch:
            return total


def _drop_chunks(conn: psycopg.Connection, table: str, column: str, kind: RetentionKind) -> int:
    """TimescaleDB: drop the chunks wholly older than the longest retention of `kind`; the rows
    they held (counted as those before the cut that are gone afterwards)."""
    _, longest = _bounds(conn, kind)
    with conn.transaction():
        cut = conn.execute("SELECT now() - make_interval(days => %s)", (longest,)).fetchone()
        assert cut is not None
        count = f"SELECT count(*) FROM {table} WHERE {column} < %s"  # noqa: S608 - fixed names
        before = conn.execute(count, cut).fetchone()
        conn.execute("SELECT drop_chunks(%s::regclass, older_than => %s)", (table, cut[0]))
        after = conn.execute(count, cut).fetchone()
    assert before is not None and after is not None
    return int(before[0]) - int(after[0])


def run(conn: psycopg.Connection, batch: int = BATCH, origin: str = "tugas:retensi"
        ) -> dict[str, int]:
    """Apply every retention now; what was removed per place (recorded in the audit trail when
    anything was). `conn` must be in autocommit mode (each batch is its own transaction)."""
    done: dict[str, int] = {}
    done["foto_presensi"] = _batches(conn, _SELFIES, RetentionKind.SELFIES, batch)
    done["foto_karantina"] = _batches(conn, _QUARANTINE, RetentionKind.SELFIES, batch)
    done["pesan_ditolak"] = _batches(conn, _REJECTED, RetentionKind.REJECTED, batch)
    dropped = 0
    if is_hypertable(conn, "device_telemetry"):
        dropped = _drop_chunks(conn, "device_telemetry", "received_at", RetentionKind.TELEMETRY)
    done["telemetri"] = dropped + _batches(conn, _TELEMETRY, RetentionKind.TELEMETRY, batch)
    dropped = 0
    if is_hypertable(conn, "audit_log"):
        dropped = _drop_chunks(conn, "audit_log", "at", RetentionKind.AUDIT)

    def allow_audit_deletes() -> None:
        # the audit trail's trigger lets this transaction delete entries past their time
        conn.execute("SET LOCAL hadir.retensi = 'on'")

    done["log_audit"] = dropped + _batches(conn, _AUDIT, RetentionKind.AUDIT, batch,
                                           before=allow_audit_deletes)
    done["ekspor_kedaluwarsa"] = conn.execute(
        "DELETE FROM subject_exports WHERE expires_at < now()").rowcount
    if any(done.values()):
        audit.record(conn, "sistem", AuditAction.RETENTION_RUN, None, done, origin)
        logger.info("retention: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done
