"""Incoming letters in PostgreSQL: registering a scan with its agenda number, dispositions
down the hierarchy (`disposition.py`'s rules), the lembar disposisi, and a disposition that
becomes a day's LKH activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from ..lkh import store as lkh_store
from ..lkh.domain import Activity
from ..org.domain import head_position, opd_of
from . import disposition as dp
from .domain import Access, Chart, LetterError, Urgency
from .rules import Rules
from .store import chart, next_number

#: what a scan may be, by its first bytes
SCAN_MAGIC = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png",
              b"\xff\xd8\xff": "image/jpeg"}
MAX_SCAN = 20 * 1024 * 1024


@dataclass(frozen=True)
class Incoming:
    """An incoming letter's register entry."""

    id: int
    unit_id: str
    agenda: str
    sender: str
    letter_number: str
    letter_date: date | None
    received_on: date | None
    subject: str
    body: str
    classification: str
    urgency: str
    access: str
    deadline: date | None
    state: str
    scan_name: str | None
    scan_mime: str | None
    registered_by: str


@dataclass(frozen=True)
class Task:
    """A disposition waiting for its recipient: what the LKH page and the inbox show."""

    disposition_id: int
    letter_id: int
    agenda: str
    subject: str
    sender: str
    from_name: str
    instruction: str
    deadline: date | None
    read: bool


def scan_mime(data: bytes) -> str | None:
    """The media type of a scan (PDF, PNG or JPEG) by its first bytes, None otherwise."""
    return next((m for magic, m in SCAN_MAGIC.items() if data.startswith(magic)), None)


def register(conn: psycopg.Connection, rules: Rules, by: str, unit_id: str, day: date, *,
             sender: str, letter_number: str, letter_date: date | None, subject: str,
             classification: str, urgency: Urgency = Urgency.BIASA,
             access: Access = Access.BIASA, deadline: date | None = None, summary: str = "",
             scan: bytes | None = None, scan_name: str | None = None) -> Incoming:
    """Register a received letter for `unit_id` (its agenda number from the unit's OPD
    register) and send it to whoever heads the unit on `day`; LetterError names problems."""
    problems = []
    if not sender.strip():
        problems.append("pengirim wajib diisi")
    if not subject.strip():
        problems.append("perihal wajib diisi")
    if classification not in rules.by_code:
        problems.append(f"kode klasifikasi tidak dikenal: {classification}")
    mime = None
    if scan is not None:
        mime = scan_mime(scan)
        if mime is None:
            problems.append("pindaian harus PDF, PNG atau JPEG")
        elif len(scan) > MAX_SCAN:
            problems.append(f"pindaian paling besar {MAX_SCAN // (1024 * 1024)} MB")
    c = chart(conn)
    if unit_id not in c.units:
        problems.append(f"unit {unit_id} tidak ada")
    if problems:
        raise LetterError("; ".join(problems))
    head = head_position(unit_id, c.positions)
    holder = c.holder(head.id, day) if head else None
    if holder is None:
        raise LetterError(f"{c.units[unit_id].name} tidak punya pimpinan pada {day:%d-%m-%Y}: "
                          "surat tidak dapat diteruskan")
    register_unit = opd_of(unit_id, c.units) or unit_id
    with conn.transaction():
        seq = next_number(conn, register_unit, day.year, "agenda")
        agenda = rules.agenda(seq, register_unit, day.year)
        row = conn.execute(
            "INSERT INTO letters (direction, kind, state, unit_id, subject, body, "
            "classification, access, urgency, agenda, agenda_seq, year, sender, letter_number, "
            "letter_date, received_on, deadline, scan, scan_mime, scan_name, registered_by) "
            "VALUES ('masuk', 'masuk', 'diterima', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (unit_id, subject.strip(), summary.strip(), classification, access.value,
             urgency.value, agenda, seq, day.year, sender.strip(), letter_number.strip(),
             letter_date, day, deadline, scan, mime, scan_name, by)).fetchone()
        assert row is not None
        conn.execute("INSERT INTO dispositions (letter_id, to_nip, deadline) VALUES "
                     "(%s, %s, %s)", (row[0], holder, deadline))
    return load(conn, row[0])


