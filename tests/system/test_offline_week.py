"""A kiosk in a school in a blind spot: a simulated week offline, then the link returns.

The real kiosk service (`hadir-edge run --simulate-every`: camera, face
engine, GPS, rules, signing, outbox, publisher retrying, heartbeats) runs with
its clock compressed so that a week passes in about two minutes, against a
broker that is down the whole week. Its memory is sampled from /proc along the
way; then the broker comes back and every event must reach the database, once,
without seq gaps.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hadir_edge.camera.files import letterbox, load_rgb
from PIL import Image

from .harness import Stack, wait_until

pytestmark = [pytest.mark.system, pytest.mark.slow]

WEEK_REAL_S = 120.0
SCALE = 7 * 24 * 3600 / WEEK_REAL_S
STAFF = [("198503122010012003", "obama/obama1.jpg"), ("199001012015031001", "kit_harington/kit1.jpg"),
         ("199203152019032002", "biden/biden1.jpg"), ("198811112012122001", "rose_leslie/rose1.jpg")]


def rss_mb(pid: int) -> float:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_week_offline_without_memory_growth_then_everything_drains(stack: Stack, faces_dir: Path,
                                                                     tmp_path: Path):
    camera = tmp_path / "staff"
    camera.mkdir()
    for nip, photo in STAFF:  # what a 640×480 camera sees of each of them
        Image.fromarray(letterbox(Image.open(faces_dir / photo))).save(camera / f"{nip}.jpg")
    k = stack.add_kiosk("kiosk-sekolah", camera / f"{STAFF[0][0]}.jpg", STAFF[0][0], camera=camera,
                        repeat_window_s=300, batch_max=100, window=4,
                        top="telemetry_interval_s = 600")
    for nip, _ in STAFF[1:]:
        enc, _ = k.kiosk.engine.encode_single(load_rgb(camera / f"{nip}.jpg"))
        k.kiosk.engine.gallery.add(nip, enc)
    stack.start_ingest()
    stack.broker.stop()  # the blind spot: no link all week

    start = datetime.now(UTC) - timedelta(days=7, minutes=5)
    until = start + timedelta(days=7)
    runner = stack.start_kiosk(
        "kiosk-sekolah", "--simulate-every", "0.05", "--time-scale", f"{SCALE:.0f}",
        "--sim-start", start.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "--sim-until", until.strftime("%Y-%m-%dT%H:%M:%S%z"), headless=False)
    assert runner.proc is not None
    pid = runner.proc.pid
    samples: list[tuple[float, float]] = []  # (simulated day, RSS MB)
    t0 = time.monotonic()
    while time.monotonic() - t0 < WEEK_REAL_S + 5:
        time.sleep(3)
        assert runner.alive(), (stack.tmp / "kiosk-sekolah.log").read_text()[-3000:]
        samples.append(((time.monotonic() - t0) * SCALE / 86400, rss_mb(pid)))
    created = k.depth()
    print("\nsimulated day → RSS MB:", ", ".join(f"{d:.1f}→{m:.0f}" for d, m in samples))
    print(f"events held offline: {created}")
    assert created >= 300, f"only {created} check-ins in the simulated week"
    # after warm-up (day 1), memory stays flat to the end of the week
    day1 = statistics.median(m for d, m in samples if 1.0 <= d < 2.0)
    day7 = statistics.median(m for d, m in samples if d >= 6.0)
    print(f"RSS day 1: {day1:.1f} MB, day 7: {day7:.1f} MB, growth {day7 - day1:+.1f} MB")
    assert day7 - day1 < 15, f"memory grew {day7 - day1:.1f} MB over the week"
    with psycopg.connect(stack.db_url) as conn:
        assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0

    t_link = time.monotonic()
    stack.broker.start()
    wait_until(lambda: k.depth() == 0, 180, "the week's events to drain")
    drain_s = time.monotonic() - t_link
    rows, distinct, seqs = stack.stored("kiosk-sekolah")
    print(f"drained {rows} events in {drain_s:.1f} s after the link returned")
    assert rows == distinct == created
    assert seqs == list(range(1, created + 1))
    with psycopg.connect(stack.db_url) as conn:
        lo, hi = conn.execute("SELECT min(captured_at), max(captured_at) FROM checkins").fetchone()
    assert hi - lo > timedelta(days=6.5), (lo, hi)
    assert runner.alive()
