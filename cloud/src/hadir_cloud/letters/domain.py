"""An outgoing letter and its review chain: a state machine, pure.

Plain data in, plain data out; no database. Decisions written down here:

- States and moves are one table (`MOVES`): the author writes a draft (`draf`) and submits it
  (`diperiksa`, step 0). Each reviewer of the chain, in order, initials it (paraf: the next
  step, or `siap_ttd` after the last), may edit it first (a new version, the differences kept),
  comment without moving it, or return it to the author (`dikembalikan`, a note required),
  who fixes it and submits again: the chain starts over, since the earlier initials were given
  to an earlier text. The signer signs (`ditandatangani`: the number is given then, by the
  store) or returns it. The author may cancel a draft or a returned letter. Every move is an
  `Event` (who, when, why, from-state, to-state, step).
- The chain comes from the organisation on the day of submission (`review_chain`): the
  supervisor positions above the author, nearest first (the walk of `org.domain.atasan_of`),
  up to the signer's position, which must be in that walk; positions nobody holds that day,
  or the author holds, are left out. When the signer heads an OPD, the head of the OPD's
  sekretariat (the Sekretaris, who checks every letter of the Dinas) initials last before the
  signer, if not already in the chain. So a Kepala Dinas's letter from a Seksi climbs
  staf → Kasi → Kabid → Sekretaris → Kepala.
- Who acts for a position is decided on the day of the move (`org.domain.holder_on`): an acting
  official (Plt/Plh) first, else the definitive holder. A person moved mid-chain is replaced
  by the new holder of the position.
- Reviewers and the signer may edit the text (subject, body, addressee) while it waits for
  them; the author edits a draft or a returned letter. Every edit raises the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from hadir_cloud.org.domain import (
    ActingAssignment,
    Assignment,
    Position,
    Unit,
    UnitKind,
    assignment_on,
    head_position,
    holder_on,
    opd_of,
)
from hadir_cloud.requests.domain import Org, supervisor_positions


class Kind(StrEnum):
    """The official kinds of letter (tata naskah dinas), and an incoming one."""

    SURAT_DINAS = "surat_dinas"
    NOTA_DINAS = "nota_dinas"
    UNDANGAN = "undangan"
    SURAT_TUGAS = "surat_tugas"
    SURAT_EDARAN = "surat_edaran"
    SURAT_KETERANGAN = "surat_keterangan"
    MASUK = "masuk"


class State(StrEnum):
    """States of an outgoing letter (and of an incoming one: diterima, didisposisi, selesai)."""

    DRAF = "draf"
    DIPERIKSA = "diperiksa"
    SIAP_TTD = "siap_ttd"
    DIKEMBALIKAN = "dikembalikan"
    DITANDATANGANI = "ditandatangani"
    DIBATALKAN = "dibatalkan"
    DITERIMA = "diterima"
    DIDISPOSISI = "didisposisi"
    SELESAI = "selesai"


class Move(StrEnum):
    """Moves on an outgoing letter."""

    UBAH = "ubah"
    AJUKAN = "ajukan"
    PARAF = "paraf"
    KOMENTAR = "komentar"
    KEMBALIKAN = "kembalikan"
    TANDATANGANI = "tandatangani"
    BATALKAN = "batalkan"


class Access(StrEnum):
    """Access classes of the archive (SRIKANDI): everyone of the OPD, or only the letter's
    chain and recipients; a secret letter's body is also never indexed for search."""

    BIASA = "biasa"
    TERBATAS = "terbatas"
    RAHASIA = "rahasia"


class Urgency(StrEnum):
    """How fast a letter must be handled."""

    BIASA = "biasa"
    SEGERA = "segera"
    SANGAT_SEGERA = "sangat_segera"


#: Bahasa text of kinds, states, moves, access classes and urgencies: one table
KIND_TEXT: Mapping[str, str] = {
    "surat_dinas": "Surat dinas", "nota_dinas": "Nota dinas", "undangan": "Surat undangan",
    "surat_tugas": "Surat tugas", "surat_edaran": "Surat edaran",
    "surat_keterangan": "Surat keterangan", "masuk": "Surat masuk"}
