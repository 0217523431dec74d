"""A request (leave, sick, duty, correction) and its approval chain: a state machine, pure.

Plain data in, plain data out; no database. Decisions written down here:

- States and moves are one table (`MOVES`): draf → diajukan → per step disetujui (the next
  step, or the final `disetujui`), dikembalikan (back to the employee with a note, who may
  edit and submit again) or ditolak; the employee may cancel (`dibatalkan`) until the final
  decision. Any other move raises `MoveError` with a Bahasa message. Every move is an `Event`
  (who, when, why, from-state, to-state, step).
- A resubmission after a return starts the chain again from its first step: the earlier
  approvals were given to the earlier version of the request.
- The chain's shape is the kind's (`["atasan", "atasan_atasan", "bkpsdm"]`…), copied into the
  request when it is submitted, so a later change of the kinds file does not move a request
  under way.
- The approver of a pending step is not stored: it is derived from the organisation on the day
  of the decision (`approvers`). So a person moved to another unit mid-request is decided by
  their new unit's supervisors from the day of the move; steps already approved stay approved.
- Supervisor steps walk the person's supervisor positions upward (the same walk as
  `org.domain.atasan_of`: the unit head, or the parent unit's head for a head, an explicit
  `reports_to_position_id` first, vacant heads skipped). The `atasan` step is the first
  position in that walk held by someone other than the requester, `atasan_atasan` the next.
  On the day, a position's acting official (Plt/Plh) decides before its definitive holder;
  whoever is away that day (on approved leave: `Org.away`), is the requester, or has already
  decided an earlier step of this request cannot decide, and the step moves up to the next
  position. So the supervisor's own leave goes to their own atasan, never to themselves, and
  no one approves two steps of one request (a Kasi who is also Plt Kabid approves the first
  step; the second goes above the Kabid).
- A `bkpsdm` step is decided by anyone with the admin_bkpsdm role (`Org.bkpsdm`), not the
  requester, not away. A supervisor step with nobody left above (the Sekda's own leave: the
  Bupati is not in Hadir) falls to BKPSDM too, the PPK's delegated office.
- A request made by a signed order (a surat tugas names its people: `by_order`) is filed and
  approved in the same moment by the official who signed the order, the order's number the
  note of both moves: the order is the approval, so the chain's approvers are not asked.
- Times are the office's local time; the day of a decision is `at.date()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from hadir_cloud.org.domain import (
    ActingAssignment,
    Assignment,
    Position,
    Unit,
    assignment_on,
    definitive_holder_on,
    head_position,
    holder_on,
)


class State(StrEnum):
    """States of a request."""

    DRAF = "draf"
    DIAJUKAN = "diajukan"
    DIKEMBALIKAN = "dikembalikan"
    DISETUJUI = "disetujui"
    DITOLAK = "ditolak"
    DIBATALKAN = "dibatalkan"


class Move(StrEnum):
    """Moves on a request (the CLI's verbs)."""

    UBAH = "ubah"
    AJUKAN = "ajukan"
    SETUJUI = "setujui"
    KEMBALIKAN = "kembalikan"
    TOLAK = "tolak"
    BATALKAN = "batalkan"


#: who makes a move: the requester, or the approver of the pending step
_EMPLOYEE, _APPROVER = "pegawai", "penyetuju"
#: the one table of allowed moves: (move, from-state) → (actor, to-state); SETUJUI's to-state
#: is DIAJUKAN while steps remain, DISETUJUI after the last one
MOVES: Mapping[tuple[Move, State], tuple[str, State]] = {
    (Move.UBAH, State.DRAF): (_EMPLOYEE, State.DRAF),
    (Move.UBAH, State.DIKEMBALIKAN): (_EMPLOYEE, State.DIKEMBALIKAN),
    (Move.AJUKAN, State.DRAF): (_EMPLOYEE, State.DIAJUKAN),
    (Move.AJUKAN, State.DIKEMBALIKAN): (_EMPLOYEE, State.DIAJUKAN),
    (Move.SETUJUI, State.DIAJUKAN): (_APPROVER, State.DISETUJUI),
    (Move.KEMBALIKAN, State.DIAJUKAN): (_APPROVER, State.DIKEMBALIKAN),
    (Move.TOLAK, State.DIAJUKAN): (_APPROVER, State.DITOLAK),
    (Move.BATALKAN, State.DRAF): (_EMPLOYEE, State.DIBATALKAN),
    (Move.BATALKAN, State.DIAJUKAN): (_EMPLOYEE, State.DIBATALKAN),
    (Move.BATALKAN, State.DIKEMBALIKAN): (_EMPLOYEE, State.DIBATALKAN),
}
#: moves that need a note (why)
NOTE_REQUIRED: frozenset[Move] = frozenset({Move.KEMBALIKAN, Move.TOLAK})
#: Bahasa names of states, for messages
STATE_LABELS: Mapping[State, str] = {
    State.DRAF: "draf", State.DIAJUKAN: "diajukan", State.DIKEMBALIKAN: "dikembalikan",
    State.DISETUJUI: "disetujui", State.DITOLAK: "ditolak", State.DIBATALKAN: "dibatalkan",
}


class RequestError(ValueError):
    """A request cannot move: the message says why, in Bahasa."""


class MoveError(RequestError):
    """The move is not allowed from the request's state."""


class NotAllowedError(RequestError):
    """The person may not make this move on this request."""


@dataclass(frozen=True)
class Place:
    """Where a dinas luar takes place: name, coordinates and the geofence radius in metres."""

    name: str
    lat: float
    lon: float
    radius_m: int


@dataclass(frozen=True)
class Event:
    """One recorded move: who, when, why, from which state to which, at which step."""

    at: datetime
    actor: str
    move: Move
    from_state: State
    to_state: State
    step: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Request:
    """A request; `chain` is copied from the kind on submission, `step` indexes the pending
    step while `diajukan`; `events` is its whole history."""

    id: str
    nip: str
    kind: str
    start: date
    end: date
    reason: str = ""
    subkind: str = ""
    attachments: frozenset[str] = frozenset()
    place: Place | None = None
    state: State = State.DRAF
    chain: tuple[str, ...] = ()
    step: int = 0
    events: tuple[Event, ...] = ()

    @property
    def pending_step(self) -> str | None:
        """The step waiting for a decision (e.g. 'atasan'), or None when none waits."""
        return self.chain[self.step] if self.state is State.DIAJUKAN else None

    def deciders(self) -> set[str]:
        """Who has approved a step since the last submission."""
        out: set[str] = set()
        for e in self.events:
            if e.move is Move.AJUKAN:
                out.clear()
            elif e.move is Move.SETUJUI:
                out.add(e.actor)
        return out


@dataclass(frozen=True)
class Org:
    """The organisation as the chain reads it: who holds what, who is BKPSDM, who is away."""

    units: Mapping[str, Unit]
    positions: Mapping[str, Position]
    assignments: tuple[Assignment, ...]
    acting: tuple[ActingAssignment, ...] = ()
    bkpsdm: frozenset[str] = frozenset()
    away: frozenset[tuple[str, date]] = field(default_factory=frozenset)

    def is_away(self, nip: str, day: date) -> bool:
        """Whether `nip` is away (on approved leave) on `day`."""
        return (nip, day) in self.away


# ---------------------------------------------------------------- who decides a step


def supervisor_positions(nip: str, day: date, org: Org) -> list[Position]:
    """The positions above `nip` on `day`, nearest first, that someone other than `nip` holds
    (the walk of `atasan_of`); empty without an assignment that day."""
    mine = assignment_on(nip, day, org.assignments)
    if mine is None:
        return []
    pos = org.positions[mine.position_id]
    out: list[Position] = []
    if pos.reports_to_position_id is not None:
        target = org.positions[pos.reports_to_position_id]
        out.append(target)
        start = org.units[target.unit_id].parent_id if target.heads_unit else target.unit_id
    else:
        start = org.units[pos.unit_id].parent_id if pos.heads_unit else pos.unit_id
    out.extend(_heads_upward(start, org))
    held = []
    for p in out:
        holder = holder_on(p.id, day, org.assignments, org.acting)
        if holder is not None and holder.nip != nip and p not in held:
            held.append(p)
    return held


def _heads_upward(unit_id: str | None, org: Org) -> Iterator[Position]:
    seen: set[str] = set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        head = head_position(unit_id, org.positions)
        if head is not None:
            yield head
        unit = org.units.get(unit_id)
        unit_id = unit.parent_id if unit else None


def _holders(position_id: str, day: date, org: Org) -> list[str]:
    """Who may act for the position on `day`, in order: acting official(s), then the
    definitive holder."""
    acting = sorted((a for a in org.acting if a.position_id == position_id and a.covers(day)),
                    key=lambda a: a.start, reverse=True)
    out = [a.nip for a in acting]
    definitive = definitive_holder_on(position_id, day, org.assignments)
    if definitive is not None and definitive not in out:
        out.append(definitive)
    return out


def _supervisor(requester: str, level: int, day: date, org: Org,
                excluded: Iterable[str]) -> str | None:
    """The first one able to decide at or above the `level`-th supervisor position."""
    blocked = {requester, *excluded}
    for pos in supervisor_positions(requester, day, org)[level:]:
        for nip in _holders(pos.id, day, org):
            if nip not in blocked and not org.is_away(nip, day):
                return nip
    return None


def _bkpsdm(requester: str, day: date, org: Org, excluded: Iterable[str]) -> frozenset[str]:
    blocked = {requester, *excluded}
    return frozenset(n for n in org.bkpsdm if n not in blocked and not org.is_away(n, day))


def approvers(req: Request, day: date, org: Org) -> frozenset[str]:
    """Who may decide the pending step on `day` (see the module's rules); empty when none
    waits or nobody is able."""
    step = req.pending_step
    if step is None:
        return frozenset()
    done = req.deciders()
    if step == "bkpsdm":
        return _bkpsdm(req.nip, day, org, done)
    level = 0 if step == "atasan" else 1
    nip = _supervisor(req.nip, level, day, org, done)
    return frozenset({nip}) if nip is not None else _bkpsdm(req.nip, day, org, done)


# ---------------------------------------------------------------- moves


def _check(req: Request, move: Move, actor: str) -> State:
    """The state the move leads to, after checking the table and that the requester makes the
    employee's moves; the approver's right is checked by `_decide`."""
    allowed = MOVES.get((move, req.state))
    if allowed is None:
        raise MoveError(f"permohonan {req.id} berstatus {STATE_LABELS[req.state]}: "
                        f"tidak dapat di-{move.value}")
    who, to = allowed
    if who == _EMPLOYEE and actor != req.nip:
        raise NotAllowedError(f"hanya pemohon ({req.nip}) yang dapat mengubah, mengajukan "
                              f"atau membatalkan permohonan {req.id}")
    return to


def _record(req: Request, move: Move, actor: str, at: datetime, to: State, note: str,
            **changes: object) -> Request:
    if move in NOTE_REQUIRED and not note.strip():
        raise RequestError(f"alasan wajib diisi untuk {move.value}")
    step = req.step if req.state is State.DIAJUKAN else None
    event = Event(at, actor, move, req.state, to, step, note.strip())
    return replace(req, state=to, events=(*req.events, event), **changes)  # type: ignore[arg-type]


def new_request(id: str, nip: str, kind: str, start: date, end: date, at: datetime,  # noqa: A002
                **content: object) -> Request:
    """A draft request, its creation recorded."""
    req = Request(id, nip, kind, start, end, **content)  # type: ignore[arg-type]
    event = Event(at, nip, Move.UBAH, State.DRAF, State.DRAF, None, "dibuat")
    return replace(req, events=(event,))


def edit(req: Request, actor: str, at: datetime, **content: object) -> Request:
    """Change the content (dates, reason, attachments, place…) of a draft or returned request."""
    to = _check(req, Move.UBAH, actor)
    unknown = set(content) - {"kind", "start", "end", "reason", "subkind", "attachments",
                              "place"}
    if unknown:
        raise RequestError(f"isian tidak dapat diubah: {', '.join(sorted(unknown))}")
    return _record(req, Move.UBAH, actor, at, to, "diubah", **content)


def submit(req: Request, actor: str, at: datetime, chain: Iterable[str],
           problems: Iterable[str] = ()) -> Request:
    """Submit (or resubmit) the request with the kind's chain; `problems` are the content's
    problems (`balance.problems_of`): any stops the submission, all named."""
    to = _check(req, Move.AJUKAN, actor)
    found = list(problems)
    if found:
        raise RequestError("permohonan belum dapat diajukan: " + "; ".join(found))
    steps = tuple(chain)
    if not steps:
        raise RequestError("jenis permohonan tanpa langkah persetujuan")
    return _record(req, Move.AJUKAN, actor, at, to, "", chain=steps, step=0)


def _decide(req: Request, move: Move, actor: str, at: datetime, org: Org, note: str,
            to: State | None = None, **changes: object) -> Request:
    table_to = _check(req, move, actor)
    able = approvers(req, at.date(), org)
    if actor not in able:
        who = ", ".join(sorted(able)) or "belum ada pejabat yang dapat memutuskan"
        raise NotAllowedError(f"{actor} tidak berwenang memutuskan langkah "
                              f"{req.pending_step} permohonan {req.id} pada "
                              f"{at.date().isoformat()} (yang berwenang: {who})")
    return _record(req, move, actor, at, to or table_to, note, **changes)


def approve(req: Request, actor: str, at: datetime, org: Org, note: str = "") -> Request:
    """Approve the pending step: the next step waits, or the request is approved after the last."""
    if req.state is State.DIAJUKAN and req.step + 1 < len(req.chain):
        return _decide(req, Move.SETUJUI, actor, at, org, note, State.DIAJUKAN,
                       step=req.step + 1)
    return _decide(req, Move.SETUJUI, actor, at, org, note)


def send_back(req: Request, actor: str, at: datetime, org: Org, note: str) -> Request:
    """Return the request to the employee with a note; they may fix it and submit again."""
    return _decide(req, Move.KEMBALIKAN, actor, at, org, note)


def reject(req: Request, actor: str, at: datetime, org: Org, note: str) -> Request:
    """Reject the request (final), with a note."""
    return _decide(req, Move.TOLAK, actor, at, org, note)


def cancel(req: Request, actor: str, at: datetime, note: str = "") -> Request:
    """The employee withdraws the request before its final decision."""
    to = _check(req, Move.BATALKAN, actor)
    return _record(req, Move.BATALKAN, actor, at, to, note)


def by_order(req: Request, actor: str, at: datetime, chain: Iterable[str], basis: str,
             problems: Iterable[str] = ()) -> Request:
    """A draft filed and approved at once by a signed order (see the module's rules): its
    submission and its approval recorded as `actor`'s, with the order's number as the note."""
    found = list(problems)
    if found:
        raise RequestError(f"permohonan dari {basis} tidak dapat dibuat: " + "; ".join(found))
    steps = tuple(chain)
    if req.state is not State.DRAF or not steps or not basis.strip():
        raise MoveError("hanya draf dengan langkah persetujuan dan nomor surat perintah yang "
                        "dapat disetujui oleh surat perintah")
    filed = _record(req, Move.AJUKAN, actor, at, State.DIAJUKAN, basis, chain=steps,
                    step=len(steps) - 1)
    return _record(filed, Move.SETUJUI, actor, at, State.DISETUJUI, basis)
