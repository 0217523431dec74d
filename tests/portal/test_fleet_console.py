"""IT's fleet console (`/kiosk`) against a real PostgreSQL, Mosquitto and fleet monitor: the
list and map from the kiosks' heartbeats; registering a kiosk writes its broker login (it can
log in at once); a config pushed from the form reaches the kiosk's retained topic, signed; a
command's reply shows up on the page; disable, enable and revoke (its login is refused after);
faces enrolled from photos by a background job (`hadir-cloud worker`), refused photos named."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices.config import publish_config
from hadir_cloud.devices.monitor import FleetMonitor
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import add_user, grant
from hadir_devstack import BrokerLogins
from hadir_protocol import topics
from hadir_protocol.codec import encode
from hadir_protocol.models import Config, Reply, Thresholds
from hadir_protocol.signing import (
    generate_key,
    load_or_create_private_key,
    load_verify_key,
    public_key_b64,
    sign,
    verify,
)
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dashboards"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "jobs"))
import board_seed as S  # noqa: E402
from jobs_support import wait_for  # noqa: E402
from system.harness import wait_until  # noqa: E402

PW = "kata-sandi-rahasia"
DEV = "kiosk-konsol-01"
NIP = S.PEOPLE["A1"].nip
HADIR_CLOUD = Path(sys.executable).parent / "hadir-cloud"


@pytest.fixture
def console(fresh_db: str, broker, monkeypatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Database with the boards' regency and fleet; the broker as in production; the portal
    configured with the broker's files and the cli login; the fleet monitor running."""
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        S.seed_reference(conn)
        S.seed_fleet(conn)
        for name, role in (("ti", "operator_ti"), ("bkpsdm", "admin_bkpsdm")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, None, "tes")
    logins = BrokerLogins(tmp_path / "logins").create()
    broker.password_file, broker.acl_file = logins.passwd, logins.acl
    broker.restart()
    cloud_key = tmp_path / "cloud_key.pem"
    cloud_public = public_key_b64(load_or_create_private_key(cloud_key))
    env = {"HADIR_DATABASE_URL": fresh_db, "HADIR_BROKER_PORT": str(broker.port),
           "HADIR_CLOUD_KEY_FILE": str(cloud_key), **logins.env("cli"),
           "HADIR_MOSQUITTO_PASSWD_FILE": str(logins.passwd),
           "HADIR_MOSQUITTO_ACL_FILE": str(logins.acl),
           "HADIR_BROKER_RELOAD_CMD": f"kill -HUP {broker.proc.pid}"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monitor = FleetMonitor(CloudSettings(broker_port=broker.port, fleet_client_id="fleet-uji",
                                         broker_username="fleet", cloud_key_file=cloud_key,
                                         broker_password_file=logins.password_file("fleet")))
    thread = threading.Thread(target=monitor.run, daemon=True)
    thread.start()
    assert monitor.subscribed.wait(10)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    yield app, fresh_db, broker, logins, cloud_public, monitor, env
    monitor.stop()
    thread.join(10)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def mqtt_client(port: int, user: str, password: str) -> tuple[mqtt.Client, object]:
    """A connected client (or the broker's refusal as the second item)."""
    result: dict[str, object] = {}
    done = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)

    def on_connect(_c, _u, _f, rc, _p):  # type: ignore[no-untyped-def]
        result["rc"] = rc
        done.set()

    c.on_connect = on_connect
    c.connect("127.0.0.1", port)
    c.loop_start()
    assert done.wait(10), "no CONNACK"
    return c, result["rc"]


def test_the_list_and_the_map(console):
    app, *_ = console
    html = login(app, "ti").get("/kiosk/").get_data(as_text=True)
    rows = {k: v.strip() for k, v in re.findall(
        r'<tr data-kiosk="([^"]+)">.*?<td class="\w*">([^<]+)', html, re.S)}
    assert rows == {"kiosk-a": "Sehat", "kiosk-b": "Luring", "kiosk-c": "Luring",
                    "kiosk-d": "Perlu perhatian", "kiosk-e": "Nonaktif"}
    markers = json.loads(re.search(r'id="fleet-data">(.*?)</script>', html, re.S).group(1))
    levels = {m["id"]: (m["level"], m["lat"]) for m in markers}
    assert levels["kiosk-b"] == (2, S.OFFICES["kantor-wita"][2]) and levels["kiosk-a"][0] == 0
    assert "leaflet.js" in html and "countries-50m.json" in html and "Daftarkan kiosk" in html
    assert "(45 menit)" in html  # kiosk-b offline since its last will
    hr = login(app, "bkpsdm")
    looking = hr.get("/kiosk/").get_data(as_text=True)
    assert "kiosk-a" in looking and "Daftarkan kiosk" not in looking
    assert hr.get("/kiosk/perangkat/kiosk-a").status_code == 200
    assert hr.post("/kiosk/baru", data={"id": "x"}).status_code == 403
    assert hr.get("/kiosk/wajah").status_code == 403


