"""The real pieces together: kiosks (`hadir-edge run`), ingest (`hadir-cloud ingest`),
Mosquitto and PostgreSQL, each a separate process that a test can kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.settings import BrokerRole
from hadir_devstack import BrokerLogins, Mosquitto
from hadir_edge.bootstrap import make_kiosk
from hadir_edge.camera.files import load_rgb
from hadir_edge.config import load
from hadir_edge.decision import Sight
from hadir_edge.kiosk import Kiosk
from hadir_edge.liveness.core import LivenessResult
from hadir_protocol.signing import load_or_create_private_key, public_key_b64

BIN = Path(sys.executable).parent
OFFICE = ("setda-uji", "Setda Uji", "Asia/Jakarta", -3.2452, 104.6513, 50.0)
#: The liveness verdict of the events these tests make without a camera in front of anyone.
NO_CAMERA = LivenessResult("none", 0.0, True, "system test: events made without a live camera")


def wait_until(cond: Callable[[], bool], timeout: float, what: str, step: float = 0.2) -> None:
    """Poll until cond() is true; fail with `what` after the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what}")


@dataclass
class Proc:
    """A service process with its log file."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        """Start it."""
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=fh, stderr=subprocess.STDOUT)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> int | None:
        """Send a signal and wait for the end."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait(5)
        return self.proc.returncode if self.proc else None

    def alive(self) -> bool:
        """Still running."""
        return bool(self.proc and self.proc.poll() is None)


@dataclass
class KioskSetup:
    """One kiosk's configuration, data dir, and its in-process handle for making events."""

    device_id: str
    config: Path
    data_dir: Path
    env: dict[str, str]
    kiosk: Kiosk
    frame: np.ndarray
    sight: Sight
    created: list[str] = field(default_factory=list)

    def make_events(self, n: int) -> None:
        """n real check-ins: the person recognised once on a real photo, then n attempts
        through the kiosk's one decision (repeat window off), each committed."""
        for _ in range(n):
            result = self.kiosk.attempt(self.sight, self.frame, liveness=NO_CAMERA)
            assert result.recorded, result
            self.created.append(str(result.event_id))

    def depth(self) -> int:
        """Events still in the outbox."""
        return self.kiosk.outbox.depth()

    def sent(self) -> int:
        """Events in the outbox that the kiosk service has published at least once."""
        return int(self.kiosk.outbox.db.execute(
            "SELECT count(*) FROM events WHERE attempts > 0").fetchone()[0])


