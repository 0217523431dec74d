"""Requests in PostgreSQL (migration 0850): rows, their events, the org the chain reads, and
the `absences` row an approved request writes for the TPP engine and the recap.

Decisions written down here:

- A move is saved only over the state it was made from (`save` updates `WHERE state AND step`
  are still the ones read): two approvers deciding at once cannot both win.
- Who is away on a day: an approved izin, sakit, cuti or tugas belajar covering it. Dinas luar
  is work, so an approver on duty elsewhere still decides.
- The final approval of a kind with an `absence` writes one `absences` row (status
  'disetujui', ref `permohonan-<id>`, subkind the kind of cuti) in the same transaction; a
  correction of attendance has no absence.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg

from hadir_cloud.org.store import load_chart
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.tpp.calendar import OfficeCalendar

from .balance import YearBalance, balances_for, problems_of
from .domain import (
    Event,
    Move,
    Org,
    Place,
    Request,
    RequestError,
    State,
    approve,
    approvers,
    by_order,
    cancel,
    edit,
    new_request,
    reject,
    send_back,
    submit,
)
from .kinds import Kind, KindSet

#: absence kinds that take a person away from their desk (dinas luar does not)
AWAY_KINDS: tuple[str, ...] = ("izin", "sakit", "cuti", "tugas_belajar")

_COLS = ("id, nip, kind, start_date, end_date, reason, subkind, attachments, place_name, "
         "place_lat, place_lon, place_radius_m, state, chain, step")


class RequestNotFoundError(LookupError):
    """No request with that number."""


class ConflictError(RequestError):
    """Someone else moved the request since it was read."""


def _request(row: tuple, events: list[Event]) -> Request:
    (rid, nip, kind, start, end, reason, subkind, attachments, pname, plat, plon, prad,
     state, chain, step) = row
    place = Place(pname, plat, plon, prad) if pname is not None else None
    return Request(str(rid), nip, kind, start, end, reason, subkind, frozenset(attachments),
                   place, State(state), tuple(chain), step, tuple(events))


def _events(conn: psycopg.Connection, ids: list[int]) -> dict[int, list[Event]]:
    out: dict[int, list[Event]] = {}
    for rid, at, actor, move, a, b, step, note in conn.execute(
            "SELECT request_id, at, actor, move, from_state, to_state, step, note "
            "FROM request_events WHERE request_id = ANY(%s) ORDER BY id", (ids,)):
        out.setdefault(rid, []).append(Event(at, actor, Move(move), State(a), State(b), step,
                                             note))
    return out


def _many(conn: psycopg.Connection, where: str, args: tuple) -> list[Request]:
    rows = conn.execute(f"SELECT {_COLS} FROM requests WHERE {where} ORDER BY id",
                        args).fetchall()
    events = _events(conn, [r[0] for r in rows])
    return [_request(r, events.get(r[0], [])) for r in rows]


def _number(request_id: str) -> int:
    try:
        return int(request_id)
    except ValueError:
        raise RequestNotFoundError(f"nomor permohonan tidak valid: {request_id!r}") from None


def load(conn: psycopg.Connection, request_id: str, lock: bool = False) -> Request:
    """One request with its history; `lock` holds its row until the transaction ends."""
    sql = f"SELECT {_COLS} FROM requests WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = conn.execute(sql, (_number(request_id),)).fetchone()
    if row is None:
        raise RequestNotFoundError(f"permohonan {request_id} tidak ditemukan")
    return _request(row, _events(conn, [row[0]]).get(row[0], []))


def requests_of(conn: psycopg.Connection, nip: str) -> list[Request]:
    """Every request of one employee, oldest first."""
    return _many(conn, "nip = %s", (nip,))


def waiting(conn: psycopg.Connection) -> list[Request]:
    """Every request waiting for a decision (the inbox filters them by approver)."""
    return _many(conn, "state = 'diajukan'", ())


def _insert_events(cur: psycopg.Cursor, rid: int, events: tuple[Event, ...]) -> None:
    cur.executemany(
        "INSERT INTO request_events (request_id, at, actor, move, from_state, to_state, step, "
        "note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(rid, e.at, e.actor, e.move.value, e.from_state.value, e.to_state.value, e.step,
          e.note) for e in events])


def _content(req: Request) -> tuple:
    p = req.place
    return (req.kind, req.subkind, req.start, req.end, req.reason, sorted(req.attachments),
            p.name if p else None, p.lat if p else None, p.lon if p else None,
            p.radius_m if p else None, req.state.value, list(req.chain), req.step)


def create(conn: psycopg.Connection, req: Request) -> Request:
    """Insert a new request and its events; returns it with its number as id."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO requests (nip, kind, subkind, start_date, end_date, reason, "
            "attachments, place_name, place_lat, place_lon, place_radius_m, state, chain, step) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (req.nip, *_content(req)))
        row = cur.fetchone()
        assert row is not None
        _insert_events(cur, row[0], req.events)
    return replace(req, id=str(row[0]))