STATE_TEXT: Mapping[str, str] = {
    "draf": "draf", "diperiksa": "diperiksa", "siap_ttd": "menunggu tanda tangan",
    "dikembalikan": "dikembalikan", "ditandatangani": "ditandatangani",
    "dibatalkan": "dibatalkan", "diterima": "diterima", "didisposisi": "didisposisi",
    "selesai": "selesai"}
MOVE_TEXT: Mapping[str, str] = {
    "ubah": "diubah", "ajukan": "diajukan", "paraf": "diparaf", "komentar": "dikomentari",
    "kembalikan": "dikembalikan", "tandatangani": "ditandatangani", "batalkan": "dibatalkan"}
ACCESS_TEXT: Mapping[str, str] = {"biasa": "biasa", "terbatas": "terbatas",
                                  "rahasia": "rahasia"}
URGENCY_TEXT: Mapping[str, str] = {"biasa": "biasa", "segera": "segera",
                                   "sangat_segera": "sangat segera"}

_AUTHOR, _REVIEWER, _SIGNER, _HANDLER = "penyusun", "pemeriksa", "penanda tangan", "pemegang"
#: the one table of allowed moves: (move, from-state) → (who, to-state). PARAF's to-state is
#: DIPERIKSA while steps remain; `_HANDLER` is whoever the letter waits for (the pending
#: reviewer while diperiksa, the signer while siap_ttd)
MOVES: Mapping[tuple[Move, State], tuple[str, State]] = {
    (Move.UBAH, State.DRAF): (_AUTHOR, State.DRAF),
    (Move.UBAH, State.DIKEMBALIKAN): (_AUTHOR, State.DIKEMBALIKAN),
    (Move.UBAH, State.DIPERIKSA): (_HANDLER, State.DIPERIKSA),
    (Move.UBAH, State.SIAP_TTD): (_HANDLER, State.SIAP_TTD),
    (Move.AJUKAN, State.DRAF): (_AUTHOR, State.DIPERIKSA),
    (Move.AJUKAN, State.DIKEMBALIKAN): (_AUTHOR, State.DIPERIKSA),
    (Move.PARAF, State.DIPERIKSA): (_REVIEWER, State.SIAP_TTD),
    (Move.KOMENTAR, State.DIPERIKSA): (_HANDLER, State.DIPERIKSA),
    (Move.KOMENTAR, State.SIAP_TTD): (_HANDLER, State.SIAP_TTD),
    (Move.KEMBALIKAN, State.DIPERIKSA): (_HANDLER, State.DIKEMBALIKAN),
    (Move.KEMBALIKAN, State.SIAP_TTD): (_HANDLER, State.DIKEMBALIKAN),
    (Move.TANDATANGANI, State.SIAP_TTD): (_SIGNER, State.DITANDATANGANI),
    (Move.BATALKAN, State.DRAF): (_AUTHOR, State.DIBATALKAN),
    (Move.BATALKAN, State.DIKEMBALIKAN): (_AUTHOR, State.DIBATALKAN),
}
NOTE_REQUIRED = frozenset({Move.KEMBALIKAN, Move.KOMENTAR})
#: the text fields an edit may change
TEXT_FIELDS = ("subject", "body", "addressee")
MAX_SUBJECT, MAX_BODY, MAX_ADDRESSEE = 300, 20000, 500


class LetterError(ValueError):
    """A letter cannot move: the message says why, in Bahasa."""


class MoveError(LetterError):
    """The move is not allowed from the letter's state."""


class NotAllowedError(LetterError):
    """The person may not make this move on this letter now."""


@dataclass(frozen=True)
class Duty:
    """Where and when the people a surat tugas names are on duty."""

    place: str
    lat: float
    lon: float
    radius_m: int
    start: date
    end: date


