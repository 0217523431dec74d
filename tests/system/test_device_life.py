"""Device life end to end: the real kiosk service, `hadir-cloud fleet`, the cloud CLI, the ingest.

Gallery enrolled in the cloud reaches the kiosk (encrypted there) as its
heartbeat shows it lacks it; a config sent with the CLI is applied and kept;
commands get replies; the signing key rotates in two phases while events
signed with the old key are still in flight, and nothing is refused or lost.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from hadir_edge.face import Gallery, load_or_create_gallery_key
from hadir_edge.identity import DeviceIdentity

from .harness import BIN, OFFICE, Proc, Stack, wait_until

pytestmark = [pytest.mark.system, pytest.mark.slow]

NIP_A = "198503122010012003"
NIP_B = "199001012015031001"
DEV = "kiosk-hidup"
JADWAL = Path(__file__).resolve().parents[2] / "cloud/src/hadir_cloud/rulesets/jadwal_2026.toml"


def cloud(stack: Stack, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `hadir-cloud …` as IT staff would (as the broker's `cli` user)."""
    out = subprocess.run([str(BIN / "hadir-cloud"), *args], env=stack.cloud_env("cli"),
                         capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def db_one(stack: Stack, sql: str, *params: object):  # type: ignore[no-untyped-def]
    with psycopg.connect(stack.db_url) as conn:
        return conn.execute(sql, params).fetchone()


def test_gallery_config_commands_and_key_rotation(stack: Stack, photo: Path, photo2: Path):
    # its camera (for `hadir-edge checkin` below) shows a still photo: liveness off
    k = stack.add_kiosk(DEV, photo, NIP_A,
                        top='telemetry_interval_s = 1\nliveness = { mode = "off" }')
    stack.start_ingest()
    fleet = Proc("fleet", [str(BIN / "hadir-cloud"), "fleet"], stack.cloud_env("fleet"),
                 stack.tmp / "fleet.log").start()
    try:
        wait_until(lambda: "subscribed to" in (stack.tmp / "fleet.log").read_text(), 30,
                   "the fleet monitor to subscribe")
        # without a recorded consent nobody is enrolled (UU 27/2022)
        refused = cloud(stack, "gallery", "enroll", "--employee", NIP_A, "--name", "Barack Obama",
                        str(photo), check=False)
        assert refused.returncode != 0 and "persetujuan biometrik" in refused.stderr
        cloud(stack, "gallery", "enroll", "--employee", NIP_A, "--name", "Barack Obama",
              "--consent-ref", "FRM-2026-001", str(photo))
        cloud(stack, "privacy", "consent", "record", "--employee", NIP_B, "--ref", "FRM-2026-002")
        cloud(stack, "gallery", "enroll", "--employee", NIP_B, "--name", "Kit Harington",
              str(photo2))
        bad = cloud(stack, "gallery", "enroll", "--employee", NIP_B, "--name", "X",
                    str(photo.parent.parent / "groups" / "two_people.jpg"), check=False)
        assert bad.returncode != 0 and "harus tepat satu" in bad.stderr
        version = db_one(stack, "SELECT max(version) FROM face_templates")[0]
        stack.start_kiosk(DEV)

        # the heartbeat says "gallery 0" → the monitor sends the snapshot → the kiosk reports it
        wait_until(lambda: (db_one(stack, "SELECT gallery_version FROM device_state WHERE "
                                   "device_id = %s", DEV) or [None])[0] == version, 60,
                   "the kiosk to hold the cloud's gallery")
        key = load_or_create_gallery_key(k.data_dir / "gallery-key")
        held = Gallery(k.data_dir / "gallery", key)
        assert held.version == version and held.name_of(NIP_B) == "Kit Harington"
        assert b"Kit Harington" not in (k.data_dir / "gallery.enc").read_bytes()
        assert db_one(stack, "SELECT state FROM device_state WHERE device_id = %s", DEV)[0] == \
            "online"
        out = cloud(stack, "device", "telemetry", DEV).stdout
        assert "antrean: 0" in out and f"galeri: {version}" in out
        assert "ditahan cloud (belum terverifikasi): 0" in out and "disk penuh: False" in out

        # a removal travels as a delta on top of what the kiosk holds
        cloud(stack, "gallery", "remove", "--employee", NIP_B)
        wait_until(lambda: Gallery(k.data_dir / "gallery", key).employees() == {NIP_A}, 60,
                   "the removal to reach the kiosk")

        # config: applied and persisted by the kiosk, with the TPP work schedules of its people
        cloud(stack, "tpp", "load-schedules", str(JADWAL))
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            conn.execute("INSERT INTO units (id, name, regency) VALUES ('setda', 'Setda', 'Uji')")
            conn.execute("INSERT INTO employees VALUES (%s, 'Barack Obama', 'setda', 'ASN', '9', "
                         "'kantor', '2020-01-01', NULL, %s)", (NIP_A, OFFICE[0]))
        out = cloud(stack, "device", "config", DEV, "--repeat-window", "0").stdout
        assert "konfigurasi v1" in out and "1 jadwal, 1 pegawai, grup bawaan kantor" in out
        wait_until(lambda: (k.data_dir / "config.json").exists(), 30, "config persisted")
        saved = json.loads((k.data_dir / "config.json").read_text())
        assert saved["version"] == 1 and saved["thresholds"]["repeat_window_s"] == 0
        work = saved["work_schedules"]
        assert work["groups"] == {NIP_A: "kantor"} and work["default_group"] == "kantor"
        assert [s["id"] for s in work["schedules"]] == ["kantor-2026"]
        # the weekday-only schedule of the previous release is gone
        assert cloud(stack, "device", "config", DEV, "--schedule", "0-4=07:30-16:00",
                     check=False).returncode != 0

        # commands with replies
        out = cloud(stack, "device", "command", DEV, "send-logs", "--arg", "lines=20").stdout
        assert "gallery" in out  # the kiosk's own log lines came back

        # key rotation while events signed with the old key wait in the outbox
        stack.broker.stop()
        k.make_events(3)  # signed with the old key, held offline
        stack.broker.start()
        old = DeviceIdentity(k.data_dir).public_key()
        out = cloud(stack, "device", "command", DEV, "rotate-credentials").stdout
        assert '"phase": "pending"' in out
        wait_until(lambda: DeviceIdentity(k.data_dir).public_key() != old, 60,
                   "the kiosk to activate its new key")
        new = DeviceIdentity(k.data_dir).public_key()
        assert db_one(stack, "SELECT public_key FROM devices WHERE id = %s", DEV)[0] == new
        assert db_one(stack, "SELECT count(*) FROM device_keys WHERE device_id = %s AND "
                      "public_key = %s", DEV, old)[0] == 1
        # a new event from the kiosk's CLI is signed with the new key
        env = {**os.environ, **k.env}
        made = subprocess.run([str(BIN / "hadir-edge"), "checkin"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        k.created.append(json.loads(made.stdout.strip().splitlines()[-1])["event_id"])
        stack.wait_drained()
        stack.assert_nothing_lost()
        assert db_one(stack, "SELECT count(*) FROM rejected_messages")[0] == 0
        assert db_one(stack, "SELECT count(*) FROM device_telemetry WHERE device_id = %s",
                      DEV)[0] >= 3
    finally:
        fleet.kill(15)
