"""Kiosk fleet rules in plain data: approved duties, gallery chunking (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from hadir_protocol.codec import encode
from hadir_protocol.models import Duty, GalleryDelta, GalleryPerson

#: Most people in one gallery delta, and most bytes: a delta must pass the broker's limit.
CHUNK = 500
CHUNK_BYTES = 1024 * 1024


class FleetError(ValueError):
    """Bad input for a fleet operation; the message says what to fix (Bahasa Indonesia)."""


DUTY_RE = re.compile(r"^([^@]+)@(\d{4}-\d{2}-\d{2})@(-?[\d.]+),(-?[\d.]+),([\d.]+)$")


def parse_duty(spec: str) -> Duty:
    """`NIP@YYYY-MM-DD@lat,lon,radius_m`: an approved duty elsewhere (dinas luar)."""
    m = DUTY_RE.match(spec.strip())
    if not m:
        raise FleetError(f"tugas {spec!r} tidak valid; contoh: "
                         "198503122010012003@2026-11-23@-3.30,104.70,200")
    try:
        return Duty(employee_id=m.group(1), day=date.fromisoformat(m.group(2)),
                    lat=float(m.group(3)), lon=float(m.group(4)), radius_m=float(m.group(5)))
    except ValueError as err:
        raise FleetError(f"tugas {spec!r}: {err}") from err


def plan_deltas(device_id: str, rows: Sequence[tuple[Any, ...]], base_version: int, now: int,
                most: int = CHUNK, max_bytes: int = CHUNK_BYTES) -> list[GalleryDelta]:
    """Gallery rows (employee_id, name, encodings, removed, version) in version order → deltas
    from `base_version` to `now`, each at most `most` people and about `max_bytes` encoded,
    each chunk's version the highest it covers (the last one's: `now`)."""
    parts: list[list[tuple[Any, ...]]] = [[]]
    size = 0
    for r in rows:
        n = 64 + len(r[1]) + sum(len(e) + 3 for e in (r[2] or []))
        if parts[-1] and (len(parts[-1]) >= most or size + n > max_bytes):
            parts.append([])
            size = 0
        parts[-1].append(r)
        size += n
    out: list[GalleryDelta] = []
    base = base_version
    for i, part in enumerate(parts):
        version = now if i == len(parts) - 1 else int(part[-1][4])
        out.append(GalleryDelta(
            device_id=device_id, base_version=base, version=max(version, base + 1),
            upserts=[GalleryPerson(employee_id=r[0], name=r[1], encodings_b64=r[2])
                     for r in part if not r[3]],
            removals=[r[0] for r in part if r[3]]))
        base = out[-1].version
    return out


def encoded_size(delta: GalleryDelta) -> int:
    """Bytes of a delta on the wire."""
    return len(encode(delta))
