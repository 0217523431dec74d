"""The review's SQL: the queue of pending NIP check-ins, the decided ones, recording a decision,
and the enrolled reference photos (migrations 0840, 0841)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

from ..tpp.store import facts_window
from .domain import Decision, Move, State, decide

#: items on one page of the queue or the history
PAGE_SIZE = 50


@dataclass(frozen=True)
class Target:
    """A NIP check-in to decide: its key, the claimed person and their unit, its state."""

    event_id: UUID
    captured_at: datetime
    employee_id: str
    unit_id: str | None
    state: State


_ITEM = """
SELECT c.event_id, c.captured_at, c.employee_id, e.name AS employee_name, e.unit_id,
       u.name AS unit_name, c.kind, c.device_id, c.office_id,
       coalesce(o.name, c.office_id, d.office_id) AS office_name, coalesce(o.tz, %(tz)s) AS tz,
       c.gps_fix, c.lat, c.lon, c.accuracy_m, c.satellites, c.distance_m, c.radius_m,
       c.geofence_inside, c.face_distance, c.face_threshold, c.photo IS NOT NULL AS has_photo,
       ft.photo IS NOT NULL AS has_reference,
       r.decision, r.reviewer, coalesce(re.name, r.reviewer) AS reviewer_name, r.decided_at,
       r.note
FROM checkins c
LEFT JOIN checkin_reviews r ON r.event_id = c.event_id AND r.captured_at = c.captured_at
LEFT JOIN portal_users pu ON pu.username = r.reviewer
LEFT JOIN employees re ON re.nip = pu.nip
LEFT JOIN employees e ON e.nip = c.employee_id
LEFT JOIN units u ON u.id = e.unit_id
LEFT JOIN devices d ON d.id = c.device_id
LEFT JOIN offices o ON o.id = coalesce(c.office_id, d.office_id)
LEFT JOIN face_templates ft ON ft.employee_id = c.employee_id AND NOT ft.removed
WHERE c.method = 'nip' AND c.review_required
  AND (%(units)s::text[] IS NULL OR e.unit_id = ANY(%(units)s))
  AND (%(me)s::text IS NULL OR c.employee_id <> %(me)s)
"""
_PENDING = " AND r.event_id IS NULL"
_DECIDED = (" AND r.event_id IS NOT NULL"
            " AND (%(decision)s::text IS NULL OR r.decision = %(decision)s)")


def _scope_args(units: Sequence[str] | None, me: str | None,
                tz: str | None = None) -> dict[str, Any]:
    return {"tz": tz, "units": None if units is None else list(units), "me": me}


def _dicts(cur: psycopg.Cursor[Any]) -> list[dict[str, Any]]:
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def pending(conn: psycopg.Connection, units: Sequence[str] | None, me: str | None, tz: str,
            page: int = 1) -> list[dict[str, Any]]:
    """The pending NIP check-ins of people of `units` (None: everyone's), not `me`'s own,
    oldest first: page `page` (PAGE_SIZE a page, one more to tell there is a next). Times are
    in the office's zone, or `tz` (the regency's) where no office is known."""
    cur = conn.execute(_ITEM + _PENDING + " ORDER BY c.captured_at, c.event_id "
                       "LIMIT %(limit)s OFFSET %(offset)s",
                       {**_scope_args(units, me, tz), "limit": PAGE_SIZE + 1,
                        "offset": (page - 1) * PAGE_SIZE})
    return _dicts(cur)


def count_pending(conn: psycopg.Connection, units: Sequence[str] | None, me: str | None) -> int:
    """How many NIP check-ins wait for this reviewer."""
    row = conn.execute("SELECT count(*) FROM (" + _ITEM + _PENDING + ") AS q",
                       _scope_args(units, me)).fetchone()
    return int(row[0]) if row else 0


def decided(conn: psycopg.Connection, units: Sequence[str] | None, me: str | None, tz: str,
            decision: Decision | None, page: int = 1) -> list[dict[str, Any]]:
    """The decided NIP check-ins in scope, the latest decision first (PAGE_SIZE + 1 rows)."""
    cur = conn.execute(_ITEM + _DECIDED + " ORDER BY r.decided_at DESC, c.event_id "
                       "LIMIT %(limit)s OFFSET %(offset)s",
                       {**_scope_args(units, me, tz), "limit": PAGE_SIZE + 1,
                        "decision": None if decision is None else decision.value,
                        "offset": (page - 1) * PAGE_SIZE})
    return _dicts(cur)


def item(conn: psycopg.Connection, event_id: UUID, tz: str) -> dict[str, Any] | None:
    """One NIP check-in as the queue shows it (pending or decided); None when there is none."""
    cur = conn.execute(_ITEM + " AND c.event_id = %(eid)s",
                       {**_scope_args(None, None, tz), "eid": event_id})
    rows = _dicts(cur)
    return rows[0] if rows else None


def target(conn: psycopg.Connection, event_id: UUID) -> Target | None:
    """The NIP check-in to review with this id; None when there is none."""
    row = conn.execute(
        "SELECT c.event_id, c.captured_at, c.employee_id, e.unit_id, r.decision FROM checkins c "
        "LEFT JOIN employees e ON e.nip = c.employee_id LEFT JOIN checkin_reviews r ON "
        "r.event_id = c.event_id AND r.captured_at = c.captured_at WHERE c.event_id = %s "
        "AND c.method = 'nip' AND c.review_required", (event_id,)).fetchone()
    if row is None:
        return None
    return Target(row[0], row[1], row[2], row[3], State(row[4] or State.PENDING))


def record(conn: psycopg.Connection, event_id: UUID, decision: Decision, note: str | None,
           reviewer: str) -> Move | None:
    """Decide a NIP check-in; returns the move made, None when it was already so decided.

    One transaction, serialised per check-in, so two reviewers (or a double click) deciding
    at once make at most one move from each state. Raises ReviewError (domain.decide) and
    LookupError when there is no such NIP check-in.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 840))", (str(event_id),))
        t = target(conn, event_id)
        if t is None:
            raise LookupError(str(event_id))
        move = decide(t.state, decision, note)
        if move is None:
            return None
        conn.execute(
            "INSERT INTO checkin_reviews (event_id, captured_at, employee_id, decision, reviewer, "
            "note) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (event_id, captured_at) DO UPDATE "
            "SET decision = EXCLUDED.decision, reviewer = EXCLUDED.reviewer, decided_at = now(), "
            "note = EXCLUDED.note",
            (t.event_id, t.captured_at, t.employee_id, move.decision.value, reviewer, move.note))
        conn.execute(
            "INSERT INTO checkin_review_moves (event_id, captured_at, employee_id, from_state, "
            "decision, reviewer, note) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (t.event_id, t.captured_at, t.employee_id, move.from_state.value,
             move.decision.value, reviewer, move.note))
    return move