def save(conn: psycopg.Connection, before: Request, after: Request, kind: Kind) -> None:
    """Save a move (`after` is `before` moved): the row, the new events and, on the final
    approval, the absence. ConflictError when someone moved it first."""
    rid = _number(before.id)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "UPDATE requests SET kind = %s, subkind = %s, start_date = %s, end_date = %s, "
            "reason = %s, attachments = %s, place_name = %s, place_lat = %s, place_lon = %s, "
            "place_radius_m = %s, state = %s, chain = %s, step = %s "
            "WHERE id = %s AND state = %s AND step = %s",
            (*_content(after), rid, before.state.value, before.step))
        if cur.rowcount != 1:
            raise ConflictError(f"permohonan {before.id} sudah diubah orang lain; muat ulang")
        _insert_events(cur, rid, after.events[len(before.events):])
        if (after.state is State.DISETUJUI and before.state is not State.DISETUJUI
                and kind.absence is not None):
            last = after.events[-1]
            cur.execute(
                "INSERT INTO absences (ref, nip, kind, subkind, start_date, end_date, status, "
                "approved_by, approved_at, note) "
                "VALUES (%s, %s, %s, %s, %s, %s, 'disetujui', %s, %s, %s)",
                (f"permohonan-{rid}", after.nip, kind.absence, kind.absence_subkind, after.start,
                 after.end, last.actor, last.at, after.reason))


def org_on(conn: psycopg.Connection, day: date) -> Org:
    """The organisation as the chain reads it on `day`: positions and assignments, the
    admin_bkpsdm accounts' NIPs, and who is away that day."""
    chart = load_chart(conn)
    bkpsdm = frozenset(r[0] for r in conn.execute(
        "SELECT DISTINCT u.nip FROM role_grants g JOIN portal_users u ON u.username = g.username "
        "WHERE g.role = 'admin_bkpsdm' AND u.nip IS NOT NULL"))
    away = frozenset((r[0], day) for r in conn.execute(
        "SELECT DISTINCT nip FROM absences WHERE status = 'disetujui' AND kind = ANY(%s) "
        "AND start_date <= %s AND end_date >= %s", (list(AWAY_KINDS), day, day)))
    return Org(chart.units, chart.positions, tuple(chart.assignments), tuple(chart.acting),
               bkpsdm, away)


def calendar_of(conn: psycopg.Connection, nip: str, first: date, last: date) -> OfficeCalendar:
    """The office calendar of the employee for first..last."""
    emp = tpp_store.employee(conn, nip)
    return tpp_store.office_calendars(conn, first, last)[emp.office_id]


# ---------------------------------------------------------------- the moves, with the database


def balances(conn: psycopg.Connection, kinds: KindSet, nip: str, year: int,
             excluding: str | None = None, since: int | None = None) -> list[YearBalance]:
    """The employee's cuti tahunan balances from the year of their first cuti tahunan in
    Hadir (or `since`, or `year`) to `year`; nothing carried into the first (not known
    before Hadir)."""
    kind = next((k for k in kinds.kind if k.annual_quota), None)
    if kind is None:
        return []
    reqs = [r for r in requests_of(conn, nip) if r.kind == kind.code]
    first = min([year, since or year, *(r.start.year for r in reqs if r.state is State.DISETUJUI)])
    cal = calendar_of(conn, nip, date(first, 1, 1), date(year + 1, 12, 31))
    return balances_for(reqs, kind, kinds.cuti_tahunan, cal, first, year, excluding=excluding)


def _available(conn: psycopg.Connection, kinds: KindSet, req: Request) -> dict[int, int]:
    years = range(req.start.year, req.end.year + 1)
    bals = balances(conn, kinds, req.nip, years[-1], excluding=req.id, since=years[0])
    return {b.year: b.available for b in bals if b.year in years}


