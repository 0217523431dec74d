"""The fleet side against a real PostgreSQL and Mosquitto: gallery versions, bad input kept."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.devices.domain import FleetError
from hadir_cloud.devices.gallery import current_version, deltas_for, enroll, remove, touch
from hadir_cloud.devices.monitor import FleetMonitor
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.settings import CloudSettings
from hadir_devstack import BrokerLogins
from hadir_edge.face import Gallery
from hadir_protocol import topics
from hadir_protocol.codec import encode, pack_encoding
from hadir_protocol.models import Reply, Telemetry
from hadir_protocol.signing import generate_key, public_key_b64, sign
from paho.mqtt.enums import CallbackAPIVersion
from system.harness import wait_until

DEV = "kiosk-armada-01"

#: a recorded consent to biometric enrolment (enrolment refuses without one)
CONSENT = Consent("FRM-UJI-1", "uji")


def nip(i: int) -> str:
    return f"19850312201001{i:04d}"


def enc(i: int) -> list[str]:
    return [pack_encoding(np.random.default_rng(i).normal(0, 0.1, 128))]


def test_snapshot_in_chunks_then_deltas_reach_the_same_gallery(fresh_db: str, tmp_path: Path):
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert deltas_for(conn, DEV, 0) == []
        for i in range(1, 1201):
            enroll(conn, nip(i), f"Pegawai {i}", enc(i), consent=CONSENT)
        v_full = current_version(conn)
        chunks = deltas_for(conn, DEV, 0, chunk=500)
        assert [len(c.upserts) for c in chunks] == [500, 500, 200]
        assert chunks[0].base_version == 0 and chunks[-1].version == v_full
        assert all(a.version == b.base_version for a, b in zip(chunks, chunks[1:], strict=False))
        kiosk = Gallery(tmp_path / "g", bytes(32))
        kiosk.apply(chunks[0])
        kiosk.apply(chunks[1])  # the link drops here: the kiosk holds a consistent version
        rest = deltas_for(conn, DEV, kiosk.version, chunk=500)
        assert [len(c.upserts) for c in rest] == [200]
        for c in rest:
            kiosk.apply(c)
        assert len(kiosk.employees()) == 1200 and kiosk.version == v_full
        # changes after that: one removal, one new face, one re-enrolment
        remove(conn, nip(7))
        enroll(conn, nip(2000), "Pegawai Baru", enc(2000), consent=CONSENT)
        enroll(conn, nip(8), "Pegawai 8 (foto baru)", enc(8008), consent=CONSENT)
        (delta,) = deltas_for(conn, DEV, kiosk.version)
        assert delta.removals == [nip(7)]
        assert sorted(p.employee_id for p in delta.upserts) == [nip(8), nip(2000)]
        kiosk.apply(delta)
        assert nip(7) not in kiosk.employees() and kiosk.name_of(nip(8)) == "Pegawai 8 (foto baru)"
        assert len(kiosk) == 1200 and deltas_for(conn, DEV, kiosk.version) == []
        with pytest.raises(FleetError):
            remove(conn, nip(7))


@pytest.fixture
def monitor(fresh_db: str, broker, monkeypatch, tmp_path: Path):
    upgrade(fresh_db)
    key = generate_key()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda", "Setda", "Asia/Jakarta", -3.2, 104.6, 50)
        add_device(conn, DEV, public_key_b64(key), "setda")
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    # the broker as in production; the monitor logs in as `fleet`, and a crafting client may
    # write any kiosk's heartbeats and replies (the ACL would stop one kiosk sending another's)
    logins = BrokerLogins(tmp_path / "logins").create()
    crafter = logins.add_user("uji-kiosk", "topic write hadir/v1/+/telemetry",
                              "topic write hadir/v1/+/reply/+")
    broker.password_file, broker.acl_file = logins.passwd, logins.acl
    broker.restart()
    settings = CloudSettings(broker_port=broker.port, fleet_client_id="fleet-uji",
                             broker_username="fleet",
                             broker_password_file=logins.password_file("fleet"))
    m = FleetMonitor(settings)
    t = threading.Thread(target=m.run, daemon=True)
    t.start()
    assert m.subscribed.wait(10), "the monitor did not subscribe"
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.username_pw_set("uji-kiosk", crafter.read_text())
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    yield m, c, key, fresh_db
    c.disconnect()
    c.loop_stop()
    m.stop()
    t.join(10)


def rows(db: str, sql: str) -> list[tuple]:
    with psycopg.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_bad_heartbeats_and_forged_replies_are_kept_and_change_nothing(monitor):
    m, c, key, db = monitor
    with psycopg.connect(db, autocommit=True) as conn:  # the cloud asked it to rotate (c1)
        conn.execute("INSERT INTO device_commands (correlation_id, device_id, name, args) "
                     "VALUES ('c1', %s, 'rotate-credentials', '{}')", (DEV,))
    send = lambda topic, payload: c.publish(topic, payload, qos=1).wait_for_publish(5)  # noqa: E731
    send(topics.telemetry(DEV), b"\xff not json")
    send(topics.telemetry("kiosk-asing"), b"{}")
    send(topics.telemetry(DEV), b'{"schema":"hadir.telemetry/1","outbox_depth":1e999}')
    forged = sign(Reply(correlation_id="c1", device_id=DEV, ok=True,
                        result={"phase": "pending", "public_key": public_key_b64(generate_key()),
                                "previous_public_key": public_key_b64(key)}
                        ).model_dump(mode="json", by_alias=True), generate_key())
    send(topics.reply(DEV, "rotate-credentials"), encode(forged))
    # signed by the kiosk's own key, but no rotation was asked for under this id: refused
    unasked = sign(Reply(correlation_id="c2", device_id=DEV, ok=True,
                         result={"phase": "pending", "public_key": public_key_b64(generate_key()),
                                 "previous_public_key": public_key_b64(key)}
                         ).model_dump(mode="json", by_alias=True), key)
    send(topics.reply(DEV, "rotate-credentials"), encode(unasked))
    beat = Telemetry(device_id=DEV, sent_at=datetime.now(UTC), outbox_depth=3, version="0.1.0",
                     gallery_version=0, rss_mb=210.0)
    send(topics.telemetry(DEV), encode(beat))
    wait_until(lambda: rows(db, "SELECT count(*) FROM device_telemetry")[0][0] == 1, 20,
               "the good heartbeat after the bad ones")
    reasons = sorted(r[0] for r in rows(db, "SELECT reason FROM rejected_messages"))
    assert reasons == ["bad_signature", "invalid", "non_finite_number", "not_utf8",
                       "unknown_device"]
    assert rows(db, "SELECT public_key FROM devices")[0][0] == public_key_b64(key)
    assert rows(db, "SELECT outbox_depth, rss_mb FROM device_telemetry") == [(3, 210.0)]
    assert rows(db, "SELECT count(*) FROM device_keys")[0][0] == 0


def test_a_kiosk_gets_only_its_office_s_faces_and_those_on_duty_there(fresh_db: str, tmp_path: Path):
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda", "Setda", "Asia/Jakarta", -3.2, 104.6, 50)
        add_office(conn, "sdn-1", "SDN 1", "Asia/Jakarta", -3.3, 104.7, 50)
        add_device(conn, DEV, public_key_b64(generate_key()), "setda")
        enroll(conn, nip(1), "Di Setda", enc(1), "setda", consent=CONSENT)
        enroll(conn, nip(2), "Di SDN 1", enc(2), "sdn-1", consent=CONSENT)
        enroll(conn, nip(3), "Di mana saja", enc(3), consent=CONSENT)  # no office: every kiosk
        kiosk = Gallery(tmp_path / "g", bytes(32))
        for d in deltas_for(conn, DEV, 0):
            kiosk.apply(d)
        assert sorted(kiosk.employees()) == [nip(1), nip(3)]
        # nip(2) goes on approved duty at Setda: the kiosk's config names it, its face follows
        conn.execute("INSERT INTO device_configs (device_id, version, payload) VALUES (%s, 1, %s)",
                     (DEV, json.dumps({"duties": [{"employee_id": nip(2)}]})))
        touch(conn, [nip(2)])
        for d in deltas_for(conn, DEV, kiosk.version):
            kiosk.apply(d)
        assert sorted(kiosk.employees()) == [nip(1), nip(2), nip(3)]
        # nip(1) moves to SDN 1 and the duty ends: both leave this kiosk as removals
        enroll(conn, nip(1), "Pindah", enc(1), "sdn-1", consent=CONSENT)
        conn.execute("UPDATE device_configs SET payload = '{}'")
        touch(conn, [nip(2)])
        (delta,) = deltas_for(conn, DEV, kiosk.version)
        assert sorted(delta.removals) == [nip(1), nip(2)] and delta.upserts == []
        kiosk.apply(delta)
        assert sorted(kiosk.employees()) == [nip(3)]