_IN_COLS = ("id, unit_id, agenda, sender, letter_number, letter_date, received_on, subject, "
            "body, classification, urgency, access, deadline, state, scan_name, scan_mime, "
            "registered_by")


def load(conn: psycopg.Connection, letter_id: int) -> Incoming:
    """One incoming letter; LookupError when there is none."""
    row = conn.execute(f"SELECT {_IN_COLS} FROM letters WHERE id = %s AND direction = 'masuk'",
                       (letter_id,)).fetchone()
    if row is None:
        raise LookupError(f"surat masuk {letter_id} tidak ditemukan")
    return Incoming(*row)


def scan(conn: psycopg.Connection, letter_id: int) -> tuple[bytes, str, str] | None:
    """The stored scan: bytes, media type, file name."""
    row = conn.execute("SELECT scan, scan_mime, coalesce(scan_name, 'pindaian') FROM letters "
                       "WHERE id = %s AND scan IS NOT NULL", (letter_id,)).fetchone()
    return (bytes(row[0]), row[1], row[2]) if row else None


def dispositions(conn: psycopg.Connection, letter_id: int) -> list[tuple[dp.Disposition,
                                                                         dict[str, Any]]]:
    """The letter's dispositions with when each was made, read and done."""
    out = []
    for r in conn.execute(
            "SELECT id, letter_id, parent_id, from_nip, to_nip, instruction, deadline, state, "
            "created_at, read_at, done_at, done_note, lkh_day FROM dispositions "
            "WHERE letter_id = %s ORDER BY id", (letter_id,)).fetchall():
        out.append((dp.Disposition(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                                   dp.DispState(r[7])),
                    {"created_at": r[8], "read_at": r[9], "done_at": r[10], "done_note": r[11],
                     "lkh_day": r[12]}))
    return out


def _disposition(conn: psycopg.Connection, disposition_id: int) -> dp.Disposition:
    row = conn.execute("SELECT id, letter_id, parent_id, from_nip, to_nip, instruction, "
                       "deadline, state FROM dispositions WHERE id = %s FOR UPDATE",
                       (disposition_id,)).fetchone()
    if row is None:
        raise LetterError(f"disposisi {disposition_id} tidak ditemukan")
    return dp.Disposition(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                          dp.DispState(row[7]))


def _restate(conn: psycopg.Connection, letter_id: int) -> None:
    state = dp.letter_state(d for d, _ in dispositions(conn, letter_id))
    conn.execute("UPDATE letters SET state = %s WHERE id = %s", (state.value, letter_id))


def candidates(conn: psycopg.Connection, nip: str, day: date,
               c: Chart | None = None) -> list[tuple[str, str]]:
    """(NIP, 'name — position') of everyone `nip` may dispose to on `day`."""
    c = c or chart(conn)
    people = [a.nip for a in c.assignments if a.covers(day)]
    out = []
    for p in sorted(set(dp.below(nip, day, c, people))):
        pos = c.position_of(p, day)
        out.append((p, f"{c.names.get(p, p)} — {pos.name if pos else ''}"))
    return sorted(out, key=lambda t: (not _heads(t[0], day, c), t[1]))


def _heads(nip: str, day: date, c: Chart) -> bool:
    pos = c.position_of(nip, day)
    return bool(pos and pos.heads_unit)


