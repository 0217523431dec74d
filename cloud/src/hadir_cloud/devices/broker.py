"""The broker's password file and ACL, generated from the wire contract's table."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from hadir_protocol.models import MAX_MESSAGE_BYTES
from hadir_protocol.topics import ROUTES, SHARE_GROUPS, Direction, Route

from ..settings import BrokerRole
from .store import RegistrationError

#: The cloud's broker users of a deployment: one per ingest worker (the broker uses the
#: username as the client id, so two workers under one name would disconnect each other),
#: one for the fleet monitor, one for the CLI and one for the portal's fleet console (both
#: send what the CLI sends; apart, neither cuts the other off).
CLOUD_USERS: dict[BrokerRole, tuple[str, ...]] = {
    "ingest": ("ingest-1", "ingest-2"), "fleet": ("fleet",), "cli": ("cli", "portal")}
EXAMPLE_KIOSK = "kiosk-setda-01"
#: The broker's payload limit (message_size_limit): the app's limit plus a margin, so a
#: message just over it still reaches the ingest, which keeps it and answers "oversize"
#: (deploy/mosquitto/mosquitto.conf has the same; a test holds them equal).
MESSAGE_SIZE_LIMIT = MAX_MESSAGE_BYTES + 64 * 1024
#: The broker's max_packet_size: a bigger packet costs its client the connection unread.
MAX_PACKET_SIZE = 2 * MAX_MESSAGE_BYTES


def _kiosk_access(route: Route) -> str:
    return "write" if route.direction is Direction.UP else "read"


def acl_block(device_id: str) -> str:
    """The Mosquitto ACL lines for one kiosk: it writes its own ↑ topics, reads its own ↓ ones."""
    lines = [f"user {device_id}"]
    lines += [f"topic {_kiosk_access(r)} {r.filter(device_id)}" for r in ROUTES]
    return "\n".join(lines) + "\n"


def role_routes(role: BrokerRole) -> list[Route]:
    """The topics a cloud role may touch: its service's; the CLI only sends what the fleet sends."""
    if role == "cli":
        return [r for r in ROUTES if r.cloud == "fleet" and r.direction is Direction.DOWN]
    return [r for r in ROUTES if r.cloud == role]


def _role_comment(role: BrokerRole) -> str:
    routes = role_routes(role)
    reads = [r.kind for r in routes if r.direction is Direction.UP]
    writes = [r.kind for r in routes if r.direction is Direction.DOWN]
    text = f"# {role}:"
    if reads:
        text += f" reads {', '.join(reads)} (as $share/{SHARE_GROUPS[role]}/…);"
    return text + f" writes {', '.join(writes)}"


ACL_HEADER = """\
# Mosquitto ACL of Hadir (acl_file), generated from the wire contract's table
# (hadir_protocol.topics.ROUTES) by `hadir-cloud broker acl`. `hadir-cloud device add
# --mosquitto-acl` appends a block per kiosk; `hadir-cloud device revoke` removes it.
# Mosquitto checks `read` when it delivers a message, against the message's own topic, and
# never at SUBSCRIBE: a `$share/<group>/…` subscription gets what `topic read hadir/v1/+/…`
# allows (a `$share/…` line would match nothing). Anything not listed is denied.
"""


def cloud_acl(users: Mapping[BrokerRole, str | Sequence[str]]) -> str:
    """The ACL of the cloud's broker users (role → username or usernames), least privilege."""
    blocks = [ACL_HEADER]
    for role in ("ingest", "fleet", "cli"):
        names = users.get(role) or ()
        for name in (names,) if isinstance(names, str) else names:
            lines = [_role_comment(role), f"user {name}"]
            lines += [f"topic {'read' if r.direction is Direction.UP else 'write'} {r.filter()}"
                      for r in role_routes(role)]
            blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def example_acl() -> str:
    """deploy/mosquitto/acl.example: the default cloud users and one kiosk."""
    return (cloud_acl(CLOUD_USERS) + f"\n# what `hadir-cloud device add --id {EXAMPLE_KIOSK} …` "
            f"adds for a kiosk:\n" + acl_block(EXAMPLE_KIOSK))


def _split_block(text: str, username: str) -> tuple[list[str], list[str]]:
    """(the ACL's lines without `username`'s block, that block's topic lines)."""
    kept: list[str] = []
    block: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.strip() == f"user {username}":
            inside = True
        elif inside and line.startswith("topic "):
            block.append(line)
        else:
            inside = False
            kept.append(line)
    return kept, block


def _write_atomically(path: Path, text: str) -> None:
    """Replace the file in one rename, so a broker reloading meanwhile reads old or new."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _set_acl_block(acl_file: Path, username: str, block: str | None) -> bool:
    """Put (or with None remove) a kiosk's block; True when one was there before."""
    text = acl_file.read_text() if acl_file.exists() else ""
    kept, old = _split_block(text, username)
    if any("/+/" in line for line in old):
        raise RegistrationError(f"nama {username!r} dipakai pengguna broker layanan cloud; "
                                "pilih id kiosk lain")
    body = "\n".join(kept).strip("\n")
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    parts = [p for p in (body, block and block.rstrip("\n")) if p]
    _write_atomically(acl_file, "\n\n".join(parts) + "\n" if parts else "")
    return bool(old)


def _mosquitto_passwd(*args: str) -> None:
    try:
        subprocess.run(["mosquitto_passwd", *args], check=True, capture_output=True)
    except FileNotFoundError as err:
        raise RegistrationError("mosquitto_passwd tidak terpasang (apt-get install mosquitto)") from err
    except subprocess.CalledProcessError as err:
        raise RegistrationError(f"mosquitto_passwd gagal: {err.stderr.decode().strip()}") from err


def write_broker_credentials(device_id: str, password: str, passwd_file: Path,
                             acl_file: Path) -> None:
    """Add the kiosk to Mosquitto's password file and give it its own topics in the ACL.

    The broker must reload (SIGHUP) to see changes.
    """
    _set_acl_block(acl_file, device_id, acl_block(device_id))
    if not passwd_file.exists():
        passwd_file.touch(mode=0o600)
    _mosquitto_passwd("-b", str(passwd_file), device_id, password)


def remove_broker_credentials(device_id: str, passwd_file: Path, acl_file: Path) -> list[str]:
    """Take the kiosk out of the password file and the ACL; returns what was there to remove."""
    removed = []
    users = [line.split(":", 1)[0] for line in passwd_file.read_text().splitlines()] \
        if passwd_file.exists() else []
    if device_id in users:
        _mosquitto_passwd("-D", str(passwd_file), device_id)
        removed.append("kata sandi")
    if _set_acl_block(acl_file, device_id, None):
        removed.append("ACL")
    return removed


def reload_broker(pid: int | None = None, command: Sequence[str] | None = None) -> None:
    """Make Mosquitto re-read its files: SIGHUP to `pid`, or run the operator's `command`."""
    if pid is not None:
        try:
            os.kill(pid, signal.SIGHUP)
        except OSError as err:
            raise RegistrationError(f"sinyal SIGHUP ke broker (pid {pid}) gagal: {err}") from err
    if command:
        try:
            subprocess.run(list(command), check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as err:
            detail = getattr(err, "stderr", None)
            raise RegistrationError(f"perintah muat ulang broker gagal: "
                                    f"{detail.decode().strip() if detail else err}") from err
