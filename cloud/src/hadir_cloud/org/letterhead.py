"""A unit's letterhead (kop surat) and who signs its documents: pure.

Plain data in, plain data out; no database. Decisions written down here:

- A document about a unit carries the letterhead of its OPD: the nearest unit at or above it
  of kind `opd` (a school or a bidang prints its Dinas). A document about units of several
  OPDs, or about none below an OPD (the regency as a whole), carries the regency's own
  letterhead: the government line alone, with the Pemkab unit's address.
- The government line is the name of the tree's `pemkab` unit in capitals ("PEMERINTAH
  KABUPATEN OGAN ILIR"; a city's "PEMERINTAH KOTA …" works the same), or, without such a unit,
  "PEMERINTAH KABUPATEN " and the unit's `regency`.
- Address, phone, email, website and place come from the heading unit's own letterhead record.
  The logo comes from the nearest unit upward that has one: the regency's coat of arms is
  usually set once, on the Pemkab. The place of signature falls back the same way, then to the
  regency's name.
- The signatory is whoever holds the powers of the first head position at or above the unit on
  the day (`domain.holder_on`: a Plt/Plh first); a vacant position leaves the name blank, and
  no head position at all leaves every line blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .domain import ActingAssignment, ActingKind, Assignment, Position, Unit, UnitKind, holder_on

#: the letterhead's text fields → the Bahasa name of each (import columns and CLI options)
TEXT_FIELDS: dict[str, str] = {"address": "alamat", "phone": "telepon", "email": "email",
                               "website": "situs", "place": "tempat"}
MAX_LENGTH = {"address": 200, "phone": 60, "email": 120, "website": 120, "place": 60}
LOGO_MAX_BYTES = 512 * 1024
#: what an image file starts with → its media type (the two WeasyPrint and every viewer read)
LOGO_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Letterhead:
    """What a unit's letterhead says beyond its name (every field optional)."""

    unit_id: str
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    place: str | None = None
    logo: bytes | None = None
    logo_mime: str | None = None


@dataclass(frozen=True)
class Kop:
    """A letterhead as printed: the government line, the office line, contacts, a logo."""

    government: str
    office: str | None  # None on the regency's own letterhead
    address: str | None
    phone: str | None
    email: str | None
    website: str | None
    place: str
    logo: bytes | None = None
    logo_mime: str | None = None


@dataclass(frozen=True)
class Signatory:
    """Who signs: the head position's name, Plt/Plh, the holder's name and NIP (None: blank)."""

    position: str | None = None
    acting: ActingKind | None = None
    name: str | None = None
    nip: str | None = None


def chain(unit_id: str, units: Mapping[str, Unit]) -> list[Unit]:
    """The unit and every unit above it, nearest first (a loop in the tree stops the walk)."""
    out: list[Unit] = []
    seen: set[str] = set()
    current: str | None = unit_id
    while current is not None and current not in seen and current in units:
        seen.add(current)
        out.append(units[current])
        current = units[current].parent_id
    return out


def opd_of(unit_id: str, units: Mapping[str, Unit]) -> Unit | None:
    """The OPD at or above the unit, or None (the Pemkab itself, or a unit under no OPD)."""
    return next((u for u in chain(unit_id, units) if u.kind is UnitKind.OPD), None)


def heading_unit(unit_ids: Iterable[str], units: Mapping[str, Unit]) -> Unit | None:
    """The one OPD every given unit belongs to, or None: the regency's letterhead."""
    opds = {opd.id if (opd := opd_of(u, units)) else None for u in unit_ids}
    if len(opds) != 1 or None in opds:
        return None
    return units[opds.pop()]  # type: ignore[index]


def government_line(unit_ids: Sequence[str], units: Mapping[str, Unit]) -> str:
    """'PEMERINTAH KABUPATEN OGAN ILIR': the Pemkab unit above the units (or any), in capitals."""
    for uid in unit_ids:
        top = next((u for u in chain(uid, units) if u.kind is UnitKind.PEMKAB), None)
        if top is not None:
            return top.name.upper()
    pemkab = next((u for u in units.values() if u.kind is UnitKind.PEMKAB), None)
    if pemkab is not None:
        return pemkab.name.upper()
    regency = next((units[u].regency for u in unit_ids if u in units),
                   next((u.regency for u in units.values()), ""))
    return f"PEMERINTAH KABUPATEN {regency}".strip().upper()


