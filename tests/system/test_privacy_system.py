"""Erasure through the real pieces, and no face data, photo or secret in any log.

Two kiosk services (`hadir-edge run`, each camera showing Kit Harington and checking in every
two seconds) reach the cloud through Mosquitto with production logins: kiosk A keeps its
gallery key as a credential file, kiosk B has no TPM and gets its key from the cloud at boot
(memory only). The ingest, the fleet monitor, the job worker and the portal run as their own
processes. Kit is enrolled with his consent; both kiosks recognise him; he downloads his data
in the portal and HR looks at a photo of his; then HR erases his biometric data. Every kiosk
confirms the removal, neither recognises him any more, and no table holds his template or his
photos. Last, every log of every process (and every CLI output) is searched for photos,
encodings, keys and passwords.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import psycopg
import pytest
import requests
from hadir_cloud.privacy.keys import FileKeyService, Sealed, open_sealed
from hadir_cloud.users import activate, add_user, grant, invite
from hadir_devstack import free_port
from hadir_edge.face import Gallery, load_or_create_gallery_key

from .harness import BIN, OFFICE, Proc, Stack, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "privacy"))
from privacy_db import rows_holding  # noqa: E402

pytestmark = [pytest.mark.system, pytest.mark.slow]

NIP_A = "198503122010012003"  # Barack Obama
NIP_B = "199001012015031001"  # Kit Harington, who asks for his biometric data to be erased
PW = "kata-sandi-rahasia-uji"
UNKNOWN = "simulated check-in: unknown"


class Outputs:
    """Everything the CLI printed, searched with the logs at the end."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def cloud(self, stack: Stack, *args: str) -> str:
        out = subprocess.run([str(BIN / "hadir-cloud"), *args], env=stack.cloud_env("cli"),
                             capture_output=True, text=True, timeout=300)
        self.text.append(out.stdout + out.stderr)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout


def _one(url: str, sql: str, *args: object):  # type: ignore[no-untyped-def]
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchone()


def _seed_people(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, parent_id) VALUES "
                     "('setda', 'Sekretariat Daerah', 'uji', NULL)")
        for nip, name in ((NIP_A, "Barack Obama"), (NIP_B, "Kit Harington")):
            conn.execute("INSERT INTO employees (nip, name, unit_id, staff_kind, position_class, "
                         "schedule_group, join_date, office_id) VALUES (%s, %s, 'setda', 'ASN', "
                         "'pelaksana', 'kantor', '2015-01-01', %s)", (nip, name, OFFICE[0]))
        activate(conn, NIP_B, invite(conn, NIP_B), PW)
        add_user(conn, "hr", PW, "staf")
        grant(conn, "hr", "admin_bkpsdm", None, "uji")


def _portal(stack: Stack, secret: str) -> tuple[Proc, str]:
    port = free_port()
    env = stack.cloud_env("cli", HADIR_SECRET_KEY=secret, HADIR_PORTAL_SECURE_COOKIES="false")
    proc = Proc("portal", [str(BIN / "hadir-cloud"), "portal", "--port", str(port)], env,
                stack.tmp / "portal.log").start()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, 60, "the portal to answer")
    return proc, url


def _session(url: str, user: str) -> requests.Session:
    s = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{url}/masuk").text)
    assert token
    resp = s.post(f"{url}/masuk", data={"csrf_token": token[1], "username": user,
                                        "password": PW}, allow_redirects=False)
    assert resp.status_code == 302, resp.text[:300]
    s.headers["X-CSRFToken"] = token[1]
    return s


def _kiosk_log(stack: Stack, device: str) -> str:
    return (stack.tmp / f"{device}.log").read_text(errors="replace")