def file_request(conn: psycopg.Connection, kinds: KindSet, req: Request,
                 at: datetime) -> Request:
    """Check a new request against its kind, the office calendar and the balance, and save it
    submitted; RequestError names every problem."""
    tpp_store.employee(conn, req.nip)  # UnknownEmployeeError for a NIP not on the roll
    kind = kinds.get(req.kind)
    cal = calendar_of(conn, req.nip, req.start, req.end)
    available = _available(conn, kinds, req) if kind.annual_quota else None
    draft = new_request(req.id, req.nip, req.kind, req.start, req.end, at, reason=req.reason,
                        subkind=req.subkind, attachments=req.attachments, place=req.place)
    done = submit(draft, req.nip, at, kind.chain, problems_of(draft, kind, cal, available))
    return create(conn, done)


def decide(conn: psycopg.Connection, kinds: KindSet, request_id: str, move: Move, actor: str,
           at: datetime, note: str = "") -> Request:
    """Approve, return, reject or cancel a stored request as `actor` at `at` (local time);
    the approver is checked against the org on that day."""
    with conn.transaction():
        before = load(conn, request_id, lock=True)
        kind = kinds.get(before.kind)
        if move is Move.BATALKAN:
            after = cancel(before, actor, at, note)
        else:
            org = org_on(conn, at.date())
            act = {Move.SETUJUI: approve, Move.KEMBALIKAN: send_back, Move.TOLAK: reject}[move]
            after = act(before, actor, at, org, note)
        save(conn, before, after, kind)
    return after


def file_by_order(conn: psycopg.Connection, kinds: KindSet, nip: str, start: date, end: date,
                  place: Place, reason: str, actor: str, at: datetime, basis: str) -> Request:
    """A dinas luar for `nip` approved by a signed order (a surat tugas, `basis` its number):
    checked like any request of the kind, then saved through `save`, so the absence the TPP
    engine reads and the delivery to the kiosks of the place follow as for any approval.
    Runs in the caller's transaction (a savepoint)."""
    tpp_store.employee(conn, nip)
    kind = next((k for k in kinds.kind if k.absence == "dl" and k.needs_place), None)
    if kind is None:
        raise RequestError("jenis dinas luar (absence 'dl' dengan tempat) tidak ada di berkas "
                           "jenis permohonan")
    draft = new_request("", nip, kind.code, start, end, at, reason=reason,
                        attachments=frozenset(a.code for a in kind.attachments), place=place)
    cal = calendar_of(conn, nip, start, end)
    approved = by_order(draft, actor, at, kind.chain, basis, problems_of(draft, kind, cal, None))
    # stored as submitted, then moved: `save` writes the absence and the trigger the delivery
    submitted = replace(approved, state=State.DIAJUKAN, events=approved.events[:-1])
    stored = create(conn, submitted)
    after = replace(approved, id=stored.id)
    save(conn, stored, after, kind)
    return after


def resubmit(conn: psycopg.Connection, kinds: KindSet, request_id: str, actor: str,
             at: datetime, **content: object) -> Request:
    """Edit a returned request's content and submit it again (the chain starts over), checked
    like a new one; RequestError names every problem and nothing is saved then."""
    with conn.transaction():
        before = load(conn, request_id, lock=True)
        edited = edit(before, actor, at, **content)
        kind = kinds.get(edited.kind)
        cal = calendar_of(conn, edited.nip, edited.start, edited.end)
        available = _available(conn, kinds, edited) if kind.annual_quota else None
        after = submit(edited, actor, at, kind.chain, problems_of(edited, kind, cal, available))
        save(conn, before, after, kind)
    return after


def names(conn: psycopg.Connection, nips: set[str]) -> dict[str, str]:
    """The employees' names by NIP (a NIP not on the roll is left out)."""
    return dict(conn.execute("SELECT nip, name FROM employees WHERE nip = ANY(%s)",
                             (sorted(nips),)).fetchall())


def inbox(conn: psycopg.Connection, nip: str, day: date) -> list[Request]:
    """The requests waiting for `nip`'s decision on `day`."""
    org = org_on(conn, day)
    return [r for r in waiting(conn) if nip in approvers(r, day, org)]


def zone_of(conn: psycopg.Connection, nip: str, regency: ZoneInfo) -> ZoneInfo:
    """The time zone of the employee's office (times of their requests are shown in it); the
    regency's zone for someone with no office."""
    row = conn.execute("SELECT o.tz FROM employees e JOIN offices o ON o.id = e.office_id "
                       "WHERE e.nip = %s", (nip,)).fetchone()
    return ZoneInfo(row[0]) if row else regency
