"""Durable files: write to a temporary file, fsync, rename over the target, fsync the folder.

A kiosk may lose power at any moment. A file written this way is either the old
version or the new one after a power cut, never half of each, and the rename
itself survives (it lives in the folder, which is fsynced too).
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make renames inside the directory `path` survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically and durably (tmp → fsync → rename → fsync dir)."""
    raw = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    fsync_dir(path.parent)
