"""The portal on the real database: login, today's check-ins with photos, the JSON API."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.portal import create_app
from hadir_cloud.rows import checkin_row
from hadir_cloud.settings import CloudSettings, SettingsError
from hadir_cloud.users import add_user, create_token
from hadir_protocol.codec import uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, Geofence, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign
from PIL import Image

NIP = "198503122010012003"


def jpeg() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 150, 100)).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def portal(fresh_db: str, monkeypatch):
    upgrade(fresh_db)
    key = generate_key()
    # two check-ins of today at the office (WITA), even in the minutes after its midnight
    wita = ZoneInfo("Asia/Makassar")
    midnight = datetime.combine(datetime.now(wita).date(), time(), wita)
    now = max(datetime.now(UTC), midnight.astimezone(UTC) + timedelta(minutes=10))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "sdn-1", "SD Negeri 1", "Asia/Makassar", -5.3, 122.5, 50)
        add_device(conn, "kiosk-sdn-1", public_key_b64(key), "sdn-1")
        add_user(conn, "admin", "kata-sandi-rahasia")
        token = create_token(conn, "tes")
        for seq, (kind, fix) in enumerate([(Kind.IN, True), (Kind.OUT, False)], start=1):
            ev = CheckIn(
                event_id=uuid7(), device_id="kiosk-sdn-1", seq=seq, employee_id=NIP, kind=kind,
                captured_at=now - timedelta(minutes=10 - seq), clock_source="gps",
                gps=GpsFix(fix=True, lat=-5.3001, lon=122.5, accuracy_m=4, satellites=9, mode=3)
                if fix else GpsFix(fix=False),
                geofence=Geofence(office_id="sdn-1", radius_m=50, distance_m=11.1, inside=True)
                if fix else Geofence(office_id="sdn-1", radius_m=50),
                face=FaceVerdict(distance=0.41, threshold=0.5, model="dlib"), method=Method.FACE,
                photo_jpeg_b64=jpeg() if fix else None)
            raw = sign(ev.to_wire(), key)
            cols = ", ".join(__import__("hadir_cloud.rows", fromlist=["COLUMNS"]).COLUMNS)
            conn.execute(f"INSERT INTO checkins ({cols}) VALUES ({', '.join(['%s'] * 32)})",
                         checkin_row(CheckIn.model_validate(raw), raw))
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    monkeypatch.setenv("HADIR_TIMEZONE", "Asia/Makassar")  # a regency in Sulawesi
    app = create_app(CloudSettings(), SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False)
    return app.test_client(), token


def test_missing_secret_stops_the_portal(fresh_db: str, monkeypatch):
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    monkeypatch.delenv("HADIR_SECRET_KEY", raising=False)
    monkeypatch.delenv("HADIR_SECRET_KEY_FILE", raising=False)
    with pytest.raises(SettingsError, match="HADIR_SECRET_KEY"):
        create_app(CloudSettings())


def test_pages_need_login(portal):
    client, _ = portal
    resp = client.get("/")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]
    assert client.get("/api/checkins").status_code == 401
    bad = client.post("/masuk", data={"username": "admin", "password": "salah"})
    assert "salah" in bad.get_data(as_text=True)


def test_today_page_after_login(portal):
    client, _ = portal
    resp = client.post("/masuk", data={"username": "admin", "password": "kata-sandi-rahasia"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count("data-event-id") == 2
    assert NIP in html and "tanpa fix GPS" in html and "WITA" in html
    assert "Masuk" in html and "Pulang" in html
    img = html.split('src="')[1].split('"')[0]
    photo = client.get(img)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data[:2] == b"\xff\xd8"


def test_json_api_with_token(portal):
    client, token = portal
    resp = client.get("/api/checkins", headers={"Authorization": f"Bearer {token}"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["count"] == 2
    first, second = sorted(body["checkins"], key=lambda r: r["seq"])
    assert first["gps"]["fix"] is True and first["geofence"]["inside"] is True
    assert first["has_photo"] is True and second["has_photo"] is False
    assert second["gps"]["fix"] is False and second["geofence"]["inside"] is None
    assert first["face"]["distance"] == pytest.approx(0.41)
    wrong = client.get("/api/checkins", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get("/api/checkins?date=kemarin",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 400
    other_day = client.get("/api/checkins?date=2020-01-01",
                           headers={"Authorization": f"Bearer {token}"}).get_json()
    assert other_day["count"] == 0


@pytest.mark.parametrize("target", ["//elsewhere.example", "/\\elsewhere.example",
                                    "https://elsewhere.example/", "/%0d%0aLocation:x", "x"])
def test_no_open_redirect_after_login(portal, target: str):
    """Regression: `/masuk?next=//elsewhere` sent a freshly signed-in user off-site."""
    client, _ = portal
    resp = client.post(f"/masuk?next={target}",
                       data={"username": "admin", "password": "kata-sandi-rahasia"})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "elsewhere" not in location and location.startswith("/"), location


def test_a_local_next_is_kept(portal):
    client, _ = portal
    resp = client.post("/masuk?next=/api/checkins",
                       data={"username": "admin", "password": "kata-sandi-rahasia"})
    assert resp.headers["Location"] == "/api/checkins"


def test_a_busy_day_is_paged_newest_first_without_gaps(portal, fresh_db: str):
    """250 check-ins of one WITA day (and some of the day before and after, in UTC terms on
    the same dates): pages of 100, 100 and 50, each row once, newest first; the count is the
    day's, and a broken cursor gets a Bahasa 400."""
    client, _ = portal
    day = datetime(2026, 10, 6, tzinfo=UTC).date()
    wita_midnight = datetime(2026, 10, 5, 16, 0, tzinfo=UTC)  # 6 Oct 00:00 WITA
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        times = [wita_midnight + timedelta(minutes=5 * i) for i in range(250)]
        times += [wita_midnight - timedelta(minutes=1), wita_midnight + timedelta(days=1)]
        for i, at in enumerate(times):
            conn.execute("INSERT INTO checkins (event_id, device_id, seq, employee_id, kind, "
                         "captured_at, office_id) VALUES (gen_random_uuid(), 'kiosk-sdn-1', %s, "
                         "%s, 'in', %s, 'sdn-1')", (1000 + i, NIP, at))
    client.post("/masuk", data={"username": "admin", "password": "kata-sandi-rahasia"})
    seen: list[str] = []
    url = f"/?date={day.isoformat()}"
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        assert "250 check-in" in html
        seen += [p.split('"', 1)[0] for p in html.split('data-event-id="')[1:]]
        nxt = html.split('Lebih lama')[0].rsplit('href="', 1)[1].split('"')[0] \
            if "Lebih lama" in html else None
        url = nxt.replace("&amp;", "&") if nxt else ""
    assert pages == 3 and len(seen) == len(set(seen)) == 250
    with psycopg.connect(fresh_db) as conn:
        order = [str(r[0]) for r in conn.execute(
            "SELECT event_id FROM checkins WHERE captured_at >= %s AND captured_at < %s "
            "ORDER BY captured_at DESC, event_id DESC",
            (wita_midnight, wita_midnight + timedelta(days=1))).fetchall()]
    assert seen == order
    bad = client.get(f"/?date={day.isoformat()}&setelah=kemarin~bukan-uuid")
    assert bad.status_code == 400
    assert "Tautan halaman berikutnya rusak" in bad.get_data(as_text=True)
    assert client.get("/api/checkins?date=kemarin").json == {"error": "tanggal harus YYYY-MM-DD"}


