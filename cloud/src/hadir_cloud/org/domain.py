"""Units, positions and who holds them on a day: the supervisor (atasan) chain, pure.

Plain data in, plain data out; no database. Decisions written down here:

- A position is *held* on a day by the person whose definitive assignment covers the day
  (`definitive_holder_on`). An acting official (Plt/Plh) whose acting assignment covers the day
  holds the position's *powers* for those dates, so `holder_on` answers the acting official
  first, even when the definitive holder is still assigned (on leave, say); the definitive
  holder keeps the position (`assignment_on` still answers it for them).
- `atasan_of(nip, day)` is the head of the person's unit on that day, or, when the person is
  the head, the head of the parent unit. An explicit `reports_to_position_id` on the person's
  position wins. A vacant head (no definitive holder and no acting one) is skipped upward;
  the person is never their own atasan (a Plt Kabid's own atasan is above the Kabid).
- A past day is computed with the position and unit the person had that day.
- An import that is complete for its OPDs (`leavers`) covers the OPD of every unit its people
  work in, with the OPD's whole subtree; a unit above every OPD (the regency's own) covers
  only itself. Whoever works in a covered unit and is absent from the file has left.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class UnitKind(StrEnum):
    """Kinds of unit, from the regency down to a section and a school."""

    PEMKAB = "pemkab"
    OPD = "opd"
    SEKRETARIAT = "sekretariat"
    BIDANG = "bidang"
    BAGIAN = "bagian"
    SEKSI = "seksi"
    SUBBAG = "subbag"
    SEKOLAH = "sekolah"


class PositionKind(StrEnum):
    """Kinds of position (jenis jabatan)."""

    STRUKTURAL = "struktural"
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"


class ActingKind(StrEnum):
    """Pelaksana Tugas (vacant or long absence) and Pelaksana Harian (short absence)."""

    PLT = "plt"
    PLH = "plh"


#: Bahasa text of every kind, one table
LABELS: dict[str, str] = {
    "pemkab": "pemerintah kabupaten", "opd": "organisasi perangkat daerah (OPD)",
    "sekretariat": "sekretariat", "bidang": "bidang", "bagian": "bagian", "seksi": "seksi",
    "subbag": "subbagian", "sekolah": "sekolah",
    "struktural": "jabatan struktural", "fungsional": "jabatan fungsional",
    "pelaksana": "jabatan pelaksana",
    "plt": "Pelaksana Tugas (Plt)", "plh": "Pelaksana Harian (Plh)",
}
#: eselon levels of regency structural positions (struktural needs one, others none)
ESELON: tuple[str, ...] = ("I.a", "I.b", "II.a", "II.b", "III.a", "III.b", "IV.a", "IV.b", "V.a")


@dataclass(frozen=True)
class Unit:
    """An organisational unit; `parent_id` None at the top."""

    id: str
    name: str
    kind: UnitKind
    regency: str
    parent_id: str | None = None


@dataclass(frozen=True)
class Position:
    """A position in a unit; `heads_unit` marks the unit's head (at most one per unit)."""

    id: str
    name: str
    kind: PositionKind
    unit_id: str
    eselon: str | None = None
    heads_unit: bool = False
    reports_to_position_id: str | None = None


@dataclass(frozen=True)
class Assignment:
    """A definitive assignment of a person to a position; `end` None while it lasts."""

    nip: str
    position_id: str
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the assignment is in force on `day` (both ends inclusive)."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class ActingAssignment:
    """A Plt/Plh: holds the position's powers from `start` to `end` inclusive; `basis` is the
    decree (SK or surat perintah) number. One per person, position and start."""

    nip: str
    position_id: str
    start: date
    end: date
    kind: ActingKind = ActingKind.PLT
    basis: str = ""

    def covers(self, day: date) -> bool:
        """Whether the acting assignment is in force on `day`."""
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Holder:
    """Who holds a position's powers on a day; `acting` names Plt/Plh, None when definitive."""

    nip: str
    position_id: str
    acting: ActingKind | None = None


def _latest(items: Iterable[Assignment]) -> Assignment | None:
    # overlapping definitive assignments are an input mistake; the latest start wins
    return max(items, key=lambda a: a.start, default=None)


def assignment_on(nip: str, day: date, assignments: Iterable[Assignment]) -> Assignment | None:
    """The definitive assignment `nip` had on `day`, or None."""
    return _latest(a for a in assignments if a.nip == nip and a.covers(day))


def definitive_holder_on(position_id: str, day: date,
                         assignments: Iterable[Assignment]) -> str | None:
    """The NIP definitively assigned to the position on `day`, or None when vacant."""
    a = _latest(a for a in assignments if a.position_id == position_id and a.covers(day))
    return a.nip if a else None