def _rows_holding(url: str, needle: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return rows_holding(conn, needle)


def test_an_erased_person_is_recognised_by_no_kiosk_and_no_log_holds_faces_or_secrets(
        stack: Stack, photo: Path, photo2: Path, template_key: Path):
    out = Outputs()
    _seed_people(stack.db_url)
    kiosks = {dev: stack.add_kiosk(dev, photo2, NIP_B, camera=photo2,
                                   top='telemetry_interval_s = 1\nliveness = { mode = "off" }')
              for dev in ("kiosk-a", "kiosk-b")}
    for k in kiosks.values():
        (k.data_dir / "gallery.enc").unlink()  # faces come from the cloud only
    (kiosks["kiosk-b"].data_dir / "gallery-key").unlink()
    with kiosks["kiosk-b"].config.open("a") as cfg:
        cfg.write('\n[face]\ngallery_key = "cloud"\n')  # no TPM: the key from the cloud at boot
    stack.start_ingest()
    procs = [Proc("fleet", [str(BIN / "hadir-cloud"), "fleet"], stack.cloud_env("fleet"),
                  stack.tmp / "fleet.log").start(),
             Proc("worker", [str(BIN / "hadir-cloud"), "-v", "worker"], stack.cloud_env("cli"),
                  stack.tmp / "worker.log").start()]
    secret = "portal-secret-" + "9" * 30
    portal, url = _portal(stack, secret)
    procs.append(portal)
    try:
        wait_until(lambda: "subscribed to" in (stack.tmp / "fleet.log").read_text(), 30,
                   "the fleet monitor to subscribe")
        out.cloud(stack, "gallery", "enroll", "--employee", NIP_A, "--name", "Barack Obama",
                  "--consent-ref", "FRM-001", str(photo))
        out.cloud(stack, "gallery", "enroll", "--employee", NIP_B, "--name", "Kit Harington",
                  "--persetujuan", "FRM-002", str(photo2))
        version = _one(stack.db_url, "SELECT max(version) FROM face_templates")[0]
        keys = FileKeyService.from_files(template_key)
        sealed = _one(stack.db_url, "SELECT sealed, data_key, key_id FROM face_templates WHERE "
                      "employee_id = %s", NIP_B)
        kit_encodings = open_sealed(keys, NIP_B, Sealed(bytes(sealed[0]), bytes(sealed[1]),
                                                        sealed[2]))
        assert [_rows_holding(stack.db_url, e[:40]) for e in kit_encodings] == [[]]  # sealed
        for dev in kiosks:
            stack.start_kiosk(dev, "--every", "2", command="simulate")

        # both kiosks hold the gallery (B after its key came from the cloud) and recognise Kit
        def held(dev: str) -> bool:
            row = _one(stack.db_url, "SELECT gallery_version FROM device_state WHERE "
                       "device_id = %s", dev)
            return bool(row and row[0] == version)

        for dev in kiosks:
            wait_until(lambda d=dev: held(d), 120, f"{dev} to hold the gallery")
            wait_until(lambda d=dev: _one(stack.db_url, "SELECT count(*) FROM checkins WHERE "
                                          "employee_id = %s AND device_id = %s", NIP_B, d)[0] > 0,
                       120, f"{dev} to recognise Kit")
        wrapped = _one(stack.db_url, "SELECT wrapped, key_id FROM device_gallery_keys WHERE "
                       "device_id = 'kiosk-b'")
        key_b = keys.unwrap(bytes(wrapped[0]), wrapped[1])
        card = b"".join(p.read_bytes() for p in kiosks["kiosk-b"].data_dir.rglob("*")
                        if p.is_file())
        assert key_b not in card and key_b.hex().encode() not in card  # a copied card: no key
        assert _one(stack.db_url, "SELECT count(*) FROM audit_log WHERE action = "
                    "'kunci_galeri.kirim' AND subject = 'kiosk-b'")[0] >= 1

        # the portal: Kit downloads his data (a job of the worker); HR looks at a photo of his
        kit = _session(url, NIP_B)
        job = kit.post(f"{url}/privasi/data-saya/ekspor", allow_redirects=False)
        job_url = url + job.headers["Location"]
        wait_until(lambda: 'id="download"' in kit.get(job_url + "/kemajuan").text, 120,
                   "the export job")
        zipped = kit.get(job_url + "/unduh")
        assert zipped.headers["Cache-Control"] == "no-store"
        names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        assert any(n.startswith("foto-presensi/") for n in names)
        event = _one(stack.db_url, "SELECT event_id FROM checkins WHERE employee_id = %s "
                     "LIMIT 1", NIP_B)[0]
        hr = _session(url, "hr")
        assert hr.get(f"{url}/checkins/{event}/photo.jpg").headers["Cache-Control"] == "no-store"

        # HR erases: the CLI waits for every kiosk's confirmation
        before = {dev: len(_kiosk_log(stack, dev)) for dev in kiosks}
        report = out.cloud(stack, "privacy", "erase", "--employee", NIP_B, "--reason",
                           "permintaan pegawai", "--by", "hr", "--wait", "120")
        assert "selesai: semua kiosk mengonfirmasi" in report, report
        assert "kiosk kiosk-a: terkonfirmasi" in report and "kiosk kiosk-b: terkonfirmasi" in report
        confirmed_at = _one(stack.db_url, "SELECT max(confirmed_at) FROM erasure_kiosks")[0]

        # neither kiosk recognises him any more
        for dev in kiosks:
            wait_until(lambda d=dev: _kiosk_log(stack, d)[before[d]:].count(UNKNOWN) >= 3, 90,
                       f"{dev} not to recognise Kit")
            after = _kiosk_log(stack, dev)[before[dev]:]
            assert "simulated check-in: recorded" not in after[after.index(UNKNOWN):]
        for p in [*stack.runners.values()]:
            p.kill(15)
        late = _one(stack.db_url, "SELECT count(*) FROM checkins WHERE employee_id = %s AND "
                    "captured_at > %s + interval '3 seconds'", NIP_B, confirmed_at)[0]
        assert late == 0
        # and their galleries on the cards no longer hold him (B's opened with the cloud's key)
        gallery_a = Gallery(kiosks["kiosk-a"].data_dir / "gallery",
                            load_or_create_gallery_key(kiosks["kiosk-a"].data_dir / "gallery-key"))
        gallery_b = Gallery(kiosks["kiosk-b"].data_dir / "gallery", key_b)
        for g in (gallery_a, gallery_b):
            assert g.employees() == {NIP_A} and g.version > version

        # no row holds his template or photos (late photos of the backlog swept too)
        out.cloud(stack, "privacy", "retention", "run")
        for enc in kit_encodings:
            assert _rows_holding(stack.db_url, enc[:40]) == []
        assert _rows_holding(stack.db_url, bytes(sealed[0])[:24].hex()) == []
        assert _one(stack.db_url, "SELECT count(*) FROM checkins WHERE employee_id = %s AND "
                    "photo IS NOT NULL", NIP_B)[0] == 0
        assert _one(stack.db_url, "SELECT count(*) FROM checkins WHERE employee_id = %s AND "
                    "photo IS NOT NULL", NIP_A)[0] == 0  # nobody else was shown to the cameras
        assert _one(stack.db_url, "SELECT sealed, data_key, photo, name FROM face_templates "
                    "WHERE employee_id = %s", NIP_B) == (None, None, None, "")
        trail = out.cloud(stack, "privacy", "audit", "--subject", NIP_B, "--limit", "200")
        for action in ("mendaftarkan wajah", "meminta ekspor", "mengunduh ekspor",
                       "melihat foto", "menghapus data biometrik"):
            assert action in trail, action
    finally:
        for p in procs:
            p.kill(15)
        stack.close()

    _assert_no_secret_in_any_log(stack, out, template_key, key_b, secret, kit_encodings)


def _assert_no_secret_in_any_log(stack: Stack, out: Outputs, template_key: Path, key_b: bytes,
                                 secret: str, encodings: list[str]) -> None:
    """Photos (raw or base64), encodings, keys and passwords appear in no log and no output."""
    logs = {p: p.read_bytes() for p in stack.tmp.rglob("*") if p.is_file()
            and (p.suffix == ".log" or ".log." in p.name or p.parent.name == "logs")}
    logs.update({Path(f"cli-{i}"): t.encode() for i, t in enumerate(out.text)})
    assert len(logs) >= 8, sorted(map(str, logs))  # ingest, fleet, worker, portal, kiosks, broker
    # the search reads what these processes wrote (so a leak would be found)
    for said in (b"gallery key sent to kiosk-b", UNKNOWN.encode(), b"GET /privasi/data-saya",
                 b"subscribed to"):
        assert any(said in content for content in logs.values()), said
    needles: dict[str, bytes] = {"a JPEG": b"\xff\xd8\xff", "a base64 JPEG": b"/9j/",
                                 "the portal's secret key": secret.encode(),
                                 "a portal password": PW.encode(),
                                 "the template key": template_key.read_text().strip().encode(),
                                 "kiosk B's gallery key": key_b.hex().encode()}
    for i, enc in enumerate(encodings):
        needles[f"an encoding {i}"] = enc[:24].encode()
    for k in stack.kiosks.values():
        key_file = k.data_dir / "gallery-key"
        if key_file.exists():
            needles[f"{k.device_id}'s gallery key"] = key_file.read_text().strip().encode()
        pem = (k.data_dir / "device_key.pem").read_text().splitlines()
        needles[f"{k.device_id}'s signing key"] = pem[1].encode()
    needles["the cloud's signing key"] = stack.cloud_key_file.read_text().splitlines()[1].encode()
    assert stack.logins is not None
    for pw in stack.logins.directory.glob("*.password"):
        needles[f"broker password of {pw.stem}"] = pw.read_text().strip().encode()
    found = [f"{what} in {path}" for path, content in logs.items()
             for what, needle in needles.items() if needle in content]
    assert found == []