def test_register_configure_command_disable_revoke(console):
    app, db, broker, _logins, cloud_public, _monitor, _env = console
    ti = login(app, "ti")
    key = generate_key()
    bad = ti.post("/kiosk/baru", data={"id": DEV, "kantor": "kantor-wib", "kunci": "bukan-kunci"})
    assert bad.status_code == 400 and 'id="kunci-error"' in bad.get_data(as_text=True)
    nowhere = ti.post("/kiosk/baru", data={"id": DEV, "kantor": "tidak-ada",
                                           "kunci": public_key_b64(key)})
    assert nowhere.status_code == 400 and 'id="kantor-error"' in nowhere.get_data(as_text=True)
    done = ti.post("/kiosk/baru", data={"id": DEV, "kantor": "kantor-wib",
                                        "kunci": public_key_b64(key)})
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "dapat tersambung sekarang" in page
    password = re.search(r"<code>([^<]+)</code>", page).group(1)
    # the broker re-read its files: the kiosk logs in with the password shown once
    kiosk, rc = mqtt_client(broker.port, DEV, password)
    assert not rc.is_failure  # type: ignore[attr-defined]
    got: dict[str, bytes] = {}
    kiosk.on_message = lambda _c, _u, m: got.__setitem__(m.topic, m.payload)
    kiosk.subscribe([(topics.config(DEV), 1), (topics.cmd(DEV, "send-logs"), 1)])

    # config: the form's thresholds are new; the work schedules come from the kiosk's people
    from hadir_cloud.devices.outbound import connect

    out = connect(CloudSettings(), "uji-cli")
    with psycopg.connect(db) as conn:
        publish_config(conn, out, DEV, thresholds=Thresholds())
    out.close()
    wrong = ti.post(f"/kiosk/perangkat/{DEV}/konfigurasi",
                    data={"face_distance": "2", "repeat_window_s": "60", "min_face_px": "80"})
    assert wrong.status_code == 400 and 'id="face_distance-error"' in wrong.get_data(as_text=True)
    resp = ti.post(f"/kiosk/perangkat/{DEV}/konfigurasi",
                   data={"face_distance": "0.45", "repeat_window_s": "120", "min_face_px": "90"},
                   follow_redirects=True)
    assert "Konfigurasi v2 dikirim" in resp.get_data(as_text=True)
    wait_until(lambda: topics.config(DEV) in got and
               json.loads(got[topics.config(DEV)])["version"] == 2, 10, "config v2 retained")
    raw = json.loads(got[topics.config(DEV)])
    verify(raw, load_verify_key(cloud_public))
    cfg = Config.model_validate(raw)
    assert (cfg.thresholds.face_distance, cfg.thresholds.repeat_window_s,
            cfg.thresholds.min_face_px) == (0.45, 120, 90)
    assert cfg.work_schedules is not None  # from the TPP schedules (tests/cloud/test_kiosk_schedules)

    # a command and its reply: the test is the kiosk, answering with its own key
    resp = ti.post(f"/kiosk/perangkat/{DEV}/perintah", data={"nama": "send-logs", "baris": "2"})
    cid = resp.headers["Location"].rsplit("#cmd-", 1)[1]
    pending = ti.get(f"/kiosk/perangkat/{DEV}/perintah/{cid}").get_data(as_text=True)
    assert "menunggu balasan kiosk" in pending and "hx-trigger" in pending
    wait_until(lambda: topics.cmd(DEV, "send-logs") in got, 10, "the command at the kiosk")
    asked = json.loads(got[topics.cmd(DEV, "send-logs")])
    assert asked["correlation_id"] == cid and asked["args"] == {"lines": 2}
    reply = sign(Reply(correlation_id=cid, device_id=DEV, ok=True,
                       result={"lines": ["outbox 0", "galeri versi 0"]}
                       ).model_dump(mode="json", by_alias=True), key)
    kiosk.publish(topics.reply(DEV, "send-logs"), encode(reply), qos=1).wait_for_publish(5)
    wait_until(lambda: "berhasil" in ti.get(f"/kiosk/perangkat/{DEV}/perintah/{cid}"
                                            ).get_data(as_text=True), 15, "the reply stored")
    answered = ti.get(f"/kiosk/perangkat/{DEV}/perintah/{cid}").get_data(as_text=True)
    assert "galeri versi 0" in answered and "hx-trigger" not in answered
    assert f'id="cmd-{cid}"' in ti.get(f"/kiosk/perangkat/{DEV}").get_data(as_text=True)

    # disable, enable, revoke
    def disabled() -> bool:
        with psycopg.connect(db) as conn:
            return bool(conn.execute("SELECT disabled FROM devices WHERE id = %s",
                                     (DEV,)).fetchone()[0])

    ti.post(f"/kiosk/perangkat/{DEV}/nonaktifkan")
    assert disabled()
    ti.post(f"/kiosk/perangkat/{DEV}/aktifkan")
    assert not disabled()
    resp = ti.post(f"/kiosk/perangkat/{DEV}/cabut", follow_redirects=True)
    assert "dicabut" in resp.get_data(as_text=True) and disabled()
    kiosk.loop_stop()
    kiosk.disconnect()
    assert DEV not in _logins.passwd.read_text() and f"user {DEV}" not in _logins.acl.read_text()
    time.sleep(0.5)  # the SIGHUP is asynchronous
    again, rc = mqtt_client(broker.port, DEV, password)
    again.loop_stop()
    assert rc.is_failure  # type: ignore[attr-defined]