@dataclass
class Stack:
    """Database, broker, ingest and kiosks of one system test.

    `secure`: the broker as in production (passwords, the generated ACL, username as client
    id), every kiosk and cloud process logging in as its own user; else anonymous.
    """

    tmp: Path
    db_url: str
    broker: Mosquitto
    secure: bool = False
    ingest: Proc | None = None
    kiosks: dict[str, KioskSetup] = field(default_factory=dict)
    runners: dict[str, Proc] = field(default_factory=dict)
    logins: BrokerLogins | None = None

    def __post_init__(self) -> None:
        # the cloud's signing key: every kiosk pins it, every cloud process signs with it
        self.cloud_key_file = self.tmp / "cloud_key.pem"
        self.cloud_public_key = public_key_b64(load_or_create_private_key(self.cloud_key_file))
        upgrade(self.db_url)
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            add_office(conn, *OFFICE)
        if self.secure:
            self.logins = BrokerLogins(self.tmp / "broker-logins").create()
            self.broker.password_file, self.broker.acl_file = self.logins.passwd, self.logins.acl
            if self.broker.proc is not None:
                self.broker.restart()

    def cloud_env(self, role: BrokerRole, worker: int = 1, **extra: str) -> dict[str, str]:
        """Environment of a cloud process (`hadir-cloud ingest|fleet|…`) in the given role."""
        login = self.logins.env(role, worker) if self.logins else {}
        return {**os.environ, "HADIR_CLOUD_KEY_FILE": str(self.cloud_key_file),
                "HADIR_DATABASE_URL": self.db_url, "HADIR_BROKER_HOST": "127.0.0.1",
                "HADIR_BROKER_PORT": str(self.broker.port), "HADIR_INGEST_FLUSH_MS": "20",
                **login, **extra}

    def ingest_env(self, **extra: str) -> dict[str, str]:
        """Environment of an ingest worker."""
        return self.cloud_env("ingest", **extra)

    def start_ingest(self, *, crash_after_commit: bool = False, workers: int = 1,
                     **extra: str) -> Proc:
        """Start `hadir-cloud ingest` (or, with `crash_after_commit`, the same worker that exits
        after its first commit and before its acks: `hadir_devstack.crashing_ingest`); more
        `workers` share the subscription as in production, each its own broker user."""
        log = self.tmp / "ingest.log"
        before = log.read_text().count("subscribed to") if log.exists() else 0
        argv = ([str(BIN / "python"), "-m", "hadir_devstack.crashing_ingest"]
                if crash_after_commit else [str(BIN / "hadir-cloud"), "ingest"])
        self.ingest = Proc("ingest", argv, self.ingest_env(**extra), log).start()
        for n in range(2, workers + 1):
            env = self.cloud_env("ingest", n, HADIR_INGEST_CLIENT_ID=f"ingest-{n}", **extra)
            self.runners[f"ingest-{n}"] = Proc(f"ingest-{n}", argv, env,
                                               self.tmp / f"ingest-{n}.log").start()
        if self.broker.proc is not None:  # with the broker up, wait for the subscription
            wait_until(lambda: log.read_text().count("subscribed to") > before, 30,
                       "the ingest to subscribe")
        return self.ingest

    def add_kiosk(self, device_id: str, photo: Path, employee: str, *, batch_max: int = 20,
                  window: int = 2, ack_timeout_s: float = 5.0, camera: Path | None = None,
                  repeat_window_s: int = 0, tables: str = "", name: str | None = None,
                  top: str = "", camera_fps: float = 15.0) -> KioskSetup:
        """Configure, key, register and enroll a kiosk; recognise the person once.

        `camera` (default: the photo) is what the files camera shows; `tables` is
        more TOML appended to the configuration, `top` more top-level keys.
        """
        data = self.tmp / device_id
        data.mkdir(parents=True)
        login = ""
        if self.logins:
            login = (f'username = "{device_id}"\n'
                     f'password_file = "{self.logins.add_kiosk(device_id)}"')
            if self.broker.proc is not None:
                self.broker.reload()
        cfg = data / "hadir-edge.toml"
        cfg.write_text(f"""\
device_id = "{device_id}"
data_dir = "{data}"
cloud_public_key = "{self.cloud_public_key}"
repeat_window_s = {repeat_window_s}
{top}
[broker]
host = "127.0.0.1"
port = {self.broker.port}
{login}
[camera]
type = "files"
paths = ["{camera or photo}"]
fps = {camera_fps}
[gps]
type = "fixed"
lat = {OFFICE[3] + 0.0001}
lon = {OFFICE[4]}
[office]
id = "{OFFICE[0]}"
name = "{OFFICE[1]}"
tz = "{OFFICE[2]}"
lat = {OFFICE[3]}
lon = {OFFICE[4]}
radius_m = {OFFICE[5]}
[publisher]
batch_max = {batch_max}
window = {window}
ack_timeout_s = {ack_timeout_s}
{tables}
""")
        settings = load(cfg)
        key = load_or_create_private_key(data / "device_key.pem")
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            add_device(conn, device_id, public_key_b64(key), OFFICE[0])
        kiosk = make_kiosk(settings)
        frame = load_rgb(photo)
        enc, faces = kiosk.engine.encode_single(frame)
        assert enc is not None, f"{photo}: {faces} faces"
        kiosk.engine.gallery.add(employee, enc, name)
        sight = kiosk.look(frame)
        assert sight.employee_id == employee, sight
        env = {**os.environ, "HADIR_EDGE_CONFIG": str(cfg)}
        setup = KioskSetup(device_id, cfg, data, env, kiosk, frame, sight)
        self.kiosks[device_id] = setup
        return setup

    def start_kiosk(self, device_id: str, *args: str, headless: bool = True,
                    command: str = "run") -> Proc:
        """Start `hadir-edge run` for a kiosk (headless: its publisher and device life only), or
        another `hadir-edge` command (`simulate`) with `args`."""
        k = self.kiosks[device_id]
        cmd = [str(BIN / "hadir-edge"), command,
               *(["--headless"] if headless and command == "run" else []), *args]
        runner = Proc(device_id, cmd, k.env,
                      self.tmp / f"{device_id}.log").start()
        self.runners[device_id] = runner
        return runner

    def stored(self, device_id: str | None = None) -> tuple[int, int, list[int]]:
        """(rows, distinct event ids, sorted seqs) in the database."""
        with psycopg.connect(self.db_url) as conn:
            rows = conn.execute(
                "SELECT event_id, seq FROM checkins WHERE %s::text IS NULL OR device_id = %s",
                (device_id, device_id)).fetchall()
        return len(rows), len({r[0] for r in rows}), sorted(r[1] for r in rows)

    def assert_nothing_lost(self) -> None:
        """Every event created on every kiosk stored exactly once; seq 1..n without gaps."""
        for device_id, k in self.kiosks.items():
            rows, distinct, seqs = self.stored(device_id)
            with psycopg.connect(self.db_url) as conn:
                ids = {str(r[0]) for r in conn.execute(
                    "SELECT event_id FROM checkins WHERE device_id = %s", (device_id,))}
            assert rows == distinct, f"{device_id}: {rows - distinct} duplicated"
            assert ids == set(k.created), (
                f"{device_id}: lost {len(set(k.created) - ids)}, unexpected {len(ids - set(k.created))}")
            assert seqs == list(range(1, len(k.created) + 1)), f"{device_id}: gaps in seq"
            assert k.depth() == 0, f"{device_id}: {k.depth()} still in the outbox"

    def wait_drained(self, timeout: float = 90) -> None:
        """Until every kiosk's outbox is empty and every event is in the database."""
        total = sum(len(k.created) for k in self.kiosks.values())
        try:
            wait_until(lambda: all(k.depth() == 0 for k in self.kiosks.values())
                       and self.stored()[1] == total, timeout, f"{total} events drained")
        except AssertionError as err:
            depths = {d: k.depth() for d, k in self.kiosks.items()}
            raise AssertionError(f"{err}; outbox depths {depths}, stored {self.stored()[:2]}"
                                 ) from None

    def log(self, device_id: str) -> str:
        """What a kiosk service has logged so far."""
        path = self.tmp / f"{device_id}.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        """Stop every process."""
        for p in [*self.runners.values(), self.ingest]:
            if p:
                p.kill(signal.SIGTERM)
        for k in self.kiosks.values():
            k.kiosk.close()
