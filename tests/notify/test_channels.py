"""Notices beyond requests and LKH, and the webhook channel a WhatsApp/Telegram gateway sits
behind: a kiosk offline for 30 minutes reaches IT at once, a PP 94/2021 threshold one or two
TK days away reaches HR (BKPSDM, the person's OPD admin) and the atasan, and every message goes
once per channel even when one channel fails and the job is retried. The gateway is a real
HTTP server on loopback; e-mail a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.notify import collect, store
from hadir_cloud.notify.channels import DeliveryError, Smtp, Webhook, from_settings
from hadir_cloud.notify.domain import KIOSK_OFFLINE, NEAR_SANCTION, Prefs
from hadir_cloud.settings import CloudSettings, SettingsError
from test_notify import Inbox, smtp  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tpp"))
from test_tpp_store import DEWI, GURU, SARI, seed_october  # noqa: E402

SECRET = "rahasia-gateway-0123456789"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


class Gateway:
    """A webhook receiver: keeps every body it accepts, answers `status` (a queue of codes)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.codes: list[int] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = gateway.codes.pop(0) if gateway.codes else 200
                if code == 200:
                    gateway.received.append((dict(self.headers), body))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kirim"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(b) for _h, b in self.received]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    yield g
    g.server.shutdown()
    g.server.server_close()


def _kiosk(conn: psycopg.Connection, device: str, heard: datetime, disabled: bool = False) -> None:
    conn.execute("INSERT INTO offices (id, name, tz) VALUES ('sdn-7', 'SD Negeri 7', "
                 "'Asia/Makassar') ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO devices (id, public_key, office_id, disabled) VALUES "
                 "(%s, 'k', 'sdn-7', %s)", (device, disabled))
    conn.execute("INSERT INTO device_state (device_id, state, status_at, last_telemetry_at) "
                 "VALUES (%s, 'online', %s, %s)", (device, heard - timedelta(hours=3), heard))


def _account(conn: psycopg.Connection, username: str, role: str | None = None,
             unit: str | None = None, nip: str | None = None) -> None:
    conn.execute("INSERT INTO portal_users (username, nip) VALUES (%s, %s)", (username, nip))
    if role:
        conn.execute("INSERT INTO role_grants (username, role, unit_id) VALUES (%s, %s, %s)",
                     (username, role, unit))


