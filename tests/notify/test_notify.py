"""Notices from the state of requests and LKH, and the daily digest through a real SMTP server
(aiosmtpd on a free port): one e-mail per person and day, none twice after a retry."""

from __future__ import annotations

import email
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from aiosmtpd.controller import Controller
from hadir_cloud.notify import store
from hadir_cloud.notify.channels import DeliveryError, Smtp
from hadir_cloud.notify.domain import DECIDED_REQUEST, MISSING_LKH, WAITING_REQUEST, Prefs
from hadir_devstack import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "requests"))
from test_requests_store import KABID, KASI, STAF, run, seed  # noqa: E402


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield inbox, Smtp("127.0.0.1", port, "Hadir <hadir@hadir.example>")
    ctl.stop()


def accounts(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for nip in (STAF, KASI):
            conn.execute("INSERT INTO portal_users (username, nip) VALUES (%s, %s) "
                         "ON CONFLICT DO NOTHING", (nip, nip))
        store.set_prefs(conn, KASI, Prefs(email="kasi@hadir.example"))
        store.set_prefs(conn, STAF, Prefs(email="staf@hadir.example"))


def test_notices_once_and_one_digest_a_day_never_twice(fresh_db: str, smtp):
    inbox, server = smtp
    seed(fresh_db)
    accounts(fresh_db)
    assert run(fresh_db, "ajukan", "--nip", STAF, "--jenis", "cuti_tahunan", "--mulai",
               "2026-04-13", "--selesai", "2026-04-14", "--pada", "2026-04-06T08:00"
               ).exit_code == 0
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        day = date(2026, 4, 7)
        assert store.collect(conn, day) >= 1
        again = store.collect(conn, day)  # the same state: nothing new
        kinds = dict(conn.execute("SELECT username, array_agg(kind ORDER BY kind) FROM "
                                  "notifications GROUP BY username").fetchall())
        assert WAITING_REQUEST in kinds[KASI]
        assert MISSING_LKH in kinds[STAF]  # 6 April was a working day without an LKH
        assert again == 0 and store.unread(conn, KASI) >= 1
        # the SMTP server is away: nothing is marked sent, the retry sends
        down = Smtp("127.0.0.1", free_port(), server.sender)
        with pytest.raises(DeliveryError):
            store.send_digests(conn, {"email": down}, day)
        assert conn.execute("SELECT count(*) FROM notification_deliveries").fetchone() == (0,)
        mail = {"email": server}
        assert store.send_digests(conn, mail, day, "https://hadir.example") == 2
        assert store.send_digests(conn, mail, day) == 0  # a retried job: none twice
        assert sorted(m["To"] for m in inbox.messages) == ["kasi@hadir.example",
                                                          "staf@hadir.example"]
        kasi = next(m for m in inbox.messages if m["To"] == "kasi@hadir.example")
        assert kasi["Message-ID"] == f"<hadir-ringkasan-{KASI}-2026-04-07@hadir.example>"
        body = kasi.get_payload(decode=True).decode()
        assert "Permohonan menunggu keputusan Anda (1)" in body
        assert "https://hadir.example/permohonan/masuk" in body
        # decided the next day (both steps): the employee hears of it in that day's digest
        for who in (KASI, KABID):
            assert run(fresh_db, "setujui", "1", "--oleh", who, "--pada", "2026-04-08T09:00"
                       ).exit_code == 0
        store.collect(conn, day + timedelta(days=1))
        titles = [r[2] for r in store.for_user(conn, STAF) if r[1] == DECIDED_REQUEST]
        assert titles and "disetujui" in titles[0]
        assert store.send_digests(conn, mail, day + timedelta(days=1)) >= 1
        assert sum(m["To"] == "staf@hadir.example" for m in inbox.messages) == 2
        store.mark_read(conn, STAF)
        assert store.unread(conn, STAF) == 0


def test_the_worker_collects_every_10_minutes_and_mails_at_seven(fresh_db: str, smtp,
                                                                monkeypatch):
    """The two periodic jobs `hadir-cloud worker` runs, called as the worker calls them."""
    from types import SimpleNamespace

    from hadir_cloud.jobs import tasks
    from hadir_cloud.jobs.app import create_app

    app = create_app(fresh_db)
    assert {"hadir:notify_collect", "hadir:notify_digest"} <= set(app.tasks)
    inbox, server = smtp
    seed(fresh_db)
    accounts(fresh_db)
    context = SimpleNamespace(additional_context={"conninfo": fresh_db})
    at_seven = int(datetime(2026, 4, 7, 7, 0, tzinfo=ZoneInfo("Asia/Jakarta")).timestamp())
    assert tasks.notify_collect(context, at_seven) == 3  # three accounts missed 6 April's LKH
    monkeypatch.delenv("HADIR_SMTP_HOST", raising=False)
    assert tasks.notify_digest(context, at_seven) == 0 and inbox.messages == []
    monkeypatch.setenv("HADIR_SMTP_HOST", server.host)
    monkeypatch.setenv("HADIR_SMTP_PORT", str(server.port))
    # the job runs hourly and sends in the regency's 07:00 hour only
    assert tasks.notify_digest(context, at_seven - 3600) == 0 and inbox.messages == []
    monkeypatch.setenv("HADIR_TIMEZONE", "Asia/Makassar")  # 07:00 WIB is 08:00 WITA
    assert tasks.notify_digest(context, at_seven) == 0 and inbox.messages == []
    assert tasks.notify_digest(context, at_seven - 3600) == 2  # 07:00 WITA
    assert tasks.notify_digest(context, at_seven - 3600) == 0  # retried: none twice
    assert sorted(m["To"] for m in inbox.messages) == ["kasi@hadir.example",
                                                      "staf@hadir.example"]


def test_the_page_lists_notices_marks_them_read_and_keeps_the_address(fresh_db: str):
    from hadir_cloud.portal import create_app
    from hadir_cloud.settings import CloudSettings
    from hadir_cloud.users import activate, invite

    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        activate(conn, STAF, invite(conn, STAF), "kata-sandi-rahasia")
        store.collect(conn, date(2026, 4, 7))
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    client.post("/masuk", data={"username": STAF, "password": "kata-sandi-rahasia"})
    header = client.get("/bulan-saya").get_data(as_text=True)
    assert '<strong class="count">1</strong>' in header  # the missing LKH of 6 April
    page = client.get("/pemberitahuan").get_data(as_text=True)
    assert "LKH tanggal 06-04-2026 belum diisi" in page and 'class="unread"' in page
    assert "Setiap pagi pukul 07.00 WIB ringkasannya" in page  # the regency's zone (WIB default)
    assert 'class="count"' not in client.get("/bulan-saya").get_data(as_text=True)
    assert 'name="telepon"' not in page and 'id="no-channels"' in page  # nothing configured
    bad = client.post("/pemberitahuan/pengaturan", data={"email": "bukan email"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.get_data(as_text=True)
    assert "Alamat email tidak valid" in bad.get_data(as_text=True)
    client.post("/pemberitahuan/pengaturan", data={"email": "staf@hadir.example"})
    with psycopg.connect(fresh_db) as conn:
        assert store.prefs(conn, STAF) == Prefs(email="staf@hadir.example", channels=frozenset(),
                                                daily_digest=False, urgent_now=False)
    # a deployment with e-mail and a gateway offers both; each channel needs its address
    app.config.update(NOTIFY_EMAIL=True, NOTIFY_WEBHOOK=True)
    page = client.get("/pemberitahuan").get_data(as_text=True)
    assert 'name="telepon"' in page and 'value="webhook"' in page
    no_phone = client.post("/pemberitahuan/pengaturan", data={
        "email": "staf@hadir.example", "saluran": ["email", "webhook"], "harian": "ya"})
    html = no_phone.get_data(as_text=True)
    assert no_phone.status_code == 400 and 'id="telepon-error"' in html
    assert "Isi nomor WhatsApp atau ID Telegram" in html
    bad_phone = client.post("/pemberitahuan/pengaturan", data={"telepon": "nomor saya"})
    assert "tidak valid: nomorsaya" in bad_phone.get_data(as_text=True)
    ok = client.post("/pemberitahuan/pengaturan", data={
        "email": "staf@hadir.example", "telepon": "0812-3456 7890",
        "saluran": ["email", "webhook"], "harian": "ya", "segera": "ya"})
    assert ok.status_code == 302
    with psycopg.connect(fresh_db) as conn:
        assert store.prefs(conn, STAF) == Prefs("staf@hadir.example", "081234567890",
                                                frozenset({"email", "webhook"}), True, True)