def _worker(db: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(HADIR_CLOUD), "worker"], env={**os.environ, **env},
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _finished(client, job: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(job + "/kemajuan").get_data(as_text=True)
    return html if re.search(r'data-state="(done|failed)"', html) else ""


def test_faces_enrolled_by_a_job(console, faces_dir: Path, tmp_path: Path):
    app, db, *_rest, env = console
    ti = login(app, "ti")
    photo = (faces_dir / "obama" / "obama1.jpg").read_bytes()
    group = (faces_dir / "groups" / "two_people.jpg").read_bytes()
    resp = ti.post("/kiosk/wajah", data={"nip": "123", "foto": (io.BytesIO(photo), "a.jpg")},
                   content_type="multipart/form-data")
    assert resp.status_code == 400 and 'id="nip-error"' in resp.get_data(as_text=True)
    worker = _worker(db, env, tmp_path / "worker.log")
    try:
        # no consent recorded for this person and none given: refused next to the field
        resp = ti.post("/kiosk/wajah", data={"nip": NIP, "foto": (io.BytesIO(photo), "a.jpg")},
                       content_type="multipart/form-data")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400 and 'id="persetujuan-error"' in html
        assert "Belum ada persetujuan pegawai ini" in html
        ticked = ti.post("/kiosk/wajah", data={"nip": NIP, "setuju": "ya", "foto": (
            io.BytesIO(photo), "a.jpg")}, content_type="multipart/form-data")
        assert ticked.status_code == 400 and "nomor formulir" in ticked.get_data(as_text=True)
        consent = {"setuju": "ya", "persetujuan": "PWJ/2026/017"}
        resp = ti.post("/kiosk/wajah", data={"nip": NIP, **consent, "foto": [
            (io.BytesIO(photo), "obama1.jpg"), (io.BytesIO(group), "rombongan.jpg")]},
            content_type="multipart/form-data")
        assert resp.status_code == 302 and "/kiosk/wajah/tugas/" in resp.headers["Location"]
        job = resp.headers["Location"]
        failed = wait_for(lambda: _finished(ti, job), 120, "the refused enrolment")
        assert 'data-state="failed"' in failed and "rombongan.jpg: 2 wajah" in failed
        resp = ti.post("/kiosk/wajah", data={"nip": NIP, **consent, "foto": (
            io.BytesIO(photo), "obama1.jpg")}, content_type="multipart/form-data")
        job = resp.headers["Location"]
        done = wait_for(lambda: _finished(ti, job), 120, "the enrolment")
        assert 'data-state="done"' in done and "Terdaftar: Pegawai A1, 1 foto" in done
    finally:
        worker.terminate()
        worker.wait(20)
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT name, office_id, cardinality(encodings), sealed IS NOT NULL, "
                           "photo IS NOT NULL FROM face_templates WHERE employee_id = %s",
                           (NIP,)).fetchone()
        kept = conn.execute("SELECT count(*) FROM face_enrolment_uploads").fetchone()[0]
        given = conn.execute("SELECT reference, recorded_by FROM biometric_consents WHERE "
                             "employee_id = %s", (NIP,)).fetchall()
    assert row == ("Pegawai A1", "kantor-wib", 0, True, True)  # sealed at rest, none in clear
    assert kept == 0  # the uploaded photos are gone, refused or enrolled
    assert given == [("PWJ/2026/017", "ti")]  # the form recorded with the enrolment
    listing = ti.get("/kiosk/wajah").get_data(as_text=True)
    assert "Pegawai A1" in listing and 'id="recent-faces"' in listing


def test_heartbeat_times_show_in_the_office_zone(console):
    app, db, *_ = console
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE device_state SET last_telemetry_at = %s WHERE device_id = 'kiosk-c'",
                     (datetime(2026, 12, 3, 0, 5, tzinfo=UTC),))
    html = login(app, "ti").get("/kiosk/perangkat/kiosk-c").get_data(as_text=True)
    assert "2026-12-03 09:05 WIT" in html  # kiosk-c stands in the WIT office
