"""Every file the kiosk must not lose goes through one helper: tmp → fsync → rename → fsync dir.

Regression: the config, the gallery, the command replies and the keys each had their own
write, some without the folder's fsync (a power cut could undo the rename) and the reply
cache without any fsync at all.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hadir_protocol import files
from hadir_protocol.files import write_durably

ROOT = Path(__file__).resolve().parents[2]
#: what writing a file by hand looks like in source
WRITES = re.compile(r"\.write_text\(|\.write_bytes\(|open\([^)]*['\"][wa]b?['\"]")


def test_no_kiosk_module_writes_a_file_by_hand():
    found = [f"{p.relative_to(ROOT)}:{n}" for d in ("edge/src", "protocol/src")
             for p in sorted((ROOT / d).rglob("*.py")) if p.name != "files.py"  # the helper
             for n, line in enumerate(p.read_text().splitlines(), 1) if WRITES.search(line)]
    assert found == []


def test_a_durable_write_replaces_whole_and_makes_the_rename_last(tmp_path: Path, monkeypatch):
    target = tmp_path / "config.json"
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (calls.append(("fsync", os.readlink(
        f"/proc/self/fd/{fd}"))), real_fsync(fd))[1])
    monkeypatch.setattr(files.os, "replace", lambda a, b: (calls.append(("replace", str(b))),
                                                           real_replace(a, b))[1])
    write_durably(target, '{"version": 1}', 0o600)
    assert target.read_text() == '{"version": 1}' and (target.stat().st_mode & 0o777) == 0o600
    # the data is on disk before the rename, and the rename before we return
    assert calls == [("fsync", str(tmp_path / "config.json.tmp")), ("replace", str(target)),
                     ("fsync", str(tmp_path))]


def test_a_write_cut_short_leaves_the_old_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "replies.json"
    write_durably(target, "old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_durably(target, "new")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "replies.json"]
