"""SQL of notices: a person's list and preferences, and delivering messages on each person's
channels — the daily digest and urgent notices at once — each message at most once per channel
(see `_deliver`). Collecting notices is in `collect`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import psycopg

from .channels import Channel, DeliveryError
from .collect import collect as collect
from .domain import (
    CHANNELS,
    URGENT_KINDS,
    Outgoing,
    Prefs,
    digest,
    urgent,
)

logger = logging.getLogger(__name__)
#: urgent notices older than this are left to the inbox (a worker that was down for a day
#: does not flood people with yesterday's alarms)
URGENT_WITHIN = timedelta(hours=6)


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


_PREFS = "SELECT email, phone, channels, daily_digest, urgent_now FROM notification_prefs"


def _prefs(row: tuple[object, ...] | None) -> Prefs:
    if row is None:
        return Prefs()
    email, phone, channels, daily, now = row
    return Prefs(str(email or ""), str(phone or ""),
                 frozenset(c for c in channels if c in CHANNELS),  # type: ignore[attr-defined]
                 bool(daily), bool(now))


def prefs(conn: psycopg.Connection, username: str) -> Prefs:
    """The person's addresses, channels and choices (the defaults when never saved)."""
    return _prefs(conn.execute(_PREFS + " WHERE username = %s", (username,)).fetchone())


def set_prefs(conn: psycopg.Connection, username: str, p: Prefs) -> None:
    """Save the person's addresses (empty: none), channels and choices."""
    conn.execute(
        "INSERT INTO notification_prefs (username, email, phone, channels, daily_digest, "
        "urgent_now) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO UPDATE SET "
        "email = EXCLUDED.email, phone = EXCLUDED.phone, channels = EXCLUDED.channels, "
        "daily_digest = EXCLUDED.daily_digest, urgent_now = EXCLUDED.urgent_now",
        (username, p.email or None, p.phone or None, sorted(p.channels), p.daily_digest,
         p.urgent_now))


def _deliver(conn: psycopg.Connection, out: Outgoing, p: Prefs,
             channels: Mapping[str, Channel], failed: list[str]) -> int:
    """Send `out` on each of the person's reachable channels that the deployment has; how many
    went. Never twice: the (key, channel) row is committed before sending, so a retry finds it
    and skips; when the channel refuses, the row is removed again and the failure noted, so the
    next try sends it."""
    sent = 0
    for name in p.reachable():
        channel = channels.get(name)
        if channel is None:
            continue
        with conn.transaction():
            claimed = conn.execute(
                "INSERT INTO notification_deliveries (key, channel, username, notices) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING key",
                (out.key, name, out.username, len(out.notices))).fetchone()
        if claimed is None:
            continue  # sent (or being sent) already
        try:
            channel.send(out, p.address(name))
        except DeliveryError as err:
            logger.warning("not delivered (%s, %s): %s; the next try sends it", out.key, name,
                           err)
            conn.execute("DELETE FROM notification_deliveries WHERE key = %s AND channel = %s",
                         (out.key, name))
            failed.append(f"{out.key} ({name})")
            continue
        conn.execute("UPDATE notification_deliveries SET sent_at = now() WHERE key = %s AND "
                     "channel = %s", (out.key, name))
        sent += 1
    return sent


def _raise_if(failed: list[str]) -> None:
    if failed:
        raise DeliveryError(f"{len(failed)} message(s) not delivered, retried later: "
                            + ", ".join(failed[:5]))


def send_digests(conn: psycopg.Connection, channels: Mapping[str, Channel], day: date,
                 base_url: str = "") -> int:
    """The day's digest to everyone who wants one: the notices not yet in a digest, urgent ones
    already sent at once excluded; how many messages went. A retry for the same day sends what
    failed and nothing twice, with the same notices on every channel (a person's notices are
    fixed for the day once one of their channels took the digest); raises DeliveryError after
    trying everyone when some failed."""
    with conn.transaction():
        conn.execute(
            "UPDATE notifications n SET digest_day = %s WHERE digest_day IS NULL "
            "AND NOT (kind = ANY(%s) AND EXISTS (SELECT 1 FROM notification_deliveries d "
            "WHERE d.key = 'segera:' || n.id)) AND NOT EXISTS (SELECT 1 FROM "
            "notification_deliveries d WHERE d.key = 'ringkasan:' || n.username || ':' || %s)",
            (day, list(URGENT_KINDS), day.isoformat()))
    people = conn.execute(
        "SELECT DISTINCT p.username, p.email, p.phone, p.channels, p.daily_digest, "
        "p.urgent_now FROM notification_prefs p JOIN notifications n ON n.username = "
        "p.username WHERE n.digest_day = %s AND p.daily_digest ORDER BY p.username",
        (day,)).fetchall()
    sent, failed = 0, list[str]()
    for username, *row in people:
        rows = conn.execute("SELECT kind, title, link FROM notifications WHERE username = %s "
                            "AND digest_day = %s ORDER BY created_at, id",
                            (username, day)).fetchall()
        sent += _deliver(conn, digest(username, day, rows, base_url), _prefs(tuple(row)),
                         channels, failed)
    _raise_if(failed)
    return sent


def send_urgent(conn: psycopg.Connection, channels: Mapping[str, Channel], now: datetime,
                base_url: str = "") -> int:
    """Urgent notices (a kiosk offline) of the last hours, each as its own message, to the
    people who want them at once; how many messages went (raises DeliveryError after trying
    them all when some failed)."""
    rows = conn.execute(
        "SELECT n.id, n.username, n.kind, n.title, n.link, p.email, p.phone, p.channels, "
        "p.daily_digest, p.urgent_now FROM notifications n JOIN notification_prefs p "
        "ON p.username = n.username WHERE n.kind = ANY(%s) AND n.created_at > %s "
        "AND p.urgent_now AND n.digest_day IS NULL ORDER BY n.id",
        (list(URGENT_KINDS), now - URGENT_WITHIN)).fetchall()
    sent, failed = 0, list[str]()
    for nid, username, kind, title, link, *row in rows:
        sent += _deliver(conn, urgent(nid, username, kind, title, link, base_url),
                         _prefs(tuple(row)), channels, failed)
    _raise_if(failed)
    return sent

