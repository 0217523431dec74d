"""Registering, disabling, enabling and revoking a kiosk with its broker login: the one path of
`hadir-cloud device add|disable|revoke` and of the portal's fleet console."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .broker import reload_broker, remove_broker_credentials, write_broker_credentials
from .store import RegistrationError, add_device, disable_device


@dataclass(frozen=True)
class BrokerFiles:
    """Mosquitto's password file and ACL, and how to make it re-read them (a SIGHUP to a pid,
    or a command such as `docker compose kill -s SIGHUP mosquitto`; neither: the operator
    reloads it)."""

    passwd: Path
    acl: Path
    reload_pid: int | None = None
    reload_cmd: tuple[str, ...] = ()

    @property
    def reloads(self) -> bool:
        """Whether the broker is reloaded here."""
        return self.reload_pid is not None or bool(self.reload_cmd)

    def reload(self) -> bool:
        """Make the broker re-read the files; False when nobody said how."""
        if not self.reloads:
            return False
        reload_broker(self.reload_pid, self.reload_cmd or None)
        return True


def register(conn: psycopg.Connection, device_id: str, public_key: str, office_id: str,
             files: BrokerFiles | None, password: str | None = None) -> str | None:
    """Register (or re-register) a kiosk's key and, with broker files, its login and topics.
    Returns the broker password when it was made here (None when given, or without files)."""
    add_device(conn, device_id, public_key.strip(), office_id)
    if files is None:
        return None
    made = None
    if password is None:
        password = made = secrets.token_urlsafe(24)
    write_broker_credentials(device_id, password, files.passwd, files.acl)
    files.reload()
    return made


def enable(conn: psycopg.Connection, device_id: str) -> None:
    """Accept a disabled kiosk's events again (its registered key unchanged)."""
    row = conn.execute("SELECT public_key, office_id FROM devices WHERE id = %s",
                       (device_id,)).fetchone()
    if row is None:
        raise RegistrationError(f"kiosk {device_id!r} tidak terdaftar")
    add_device(conn, device_id, row[0], row[1])


def revoke(conn: psycopg.Connection, device_id: str, files: BrokerFiles) -> list[str]:
    """Disable a kiosk (from now on its events are held), then take its login and topics out of
    the broker's files and reload it; returns what was removed."""
    disable_device(conn, device_id)
    removed = remove_broker_credentials(device_id, files.passwd, files.acl)
    files.reload()
    return removed
