"""SQL of notices: collecting them from the state of requests and LKH, the portal's list, and
the daily digest e-mails (sent once: see `send_digests`)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from ..lkh.store import atasan_for
from ..org.store import load_chart
from ..requests import store as requests_store
from ..requests.domain import approvers
from ..tpp import store as tpp_store
from .domain import (
    DECIDED_REQUEST,
    MISSING_LKH,
    WAITING_LKH,
    WAITING_REQUEST,
    Notice,
    digest,
    message_id,
)

logger = logging.getLogger(__name__)
_DECIDED = {"disetujui": "disetujui", "dikembalikan": "dikembalikan untuk diperbaiki",
            "ditolak": "ditolak"}


@dataclass(frozen=True)
class Smtp:
    """Where digests go out."""

    host: str
    port: int
    sender: str
    base_url: str = ""


def _accounts(conn: psycopg.Connection) -> dict[str, str]:
    """NIP → username of every employee's account."""
    return dict(conn.execute("SELECT nip, username FROM portal_users WHERE nip IS NOT NULL"))


def _requests(conn: psycopg.Connection, today: date, users: dict[str, str]) -> list[Notice]:
    out = []
    org = requests_store.org_on(conn, today)
    for req in requests_store.waiting(conn):
        for nip in sorted(approvers(req, today, org)):
            if nip in users:
                out.append(Notice(users[nip], WAITING_REQUEST,
                                  f"permohonan-{req.id}-langkah-{req.step}-{nip}-"
                                  f"{len(req.events)}",
                                  f"Permohonan {req.kind} {req.nip} {req.start:%d-%m-%Y}"
                                  f"–{req.end:%d-%m-%Y}", "/permohonan/masuk"))
    for eid, rid, nip, kind, state, note in conn.execute(
            "SELECT e.id, r.id, r.nip, r.kind, e.to_state, e.note FROM request_events e "
            "JOIN requests r ON r.id = e.request_id WHERE e.to_state = ANY(%s) "
            "AND e.at > %s", (list(_DECIDED), today - timedelta(days=30))).fetchall():
        if nip in users:
            out.append(Notice(users[nip], DECIDED_REQUEST, f"permohonan-peristiwa-{eid}",
                              f"Permohonan {kind} Anda {_DECIDED[state]}"
                              + (f": {note}" if note else ""), f"/permohonan/{rid}"))
    return out


def _lkh(conn: psycopg.Connection, today: date, users: dict[str, str]) -> list[Notice]:
    out = []
    rows = conn.execute("SELECT r.nip, r.day, e.unit_id, r.submitted_at FROM lkh_reports r "
                        "JOIN employees e ON e.nip = r.nip WHERE r.status = 'diajukan'").fetchall()
    chart = load_chart(conn) if rows else None
    for nip, day, unit, submitted in rows:
        assert chart is not None
        boss = atasan_for(chart, nip, unit, day)
        if boss in users:
            out.append(Notice(users[boss], WAITING_LKH,
                              f"lkh-{nip}-{day}-{submitted:%Y%m%d%H%M%S}-{boss}",
                              f"LKH {nip} tanggal {day:%d-%m-%Y}", "/lkh/tinjau"))
    # yesterday's LKH, where yesterday was a working day of the person's office
    yesterday = today - timedelta(days=1)
    cals = tpp_store.office_calendars(conn, yesterday, yesterday)
    filed = {r[0] for r in conn.execute("SELECT nip FROM lkh_reports WHERE day = %s",
                                        (yesterday,))}
    for e in tpp_store.employees(conn, yesterday, yesterday):
        cal = cals.get(e.office_id)
        if (e.nip in users and e.nip not in filed and cal is not None
                and cal.day(yesterday).working):
            out.append(Notice(users[e.nip], MISSING_LKH, f"lkh-kosong-{e.nip}-{yesterday}",
                              f"LKH tanggal {yesterday:%d-%m-%Y} belum diisi",
                              f"/lkh/{yesterday.isoformat()}"))
    return out


