"""A kiosk in a school in a blind spot: a simulated week offline, then the link returns.

The real kiosk service as a simulated kiosk (`hadir-edge simulate`: camera, face engine,
the one decision with the school's work schedule, signing, outbox, publisher retrying,
heartbeats) makes a 300-person school's week of check-ins — 3,600 — its clock jumping
168 s at every walk-up so that the week passes in a few minutes, against a broker that is
down the whole week. Its memory is sampled from /proc along the way; then the broker comes back:
the drain must start within 5 s and every event reach the database, once, without seq gaps,
in under 10 s.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hadir_devstack.scenes import portrait
from hadir_edge.camera.files import load_rgb
from PIL import Image

from .harness import Stack, wait_until

pytestmark = [pytest.mark.system, pytest.mark.slow]

CHECKINS = 3600  # a 300-person school: two check-ins a day, six days
WEEK_REAL_S = 180.0  # the week as planned (a slower machine takes longer: the same week)
STEP_S = 7 * 24 * 3600 / CHECKINS  # kiosk time between walk-ups
STAFF = [("198503122010012003", "obama/obama1.jpg"), ("199001012015031001", "kit_harington/kit1.jpg"),
         ("199203152019032002", "biden/biden1.jpg"), ("198811112012122001", "rose_leslie/rose1.jpg")]
#: the school's work schedule (TPP's `guru` group), as the cloud would have sent it
SCHOOL_HOURS = """
[work_schedules]
default_group = "guru"
[[work_schedules.schedules]]
id = "guru-2026"
group = "guru"
effective_from = 2026-01-01
[work_schedules.schedules.hours]
normal = { checkin_open = "05:30", start = "07:00", end = "14:00", checkout_close = "20:00" }
saturday = { checkin_open = "05:30", start = "07:00", end = "12:00", checkout_close = "20:00" }
"""


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
    for nip, photo in STAFF:  # what a 320×240 camera sees of each of them: a 120 px face
        frame = portrait(faces_dir / photo, face_px=120)[120:360, 160:480]
        Image.fromarray(frame).save(camera / f"{nip}.jpg", quality=95)
    k = stack.add_kiosk("kiosk-sekolah", camera / f"{STAFF[0][0]}.jpg", STAFF[0][0], camera=camera,
                        repeat_window_s=300, batch_max=100, window=10, camera_fps=0,
                        # the simulated camera shows still photos, which cannot blink
                        top='telemetry_interval_s = 600\nliveness = { mode = "off" }',
                        tables=SCHOOL_HOURS)
    for nip, _ in STAFF[1:]:
        enc, _ = k.kiosk.engine.encode_single(load_rgb(camera / f"{nip}.jpg"))
        k.kiosk.engine.gallery.add(nip, enc)
    stack.start_ingest(workers=2)  # two workers share the subscription, as in production
    stack.broker.stop()  # the blind spot: no link all week

    start = datetime.now(UTC) - timedelta(days=7, minutes=10)
    runner = stack.start_kiosk(
        "kiosk-sekolah", "--every", f"{WEEK_REAL_S / CHECKINS:.4f}", "--time-scale", "0",
        "--step", f"{STEP_S:.1f}", "--start", start.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "--count", str(CHECKINS), command="simulate")
    assert runner.proc is not None
    pid = runner.proc.pid
    samples: list[tuple[float, float]] = []  # (simulated day, RSS MB)
    t0 = time.monotonic()
    while (made := k.depth()) < CHECKINS:
        assert runner.alive(), stack.log("kiosk-sekolah")[-3000:]
        assert time.monotonic() - t0 < 6 * WEEK_REAL_S, f"only {made} check-ins so far"
        samples.append((made * STEP_S / 86400, rss_mb(pid)))
        time.sleep(2)
    made_s = time.monotonic() - t0
    created = k.depth()
    print(f"\n{created} check-ins made offline in {made_s:.0f} s "
          f"({created / made_s:.1f}/s through the face engine and the decision)")
    print("simulated day → RSS MB:", ", ".join(f"{d:.1f}→{m:.0f}" for d, m in samples[::3]))
    assert created == CHECKINS
    # after warm-up (the first fifth of the week), memory stays flat to the end of the week
    end = samples[-1][0]
    early = statistics.median(m for d, m in samples if end * 0.15 <= d < end * 0.3)
    late = statistics.median(m for d, m in samples if d >= end * 0.85)
    print(f"RSS early: {early:.1f} MB, late: {late:.1f} MB, growth {late - early:+.1f} MB")
    assert late - early < 15, f"memory grew {late - early:.1f} MB over the week"
    with psycopg.connect(stack.db_url) as conn:
        assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0
    kinds = dict(k.kiosk.outbox.db.execute("SELECT kind, count(*) FROM events GROUP BY kind"))
    assert kinds.get("in", 0) > 0 and kinds.get("out", 0) > 0, kinds  # in/out by the schedule

    t_link = time.monotonic()
    stack.broker.start()
    wait_until(lambda: stack.stored("kiosk-sekolah")[0] > 0, 30, "the drain to start", step=0.05)
    starts_s = time.monotonic() - t_link
    wait_until(lambda: k.depth() == 0, 180, "the week's events to drain", step=0.1)
    drain_s = time.monotonic() - t_link
    rows, distinct, seqs = stack.stored("kiosk-sekolah")
    print(f"the drain started {starts_s:.1f} s after the link returned; "
          f"drained {rows} events in {drain_s:.1f} s")
    assert rows == distinct == created
    assert seqs == list(range(1, created + 1))
    with psycopg.connect(stack.db_url) as conn:
        lo, hi = conn.execute("SELECT min(captured_at), max(captured_at) FROM checkins").fetchone()
    assert hi - lo > timedelta(days=6.5), (lo, hi)
    assert starts_s < 5, f"the drain started {starts_s:.1f} s after the link returned"
    assert drain_s < 10, f"{created} events drained in {drain_s:.1f} s"
    assert runner.alive()