def dispose(conn: psycopg.Connection, disposition_id: int, actor: str, to: list[str],
            instruction: str, deadline: date | None, today: date) -> list[int]:
    """Pass a disposition on to people below `actor` with an instruction; the new ids."""
    with conn.transaction():
        d = _disposition(conn, disposition_id)
        c = chart(conn)
        allowed = [p for p, _ in candidates(conn, actor, today, c)]
        dp.check_dispose(d, actor, to, allowed, instruction.strip(), deadline, today)
        ids = []
        for nip in dict.fromkeys(to):
            row = conn.execute(
                "INSERT INTO dispositions (letter_id, parent_id, from_nip, to_nip, instruction, "
                "deadline) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (d.letter_id, d.id, actor, nip, instruction.strip(), deadline)).fetchone()
            assert row is not None
            ids.append(int(row[0]))
        conn.execute("UPDATE dispositions SET state = 'diteruskan', done_at = now(), "
                     "read_at = coalesce(read_at, now()) WHERE id = %s", (d.id,))
        _restate(conn, d.letter_id)
    return ids


def finish(conn: psycopg.Connection, disposition_id: int, actor: str, note: str,
           lkh_day: date | None = None) -> dp.Disposition:
    """The recipient acted on the disposition (with a note)."""
    with conn.transaction():
        d = _disposition(conn, disposition_id)
        dp.check_done(d, actor)
        if not note.strip():
            raise LetterError("tulis tindak lanjutnya")
        conn.execute("UPDATE dispositions SET state = 'selesai', done_at = now(), done_note = "
                     "%s, lkh_day = %s, read_at = coalesce(read_at, now()) WHERE id = %s",
                     (note.strip()[:1000], lkh_day, d.id))
        _restate(conn, d.letter_id)
    return d


def to_lkh(conn: psycopg.Connection, disposition_id: int, actor: str, by: str, today: date,
           link: str, minutes: int = 60) -> None:
    """The one action that turns a disposition into today's LKH activity (the letter linked)
    and marks it done; LkhError/LetterError when today's report can no longer change."""
    with conn.transaction():
        d = _disposition(conn, disposition_id)
        dp.check_done(d, actor)
        row = conn.execute("SELECT coalesce(agenda, ''), subject FROM letters WHERE id = %s",
                           (d.letter_id,)).fetchone()
        assert row is not None
        agenda, subject = row
        what = f"Tindak lanjut disposisi surat {agenda}: {subject}"[:500]
        text = d.instruction or "ditindaklanjuti"
        lkh_store.append(conn, actor, today, Activity(what, text[:200], Decimal(1), "surat", minutes,
                                                      link), by, today)
        finish(conn, disposition_id, actor, f"dicatat di LKH {today:%d-%m-%Y}", today)


def tasks(conn: psycopg.Connection, nip: str) -> list[Task]:
    """Dispositions waiting for `nip`, oldest deadline first."""
    rows = conn.execute(
        "SELECT x.id, l.id, coalesce(l.agenda, ''), l.subject, coalesce(l.sender, ''), "
        "coalesce(e.name, 'Tata Usaha'), x.instruction, x.deadline, x.read_at IS NOT NULL "
        "FROM dispositions x JOIN letters l ON l.id = x.letter_id "
        "LEFT JOIN employees e ON e.nip = x.from_nip WHERE x.to_nip = %s AND x.state = 'baru' "
        "ORDER BY x.deadline NULLS LAST, x.id", (nip,)).fetchall()
    return [Task(*r) for r in rows]


def mark_read(conn: psycopg.Connection, letter_id: int, nip: str) -> None:
    """The letter opened by `nip`: their dispositions and copies of it read."""
    conn.execute("UPDATE dispositions SET read_at = now() WHERE letter_id = %s AND to_nip = %s "
                 "AND read_at IS NULL", (letter_id, nip))
    conn.execute("UPDATE letter_recipients SET read_at = now() WHERE letter_id = %s AND "
                 "nip = %s AND read_at IS NULL", (letter_id, nip))


def sheet_rows(conn: psycopg.Connection, letter_id: int, c: Chart) -> list[Any]:
    """The lembar disposisi's rows, each under its parent."""
    from .pdf import SheetRow

    rows = dispositions(conn, letter_id)
    extra = {d.id: x for d, x in rows}
    out = []
    for depth, d in dp.tree(d for d, _ in rows):
        x = extra[d.id]
        sender = c.names.get(d.from_nip, d.from_nip) if d.from_nip else "Tata Usaha"
        out.append(SheetRow(depth, sender, c.names.get(d.to_nip, d.to_nip), d.instruction,
                            d.deadline, dp.DISP_TEXT[d.state],
                            f"{x['created_at']:%d-%m-%Y %H.%M}"))
    return out


def registered_at(conn: psycopg.Connection, letter_id: int) -> datetime:
    """When the letter was registered."""
    row = conn.execute("SELECT created_at FROM letters WHERE id = %s", (letter_id,)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]
