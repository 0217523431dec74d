"""Who sees which letter, the archive's full-text search, the inboxes with their counts, and
the letters' notices for the notify area.

Decisions written down here:

- A letter is *involved* with a person who wrote it, acted on it (any recorded move), is
  addressed or copied, is named in it (surat tugas), received or gave a disposition of it,
  registered it (TU), signed it, or holds today a position of its chain or its signer's.
- `biasa`: everyone involved, everyone working in its OPD (and a TU or OPD admin of it), and
  the regency-wide roles. `terbatas` and `rahasia`: the involved only, whatever their role.
  A secret letter's body is not indexed (migration 1100), so search finds it by subject only.
- The archive lists signed outgoing letters and registered incoming ones; drafts are only in
  their chain's inboxes and the author's list.
- Full-text search: PostgreSQL's `indonesian` configuration (Snowball stemming: "perjalanan"
  finds "jalan") over subject (weight A) and body (B), plus the number, agenda and sender
  as `simple` words; `websearch_to_tsquery` so people type as in a search box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg

from . import domain as d
from .rules import Rules, retention


@dataclass(frozen=True)
class Viewer:
    """Who is looking: NIP (None for an account without one), account, positions held today,
    OPDs whose `biasa` letters they read, and whether they read every OPD's."""

    username: str
    nip: str | None
    positions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    wide: bool = False


def viewer(conn: psycopg.Connection, username: str, nip: str | None, granted_units: frozenset[str],
           wide: bool, day: date) -> Viewer:
    """A viewer from an account: positions held on `day`, their OPD and granted units."""
    positions: list[str] = []
    units = set(granted_units)
    if nip:
        positions = [r[0] for r in conn.execute(
            "SELECT position_id FROM assignments WHERE nip = %(n)s AND start_date <= %(d)s "
            "AND (end_date IS NULL OR end_date >= %(d)s) UNION SELECT position_id FROM "
            "acting_assignments WHERE nip = %(n)s AND %(d)s BETWEEN start_date AND end_date",
            {"n": nip, "d": day})]
        row = conn.execute("SELECT unit_id FROM employees WHERE nip = %s", (nip,)).fetchone()
        if row:
            units.add(row[0])
    opds = set()
    for u in units:  # each unit's OPD (a letter's unit_id is its OPD's register)
        row = conn.execute(
            "WITH RECURSIVE up(id, parent_id, kind) AS (SELECT id, parent_id, kind FROM units "
            "WHERE id = %s UNION SELECT u.id, u.parent_id, u.kind FROM units u JOIN up ON "
            "u.id = up.parent_id) SELECT id FROM up WHERE kind = 'opd' LIMIT 1", (u,)).fetchone()
        opds.add(row[0] if row else u)
    return Viewer(username, nip, tuple(positions), tuple(sorted(opds | units)), wide)


_INVOLVED = """(
    l.author_nip = %(nip)s OR l.signed_by = %(nip)s OR l.registered_by = %(user)s
    OR l.signer_position_id = ANY(%(pos)s) OR l.chain && %(pos)s::text[]
    OR EXISTS (SELECT 1 FROM letter_events e WHERE e.letter_id = l.id AND e.actor = %(nip)s)
    OR EXISTS (SELECT 1 FROM letter_recipients r WHERE r.letter_id = l.id AND r.nip = %(nip)s)
    OR EXISTS (SELECT 1 FROM letter_people p WHERE p.letter_id = l.id AND p.nip = %(nip)s)
    OR EXISTS (SELECT 1 FROM dispositions x WHERE x.letter_id = l.id
               AND (x.to_nip = %(nip)s OR x.from_nip = %(nip)s)))"""
_VISIBLE = f"""({_INVOLVED} OR (l.access = 'biasa'
    AND (l.direction = 'masuk' OR l.state = 'ditandatangani')
    AND (%(wide)s OR l.unit_id = ANY(%(units)s))))"""