def test_a_kiosk_offline_30_minutes_reaches_it_at_once_once_per_channel(
        fresh_db: str, gateway: Gateway, smtp):  # noqa: F811
    inbox, mail = smtp
    from hadir_cloud.db.migrate import upgrade

    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        _kiosk(conn, "kiosk-sdn7", NOW - timedelta(minutes=45))
        _kiosk(conn, "kiosk-baru", NOW - timedelta(minutes=20))  # not yet 30 minutes
        _kiosk(conn, "kiosk-gudang", NOW - timedelta(days=3), disabled=True)  # disabled: quiet
        _account(conn, "it1", "operator_ti")
        _account(conn, "it2", "operator_ti")
        _account(conn, "hr", "admin_bkpsdm")
        store.set_prefs(conn, "it1", Prefs(email="it1@hadir.example", phone="081234567890",
                                           channels=frozenset({"email", "webhook"})))
        store.set_prefs(conn, "it2", Prefs(email="it2@hadir.example", urgent_now=False))
        assert collect.collect(conn, NOW.date(), NOW) == 2  # it1 and it2, one kiosk
        assert collect.collect(conn, NOW.date(), NOW + timedelta(minutes=10)) == 0
        got = conn.execute("SELECT username, kind, title FROM notifications ORDER BY username"
                           ).fetchall()
        assert [(u, k) for u, k, _t in got] == [("it1", KIOSK_OFFLINE), ("it2", KIOSK_OFFLINE)]
        assert "kiosk-sdn7 (SD Negeri 7)" in got[0][2] and "45 menit" in got[0][2]

        ways = {"email": mail, "webhook": Webhook(gateway.url, SECRET)}
        gateway.codes = [503]  # the gateway is down the first time
        with pytest.raises(DeliveryError):
            store.send_urgent(conn, ways, NOW, "https://hadir.example")
        assert [m["To"] for m in inbox.messages] == ["it1@hadir.example"]  # it2: digest only
        assert gateway.received == []
        assert store.send_urgent(conn, ways, NOW, "https://hadir.example") == 1  # the webhook
        assert store.send_urgent(conn, ways, NOW) == 0  # again: nothing twice
        assert len(inbox.messages) == 1 and len(gateway.received) == 1
        headers, body = gateway.received[0]
        assert headers["X-Hadir-Signature"] == "sha256=" + hmac.new(
            SECRET.encode(), body, hashlib.sha256).hexdigest()
        msg = json.loads(body)
        assert msg["to"] == "081234567890" and msg["id"] == headers["Idempotency-Key"]
        assert msg["id"].startswith("segera:") and "kiosk-sdn7" in str(msg["text"])

        # the same outage stays one notice; after it came back and went silent again, a new one
        conn.execute("UPDATE device_state SET last_telemetry_at = %s WHERE device_id = "
                     "'kiosk-sdn7'", (NOW + timedelta(hours=1),))
        later = NOW + timedelta(hours=1, minutes=5)  # sdn7 is back; kiosk-baru now silent 85 min
        assert collect.collect(conn, NOW.date(), later) == 2
        assert conn.execute("SELECT count(*) FROM notifications WHERE title LIKE "
                            "'Kiosk kiosk-baru%%'").fetchone() == (2,)
        assert collect.collect(conn, NOW.date(), NOW + timedelta(hours=2)) == 2  # sdn7 again
        # the morning digest does not repeat what went out at once, but carries it for it2
        store.send_digests(conn, {"email": mail}, NOW.date())
        to_it2 = [m for m in inbox.messages if m["To"] == "it2@hadir.example"]
        assert len(to_it2) == 1 and "Kiosk tidak terhubung (3)" in to_it2[0].get_payload()


def test_pp94_threshold_near_reaches_hr_of_the_opd_and_the_atasan(fresh_db: str,
                                                                  gateway: Gateway):
    """Sari and Dewi (BKPSDM) have 1 TK day in October: 2 days from a verbal warning. Their
    atasan (the head of BKPSDM), regency HR and BKPSDM's OPD admin are told; the admin of
    another OPD and the teacher's people are not."""
    from hadir_cloud.tpp import store as tpp_store

    seed_october(fresh_db)
    kaban = "197001012000031001"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO employees VALUES (%s, 'Kepala BKPSDM', 'BKPSDM', 'ASN', '9', "
                     "'kantor', '2020-01-01', NULL, 'kantor-bupati')", (kaban,))
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) "
                     "VALUES ('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (kaban,))
        _account(conn, "kaban", nip=kaban)
        _account(conn, "hr", "admin_bkpsdm")
        _account(conn, "opd-bkpsdm", "admin_opd", "BKPSDM")
        _account(conn, "opd-disdik", "admin_opd", "DISDIK")
        for nip in (SARI, DEWI, GURU):
            _account(conn, nip, nip=nip)
        day = date(2026, 11, 2)
        assert collect.collect(conn, day, NOW) > 0
        assert tpp_store is not None
        near = conn.execute("SELECT username, title FROM notifications WHERE kind = %s "
                            "ORDER BY username", (NEAR_SANCTION,)).fetchall()
        assert near == []  # no TPP run yet: the warnings come from the runs
        from click.testing import CliRunner
        from hadir_cloud.tpp.cli import tpp

        assert CliRunner().invoke(tpp, ["--database-url", fresh_db, "run", "--month",
                                        "2026-10"]).exit_code == 0
        assert collect.collect(conn, day, NOW) == 6
        near = conn.execute("SELECT username, title FROM notifications WHERE kind = %s "
                            "ORDER BY username, title", (NEAR_SANCTION,)).fetchall()
        told = {}
        for username, title in near:
            told.setdefault(username, []).append(title)
        assert sorted(told) == ["hr", "kaban", "opd-bkpsdm"]
        assert all(len(t) == 2 for t in told.values())  # Sari and Dewi each
        assert any(f"({SARI}): TK 1 hari tahun 2026; 2 hari lagi menjadi teguran lisan" in t
                   for t in told["hr"])
        assert collect.collect(conn, day, NOW + timedelta(minutes=10)) == 0  # once

        # the webhook gets HR's digest; a gateway that answers 500 is retried, never twice
        store.set_prefs(conn, "hr", Prefs(phone="-1001234567", channels=frozenset({"webhook"})))
        ways = {"webhook": Webhook(gateway.url, SECRET)}
        gateway.codes = [500]
        with pytest.raises(DeliveryError):
            store.send_digests(conn, ways, day)
        assert store.send_digests(conn, ways, day) == 1
        assert store.send_digests(conn, ways, day) == 0
        (sent,) = gateway.bodies()
        assert sent["to"] == "-1001234567" and sent["id"] == f"ringkasan:hr:{day.isoformat()}"
        kinds = [n["kind"] for n in sent["notices"]]  # type: ignore[union-attr]
        assert kinds.count(NEAR_SANCTION) == 2


