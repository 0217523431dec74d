"""`make demo` / `make demo-check`: the whole Hadir system on this machine.

Starts a real Mosquitto (per-device passwords and ACL), a fresh database in the
running PostgreSQL (or a throwaway cluster), the ingest worker, the portal and
two simulated kiosks whose cameras are image files of faces that ship inside
Python packages (scikit-image's astronaut, matplotlib's grace_hopper.jpg) and
whose GPS is a fixed, simulated fix near the office. `--check` runs headless:
it makes a known number of check-ins and exits 0 only when every one of them
is visible through the portal's JSON API.

Both seed a small regency first (`demo/seed_regency.py`: three OPD, 50 people, a month of
signed check-ins, TPP rules and calendar) and print three accounts to sign in with: an HR
admin, an atasan and an employee. `--check` also signs them in over HTTP.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hadir_devstack import BrokerLogins, Mosquitto, Postgres, free_port, wait_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_regency  # noqa: E402  (demo/, beside this file)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
logger = logging.getLogger("hadir.demo")


@dataclass
class DemoKiosk:
    """One simulated kiosk: its id, office, face photo and the employee on it."""

    device_id: str
    office_id: str
    office_name: str
    tz: str
    lat: float
    lon: float
    employee_id: str
    employee_name: str
    photo: Path


def demo_photos(workdir: Path) -> tuple[Path, Path]:
    """Two real face photos from registry packages (public domain / matplotlib sample)."""
    import matplotlib.cbook
    import skimage.data
    from PIL import Image

    astronaut = workdir / "faces" / "astronaut.png"
    hopper = workdir / "faces" / "grace_hopper.jpg"
    astronaut.parent.mkdir(parents=True, exist_ok=True)
    # the head and shoulders only: the mission patch lower down can pass for a second face
    Image.fromarray(skimage.data.astronaut()[:300, 60:420]).save(astronaut)
    shutil.copy(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), hopper)
    return astronaut, hopper


def run(cmd: list[str], env: dict[str, str] | None = None, **kw: object) -> str:
    """Run a CLI step; show its output when it fails."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)  # type: ignore[call-overload]
    if out.returncode != 0:
        raise SystemExit(f"gagal: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    return str(out.stdout)


def kiosk_config(k: DemoKiosk, data_dir: Path, broker: Mosquitto, password_file: Path,
                 cloud_public_key: str, repeat_window_s: int = 0, screen_port: int = 8080) -> Path:
    """Write the kiosk's TOML configuration (it pins the cloud's signing key)."""
    cfg = data_dir / "hadir-edge.toml"
    cfg.write_text(f"""\
device_id = "{k.device_id}"
data_dir = "{data_dir}"
cloud_public_key = "{cloud_public_key}"
repeat_window_s = {repeat_window_s}
telemetry_interval_s = 10

[broker]
host = "127.0.0.1"
port = {broker.port}
username = "{k.device_id}"
password_file = "{password_file}"

[camera]
type = "files"
paths = ["{k.photo}"]
loop = true

[gps]
type = "fixed"
lat = {k.lat + 0.0001}
lon = {k.lon}
accuracy_m = 4.0
satellites = 8

[office]
id = "{k.office_id}"
name = "{k.office_name}"
tz = "{k.tz}"
lat = {k.lat}
lon = {k.lon}
radius_m = 50.0

[screen]
port = {screen_port}

[liveness]
# a simulated kiosk shows a still photo, which cannot blink: liveness is off here only
mode = "off"
""")
    return cfg


class Stack:
    """The running demo: servers and processes, stopped in reverse order."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg: Postgres | None = None
        self.broker: Mosquitto | None = None

    def spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a long-running process with its log in the work dir."""
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        """Stop every process, then the broker and the database."""
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.broker:
            self.broker.stop()
        if self.pg:
            self.pg.close()


def seed_month(db_url: str) -> seed_regency.Seeded:
    """Seed the regency with this month's check-ins up to yesterday; on a month's first
    working day, when this month has none yet, last month as well (its days are checked)."""
    today = datetime.now(ZoneInfo(seed_regency.KANTOR.tz)).date()
    seeded = seed_regency.seed(db_url, today.strftime("%Y-%m"), today=today)
    if not seeded.days:
        last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        seeded = seed_regency.seed(db_url, last, today=today)
    return seeded


def letters_ca(folder: Path, db_url: str, heads: list[str]) -> Path:
    """The demo's local CA for letters: root, issuing CA, a certificate for every head."""
    import psycopg
    from hadir_cloud.letters import ca

    if not (folder / "root.key").exists():
        ca.init(folder, f"Kabupaten {seed_regency.REGENCY}")
    with psycopg.connect(db_url) as conn:
        names = dict(conn.execute("SELECT nip, name FROM employees WHERE nip = ANY(%s)",
                                  (heads,)).fetchall())
    for nip in heads:
        ca.issue(folder, nip, names.get(nip, nip))
    print(f"• CA surat lokal: {folder} ({len(heads)} sertifikat pejabat)")
    return folder


def start(stack: Stack, kiosks: list[DemoKiosk], screen_ports: list[int],
          ) -> tuple[dict[str, str], int, dict[str, Path], seed_regency.Seeded]:
    """Bring up database, broker, ingest, portal; register and enroll the kiosks; seed."""
    wd = stack.workdir
    stack.pg = Postgres.obtain()
    db_url = stack.pg.create_database("hadir_demo")
    secret = secrets.token_hex(32)
    cloud_key = wd / "cloud_key.pem"  # signs config, gallery and commands; kiosks pin it
    template_key = wd / "template_key"  # seals face templates at rest (docs/privacy.md)
    env = {**os.environ, "HADIR_DATABASE_URL": db_url, "HADIR_SECRET_KEY": secret,
           "HADIR_CLOUD_KEY_FILE": str(cloud_key), "HADIR_TEMPLATE_KEY_FILE": str(template_key),
           # the demo's portal is plain HTTP on loopback; production sits behind TLS
           "HADIR_PORTAL_SECURE_COOKIES": "false"}
    cloud = str(BIN / "hadir-cloud")
    edge = str(BIN / "hadir-edge")
    print("• basis data:", db_url)
    run([cloud, "db", "upgrade"], env)
    cloud_public_key = run([cloud, "cloud-key", "init", "--out", str(cloud_key)],
                           env).strip().splitlines()[-1]
    if not template_key.exists():
        run([cloud, "privacy", "template-key", "init", "--out", str(template_key)], env)

    # the broker as in production: the cloud's users (ingest-1, fleet, cli) and their ACL,
    # generated from the wire contract; the kiosks are added below by `hadir-cloud device add`
    logins = BrokerLogins(wd / "broker-logins").create()
    passwd, acl = logins.passwd, logins.acl

    data_dirs: dict[str, Path] = {}
    offices_done: set[str] = set()
    kiosk_pw: dict[str, Path] = {}
    for k in kiosks:
        data_dir = wd / k.device_id
        data_dir.mkdir(parents=True, exist_ok=True)
        pw_file = data_dir / "broker-password"
        pw_file.write_text(secrets.token_urlsafe(18))
        pw_file.chmod(0o600)
        kiosk_pw[k.device_id] = pw_file
        data_dirs[k.device_id] = data_dir
        if k.office_id not in offices_done:
            run([cloud, "office", "add", "--id", k.office_id, "--name", k.office_name,
                 "--tz", k.tz, "--lat", str(k.lat), "--lon", str(k.lon), "--radius", "50"], env)
            offices_done.add(k.office_id)

    # a small living regency: org chart, TPP rules and calendar, a month of signed check-ins,
    # accounts for an HR admin, an atasan and an employee (the kiosks' people are in it)
    seeded = seed_month(db_url)
    # letters: a local CA with a signing certificate for every head, and the job worker that
    # signs (docs/letters.md); the portal's verify page trusts the same CA
    env["HADIR_LETTERS_CA_DIR"] = str(letters_ca(wd / "ca-surat", db_url, seeded.heads))

    stack.broker = Mosquitto(workdir=wd / "mosquitto", password_file=passwd, acl_file=acl)
    broker_env = {"HADIR_BROKER_HOST": "127.0.0.1", "HADIR_BROKER_PORT": str(stack.broker.port)}
    for k, screen_port in zip(kiosks, screen_ports, strict=True):
        cfg = kiosk_config(k, data_dirs[k.device_id], stack.broker, kiosk_pw[k.device_id],
                           cloud_public_key, screen_port=screen_port)
        kenv = {**env, "HADIR_EDGE_CONFIG": str(cfg)}
        run([edge, "keygen"], kenv)
        pub = run([edge, "pubkey"], kenv).strip().splitlines()[-1]
        run([cloud, "device", "add", "--id", k.device_id, "--public-key", pub,
             "--office", k.office_id, "--mosquitto-passwd", str(passwd),
             "--mosquitto-acl", str(acl), "--password-file", str(kiosk_pw[k.device_id])], env)
        for other in kiosks:
            run([edge, "enroll", "--employee", other.employee_id, "--name", other.employee_name,
                 "--consent-ref", f"DEMO-{other.employee_id}", str(other.photo)], kenv)
        print(f"• kiosk {k.device_id} di {k.office_name}: {k.employee_name} ({k.employee_id})")
    stack.broker.start()
    print("• broker MQTT:", stack.broker.url)

    # each process logs in as its own broker user (the broker uses it as the client id)
    stack.spawn("ingest", [cloud, "ingest"], {**env, **broker_env, **logins.env("ingest")})
    stack.spawn("fleet", [cloud, "fleet"], {**env, **broker_env, **logins.env("fleet")})
    # each kiosk's signed config: its office, thresholds and the TPP work schedules of its
    # people (in/out is decided from them); retained, so it reaches the kiosk when it connects
    cli_env = {**env, **broker_env, **logins.env("cli")}
    for k in kiosks:
        run([cloud, "device", "config", k.device_id, "--repeat-window", "0"], cli_env)
    port = free_port()
    env["HADIR_PORTAL_BASE_URL"] = f"http://127.0.0.1:{port}"  # printed in letters' QR codes
    stack.spawn("worker", [cloud, "worker"], env)
    stack.spawn("portal", [cloud, "portal", "--host", "127.0.0.1", "--port", str(port)], env)
    wait_port(port, timeout=30)
    return cli_env, port, data_dirs, seeded


def api_events(port: int, token: str | None) -> list[dict[str, object]]:
    """Every check-in the portal's JSON API shows for today."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/checkins")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = json.load(resp)
    return list(body["checkins"] if isinstance(body, dict) else body)


class PortalSession:
    """A browser-like client of the running portal: a cookie jar and the sign-in form's CSRF."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        """Status, final URL and body of a GET (redirects followed)."""
        with self.opener.open(self.base + path, timeout=15) as resp:
            return resp.status, resp.geturl(), resp.read().decode()

    def sign_in(self, login: str, password: str) -> str:
        """POST /masuk as the form does; the URL landed on (still /masuk: refused)."""
        _, _, form = self.get("/masuk")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        data = urllib.parse.urlencode({"username": login, "password": password,
                                       "csrf_token": token[1] if token else ""}).encode()
        with self.opener.open(self.base + "/masuk", data=data, timeout=15) as resp:
            return str(resp.geturl())


def check_seeded_portal(port: int, seeded: seed_regency.Seeded) -> bool:
    """The seeded employee sees this month; the HR admin reads a seeded day's check-ins."""
    from hadir_cloud.attendance.domain import month_title

    ok = True
    staff = seeded.account("Pegawai")
    web = PortalSession(port)
    landed = web.sign_in(staff.nip, staff.password)
    status, _, html = web.get("/bulan-saya")
    this_month = month_title(datetime.now(ZoneInfo(seed_regency.KANTOR.tz)).date().replace(day=1))
    month_ok = landed.endswith("/bulan-saya") and status == 200 and this_month in html
    print(f"• pegawai {staff.nip} masuk dan membuka /bulan-saya ({this_month}): "
          f"{'ya' if month_ok else 'TIDAK'}")
    ok = ok and month_ok
    hr = seeded.account("Admin BKPSDM")
    web = PortalSession(port)
    landed = web.sign_in(hr.nip, hr.password)
    # the latest of the busiest days (a Saturday has only the school's people)
    day: date = max(seeded.days, key=lambda d: (len(seeded.events_by_day.get(d, ())), d))
    status, _, body = web.get(f"/api/checkins?date={day.isoformat()}")
    got = {str(c["event_id"]) for c in json.loads(body)["checkins"]} if status == 200 else set()
    want = seeded.events_by_day.get(day, set())
    api_ok = not landed.endswith("/masuk") and bool(want) and got == want
    print(f"• admin BKPSDM {hr.nip}: /api/checkins?date={day} menampilkan {len(got & want)}/"
          f"{len(want)} check-in hasil seed (lain: {len(got - want)})")
    return ok and api_ok


def main() -> int:
    """Run the demo (or the headless check)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="headless: check-ins, verify, exit")
    ap.add_argument("--per-kiosk", type=int, default=3, help="check-ins per kiosk in --check")
    ap.add_argument("--every", type=float, default=20.0, help="seconds between demo check-ins")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".demo")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # SIGTERM (systemd, timeout, CI) stops the stack like Ctrl-C: nothing is left running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    astronaut, hopper = demo_photos(args.workdir)
    # the kiosks stand in the seeded regency's offices; their faces are people of its org
    kiosks = [
        DemoKiosk(device, p.office.id, p.office.name, p.office.tz, p.office.lat, p.office.lon,
                  p.nip, p.name, photo)
        for device, p, photo in zip(("kiosk-setda-01", "kiosk-sdn-indralaya-01"),
                                    seed_regency.KIOSK_PEOPLE, (astronaut, hopper), strict=True)
    ]
    stack = Stack(args.workdir)
    try:
        screen_ports = [free_port() for _ in kiosks]
        env, port, data_dirs, seeded = start(stack, kiosks, screen_ports)
        edge = str(BIN / "hadir-edge")
        token = run([str(BIN / "hadir-cloud"), "token", "--name", "demo"], env).strip()
        token = token.splitlines()[-1] if token else ""
        if not args.check:
            password = secrets.token_urlsafe(9)
            run([str(BIN / "hadir-cloud"), "user", "add", "--username", "admin",
                 "--password-file", "-"], env, input=password)
            for i, k in enumerate(kiosks):
                kenv = {**env, "HADIR_EDGE_CONFIG": str(data_dirs[k.device_id] / "hadir-edge.toml")}
                # the first kiosk runs as on a Pi (camera loop + screen), the other simulated
                mode = ["run"] if i == 0 else ["simulate", "--every", str(args.every)]
                stack.spawn(k.device_id, [edge, *mode], kenv)
            print(f"\nLayar kiosk {kiosks[0].device_id}: http://127.0.0.1:{screen_ports[0]}/")
            print(f"Portal Hadir: http://127.0.0.1:{port}/  — masuk sebagai admin / {password}")
            print(f"  Kabupaten {seed_regency.REGENCY} contoh ({seeded.people} pegawai, "
                  f"presensi {seeded.month}); masuk dengan NIP dan kata sandi:")
            for a in seeded.accounts:
                print(f"  {a.role:<13} {a.nip} / {a.password}  {a.name}")
            print(f"API: curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/api/checkins")
            print("Log di", args.workdir, "— Ctrl-C untuk berhenti.")
            while all(p.poll() is None for _, p in stack.procs):
                time.sleep(1)
            broken = [n for n, p in stack.procs if p.poll() is not None]
            print("berhenti:", ", ".join(broken), "— lihat log di", args.workdir)
            return 1
        # Headless check: check-ins made while the kiosks are offline, then drained.
        expected: set[str] = set()
        for k in kiosks:
            kenv = {**env, "HADIR_EDGE_CONFIG": str(data_dirs[k.device_id] / "hadir-edge.toml")}
            for _ in range(args.per_kiosk):
                result = json.loads(run([edge, "checkin"], kenv).strip().splitlines()[-1])
                expected.add(str(result["event_id"]))
            stack.spawn(k.device_id, [edge, "run", "--headless"], kenv)
        print(f"• {len(expected)} check-in dibuat; menunggu semuanya tampil di portal …")
        deadline = time.monotonic() + 120
        seen: set[str] = set()
        while time.monotonic() < deadline:
            seen = {str(e["event_id"]) for e in api_events(port, token)}
            if expected <= seen:
                break
            time.sleep(1)
        missing = expected - seen
        extra = seen - expected
        print(f"• terlihat di portal: {len(expected & seen)}/{len(expected)}; "
              f"hilang: {len(missing)}; tak terduga: {len(extra)}")
        ok = not missing and not extra
        # device life: every kiosk's heartbeat reaches the fleet monitor through the ACLs
        deadline = time.monotonic() + 60
        beats: dict[str, str] = {}
        while time.monotonic() < deadline and len(beats) < len(kiosks):
            for k in kiosks:
                out = subprocess.run([str(BIN / "hadir-cloud"), "device", "telemetry", k.device_id],
                                     env=env, capture_output=True, text=True)
                if out.returncode == 0:
                    beats[k.device_id] = out.stdout
            time.sleep(2)
        print(f"• laporan kiosk (telemetri) diterima: {len(beats)}/{len(kiosks)}")
        ok = ok and len(beats) == len(kiosks)
        # the seeded regency through the real portal over HTTP: sign-in, my month, the API
        ok = check_seeded_portal(port, seeded) and ok
        print("demo-check:", "OK" if ok else "GAGAL")
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("\nberhenti.")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