def _args(v: Viewer, **more: Any) -> dict[str, Any]:
    return {"nip": v.nip or "", "user": v.username, "pos": list(v.positions),
            "units": list(v.units), "wide": v.wide, **more}


def can_see(conn: psycopg.Connection, v: Viewer, letter_id: int) -> bool:
    """Whether the viewer may open the letter (see the module's rules)."""
    return conn.execute(f"SELECT 1 FROM letters l WHERE l.id = %(id)s AND {_VISIBLE}",
                        _args(v, id=letter_id)).fetchone() is not None


@dataclass(frozen=True)
class Found:
    """One archive row."""

    id: int
    direction: str
    kind: str
    number: str
    subject: str
    classification: str
    unit_id: str
    day: date
    access: str
    state: str
    snippet: str
    retention: tuple[int, int] | None = None
    fate: str = ""


@dataclass
class Query:
    """What the archive is asked."""

    text: str = ""
    classification: str = ""
    unit: str = ""
    since: date | None = None
    until: date | None = None
    direction: str = ""
    limit: int = 50
    problems: dict[str, str] = field(default_factory=dict)


def search(conn: psycopg.Connection, v: Viewer, q: Query, rules: Rules) -> list[Found]:
    """Archived letters the viewer may see that match the query, best first (newest first
    without words)."""
    where = ["(l.direction = 'masuk' OR l.state = 'ditandatangani')", _VISIBLE]
    args = _args(v, q=q.text.strip(), cls=q.classification.strip(), unit=q.unit.strip(),
                 since=q.since, until=q.until, dir=q.direction, n=q.limit)
    if args["q"]:
        where.append("l.search @@ (websearch_to_tsquery('indonesian', %(q)s) || "
                     "websearch_to_tsquery('simple', %(q)s))")
    if args["cls"]:
        where.append("(l.classification = %(cls)s OR l.classification LIKE %(cls)s || '.%%')")
    if args["unit"]:
        where.append("l.unit_id = %(unit)s")
    if q.since:
        where.append("coalesce(l.signed_at::date, l.received_on) >= %(since)s")
    if q.until:
        where.append("coalesce(l.signed_at::date, l.received_on) <= %(until)s")
    if q.direction in ("keluar", "masuk"):
        where.append("l.direction = %(dir)s")
    rank = ("ts_rank(l.search, websearch_to_tsquery('indonesian', %(q)s) || "
            "websearch_to_tsquery('simple', %(q)s)) DESC, " if args["q"] else "")
    snippet = ("ts_headline('indonesian', CASE WHEN l.access = 'rahasia' THEN l.subject "
               "ELSE l.body END, websearch_to_tsquery('indonesian', %(q)s), "
               "'MaxWords=18, MinWords=6, StartSel=«, StopSel=»')" if args["q"]
               else "left(CASE WHEN l.access = 'rahasia' THEN '' ELSE l.body END, 160)")
    rows = conn.execute(
        f"SELECT l.id, l.direction, l.kind, coalesce(l.number, l.agenda, ''), l.subject, "
        f"l.classification, l.unit_id, coalesce(l.signed_at::date, l.received_on), l.access, "
        f"l.state, {snippet} FROM letters l WHERE {' AND '.join(where)} "
        f"ORDER BY {rank}coalesce(l.signed_at::date, l.received_on) DESC, l.id DESC "
        f"LIMIT %(n)s", args).fetchall()
    out = []
    for r in rows:
        c = rules.by_code.get(r[5])
        out.append(Found(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                         retention(c, r[7].year) if c and r[7] else None,
                         c.nasib_akhir if c else ""))
    return out


# ---------------------------------------------------------------- inboxes


