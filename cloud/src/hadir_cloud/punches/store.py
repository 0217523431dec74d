"""PostgreSQL adapter for legacy punches: the id mapping, importing, punches kept aside, remap."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from .domain import Kind, MapRow, Problem, RawPunch, event_id

SOURCE = "fingerprint"
BATCH = 2000

_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS punch_stage (event_id uuid, machine text, "
          "user_id text, local_at timestamp, captured_at timestamptz, kind text, payload jsonb)")
# a mapped punch becomes a check-in; identified by the machine's user id (method 'nip'),
# no photo, no GPS, and flagged by its source
_INTO_CHECKINS = (
    "INSERT INTO checkins (event_id, device_id, employee_id, kind, captured_at, clock_source, "
    "office_id, method, review_required, source, payload) "
    "SELECT s.event_id, 'legacy:' || s.machine, m.nip, s.kind, s.captured_at, 'mesin', "
    "%(office)s, 'nip', false, 'fingerprint', s.payload "
    "FROM punch_stage s JOIN legacy_machine_users m "
    "ON m.machine = s.machine AND m.user_id = s.user_id "
    "ON CONFLICT DO NOTHING")
_ASIDE = (
    "INSERT INTO legacy_punches_unmapped (event_id, machine, user_id, office_id, local_at, "
    "captured_at, kind, payload) "
    "SELECT s.event_id, s.machine, s.user_id, %(office)s, s.local_at, s.captured_at, s.kind, "
    "s.payload FROM punch_stage s WHERE NOT EXISTS (SELECT 1 FROM legacy_machine_users m "
    "WHERE m.machine = s.machine AND m.user_id = s.user_id) "
    "ON CONFLICT DO NOTHING")


class PunchStoreError(RuntimeError):
    """An import cannot start (unknown office, ...); the message is Bahasa for the operator."""


@dataclass
class ImportResult:
    """Counts of one import (or of its dry run)."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    aside: int = 0  # punches of unmapped user ids newly kept aside
    unmapped_punches: int = 0  # punches of the file whose user id has no NIP
    unmapped_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the operator."""
        return (f"{self.read} absen dibaca, {self.stored} tersimpan, {self.duplicates} duplikat "
                f"(sudah ada), {self.unmapped_punches} belum dipetakan ke NIP "
                f"({len(self.unmapped_ids)} ID pengguna; {self.aside} baru disisihkan)")


def office_zone(conn: psycopg.Connection, office_id: str) -> ZoneInfo:
    """The time zone of an office (its machines' clocks run on it)."""
    row = conn.execute("SELECT tz FROM offices WHERE id = %s", (office_id,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT id FROM offices ORDER BY id LIMIT 20")]
        raise PunchStoreError(f"kantor '{office_id}' tidak ada (kantor yang ada: "
                              f"{', '.join(known) or '-'})")
    return ZoneInfo(row[0])


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A machine's wall-clock time in the office's zone, as UTC (Indonesia has no DST)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def import_punches(conn: psycopg.Connection, machine: str, office_id: str,
                   punches: Sequence[RawPunch], kinds: Sequence[Kind], file_name: str = "",
                   progress: Callable[[ImportResult], None] | None = None,
                   dry_run: bool = False) -> ImportResult:
    """Store a file's punches: mapped ones as check-ins, the others aside; each punch once.

    Batches commit one by one, so an interrupted import can simply be run again. A dry run
    does the same work in one transaction and rolls it back (the counts are what a real run
    would give)."""
    zone = office_zone(conn, office_id)
    mapped = {r[0] for r in conn.execute(
        "SELECT user_id FROM legacy_machine_users WHERE machine = %s", (machine,))}
    res = ImportResult()
    res.unmapped_ids = sorted({p.user_id for p in punches if p.user_id not in mapped},
                              key=lambda u: (len(u), u))
    with conn.transaction(force_rollback=dry_run):
        conn.execute(_STAGE)
        for start in range(0, len(punches), BATCH):
            chunk = list(zip(punches[start:start + BATCH], kinds[start:start + BATCH],
                             strict=True))
            with conn.transaction():
                _batch(conn, machine, office_id, zone, chunk, file_name, res, mapped)
            if progress is not None:
                progress(res)
    return res


def _batch(conn: psycopg.Connection, machine: str, office_id: str, zone: ZoneInfo,
           chunk: list[tuple[RawPunch, Kind]], file_name: str, res: ImportResult,
           mapped: set[str]) -> None:
    conn.execute("DELETE FROM punch_stage")
    with conn.cursor().copy("COPY punch_stage FROM STDIN") as cp:
        for p, kind in chunk:
            payload = {"source": SOURCE, "machine": machine, "user_id": p.user_id,
                       "local": p.local.isoformat(), "state": p.state, "verify": p.verify,
                       "file": file_name, "line": p.line}
            if p.name:
                payload["name"] = p.name
            cp.write_row((event_id(machine, p.user_id, p.local), machine, p.user_id, p.local,
                          to_utc(p.local, zone), kind, json.dumps(payload, ensure_ascii=False)))
    stored = conn.execute(_INTO_CHECKINS, {"office": office_id}).rowcount
    aside = conn.execute(_ASIDE, {"office": office_id}).rowcount
    n_unmapped = sum(1 for p, _ in chunk if p.user_id not in mapped)
    res.read += len(chunk)
    res.stored += stored
    res.aside += aside
    res.unmapped_punches += n_unmapped
    res.duplicates += (len(chunk) - n_unmapped - stored) + (n_unmapped - aside)


# ---------------------------------------------------------------- the mapping


@dataclass
class MapResult:
    """Counts of a mapping import."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def import_mapping(conn: psycopg.Connection, rows: Sequence[MapRow]) -> MapResult:
    """Add or change `machine + user id → NIP`; a NIP that is no employee is a problem and its
    line is left out (the others are stored)."""
    res = MapResult()
    known = {r[0] for r in conn.execute("SELECT nip FROM employees WHERE nip = ANY(%s)",
                                        ([r.nip for r in rows],))}
    with conn.transaction():
        for r in rows:
            if r.nip not in known:
                res.problems.append(Problem(r.line, f"NIP {r.nip} tidak terdaftar sebagai "
                                                    "pegawai"))
                continue
            old = conn.execute("SELECT nip FROM legacy_machine_users WHERE machine = %s AND "
                               "user_id = %s", (r.machine, r.user_id)).fetchone()
            if old is not None and old[0] == r.nip:
                res.unchanged += 1
                continue
            conn.execute(
                "INSERT INTO legacy_machine_users (machine, user_id, nip) VALUES (%s, %s, %s) "
                "ON CONFLICT (machine, user_id) DO UPDATE SET nip = EXCLUDED.nip, "
                "updated_at = now()", (r.machine, r.user_id, r.nip))
            if old is None:
                res.added += 1
            else:
                res.changed += 1
    return res


def remap(conn: psycopg.Connection) -> tuple[int, int]:
    """Bring punches kept aside whose user id now has a NIP into the check-ins; (stored as
    check-ins, still waiting). Punches already stored are not stored twice."""
    with conn.transaction():
        stored = conn.execute(
            "INSERT INTO checkins (event_id, device_id, employee_id, kind, captured_at, "
            "clock_source, office_id, method, review_required, source, payload) "
            "SELECT u.event_id, 'legacy:' || u.machine, m.nip, u.kind, u.captured_at, 'mesin', "
            "u.office_id, 'nip', false, 'fingerprint', u.payload "
            "FROM legacy_punches_unmapped u JOIN legacy_machine_users m "
            "ON m.machine = u.machine AND m.user_id = u.user_id ON CONFLICT DO NOTHING").rowcount
        conn.execute("DELETE FROM legacy_punches_unmapped u USING legacy_machine_users m "
                     "WHERE m.machine = u.machine AND m.user_id = u.user_id")
        left = conn.execute("SELECT count(*) FROM legacy_punches_unmapped").fetchone()
    return stored, int(left[0]) if left else 0


@dataclass(frozen=True)
class Waiting:
    """The punches of one unmapped machine user id."""

    machine: str
    user_id: str
    punches: int
    first: datetime
    last: datetime


def unmapped(conn: psycopg.Connection) -> list[Waiting]:
    """The user ids whose punches wait for a NIP, by machine and id."""
    rows = conn.execute(
        "SELECT machine, user_id, count(*), min(local_at), max(local_at) "
        "FROM legacy_punches_unmapped GROUP BY 1, 2 "
        "ORDER BY 1, length(user_id), user_id").fetchall()
    return [Waiting(*r) for r in rows]


def fingerprint_events(conn: psycopg.Connection, nip: str, first: date,
                       last: date) -> frozenset[str]:
    """Event ids of a person's fingerprint-machine punches around first..last (for a marker
    on their month)."""
    lo = datetime.combine(first - timedelta(days=1), time(0), UTC)
    hi = datetime.combine(last + timedelta(days=2), time(0), UTC)
    return frozenset(r[0] for r in conn.execute(
        "SELECT event_id::text FROM checkins WHERE employee_id = %s AND source = %s "
        "AND captured_at >= %s AND captured_at < %s", (nip, SOURCE, lo, hi)))