@pytest.mark.parametrize(("zone", "shown"), [("Asia/Makassar", 1), ("Asia/Jakarta", 0)])
def test_today_is_the_regencys_day(fresh_db: str, monkeypatch, zone: str, shown: int):
    """At 00:30 WITA (23:30 WIB the day before) a regency in Sulawesi (HADIR_TIMEZONE=
    Asia/Makassar) sees the check-in its WITA office made at 00:05; one set to WIB is still on
    the day before, when that office made none."""
    upgrade(fresh_db)
    moment = datetime(2026, 10, 5, 16, 30, tzinfo=UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return moment.astimezone(tz)

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "sdn-1", "SD Negeri 1", "Asia/Makassar", -5.3, 122.5, 50)
        add_user(conn, "admin", "kata-sandi-rahasia")
        conn.execute("INSERT INTO checkins (event_id, device_id, seq, employee_id, kind, "
                     "captured_at, office_id) VALUES (gen_random_uuid(), 'kiosk-sdn-1', 1, %s, "
                     "'in', %s, 'sdn-1')", (NIP, moment - timedelta(minutes=25)))
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    monkeypatch.setenv("HADIR_TIMEZONE", zone)
    monkeypatch.setattr("hadir_cloud.settings.datetime", Frozen)
    client = create_app(CloudSettings(), SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False).test_client()
    html = client.post("/masuk", data={"username": "admin", "password": "kata-sandi-rahasia"},
                       follow_redirects=True).get_data(as_text=True)
    assert html.count("data-event-id") == shown


def test_an_unknown_regency_zone_is_refused(monkeypatch):
    monkeypatch.setenv("HADIR_TIMEZONE", "Asia/Singapore")
    with pytest.raises(ValueError, match="timezone"):
        CloudSettings()