@dataclass(frozen=True)
class Event:
    """One recorded move."""

    at: datetime
    actor: str
    move: Move
    from_state: State
    to_state: State
    step: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Letter:
    """An outgoing letter: its content, its chain of review positions and its history."""

    id: str
    kind: Kind
    unit_id: str
    author: str
    signer_position: str
    subject: str
    body: str = ""
    addressee: str = ""
    classification: str = "000"
    access: Access = Access.BIASA
    urgency: Urgency = Urgency.BIASA
    copies: tuple[str, ...] = ()  # tembusan: NIPs
    to: tuple[str, ...] = ()  # internal addressees: NIPs
    people: tuple[str, ...] = ()  # surat tugas: the people on duty
    duty: Duty | None = None
    state: State = State.DRAF
    chain: tuple[str, ...] = ()
    step: int = 0
    version: int = 1
    events: tuple[Event, ...] = ()
    number: str | None = None

    @property
    def pending_position(self) -> str | None:
        """The position the letter waits for: a reviewer's, the signer's, or None."""
        if self.state is State.DIPERIKSA:
            return self.chain[self.step]
        if self.state is State.SIAP_TTD:
            return self.signer_position
        return None

    def initialled_by(self) -> list[tuple[str, datetime]]:
        """Who initialled since the last submission, and when (the paraf column)."""
        out: list[tuple[str, datetime]] = []
        for e in self.events:
            if e.move is Move.AJUKAN:
                out.clear()
            elif e.move is Move.PARAF:
                out.append((e.actor, e.at))
        return out


