"""Cuts power (SIGKILL) at every step of the key rotation.

Regression: `activate` renamed `device_key.pem` away before renaming the
pending key into its place; a power cut between the two left no current key,
and the next boot silently minted a new one the cloud had never registered.

A child process runs `pending()` then `activate(pub)` and kills itself with
SIGKILL just before its N-th filesystem call (os.open, os.fsync, os.replace,
os.rename, os.unlink, counted by wrappers installed in the child only). For
every N the parent then opens the identity as the kiosk would on boot.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hadir_edge.identity import DeviceIdentity, IdentityError
from hadir_protocol.signing import generate_key, public_key_b64, save_private_key

CHILD = r'''
import json, os, signal, sys
from pathlib import Path
from hadir_edge.identity import DeviceIdentity

data_dir, kill_at = Path(sys.argv[1]), int(sys.argv[2])
identity = DeviceIdentity(data_dir)  # boot; the rotation's steps are counted from here
trace, fds = [], {}

def counted(name, real):
    def call(*args, **kwargs):
        trace.append([name, fds.get(args[0], str(args[0])) if name == "fsync" else str(args[0])])
        if len(trace) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the power cut
        result = real(*args, **kwargs)
        if name == "open":
            fds[result] = str(args[0])
        return result
    return call

for name in ("open", "fsync", "replace", "rename", "unlink"):
    setattr(os, name, counted(name, getattr(os, name)))

pub = identity.pending()
print(pub, flush=True)  # from here the cloud knows the pending key (it is in the reply)
identity.activate(pub)
print(json.dumps(trace), flush=True)
'''


def rotate(data_dir: Path, script: Path, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the rotation in a child that dies at filesystem step `kill_at` (0: never)."""
    return subprocess.run([sys.executable, str(script), str(data_dir), str(kill_at)],
                          capture_output=True, text=True, timeout=60)


def fresh_kiosk(root: Path, rotated_before: bool) -> tuple[Path, str]:
    """A kiosk's data dir (optionally after one earlier rotation) and its current public key."""
    data_dir = root / "data"
    identity = DeviceIdentity(data_dir)
    if rotated_before:
        identity.activate(identity.pending())
        assert identity.retired_path.exists()
    return data_dir, identity.public_key()


@pytest.mark.slow
@pytest.mark.parametrize("rotated_before", [False, True], ids=["first-rotation", "second-rotation"])
def test_power_cut_at_every_step_of_the_rotation_leaves_a_key_the_cloud_knows(
        tmp_path: Path, rotated_before: bool):
    script = tmp_path / "rotate_child.py"
    script.write_text(CHILD)

    data_dir, old = fresh_kiosk(tmp_path / "full", rotated_before)
    done = rotate(data_dir, script)
    assert done.returncode == 0, done.stderr
    new, trace_json = done.stdout.splitlines()
    trace = json.loads(trace_json)
    assert DeviceIdentity(data_dir).public_key() == new != old
    # every rename is made durable: an fsync of the data dir follows it
    renames = [i for i, (op, _) in enumerate(trace) if op in ("replace", "rename")]
    assert len(renames) >= 2
    for i in renames:
        assert ["fsync", str(data_dir)] in trace[i + 1:], f"rename {trace[i]} never made durable"
    total = len(trace)

    outcomes = set()
    for n in range(1, total + 1):
        data_dir, old = fresh_kiosk(tmp_path / f"cut-{n}", rotated_before)
        cut = rotate(data_dir, script, kill_at=n)
        assert cut.returncode == -signal.SIGKILL, (n, cut.stderr)
        told = cut.stdout.split()  # the pending key, if the cloud was told it
        known = {old, *told}

        booted = DeviceIdentity(data_dir)  # the next boot: no exception, no third key
        assert booted.public_key() in known, f"power cut at step {n} ({trace[n - 1]})"
        outcomes.add("new" if booted.public_key() != old else "old")

        # the cloud (re)delivers the rotation; the kiosk ends on the key the cloud registered
        new = told[0] if told else booted.pending()
        assert booted.activate(new) == new
        assert booted.public_key() == new != old
        assert DeviceIdentity(data_dir).public_key() == new
    assert outcomes == {"old", "new"}  # the cuts landed both before and after the switch


def test_a_rotation_cut_by_the_previous_release_is_finished(tmp_path: Path):
    """The old two-rename `activate` could leave retired + pending and no current key."""
    old, new = generate_key(), generate_key()
    save_private_key(old, tmp_path / "device_key.retired.pem")
    save_private_key(new, tmp_path / "device_key.pending.pem")
    identity = DeviceIdentity(tmp_path)
    assert identity.public_key() == public_key_b64(new)
    assert not identity.pending_path.exists()
    assert identity.activate(public_key_b64(new)) == public_key_b64(new)


def test_a_second_process_waits_for_a_running_activate_instead_of_repairing_it(tmp_path: Path):
    """`hadir-edge checkin` opening the identity mid-`activate` must not finish it underneath."""
    kiosk = DeviceIdentity(tmp_path)
    new = kiosk.pending()
    save_private_key(kiosk.key, kiosk.retired_path)  # the kiosk is between steps (1) and (2)
    fd = os.open(kiosk.lock_path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # ... and holds the lock while it is
    opened: list[str] = []
    other = threading.Thread(target=lambda: opened.append(DeviceIdentity(tmp_path).public_key()),
                             daemon=True)
    other.start()
    other.join(0.5)
    assert opened == [] and kiosk.pending_path.exists()  # waiting, nothing touched
    os.close(fd)
    other.join(10)
    assert opened == [new]


@pytest.mark.parametrize("left", ["device_key.retired.pem", "device_key.pending.pem"])
def test_a_missing_current_key_with_traces_of_an_earlier_identity_is_not_replaced(
        tmp_path: Path, left: str):
    save_private_key(generate_key(), tmp_path / left)
    with pytest.raises(IdentityError, match="device_key.pem hilang"):
        DeviceIdentity(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.pem")) == [left]  # no key minted


def test_a_first_boot_makes_the_key_and_keeps_it(tmp_path: Path):
    first = DeviceIdentity(tmp_path / "data").public_key()
    assert DeviceIdentity(tmp_path / "data").public_key() == first
    assert ((tmp_path / "data" / "device_key.pem").stat().st_mode & 0o777) == 0o600