def kop(unit_ids: Sequence[str], units: Mapping[str, Unit],
        letterheads: Mapping[str, Letterhead]) -> Kop:
    """The letterhead of a document about `unit_ids` (see the module's rules)."""
    head = heading_unit(unit_ids, units)
    if head is not None:
        upward = chain(head.id, units)
    else:
        pemkab = next((u for uid in unit_ids for u in chain(uid, units)
                       if u.kind is UnitKind.PEMKAB), None) or next(
            (u for u in units.values() if u.kind is UnitKind.PEMKAB), None)
        upward = [pemkab] if pemkab is not None else []
    own = letterheads.get(upward[0].id) if upward else None
    with_logo = next((lh for u in upward if (lh := letterheads.get(u.id)) and lh.logo), None)
    place = next((lh.place for u in upward if (lh := letterheads.get(u.id)) and lh.place), None)
    regency = upward[-1].regency if upward else next(
        (units[u].regency for u in unit_ids if u in units), "")
    return Kop(
        government=government_line(list(unit_ids), units),
        office=head.name.upper() if head is not None else None,
        address=own.address if own else None, phone=own.phone if own else None,
        email=own.email if own else None, website=own.website if own else None,
        place=place or regency,
        logo=with_logo.logo if with_logo else None,
        logo_mime=with_logo.logo_mime if with_logo else None)


def signatory(unit_id: str | None, day: date, units: Mapping[str, Unit],
              positions: Mapping[str, Position], assignments: Iterable[Assignment],
              acting: Iterable[ActingAssignment], names: Mapping[str, str]) -> Signatory:
    """Who signs a document about the unit on `day` (see the module's rules); `names`: NIP →
    name of the possible holders."""
    if unit_id is None:
        return Signatory()
    heads = {p.unit_id: p for p in positions.values() if p.heads_unit}
    position = next((heads[u.id] for u in chain(unit_id, units) if u.id in heads), None)
    if position is None:
        return Signatory()
    holder = holder_on(position.id, day, list(assignments), list(acting))
    if holder is None:
        return Signatory(position.name)
    return Signatory(position.name, holder.acting, names.get(holder.nip), holder.nip)


def signing_unit(unit_ids: Sequence[str], units: Mapping[str, Unit]) -> str | None:
    """The unit whose head signs a document about `unit_ids`: the one unit, else their common
    OPD, else the Pemkab above them, else None (blank signature lines)."""
    if len(unit_ids) == 1:
        return unit_ids[0]
    head = heading_unit(unit_ids, units)
    if head is not None:
        return head.id
    return next((u.id for uid in unit_ids for u in chain(uid, units)
                 if u.kind is UnitKind.PEMKAB), None)


def logo_mime(data: bytes) -> str | None:
    """The media type of a PNG or JPEG image by its first bytes; None for anything else."""
    return next((mime for magic, mime in LOGO_MAGIC.items() if data.startswith(magic)), None)


def problems(values: Mapping[str, str | None], logo: bytes | None = None) -> list[tuple[str, str]]:
    """(field, Bahasa message) for every value a letterhead cannot hold; empty when all fit."""
    out = []
    for name, value in values.items():
        if value is None:
            continue
        label = TEXT_FIELDS[name]
        if len(value) > MAX_LENGTH[name]:
            out.append((name, f"{label} terlalu panjang ({len(value)} karakter, paling banyak "
                              f"{MAX_LENGTH[name]})"))
        elif name == "email" and not _EMAIL.match(value):
            out.append((name, f"alamat email tidak valid: {value!r} (contoh: disdik@kab.go.id)"))
        elif "\n" in value or "\r" in value:
            out.append((name, f"{label} harus satu baris"))
    if logo is not None:
        if logo_mime(logo) is None:
            out.append(("logo", "logo harus berkas PNG atau JPEG"))
        elif len(logo) > LOGO_MAX_BYTES:
            out.append(("logo", f"logo terlalu besar ({len(logo) // 1024} KB, paling besar "
                                f"{LOGO_MAX_BYTES // 1024} KB)"))
    return out
