"""Outgoing letters in PostgreSQL (migration 1100): drafts, versions, moves, and the signing
transaction that numbers, renders, signs and stores a letter at once.

Decisions written down here:

- A move is saved only over the state, step and version it was made from: two reviewers
  acting at once cannot both win (`ConflictError`).
- Numbering: `letter_counters` holds the last number of a unit's register in a year. Signing
  raises it with one `INSERT … ON CONFLICT DO UPDATE … RETURNING` inside the signing
  transaction, which keeps the counter row locked until the letter is stored: concurrent
  signings of the same register queue there and get consecutive numbers, and a signature that
  fails rolls the counter back with everything else, so no number is lost or used twice.
- An approved surat tugas: the signing transaction files an approved dinas luar for every
  person it names through `requests.store.file_by_order` (the requests' own path: the absence
  the TPP engine reads, the delivery to the kiosks of the place).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from ..org.store import document_head, load_chart
from ..requests import store as requests_store
from ..requests.domain import Place
from ..requests.kinds import KindSet
from . import domain as d
from .pdf import Person, Printed, long_date, render_letter
from .rules import Rules

if TYPE_CHECKING:
    from .signing import SignerPort


class LetterNotFoundError(LookupError):
    """No letter with that number."""


class ConflictError(d.LetterError):
    """Someone else moved the letter since it was read."""


_COLS = ("id, kind, unit_id, author_nip, signer_position_id, subject, body, addressee, "
         "classification, access, urgency, duty_place, duty_lat, duty_lon, duty_radius_m, "
         "duty_start, duty_end, state, chain, step, version, number")


def chart(conn: psycopg.Connection) -> d.Chart:
    """The organisation as letters read it, with everyone's name."""
    c = load_chart(conn)
    names: dict[str, str] = dict(conn.execute("SELECT nip, name FROM employees").fetchall())
    return d.Chart(c.units, c.positions, tuple(c.assignments), tuple(c.acting), names)


def _id(letter_id: str | int) -> int:
    try:
        return int(letter_id)
    except ValueError:
        raise LetterNotFoundError(f"nomor surat tidak valid: {letter_id!r}") from None


def _events(conn: psycopg.Connection, ids: list[int]) -> dict[int, list[d.Event]]:
    out: dict[int, list[d.Event]] = {}
    for lid, at, actor, move, a, b, step, note in conn.execute(
            "SELECT letter_id, at, actor, move, from_state, to_state, step, note "
            "FROM letter_events WHERE letter_id = ANY(%s) ORDER BY id", (ids,)):
        out.setdefault(lid, []).append(d.Event(at, actor, d.Move(move), d.State(a), d.State(b),
                                               step, note))
    return out


def select(conn: psycopg.Connection, where: str, args: Any,
          lock: bool = False) -> list[d.Letter]:
    rows = conn.execute(f"SELECT {_COLS} FROM letters WHERE direction = 'keluar' AND {where} "
                        "ORDER BY id" + (" FOR UPDATE" if lock else ""), args).fetchall()
    ids = [r[0] for r in rows]
    events = _events(conn, ids)
    recips: dict[int, dict[str, list[str]]] = {}
    for lid, nip, kind in conn.execute("SELECT letter_id, nip, kind FROM letter_recipients "
                                       "WHERE letter_id = ANY(%s) ORDER BY nip", (ids,)):
        recips.setdefault(lid, {}).setdefault(kind, []).append(nip)
    people: dict[int, list[str]] = {}
    for lid, nip in conn.execute("SELECT letter_id, nip FROM letter_people WHERE letter_id = "
                                 "ANY(%s) ORDER BY nip", (ids,)):
        people.setdefault(lid, []).append(nip)
    out = []
    for r in rows:
        (lid, kind, unit, author, signer, subject, body, addressee, cls, access, urgency,
         dplace, dlat, dlon, drad, dstart, dend, state, chain_, step, version, number) = r
        duty = d.Duty(dplace, dlat, dlon, drad, dstart, dend) if dplace is not None else None
        rc = recips.get(lid, {})
        out.append(d.Letter(str(lid), d.Kind(kind), unit, author, signer, subject, body,
                            addressee, cls, d.Access(access), d.Urgency(urgency),
                            tuple(rc.get("tembusan", ())), tuple(rc.get("kepada", ())),
                            tuple(people.get(lid, ())), duty, d.State(state), tuple(chain_),
                            step, version, tuple(events.get(lid, ())), number))
    return out