def holder_on(position_id: str, day: date, assignments: Iterable[Assignment],
              acting: Iterable[ActingAssignment] = ()) -> Holder | None:
    """Who holds the position's powers on `day`: an acting official first, else the
    definitive holder, else None (vacant)."""
    act = max((a for a in acting if a.position_id == position_id and a.covers(day)),
              key=lambda a: a.start, default=None)
    if act is not None:
        return Holder(act.nip, position_id, act.kind)
    nip = definitive_holder_on(position_id, day, assignments)
    return Holder(nip, position_id) if nip else None


def head_position(unit_id: str, positions: Mapping[str, Position]) -> Position | None:
    """The position that heads the unit, or None."""
    return next((p for p in positions.values() if p.unit_id == unit_id and p.heads_unit), None)


def _heads_upward(unit_id: str | None, units: Mapping[str, Unit],
                  positions: Mapping[str, Position]) -> Iterator[Position]:
    seen: set[str] = set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        head = head_position(unit_id, positions)
        if head is not None:
            yield head
        unit = units.get(unit_id)
        unit_id = unit.parent_id if unit else None


def atasan_of(nip: str, day: date, units: Mapping[str, Unit], positions: Mapping[str, Position],
              assignments: Iterable[Assignment],
              acting: Iterable[ActingAssignment] = ()) -> Holder | None:
    """The supervisor of `nip` on `day` (see the module's rules), or None at the top or
    when the person has no assignment that day."""
    assignments, acting = list(assignments), list(acting)
    mine = assignment_on(nip, day, assignments)
    if mine is None:
        return None
    pos = positions[mine.position_id]
    candidates: list[Position] = []
    if pos.reports_to_position_id is not None:
        target = positions[pos.reports_to_position_id]
        candidates.append(target)
        start = units[target.unit_id].parent_id if target.heads_unit else target.unit_id
    else:
        start = units[pos.unit_id].parent_id if pos.heads_unit else pos.unit_id
    candidates.extend(_heads_upward(start, units, positions))
    for cand in candidates:
        holder = holder_on(cand.id, day, assignments, acting)
        if holder is not None and holder.nip != nip:
            return holder
    return None


def unit_on(nip: str, day: date, positions: Mapping[str, Position],
            assignments: Iterable[Assignment]) -> str | None:
    """The unit `nip` worked in on `day` (through the position held), or None."""
    a = assignment_on(nip, day, assignments)
    return positions[a.position_id].unit_id if a else None


def subtree(unit_id: str, units: Mapping[str, Unit]) -> set[str]:
    """The unit and every unit below it (an admin_opd's scope)."""
    children: dict[str, list[str]] = {}
    for u in units.values():
        if u.parent_id is not None:
            children.setdefault(u.parent_id, []).append(u.id)
    out, todo = set(), [unit_id]
    while todo:
        uid = todo.pop()
        if uid not in out:
            out.add(uid)
            todo.extend(children.get(uid, ()))
    return out


def opd_of(unit_id: str, units: Mapping[str, Unit]) -> str | None:
    """The OPD a unit belongs to (itself when it is one), or None above every OPD."""
    seen: set[str] = set()
    uid: str | None = unit_id
    while uid is not None and uid not in seen and uid in units:
        seen.add(uid)
        if units[uid].kind is UnitKind.OPD:
            return uid
        uid = units[uid].parent_id
    return None


def covered_units(unit_ids: Iterable[str], units: Mapping[str, Unit]) -> set[str]:
    """The units an import complete for its OPDs speaks for: the OPD (and its subtree) of
    every unit given; a unit above every OPD covers only itself."""
    out: set[str] = set()
    for uid in set(unit_ids):
        opd = opd_of(uid, units)
        if opd is None:
            out.add(uid)
        elif opd not in out:
            out |= subtree(opd, units)
    return out


@dataclass(frozen=True)
class Member:
    """A person as the leavers rule sees them."""

    nip: str
    name: str
    unit_id: str
    join_date: date
    leave_date: date | None = None


def leavers(members: Iterable[Member], present: Iterable[str], covered: set[str],
            day: date) -> list[Member]:
    """Who leaves on `day` when a file is complete for the `covered` units: people of those
    units absent from the file (`present` NIPs) who have joined by `day` and have not left
    by it (a leave date after `day` is brought forward). Sorted by unit, then NIP."""
    here = set(present)
    out = [m for m in members
           if m.unit_id in covered and m.nip not in here and m.join_date <= day
           and (m.leave_date is None or m.leave_date > day)]
    return sorted(out, key=lambda m: (m.unit_id, m.nip))