def collect(conn: psycopg.Connection, today: date) -> int:
    """Record the notices the present state gives; how many are new (a notice already
    recorded is not recorded again)."""
    users = _accounts(conn)
    from ..letters.archive import notices as letter_notices

    notices = (_requests(conn, today, users) + _lkh(conn, today, users)
               + letter_notices(conn, today, users))
    new = 0
    with conn.transaction(), conn.cursor() as cur:
        for n in notices:
            cur.execute("INSERT INTO notifications (username, kind, dedupe, title, link) "
                        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (dedupe) DO NOTHING",
                        (n.username, n.kind, n.dedupe, n.title, n.link))
            new += cur.rowcount
    return new


def send_digests(conn: psycopg.Connection, smtp: Smtp, day: date) -> int:
    """One e-mail per person with an address and notices not yet sent; how many were sent.

    Never twice: the person's digest row for the day (with the notices it covers) is committed
    before the e-mail goes; a retry finds it and sends nothing. When the server refuses or is
    away the row is removed again, so the retry sends it.
    """
    sent = 0
    people = conn.execute(
        "SELECT DISTINCT n.username, p.email FROM notifications n JOIN notification_prefs p "
        "ON p.username = n.username WHERE n.digest_day IS NULL AND p.daily_digest "
        "AND p.email IS NOT NULL AND p.email <> '' ORDER BY n.username").fetchall()
    domain = smtp.sender.rsplit("@", 1)[-1].strip("> ") or "hadir"
    for username, email in people:
        mid = message_id(username, day, domain)
        with conn.transaction():
            claimed = conn.execute(
                "INSERT INTO notification_digests (username, day, message_id, notices) "
                "VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING RETURNING username",
                (username, day, mid)).fetchone()
            if claimed is None:
                continue  # sent (or being sent) already today
            rows = conn.execute(
                "UPDATE notifications SET digest_day = %s WHERE username = %s "
                "AND digest_day IS NULL RETURNING kind, title, link, created_at",
                (day, username)).fetchall()
            conn.execute("UPDATE notification_digests SET notices = %s WHERE username = %s "
                         "AND day = %s", (len(rows), username, day))
        titles = [(k, t, link) for k, t, link, _at in sorted(rows, key=lambda r: r[3])]
        msg = digest(username, email, smtp.sender, day, titles, smtp.base_url, mid)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as server:
                server.send_message(msg)
        except (OSError, smtplib.SMTPException):
            with conn.transaction():  # not sent: the next try sends it
                conn.execute("DELETE FROM notification_digests WHERE username = %s AND day = %s",
                             (username, day))
                conn.execute("UPDATE notifications SET digest_day = NULL WHERE username = %s "
                             "AND digest_day = %s", (username, day))
            raise
        conn.execute("UPDATE notification_digests SET sent_at = now() WHERE username = %s "
                     "AND day = %s", (username, day))
        sent += 1
    return sent


def for_user(conn: psycopg.Connection, username: str, limit: int = 100
             ) -> list[tuple[int, str, str, str, datetime, datetime | None]]:
    """A person's notices, newest first: (id, kind, title, link, created_at, read_at)."""
    return conn.execute("SELECT id, kind, title, link, created_at, read_at FROM notifications "
                        "WHERE username = %s ORDER BY created_at DESC, id DESC LIMIT %s",
                        (username, limit)).fetchall()


def unread(conn: psycopg.Connection, username: str) -> int:
    """How many of a person's notices are unread."""
    row = conn.execute("SELECT count(*) FROM notifications WHERE username = %s AND read_at "
                       "IS NULL", (username,)).fetchone()
    return int(row[0]) if row else 0


def mark_read(conn: psycopg.Connection, username: str) -> None:
    """Every notice of the person read."""
    conn.execute("UPDATE notifications SET read_at = now() WHERE username = %s AND read_at "
                 "IS NULL", (username,))


def prefs(conn: psycopg.Connection, username: str) -> tuple[str, bool]:
    """The person's e-mail address and whether they get the daily digest."""
    row = conn.execute("SELECT email, daily_digest FROM notification_prefs WHERE username = %s",
                       (username,)).fetchone()
    return (row[0] or "", bool(row[1])) if row else ("", True)


def set_prefs(conn: psycopg.Connection, username: str, email: str, daily: bool) -> None:
    """Save the person's address (empty: none) and digest choice."""
    conn.execute("INSERT INTO notification_prefs (username, email, daily_digest) VALUES "
                 "(%s, %s, %s) ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, "
                 "daily_digest = EXCLUDED.daily_digest", (username, email or None, daily))
