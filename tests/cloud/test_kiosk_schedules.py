"""One schedule: the kiosk decides in/out from the TPP work schedules its signed config carries.

Regression: the kiosk had its own weekday-only in/out schedule (`device config --schedule`),
typed apart from the work schedules TPP judges lateness by, so someone arriving after the
midpoint of the day was recorded as "Pulang", and Fridays, Saturdays and Ramadan had no
hours of their own. Here the cloud (real PostgreSQL, broker and fleet monitor) sends the
office's people's schedules; a kiosk (its real publisher, device agent and decision) applies
them and records a 10:00 arrival as "Masuk" (late) and a Ramadan Friday's check-out at the
Ramadan time; a schedule moved in the cloud reaches the kiosk without anyone typing a thing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.devices import monitor as fleet_monitor
from hadir_cloud.devices.config import publish_config, work_schedules_for
from hadir_cloud.devices.monitor import FleetMonitor
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp.schedule import load_schedules_file
from hadir_cloud.tpp.store import save_schedule, shipped_dir
from hadir_devstack import BrokerLogins
from hadir_edge.bootstrap import make_kiosk
from hadir_edge.camera.files import load_rgb
from hadir_edge.config import EdgeSettings
from hadir_edge.device import DeviceAgent
from hadir_edge.liveness.core import LivenessResult
from hadir_edge.publisher import Publisher
from hadir_protocol.models import Config, Kind, Office, Thresholds
from hadir_protocol.signing import load_or_create_private_key, public_key_b64
from system.harness import wait_until

pytestmark = pytest.mark.slow

WIB = ZoneInfo("Asia/Jakarta")
SETDA = Office(id="setda", name="Setda", tz="Asia/Jakarta", lat=-3.2452, lon=104.6513,
               radius_m=50)
DEV = "kiosk-setda-01"
RINA, BUDI, SARI, DODI, LAMA = ("198503122010012003", "199001012015031001",
                                "199203152019032002", "198811112012122001",
                                "197001011995031002")
LIVE = LivenessResult("blink-dlib5", 0.6, True, "berkedip")


def next_weekday(after: date, weekday: int) -> date:
    """The first `weekday` (0 = Monday) after a day."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


TODAY = datetime.now(WIB).date()
RAMADAN = (TODAY + timedelta(days=20), TODAY + timedelta(days=49))  # ahead, as the calendar says
RAMADAN_FRIDAY = next_weekday(RAMADAN[0], 4)
MONDAY = next_weekday(RAMADAN[1], 0)  # after Ramadan: the normal hours


@pytest.fixture
def cloud(fresh_db: str, broker, monkeypatch, tmp_path: Path) -> Iterator[tuple]:  # type: ignore[type-arg]
    """A regency's data and the fleet monitor (looking for changed schedules every 0.2 s)."""
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda", "Setda", "Asia/Jakarta", SETDA.lat, SETDA.lon, 50)
        add_office(conn, "sdn-1", "SDN 1", "Asia/Jakarta", -3.3, 104.7, 60)
        conn.execute("INSERT INTO units (id, name, regency) VALUES ('setda', 'Setda', 'Uji')")
        for nip, group, office, left in ((RINA, "kantor", "setda", None),
                                         (BUDI, "guru", "setda", None),
                                         (SARI, "kantor", "setda", None),
                                         (DODI, "guru", "sdn-1", None),
                                         (LAMA, "sif-siang", "setda", "2025-12-31")):
            conn.execute("INSERT INTO employees VALUES (%s, %s, 'setda', 'ASN', '9', %s, "
                         "'2020-01-01', %s, %s)", (nip, f"Pegawai {nip[-3:]}", group, left,
                                                  office))
        for s in load_schedules_file(shipped_dir() / "jadwal_2026.toml"):
            save_schedule(conn, s)
        conn.execute("INSERT INTO ramadan_periods VALUES ('2026-02-18', '2026-03-19'), (%s, %s)",
                     RAMADAN)
        cloud_key = tmp_path / "cloud_key.pem"
        cloud_public = public_key_b64(load_or_create_private_key(cloud_key))
        add_device(conn, DEV, public_key_b64(load_or_create_private_key(tmp_path / "k.pem")),
                   "setda")
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    monkeypatch.setattr(fleet_monitor, "SCHEDULE_CHECK_S", 0.2)
    logins = BrokerLogins(tmp_path / "logins").create()
    kiosk_password = logins.add_kiosk(DEV)
    broker.password_file, broker.acl_file = logins.passwd, logins.acl
    broker.restart()
    settings = CloudSettings(broker_port=broker.port, fleet_client_id="fleet-uji",
                             broker_username="fleet", cloud_key_file=cloud_key,
                             broker_password_file=logins.password_file("fleet"))
    monitor = FleetMonitor(settings)
    thread = threading.Thread(target=monitor.run, daemon=True)
    thread.start()
    assert monitor.subscribed.wait(10), "the monitor did not subscribe"
    try:
        yield fresh_db, monitor, kiosk_password, cloud_public
    finally:
        monitor.stop()
        thread.join(10)


