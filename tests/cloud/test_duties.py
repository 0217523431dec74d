"""An approved dinas luar reaches the kiosk of its place through the real broker and fleet
monitor, in the kiosk's signed config, and a check-in there is then inside the geofence."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.devices.config import publish_config
from hadir_cloud.devices.duties import approved_near, near
from hadir_cloud.devices.monitor import FleetMonitor
from hadir_cloud.settings import CloudSettings
from hadir_devstack import BrokerLogins
from hadir_edge.decision import DutyApproval, geofence_allows
from hadir_protocol import topics
from hadir_protocol.models import Config, Office, Thresholds
from hadir_protocol.signing import (
    generate_key,
    load_or_create_private_key,
    load_verify_key,
    public_key_b64,
    verify,
)
from paho.mqtt.enums import CallbackAPIVersion
from system.harness import wait_until

NIP = "198503122010012003"
SCHOOL = (-3.3000, 104.7000)  # the place of the dinas luar: a school with its own kiosk


def test_a_place_is_near_an_office_when_their_circles_overlap():
    office = Office(id="sdn-9", name="SDN 9", tz="Asia/Jakarta", lat=SCHOOL[0], lon=SCHOOL[1],
                    radius_m=60)
    assert near(office, SCHOOL[0] + 0.001, SCHOOL[1], 100)  # 111 m apart, 160 m of circles
    assert not near(office, SCHOOL[0] + 0.002, SCHOOL[1], 100)  # 222 m apart


def test_an_approved_dinas_luar_reaches_the_kiosk_of_its_place(fresh_db: str, broker,
                                                               monkeypatch, tmp_path: Path):
    upgrade(fresh_db)
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda", "Setda", "Asia/Jakarta", -3.2, 104.6, 50)
        add_office(conn, "sdn-9", "SDN 9", "Asia/Jakarta", *SCHOOL, 60)
        add_device(conn, "kiosk-setda", public_key_b64(generate_key()), "setda")
        add_device(conn, "kiosk-sdn-9", public_key_b64(generate_key()), "sdn-9")
        conn.execute("INSERT INTO units (id, name, regency) VALUES ('BKPSDM', 'BKPSDM', 'Tes')")
        conn.execute("INSERT INTO employees VALUES (%s, 'Pegawai Tes', 'BKPSDM', 'ASN', '9', "
                     "'kantor', '2020-01-01', NULL, 'setda')", (NIP,))
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    logins = BrokerLogins(tmp_path / "logins").create()
    reader = logins.add_user("uji-baca", "topic read hadir/v1/+/config")
    broker.password_file, broker.acl_file = logins.passwd, logins.acl
    broker.restart()
    cloud_key = tmp_path / "cloud_key.pem"
    cloud_public = public_key_b64(load_or_create_private_key(cloud_key))
    settings = CloudSettings(broker_port=broker.port, fleet_client_id="fleet-uji",
                             broker_username="fleet", cloud_key_file=cloud_key,
                             broker_password_file=logins.password_file("fleet"))
    monitor = FleetMonitor(settings)
    thread = threading.Thread(target=monitor.run, daemon=True)
    thread.start()
    got: dict[str, Config] = {}
    raw: dict[str, dict] = {}
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.username_pw_set("uji-baca", reader.read_text())

    def on_message(_c, _u, m) -> None:  # type: ignore[no-untyped-def]
        raw[m.topic] = json.loads(m.payload)
        got[m.topic] = Config.model_validate(raw[m.topic])

    sub.on_message = on_message
    try:
        assert monitor.subscribed.wait(10), "the monitor did not subscribe"
        with psycopg.connect(fresh_db) as conn:  # both kiosks configured once, no duty
            for device in ("kiosk-setda", "kiosk-sdn-9"):
                publish_config(conn, monitor.out, device, thresholds=Thresholds(), duties=[])
        sub.connect("127.0.0.1", broker.port)
        sub.subscribe([(topics.config("kiosk-setda"), 1), (topics.config("kiosk-sdn-9"), 1)])
        sub.loop_start()
        school_topic = topics.config("kiosk-sdn-9")
        wait_until(lambda: school_topic in got, 10, "the school kiosk's first config")
        assert got[school_topic].duties == []
        # a dinas luar at the school, today and tomorrow, approved (the requests store's
        # final move is this UPDATE: the trigger queues the delivery in its transaction)
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            rid = conn.execute(
                "INSERT INTO requests (nip, kind, start_date, end_date, place_name, place_lat, "
                "place_lon, place_radius_m, state) VALUES (%s, 'dinas_luar', %s, %s, "
                "'SDN 9', %s, %s, 150, 'diajukan') RETURNING id",
                (NIP, today, today + timedelta(days=1), *SCHOOL)).fetchone()[0]
            conn.execute("UPDATE requests SET state = 'disetujui' WHERE id = %s", (rid,))
        wait_until(lambda: got[school_topic].duties != [], 20, "the dinas luar in its config")
        cfg = got[school_topic]
        assert cfg.version == 2
        verify(raw[school_topic], load_verify_key(cloud_public))  # signed by the cloud
        assert [(d.employee_id, d.day) for d in cfg.duties] == [
            (NIP, today), (NIP, today + timedelta(days=1))]
        assert got[topics.config("kiosk-setda")].version == 1  # far away: unchanged
        with psycopg.connect(fresh_db) as conn:
            sent = conn.execute("SELECT devices FROM duty_deliveries WHERE request_id = %s",
                                (rid,)).fetchone()
            assert sent == (["kiosk-sdn-9"],)
            assert len(approved_near(conn, cfg.office, today)) == 2
        # the kiosk's own rule: outside its office radius, but at the place on the day
        duties = [DutyApproval(d.employee_id, d.day, d.lat, d.lon, d.radius_m)
                  for d in cfg.duties]
        at_place = (SCHOOL[0] + 0.0005, SCHOOL[1])  # 56 m from the place's centre
        assert geofence_allows(False, NIP, today, at_place, duties)
        assert not geofence_allows(False, NIP, today + timedelta(days=2), at_place, duties)
        assert not geofence_allows(False, "199001012015031001", today, at_place, duties)
        # approving again changes nothing: one delivery per request
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute("UPDATE requests SET state = 'disetujui' WHERE id = %s", (rid,))
            assert conn.execute("SELECT count(*) FROM duty_deliveries").fetchone() == (1,)
    finally:
        sub.loop_stop()
        sub.disconnect()
        monitor.stop()
        thread.join(10)

