"""Throwaway servers for the demo, the tests and the benchmarks (not a production package).

Mosquitto and PostgreSQL are real: the running PostgreSQL is reused where it
answers (a fresh database is created in it), otherwise a throwaway cluster is
started as the `postgres` user; Mosquitto is started on a free loopback port
with its own persistence directory so it can be restarted mid-test.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from hadir_cloud.devices import (
    CLOUD_USERS,
    MAX_PACKET_SIZE,
    MESSAGE_SIZE_LIMIT,
    cloud_acl,
    write_broker_credentials,
)
from hadir_cloud.settings import BrokerRole

logger = logging.getLogger(__name__)

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class DevStackError(RuntimeError):
    """A throwaway server could not be started."""


def timescaledb_installed() -> bool:
    """True when the TimescaleDB extension's files are installed for the local PostgreSQL."""
    return any(Path("/usr/share/postgresql").glob("*/extension/timescaledb.control"))


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60.0) -> None:
    """Block until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise DevStackError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _find(binary: str, *extra_dirs: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for d in extra_dirs:
        candidate = Path(d) / binary
        if candidate.exists():
            return str(candidate)
    return None


@dataclass
class Mosquitto:
    """A real Mosquitto broker on a free loopback port, restartable."""

    workdir: Path
    port: int = field(default_factory=free_port)
    password_file: Path | None = None
    acl_file: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"listener {self.port} 127.0.0.1"]
        if self.password_file:
            # as in production: a login cannot take over another client's session
            lines.append("use_username_as_clientid true")
        lines += [
            "persistence true",
            f"persistence_location {self.workdir}/",
            "autosave_interval 1",
            # unbounded here (the benchmarks queue faster than one worker drains);
            # deploy/mosquitto/mosquitto.conf bounds it
            "max_queued_messages 0",
            "max_inflight_messages 100",
            f"message_size_limit {MESSAGE_SIZE_LIMIT}",
            f"max_packet_size {MAX_PACKET_SIZE}",
            "set_tcp_nodelay true",
            f"log_dest file {self.workdir}/mosquitto.log",
        ]
        if os.geteuid() == 0:
            # started as root, Mosquitto drops to the `mosquitto` user, which cannot
            # read a throwaway directory; this broker is ours and loopback-only
            import pwd

            lines.append(f"user {pwd.getpwuid(0).pw_name}")
        if self.password_file:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines += ["allow_anonymous true"]
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self, conf: Path | None = None) -> Mosquitto:
        """Start (or restart) the broker on the same port and persistence (or with `conf`)."""
        binary = _find("mosquitto", "/usr/sbin")
        if not binary:
            raise DevStackError("mosquitto is not installed (apt-get install mosquitto)")
        conf = conf or self._write_config()
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(self.port)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the broker (SIGTERM saves its persistence; SIGKILL does not)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def reload(self) -> None:
        """SIGHUP: re-read the password file and ACL (and cut clients no longer allowed)."""
        if self.proc is None or self.proc.poll() is not None:
            raise DevStackError("the broker is not running")
        self.proc.send_signal(signal.SIGHUP)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop, wait `down_for` seconds, start again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()

    @property
    def url(self) -> str:
        """mqtt://host:port of the broker."""
        return f"mqtt://127.0.0.1:{self.port}"


@dataclass
class BrokerLogins:
    """A throwaway broker's password file, ACL and users' password files (kiosks and cloud)."""

    directory: Path
    cloud_users: dict[BrokerRole, tuple[str, ...]] = field(default_factory=lambda: dict(CLOUD_USERS))

    @property
    def passwd(self) -> Path:
        """The broker's password_file."""
        return self.directory / "passwd"

    @property
    def acl(self) -> Path:
        """The broker's acl_file."""
        return self.directory / "acl"

    def password_file(self, username: str) -> Path:
        """The file holding a user's password."""
        return self.directory / f"{username}.password"

    def create(self) -> BrokerLogins:
        """Write the cloud users (random passwords) and their ACL; kiosks come with add_kiosk."""
        self.directory.mkdir(parents=True, exist_ok=True)
        users = [u for names in self.cloud_users.values() for u in names]
        passwords = {u: secrets.token_urlsafe(18) for u in users}
        for user, pw in passwords.items():
            self.password_file(user).write_text(pw)
            self.password_file(user).chmod(0o600)
        mosquitto_passwd(self.passwd, passwords)
        self.acl.write_text(cloud_acl(self.cloud_users))
        return self

    def add_kiosk(self, device_id: str) -> Path:
        """Give a kiosk its broker login (as `hadir-cloud device add` does); its password file."""
        pw = secrets.token_urlsafe(18)
        self.password_file(device_id).write_text(pw)
        self.password_file(device_id).chmod(0o600)
        write_broker_credentials(device_id, pw, self.passwd, self.acl)
        return self.password_file(device_id)

    def add_user(self, username: str, *acl_lines: str) -> Path:
        """A user with hand-written ACL lines (a test's crafting client); its password file."""
        pw = secrets.token_urlsafe(18)
        self.password_file(username).write_text(pw)
        subprocess.run(["mosquitto_passwd", "-b", str(self.passwd), username, pw], check=True)
        with self.acl.open("a") as fh:
            fh.write("\n".join(["", f"user {username}", *acl_lines]) + "\n")
        return self.password_file(username)

    def user(self, role: BrokerRole, worker: int = 1) -> str:
        """The username of a cloud role (the n-th ingest worker's for the ingest)."""
        return self.cloud_users[role][worker - 1 if role == "ingest" else 0]

    def env(self, role: BrokerRole, worker: int = 1) -> dict[str, str]:
        """HADIR_BROKER_* for one cloud process, logging in as its role's user."""
        user = self.user(role, worker)
        env = {"HADIR_BROKER_USERNAME": user,
               "HADIR_BROKER_PASSWORD_FILE": str(self.password_file(user))}
        if role != "ingest":  # its own variables too, as a deployment sets them
            env |= {f"HADIR_{role.upper()}_{k.removeprefix('HADIR_')}": v for k, v in env.items()}
        return env