def test_the_config_carries_the_schedules_of_the_offices_people(cloud):
    db, *_ = cloud
    with psycopg.connect(db) as conn:
        work = work_schedules_for(conn, SETDA, TODAY, people=[DODI])  # Dodi: on duty here
    assert work.groups == {RINA: "kantor", BUDI: "guru", SARI: "kantor", DODI: "guru"}
    assert work.default_group == "kantor"  # two of the three who work here
    assert [s.id for s in work.schedules] == ["guru-2026", "kantor-2026"]  # no sif-siang
    assert [(p.start, p.end) for p in work.ramadan] == [RAMADAN]  # 2026's is over


def test_a_kiosk_configured_from_the_work_schedules(cloud, tmp_path, faces_dir):
    db, monitor, kiosk_password, cloud_public = cloud
    settings = EdgeSettings(
        device_id=DEV, data_dir=tmp_path / "kiosk", office=SETDA, repeat_window_s=0,
        cloud_public_key=cloud_public,
        camera={"type": "files", "paths": [str(faces_dir / "obama/obama1.jpg")]},
        gps={"type": "fixed", "lat": SETDA.lat, "lon": SETDA.lon},
        broker={"host": "127.0.0.1", "port": monitor.settings.broker_port, "username": DEV,
                "password_file": str(kiosk_password)})
    clock = Clock()
    kiosk = make_kiosk(settings, now=clock)
    frame = load_rgb(faces_dir / "obama/obama1.jpg")
    enc, _ = kiosk.engine.encode_single(frame)
    kiosk.engine.gallery.add(RINA, enc, "Rina")
    publisher = Publisher(DEV, kiosk.outbox, settings.broker, settings.publisher)
    agent = DeviceAgent(settings, publisher, kiosk.outbox, kiosk.engine.gallery, kiosk.runtime,
                        kiosk.identity)
    publisher.start()
    try:
        with psycopg.connect(db) as conn:
            publish_config(conn, monitor.out, DEV, thresholds=Thresholds(repeat_window_s=0))
        wait_until(lambda: kiosk.runtime.version == 1, 30, "the kiosk to apply its config")
        assert kiosk.runtime.work.groups[RINA] == "kantor"
        sight = kiosk.look(frame)
        assert sight.employee_id == RINA

        def walk_up(day: date, hhmm: str):  # type: ignore[no-untyped-def]
            clock.at = datetime.combine(day, time.fromisoformat(hhmm), WIB)
            return kiosk.attempt(sight, frame, liveness=LIVE)

        late = walk_up(MONDAY, "10:00")  # kantor: 07:30–16:00, the midpoint is 11:45
        assert late.recorded and late.decision.kind is Kind.IN
        assert late.message == "Masuk 10:00, tercatat (terlambat 150 menit)"
        assert late.decision.schedule_ref == "kantor-2026/normal"
        assert walk_up(MONDAY, "16:02").decision.kind is Kind.OUT
        came = walk_up(RAMADAN_FRIDAY, "08:00")  # Ramadan Fridays: 08:00–15:30
        assert came.decision.kind is Kind.IN and came.message == "Masuk 08:00, tercatat"
        left = walk_up(RAMADAN_FRIDAY, "15:30")
        assert left.decision.kind is Kind.OUT and left.message == "Pulang 15:30, tercatat"
        assert left.decision.schedule_ref == "kantor-2026/ramadan_friday"
        # the same time on an ordinary Friday (until 16:30) is an hour early
        friday = next_weekday(MONDAY, 4)
        walk_up(friday, "07:20")
        assert walk_up(friday, "15:30").message == "Pulang 15:30, tercatat (60 menit lebih awal)"
        kinds = [json.loads(p)["kind"] for (p,) in kiosk.outbox.db.execute(
            "SELECT payload FROM events ORDER BY seq")]
        assert kinds == ["in", "out", "in", "out", "in", "out"]

        # HR moves Rina to the teachers' schedule: the fleet monitor sends a new config
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("UPDATE employees SET schedule_group = 'guru' WHERE nip = %s", (RINA,))
        wait_until(lambda: kiosk.runtime.version == 2, 30, "the changed schedule to arrive")
        assert kiosk.runtime.work.groups[RINA] == "guru"
        assert walk_up(next_weekday(MONDAY, 5), "09:45").decision.schedule_ref == \
            "guru-2026/saturday"
        with psycopg.connect(db) as conn:
            assert conn.execute("SELECT max(version) FROM device_configs").fetchone()[0] == 2
        stored = Config.model_validate_json((settings.data_dir / "config.json").read_text())
        assert stored.work_schedules.groups[RINA] == "guru"  # kept for a reboot offline
        assert agent.refused == 0
    finally:
        publisher.stop()
        kiosk.close()


class Clock:
    """The kiosk's clock, set by the test."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at