@dataclass(frozen=True)
class Chart:
    """The organisation as a letter's chain reads it."""

    units: Mapping[str, Unit]
    positions: Mapping[str, Position]
    assignments: tuple[Assignment, ...]
    acting: tuple[ActingAssignment, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    def org(self) -> Org:
        """The same chart as the requests' chain reads it (one walk up the hierarchy)."""
        return Org(self.units, self.positions, self.assignments, self.acting)

    def holder(self, position_id: str, day: date) -> str | None:
        """Who acts for the position on `day`: a Plt/Plh first, else the definitive holder."""
        h = holder_on(position_id, day, self.assignments, self.acting)
        return h.nip if h else None

    def position_of(self, nip: str, day: date) -> Position | None:
        """The definitive position `nip` holds on `day`."""
        a = assignment_on(nip, day, self.assignments)
        return self.positions[a.position_id] if a else None


# ---------------------------------------------------------------- the chain


def signer_choices(author: str, day: date, chart: Chart) -> list[Position]:
    """The positions that may sign the author's letter: the head positions above them,
    nearest first, up to and including the head of their OPD."""
    out = []
    for p in supervisor_positions(author, day, chart.org()):
        if p.heads_unit:
            out.append(p)
        if chart.units[p.unit_id].kind is UnitKind.OPD:
            break
    return out


def _sekretaris(signer: Position, chart: Chart) -> Position | None:
    unit = chart.units[signer.unit_id]
    if unit.kind is not UnitKind.OPD:
        return None
    sekretariat = next((u for u in chart.units.values() if u.parent_id == unit.id
                        and u.kind is UnitKind.SEKRETARIAT), None)
    return head_position(sekretariat.id, chart.positions) if sekretariat else None


def review_chain(author: str, signer_position: str, day: date, chart: Chart) -> tuple[str, ...]:
    """The review positions of the author's letter to be signed by `signer_position` on `day`
    (see the module's rules); LetterError when that position is not above the author."""
    walk = supervisor_positions(author, day, chart.org())
    ids = [p.id for p in walk]
    if signer_position not in ids:
        name = chart.positions[signer_position].name if signer_position in chart.positions \
            else signer_position
        raise LetterError(f"{name} bukan atasan penyusun; pilih penanda tangan dari jabatan di "
                          "atas penyusun")
    chain = [p for p in ids[:ids.index(signer_position)]
             if chart.holder(p, day) not in (None, author)]
    sek = _sekretaris(chart.positions[signer_position], chart)
    if sek is not None and sek.id not in chain and sek.id != signer_position and \
            chart.holder(sek.id, day) not in (None, author):
        chain.append(sek.id)
    return tuple(chain)


# ---------------------------------------------------------------- moves


def _actor_kind(letter: Letter, move: Move) -> tuple[str, State]:
    allowed = MOVES.get((move, letter.state))
    if allowed is None:
        raise MoveError(f"surat {letter.id} berstatus {STATE_TEXT[letter.state]}: tidak dapat "
                        f"{MOVE_TEXT[move]}")
    return allowed


def may_act(letter: Letter, nip: str, day: date, chart: Chart) -> bool:
    """Whether `nip` is the one the letter waits for on `day`."""
    pos = letter.pending_position
    return pos is not None and chart.holder(pos, day) == nip


def _check(letter: Letter, move: Move, actor: str, day: date, chart: Chart) -> State:
    who, to = _actor_kind(letter, move)
    if who == _AUTHOR:
        if actor != letter.author:
            raise NotAllowedError(f"hanya penyusun surat {letter.id} yang dapat "
                                  f"{MOVE_TEXT[move].removeprefix('di')}")
        return to
    if not may_act(letter, actor, day, chart):
        pos = letter.pending_position
        holder = chart.holder(pos, day) if pos else None
        who_text = chart.names.get(holder or "", holder or "belum ada pejabatnya")
        raise NotAllowedError(f"surat {letter.id} sedang menunggu {who_text}, bukan {actor}")
    return to


def _record(letter: Letter, move: Move, actor: str, at: datetime, to: State, note: str,
            **changes: object) -> Letter:
    if move in NOTE_REQUIRED and not note.strip():
        raise LetterError("tulis catatannya agar penyusun tahu apa yang diperbaiki"
                          if move is Move.KEMBALIKAN else "komentar tidak boleh kosong")
    step = letter.step if letter.state is State.DIPERIKSA else None
    event = Event(at, actor, move, letter.state, to, step, note.strip())
    return replace(letter, state=to, events=(*letter.events, event), **changes)  # type: ignore[arg-type]


def content_problems(letter: Letter, known_classifications: frozenset[str]) -> dict[str, str]:
    """Problems of the letter's content by field name (empty: none)."""
    out: dict[str, str] = {}
    if not letter.subject.strip():
        out["subject"] = "perihal wajib diisi"
    elif len(letter.subject) > MAX_SUBJECT:
        out["subject"] = f"perihal paling panjang {MAX_SUBJECT} huruf"
    if len(letter.body) > MAX_BODY:
        out["body"] = f"isi surat paling panjang {MAX_BODY} huruf"
    if len(letter.addressee) > MAX_ADDRESSEE:
        out["addressee"] = f"tujuan paling panjang {MAX_ADDRESSEE} huruf"
    if letter.classification not in known_classifications:
        out["classification"] = f"kode klasifikasi tidak dikenal: {letter.classification}"
    if letter.kind is Kind.SURAT_TUGAS:
        if not letter.people:
            out["people"] = "surat tugas harus menyebut paling sedikit satu pegawai"
        if letter.duty is None:
            out["duty"] = "surat tugas perlu tempat, koordinat, radius dan tanggal tugas"
        elif letter.duty.end < letter.duty.start:
            out["duty"] = "tanggal selesai tugas tidak boleh sebelum tanggal mulai"
    return out


def new_letter(id: str, kind: Kind, author: str, day: datetime, chart: Chart,  # noqa: A002
               signer_position: str, **content: object) -> Letter:
    """A draft by `author` in their OPD's register; its creation recorded as version 1."""
    pos = chart.position_of(author, day.date())
    if pos is None:
        raise LetterError(f"{author} tidak memegang jabatan pada {day.date():%d-%m-%Y}; surat "
                          "dibuat oleh pegawai yang punya jabatan")
    unit = opd_of(pos.unit_id, chart.units) or pos.unit_id
    letter = Letter(id, kind, unit, author, signer_position, **content)  # type: ignore[arg-type]
    event = Event(day, author, Move.UBAH, State.DRAF, State.DRAF, None, "dibuat")
    return replace(letter, events=(event,))


def edit(letter: Letter, actor: str, at: datetime, chart: Chart, **content: object) -> Letter:
    """Change the letter's content: the author a draft or returned letter (any field), the
    reviewer or signer it waits for its text; a change of text raises the version."""
    to = _check(letter, Move.UBAH, actor, at.date(), chart)
    allowed = set(TEXT_FIELDS)
    if actor == letter.author and letter.state in (State.DRAF, State.DIKEMBALIKAN):
        allowed |= {"kind", "signer_position", "classification", "access", "urgency",
                    "copies", "to", "people", "duty"}
    unknown = set(content) - allowed
    if unknown:
        raise LetterError(f"isian tidak dapat diubah sekarang: {', '.join(sorted(unknown))}")
    changed = {k: v for k, v in content.items() if getattr(letter, k) != v}
    if not changed:
        return letter
    version = letter.version + (1 if set(changed) & set(TEXT_FIELDS) else 0)
    return _record(letter, Move.UBAH, actor, at, to, "diubah", version=version, **changed)


def submit(letter: Letter, actor: str, at: datetime, chart: Chart,
           known_classifications: frozenset[str]) -> Letter:
    """Submit (or resubmit) the letter: the chain from the organisation on the day, from its
    first step (straight to the signer when nobody reviews)."""
    to = _check(letter, Move.AJUKAN, actor, at.date(), chart)
    problems = content_problems(letter, known_classifications)
    if problems:
        raise LetterError("surat belum dapat diajukan: " + "; ".join(problems.values()))
    chain = review_chain(letter.author, letter.signer_position, at.date(), chart)
    if chart.holder(letter.signer_position, at.date()) is None:
        raise LetterError(f"jabatan {chart.positions[letter.signer_position].name} kosong pada "
                          f"{at.date():%d-%m-%Y}: belum ada yang dapat menandatangani")
    if not chain:
        to = State.SIAP_TTD
    return _record(letter, Move.AJUKAN, actor, at, to, "", chain=chain, step=0)


def initial(letter: Letter, actor: str, at: datetime, chart: Chart, note: str = "") -> Letter:
    """The pending reviewer's paraf: the next step waits, or the signer after the last."""
    _check(letter, Move.PARAF, actor, at.date(), chart)
    if letter.step + 1 < len(letter.chain):
        return _record(letter, Move.PARAF, actor, at, State.DIPERIKSA, note,
                       step=letter.step + 1)
    return _record(letter, Move.PARAF, actor, at, State.SIAP_TTD, note)


def comment(letter: Letter, actor: str, at: datetime, chart: Chart, note: str) -> Letter:
    """A note from the one the letter waits for; it stays where it is."""
    to = _check(letter, Move.KOMENTAR, actor, at.date(), chart)
    return _record(letter, Move.KOMENTAR, actor, at, to, note)


def send_back(letter: Letter, actor: str, at: datetime, chart: Chart, note: str) -> Letter:
    """Return the letter to its author with a note."""
    to = _check(letter, Move.KEMBALIKAN, actor, at.date(), chart)
    return _record(letter, Move.KEMBALIKAN, actor, at, to, note)


def sign(letter: Letter, actor: str, at: datetime, chart: Chart, number: str) -> Letter:
    """The signer signs: the letter gets its number (from the store's register)."""
    to = _check(letter, Move.TANDATANGANI, actor, at.date(), chart)
    return _record(letter, Move.TANDATANGANI, actor, at, to, number, number=number)


def cancel(letter: Letter, actor: str, at: datetime, chart: Chart, note: str = "") -> Letter:
    """The author withdraws a draft or a returned letter."""
    to = _check(letter, Move.BATALKAN, actor, at.date(), chart)
    return _record(letter, Move.BATALKAN, actor, at, to, note)


def involved(letter: Letter, day: date, chart: Chart) -> set[str]:
    """Everyone of the letter's chain (author, whoever initialled or holds a chain position
    or the signer's on `day`), its addressees, copies and named people."""
    out = {letter.author, *letter.to, *letter.copies, *letter.people}
    out |= {e.actor for e in letter.events}
    for pos in (*letter.chain, letter.signer_position):
        holder = chart.holder(pos, day)
        if holder:
            out.add(holder)
    return out