def load(conn: psycopg.Connection, letter_id: str | int, lock: bool = False) -> d.Letter:
    """One outgoing letter with its history; `lock` holds its row until the transaction ends."""
    found = select(conn, "id = %s", (_id(letter_id),), lock)
    if not found:
        raise LetterNotFoundError(f"surat {letter_id} tidak ditemukan")
    return found[0]


def _content(x: d.Letter) -> tuple[Any, ...]:
    du = x.duty
    return (x.kind.value, x.unit_id, x.signer_position, x.subject, x.body, x.addressee,
            x.classification, x.access.value, x.urgency.value,
            du.place if du else None, du.lat if du else None, du.lon if du else None,
            du.radius_m if du else None, du.start if du else None, du.end if du else None,
            x.state.value, list(x.chain), x.step, x.version)


def _insert_events(cur: psycopg.Cursor[Any], lid: int, events: tuple[d.Event, ...]) -> None:
    cur.executemany(
        "INSERT INTO letter_events (letter_id, at, actor, move, from_state, to_state, step, "
        "note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(lid, e.at, e.actor, e.move.value, e.from_state.value, e.to_state.value, e.step,
          e.note) for e in events])


def _sync_people(cur: psycopg.Cursor[Any], lid: int, x: d.Letter) -> None:
    cur.execute("DELETE FROM letter_recipients WHERE letter_id = %s", (lid,))
    cur.executemany("INSERT INTO letter_recipients (letter_id, nip, kind) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    [(lid, n, "kepada") for n in x.to] + [(lid, n, "tembusan") for n in x.copies])
    cur.execute("DELETE FROM letter_people WHERE letter_id = %s AND request_id IS NULL", (lid,))
    cur.executemany("INSERT INTO letter_people (letter_id, nip) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING", [(lid, n) for n in x.people])


def _version(cur: psycopg.Cursor[Any], lid: int, x: d.Letter, by: str, at: datetime) -> None:
    cur.execute("INSERT INTO letter_versions (letter_id, version, subject, body, addressee, "
                "by_nip, at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (lid, x.version, x.subject, x.body, x.addressee, by, at))


def create(conn: psycopg.Connection, x: d.Letter) -> d.Letter:
    """Insert a new draft, its first version and events; returns it with its id."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO letters (direction, author_nip, kind, unit_id, signer_position_id, "
            "subject, body, addressee, classification, access, urgency, duty_place, duty_lat, "
            "duty_lon, duty_radius_m, duty_start, duty_end, state, chain, step, version) "
            "VALUES ('keluar', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s) RETURNING id", (x.author, *_content(x)))
        row = cur.fetchone()
        assert row is not None
        lid = int(row[0])
        _insert_events(cur, lid, x.events)
        _sync_people(cur, lid, x)
        _version(cur, lid, x, x.author, x.events[0].at)
    return replace(x, id=str(lid))


def save(conn: psycopg.Connection, before: d.Letter, after: d.Letter) -> None:
    """Save a move (`after` is `before` moved): the row, new events, a new version and the
    recipients; ConflictError when someone moved it first."""
    lid = _id(before.id)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "UPDATE letters SET kind = %s, unit_id = %s, signer_position_id = %s, subject = %s, "
            "body = %s, addressee = %s, classification = %s, access = %s, urgency = %s, "
            "duty_place = %s, duty_lat = %s, duty_lon = %s, duty_radius_m = %s, "
            "duty_start = %s, duty_end = %s, state = %s, chain = %s, step = %s, version = %s "
            "WHERE id = %s AND state = %s AND step = %s AND version = %s",
            (*_content(after), lid, before.state.value, before.step, before.version))
        if cur.rowcount != 1:
            raise ConflictError(f"surat {before.id} sudah diubah orang lain; muat ulang")
        new = after.events[len(before.events):]
        _insert_events(cur, lid, new)
        if after.version != before.version:
            last = new[-1] if new else None
            _version(cur, lid, after, last.actor if last else after.author,
                     last.at if last else datetime.now().astimezone())
        if (after.to, after.copies, after.people) != (before.to, before.copies, before.people):
            _sync_people(cur, lid, after)


def versions(conn: psycopg.Connection, letter_id: str | int) -> list[tuple[Any, ...]]:
    """Every version of the letter's text: (version, subject, body, addressee, by, at)."""
    return conn.execute("SELECT version, subject, body, addressee, by_nip, at FROM "
                        "letter_versions WHERE letter_id = %s ORDER BY version",
                        (_id(letter_id),)).fetchall()


def draft(conn: psycopg.Connection, rules: Rules, kind: d.Kind, author: str,
          signer_position: str, at: datetime, **content: Any) -> d.Letter:
    """Save a new draft; LetterError names the content's problems."""
    c = chart(conn)
    x = d.new_letter("", kind, author, at, c, signer_position, **content)
    problems = d.content_problems(x, frozenset(rules.by_code))
    problems.pop("people", None)  # a surat tugas names its people before it is submitted
    problems.pop("duty", None)
    if problems:
        raise d.LetterError("; ".join(problems.values()))
    return create(conn, x)


def act(conn: psycopg.Connection, rules: Rules, letter_id: str | int, move: d.Move,
        actor: str, at: datetime, note: str = "", **content: Any) -> d.Letter:
    """Make a move other than signing on a stored letter as `actor` at `at` (local time)."""
    with conn.transaction():
        before = load(conn, letter_id, lock=True)
        c = chart(conn)
        if move is d.Move.UBAH:
            after = d.edit(before, actor, at, c, **content)
        elif move is d.Move.AJUKAN:
            edited = d.edit(before, actor, at, c, **content) if content else before
            after = d.submit(edited, actor, at, c, frozenset(rules.by_code))
        elif move is d.Move.PARAF:
            edited = d.edit(before, actor, at, c, **content) if content else before
            after = d.initial(edited, actor, at, c, note)
        elif move is d.Move.KOMENTAR:
            after = d.comment(before, actor, at, c, note)
        elif move is d.Move.KEMBALIKAN:
            after = d.send_back(before, actor, at, c, note)
        elif move is d.Move.BATALKAN:
            after = d.cancel(before, actor, at, c, note)
        else:
            raise d.MoveError("tanda tangan melalui `sign`")
        if after is not before:
            save(conn, before, after)
    return after


# ---------------------------------------------------------------- print and sign


def printed(conn: psycopg.Connection, x: d.Letter, day: date, c: d.Chart,
            number: str | None = None, verify_url: str | None = None) -> Printed:
    """What the letter's PDF shows on `day` (a draft when unnumbered)."""
    kop, _sig = document_head(conn, [x.unit_id], day)
    pos = c.positions[x.signer_position]
    holder = c.holder(x.signer_position, day)
    acting = next((a.kind.value for a in c.acting if a.position_id == pos.id
                   and a.nip == holder and a.covers(day)), None)
    copies = tuple(_label(n, day, c) for n in x.copies)
    people = tuple(Person(n, c.names.get(n, n), (p.name if (p := c.position_of(n, day))
                                                else "")) for n in x.people)
    duty = {}
    if x.duty is not None:
        duty = {"place": x.duty.place,
                "dates": long_date(x.duty.start) if x.duty.start == x.duty.end else
                f"{long_date(x.duty.start)} s.d. {long_date(x.duty.end)}"}
    return Printed(x.kind.value, d.KIND_TEXT[x.kind], kop, x.subject, x.body, x.addressee,
                   x.classification, d.URGENCY_TEXT[x.urgency], kop.place, day, pos.name,
                   {"plt": "Plt.", "plh": "Plh."}.get(acting or ""),
                   Person(holder, c.names.get(holder, holder)) if holder else None,
                   number, verify_url, copies, people, duty, draft=number is None)


def _label(nip: str, day: date, c: d.Chart) -> str:
    pos = c.position_of(nip, day)
    return pos.name if pos and pos.heads_unit else c.names.get(nip, nip)


def next_number(conn: psycopg.Connection, unit_id: str, year: int, register: str) -> int:
    """Raise the register's counter and return the new number; the row stays locked until
    the caller's transaction ends (see the module's rules)."""
    row = conn.execute(
        "INSERT INTO letter_counters (unit_id, year, register, last) VALUES (%s, %s, %s, 1) "
        "ON CONFLICT (unit_id, year, register) DO UPDATE SET last = letter_counters.last + 1 "
        "RETURNING last", (unit_id, year, register)).fetchone()
    assert row is not None
    return int(row[0])


def sign(conn: psycopg.Connection, rules: Rules, port: SignerPort, kinds: KindSet,
         letter_id: str | int, actor: str, at: datetime, base_url: str) -> d.Letter:
    """Number, render, sign and store the letter in one transaction as `actor` (its signer)
    at `at` (local time); nothing is stored, and no number used, when any step fails."""
    from pyhanko.pdf_utils.reader import PdfFileReader  # pyHanko loads with the first signing

    from .signing import sign_pdf
    from .verify import signature_digest

    with conn.transaction():
        before = load(conn, letter_id, lock=True)
        c = chart(conn)
        if not d.may_act(before, actor, at.date(), c) or before.state is not d.State.SIAP_TTD:
            d.sign(before, actor, at, c, "")  # raises the domain's reason
        seq = next_number(conn, before.unit_id, at.year, "nomor")
        number = rules.number(before.classification, seq, before.unit_id, at.year)
        after = d.sign(before, actor, at, c, number)
        token = secrets.token_urlsafe(18)
        url = f"{base_url.rstrip('/')}/verifikasi/{token}"
        pdf, box = render_letter(printed(conn, after, at.date(), c, number, url))
        assert box is not None  # a numbered letter always has its signature block
        p = printed(conn, after, at.date(), c)
        signed = sign_pdf(pdf, port, actor, box,
                          reason=f"{d.KIND_TEXT[after.kind]} {number}: {after.subject}"[:200],
                          location=p.place, name=c.names.get(actor, actor))
        cms = PdfFileReader(io.BytesIO(signed)).embedded_signatures[-1].signed_data.dump()
        save(conn, before, after)
        conn.execute("UPDATE letters SET number = %s, seq = %s, year = %s, signed_by = %s, "
                     "signed_at = %s, signed_pdf = %s, pdf_sha256 = %s, signature_sha256 = %s, "
                     "verify_token = %s WHERE id = %s",
                     (number, seq, at.year, actor, at, signed,
                      hashlib.sha256(signed).hexdigest(), signature_digest(cms), token,
                      _id(letter_id)))
        if after.kind is d.Kind.SURAT_TUGAS and after.duty is not None:
            _order_duties(conn, kinds, after, actor, at, number)
    return after


def _order_duties(conn: psycopg.Connection, kinds: KindSet, x: d.Letter, actor: str,
                  at: datetime, number: str) -> None:
    du = x.duty
    assert du is not None
    place = Place(du.place, du.lat, du.lon, du.radius_m)
    for nip in x.people:
        try:
            req = requests_store.file_by_order(conn, kinds, nip, du.start, du.end, place,
                                               x.subject, actor, at, f"surat tugas {number}")
        except ValueError as err:  # RequestError, an unknown employee: nothing is signed
            raise d.LetterError(f"dinas luar {nip} tidak dapat dicatat: {err}") from err
        conn.execute("UPDATE letter_people SET request_id = %s WHERE letter_id = %s AND "
                     "nip = %s", (int(req.id), _id(x.id), nip))


def signed_pdf(conn: psycopg.Connection, letter_id: str | int) -> tuple[str, bytes] | None:
    """The number and the stored signed PDF of a letter, or None before signing."""
    row = conn.execute("SELECT number, signed_pdf FROM letters WHERE id = %s AND signed_pdf "
                       "IS NOT NULL", (_id(letter_id),)).fetchone()
    return (row[0], bytes(row[1])) if row else None