@dataclass
class Inbox:
    """A person's letter inboxes (SRIKANDI's names) and their counts."""

    to_sign: list[d.Letter] = field(default_factory=list)
    to_initial: list[d.Letter] = field(default_factory=list)
    incoming_unread: list[tuple[Any, ...]] = field(default_factory=list)
    dispositions: list[Any] = field(default_factory=list)
    copies: list[tuple[Any, ...]] = field(default_factory=list)
    mine: list[d.Letter] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many in each box."""
        return {"ttd": len(self.to_sign), "paraf": len(self.to_initial),
                "masuk": len(self.incoming_unread), "disposisi": len(self.dispositions),
                "tembusan": len(self.copies)}


def waiting_for(conn: psycopg.Connection, nip: str, day: date, c: d.Chart
                ) -> tuple[list[d.Letter], list[d.Letter]]:
    """Letters waiting for `nip`'s signature and for their paraf on `day`."""
    from .store import select

    held = {p for p in c.positions if c.holder(p, day) == nip}
    if not held:
        return [], []
    waiting = select(conn, "state IN ('diperiksa', 'siap_ttd') AND (signer_position_id = "
                    "ANY(%(p)s) OR chain && %(p)s::text[])", {"p": sorted(held)})
    sign = [x for x in waiting if x.state is d.State.SIAP_TTD and d.may_act(x, nip, day, c)]
    initial = [x for x in waiting if x.state is d.State.DIPERIKSA and d.may_act(x, nip, day, c)]
    return sign, initial


def inbox(conn: psycopg.Connection, nip: str, day: date, c: d.Chart) -> Inbox:
    """Everything waiting for `nip` on `day`."""
    from . import incoming
    from .store import select

    box = Inbox()
    box.to_sign, box.to_initial = waiting_for(conn, nip, day, c)
    box.incoming_unread = conn.execute(
        "SELECT l.id, l.agenda, l.subject, l.sender, l.received_on, l.urgency, x.id "
        "FROM dispositions x JOIN letters l ON l.id = x.letter_id WHERE x.to_nip = %s "
        "AND x.parent_id IS NULL AND x.state = 'baru' ORDER BY l.id DESC", (nip,)).fetchall()
    box.dispositions = [t for t in incoming.tasks(conn, nip)
                        if t.disposition_id not in {r[6] for r in box.incoming_unread}]
    box.copies = conn.execute(
        "SELECT l.id, l.number, l.subject, l.signed_at FROM letter_recipients r JOIN letters l "
        "ON l.id = r.letter_id WHERE r.nip = %s AND r.read_at IS NULL AND l.state = "
        "'ditandatangani' ORDER BY l.signed_at DESC", (nip,)).fetchall()
    box.mine = list(reversed(select(conn, "author_nip = %s", (nip,))))
    return box


def notices(conn: psycopg.Connection, today: date, users: dict[str, str]) -> list[Any]:
    """The letters' notices for `notify.store.collect`: waiting to sign, to initial, and an
    incoming letter or disposition (each once: the key names the step and the version)."""
    from ..notify.domain import DISPOSITION_IN, LETTER_TO_INITIAL, LETTER_TO_SIGN, Notice
    from .store import chart, select

    out: list[Notice] = []
    waiting = select(conn, "state IN ('diperiksa', 'siap_ttd')", ())
    if waiting:
        c = chart(conn)
        for x in waiting:
            pos = x.pending_position
            nip = c.holder(pos, today) if pos else None
            if nip in users:
                kind = LETTER_TO_SIGN if x.state is d.State.SIAP_TTD else LETTER_TO_INITIAL
                out.append(Notice(users[nip], kind, f"surat-{x.id}-{x.state}-{x.step}-"
                                  f"{len(x.events)}-{nip}", f"{d.KIND_TEXT[x.kind]}: {x.subject}",
                                  f"/surat/{x.id}"))
    for xid, lid, nip, subject, instruction in conn.execute(
            "SELECT x.id, l.id, x.to_nip, l.subject, x.instruction FROM dispositions x JOIN "
            "letters l ON l.id = x.letter_id WHERE x.state = 'baru'").fetchall():
        if nip in users:
            out.append(Notice(users[nip], DISPOSITION_IN, f"disposisi-{xid}",
                              f"{subject}" + (f" — {instruction}" if instruction else ""),
                              f"/surat/masuk/{lid}"))
    return out