def mosquitto_passwd(password_file: Path, users: dict[str, str]) -> None:
    """Write a Mosquitto password file with the given users (uses mosquitto_passwd)."""
    binary = _find("mosquitto_passwd", "/usr/bin")
    if not binary:
        raise DevStackError("mosquitto_passwd is not installed (apt-get install mosquitto)")
    password_file.write_text("")
    password_file.chmod(0o600)
    for user, pw in users.items():
        subprocess.run([binary, "-b", str(password_file), user, pw], check=True)


@dataclass
class Postgres:
    """A PostgreSQL server: the running one, or a throwaway cluster we own."""

    admin_url: str
    owned_dir: Path | None = None
    port: int | None = None
    databases: list[str] = field(default_factory=list)

    @classmethod
    def obtain(cls, admin_url: str | None = None) -> Postgres:
        """Reuse the server at `admin_url` (or $HADIR_PG_ADMIN_URL) if it answers, else start one."""
        url = admin_url or os.environ.get("HADIR_PG_ADMIN_URL", DEFAULT_ADMIN_URL)
        try:
            with psycopg.connect(url, connect_timeout=3):
                return cls(admin_url=url)
        except psycopg.OperationalError as err:
            logger.info("no PostgreSQL at %s (%s); starting a throwaway cluster", url, err)
        return cls._start_cluster()

    @classmethod
    def _start_cluster(cls, preload: tuple[str, ...] = ()) -> Postgres:
        """Start a throwaway cluster we own (as `postgres` when we are root)."""
        bindir = None
        for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (d / "initdb").exists():
                bindir = d
                break
        if bindir is None:
            raise DevStackError("PostgreSQL is not installed (apt-get install postgresql)")
        workdir = Path(tempfile.mkdtemp(prefix="hadir-pg-"))
        port = free_port()
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_pg:
            shutil.chown(workdir, "postgres")
        data = workdir / "data"
        subprocess.run(
            [*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True, stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(workdir / "log"), "-w",
             "-o", f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
             + (f" -c shared_preload_libraries={','.join(preload)}" if preload else ""),
             "start"],
            check=True, stdout=subprocess.DEVNULL,
        )
        return cls(admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
                   owned_dir=workdir, port=port)

    @classmethod
    def start_cluster(cls, preload: tuple[str, ...] = ()) -> Postgres:
        """A throwaway cluster we own, optionally preloading libraries (timescaledb)."""
        return cls._start_cluster(preload)

    def _pg_ctl(self, *args: str) -> None:
        if not self.owned_dir:
            raise DevStackError("only a cluster started here can be stopped and started")
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)[0]
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(self.owned_dir / "data"),
                        "-l", str(self.owned_dir / "log"), "-w", *args],
                       check=True, stdout=subprocess.DEVNULL)

    def stop_server(self) -> None:
        """Stop our cluster (fast shutdown): the database is down until start_server()."""
        self._pg_ctl("-m", "fast", "stop")

    def start_server(self) -> None:
        """Start our cluster again on the same port."""
        self._pg_ctl("-o", f"-p {self.port} -k {self.owned_dir} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off", "start")

    def create_database(self, prefix: str = "hadir_test") -> str:
        """A new empty database; returns its conninfo URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database (terminating its sessions)."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.databases:
            self.databases.remove(name)

    def close(self) -> None:
        """Drop our databases, and stop the cluster if we started it."""
        for name in list(self.databases):
            try:
                self.drop_database(self.admin_url.rsplit("/", 1)[0] + f"/{name}")
            except psycopg.Error as err:
                logger.warning("could not drop %s: %s", name, err)
        if self.owned_dir:
            bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)[0]
            as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(self.owned_dir / "data"),
                            "-m", "fast", "stop"], check=False, stdout=subprocess.DEVNULL)
            shutil.rmtree(self.owned_dir, ignore_errors=True)