def moves(conn: psycopg.Connection, event_id: UUID) -> list[tuple[Any, ...]]:
    """Every decision made on a check-in, oldest first: (from, decision, reviewer, when, note)."""
    return [tuple(r) for r in conn.execute(
        "SELECT from_state, decision, reviewer, decided_at, note FROM checkin_review_moves "
        "WHERE event_id = %s ORDER BY id", (event_id,)).fetchall()]


def decisions_of(conn: psycopg.Connection, lo: datetime,
                 hi: datetime) -> dict[str, tuple[tuple[str, str], ...]]:
    """NIP → the current decisions (event id, decision) on their check-ins captured in lo..hi:
    part of a person's inputs in the recap cache (a decision changes what counts)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for nip, eid, decision in conn.execute(
            "SELECT employee_id, event_id::text, decision FROM checkin_reviews "
            "WHERE captured_at >= %s AND captured_at < %s ORDER BY employee_id, event_id",
            (lo, hi)):
        out.setdefault(nip, []).append((eid, decision))
    return {nip: tuple(v) for nip, v in out.items()}


def person_unit(conn: psycopg.Connection, nip: str) -> tuple[bool, str | None]:
    """(the person is known, their unit)."""
    row = conn.execute("SELECT unit_id FROM employees WHERE nip = %s", (nip,)).fetchone()
    return (row is not None, row[0] if row else None)


def reference_photo(conn: psycopg.Connection, nip: str) -> bytes | None:
    """The person's enrolled reference photo (JPEG), if the gallery holds one."""
    row = conn.execute("SELECT photo FROM face_templates WHERE employee_id = %s AND NOT removed "
                       "AND photo IS NOT NULL", (nip,)).fetchone()
    return bytes(row[0]) if row else None


def days_waiting(conn: psycopg.Connection, nip: str, first: date, last: date,
                 tz: str) -> frozenset[date]:
    """The person's days (in `tz`) with a NIP check-in still waiting for review: shown on their
    month, since such a check-in does not count yet (a TK there may still change)."""
    lo, hi = facts_window(first, last)
    rows = conn.execute(
        "SELECT DISTINCT (c.captured_at AT TIME ZONE %s)::date FROM checkins c "
        "LEFT JOIN checkin_reviews r ON r.event_id = c.event_id AND r.captured_at = c.captured_at "
        "WHERE c.employee_id = %s AND c.method = 'nip' AND c.review_required "
        "AND r.event_id IS NULL AND c.captured_at >= %s AND c.captured_at < %s",
        (tz, nip, lo, hi)).fetchall()
    return frozenset(d for (d,) in rows if first <= d <= last)