def test_one_channel_failing_does_not_resend_the_other(fresh_db: str, gateway: Gateway,
                                                      smtp):  # noqa: F811
    """E-mail went, the gateway refused: the retry sends the gateway message only, carrying the
    same notices, and a notice recorded in between waits for tomorrow's digest."""
    inbox, mail = smtp
    from hadir_cloud.db.migrate import upgrade

    upgrade(fresh_db)
    day = date(2026, 11, 2)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        _account(conn, "rina")
        store.set_prefs(conn, "rina", Prefs(email="rina@hadir.example", phone="+6281234567890",
                                            channels=frozenset({"email", "webhook"})))
        conn.execute("INSERT INTO notifications (username, kind, dedupe, title) VALUES "
                     "('rina', 'lkh_kosong', 'a', 'LKH tanggal 30-10-2026 belum diisi')")
        ways = {"email": mail, "webhook": Webhook(gateway.url, SECRET)}
        gateway.codes = [502]
        with pytest.raises(DeliveryError):
            store.send_digests(conn, ways, day)
        conn.execute("INSERT INTO notifications (username, kind, dedupe, title) VALUES "
                     "('rina', 'lkh_kosong', 'b', 'LKH tanggal 01-11-2026 belum diisi')")
        assert store.send_digests(conn, ways, day) == 1
        assert store.send_digests(conn, ways, day) == 0
        assert len(inbox.messages) == 1
        (sent,) = gateway.bodies()
        assert [n["title"] for n in sent["notices"]] == [  # type: ignore[union-attr]
            "LKH tanggal 30-10-2026 belum diisi"]
        assert "30-10-2026" in inbox.messages[0].get_payload()
        assert store.send_digests(conn, ways, day + timedelta(days=1)) == 2  # the new one
        assert "01-11-2026" in inbox.messages[1].get_payload()


def test_channels_from_settings_need_the_webhook_secret(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HADIR_NOTIFY_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("HADIR_NOTIFY_WEBHOOK_SECRET_FILE", raising=False)
    assert from_settings(CloudSettings(database_url="x")) == {}
    with pytest.raises(SettingsError, match="HADIR_NOTIFY_WEBHOOK_SECRET"):
        from_settings(CloudSettings(database_url="x", notify_webhook_url="http://gw/kirim"))
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    monkeypatch.setenv("HADIR_NOTIFY_WEBHOOK_SECRET_FILE", str(secret))
    got = from_settings(CloudSettings(database_url="x", notify_webhook_url="http://gw/kirim",
                                      smtp_host="mail"))
    assert got == {"email": Smtp("mail", 25, "Hadir <hadir@localhost>"),
                   "webhook": Webhook("http://gw/kirim", SECRET)}
