"""`make bench-ingest`: kiosks → Mosquitto → the real ingest → PostgreSQL, against baselines.

In one run, on the same machine, with the same signed events (no photos):

- copy:        raw COPY of the rows into the same table (the database's limit);
- passthrough: the same single-event messages through the broker and paho to a
               do-nothing QoS 1 subscriber (the transport's limit);
- naive:       a subscriber doing one INSERT and one COMMIT per message;
- ingest:      `hadir-cloud ingest` (one worker) receiving single-event messages;
- batched:     the same worker receiving batch messages of 100 events (a draining backlog);
- batched ×N:  N workers on the shared subscription (verification spread across cores).

The last line is one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.rows import COLUMNS, checkin_row
from hadir_devstack import Mosquitto, Postgres
from hadir_protocol import topics
from hadir_protocol.codec import batch_payload, encode, uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, Geofence, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign
from paho.mqtt.enums import CallbackAPIVersion

BIN = Path(sys.executable).parent


def make_events(kiosks: int, per_kiosk: int) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Signed events per kiosk, and each kiosk's public key."""
    events: dict[str, list[dict]] = {}
    keys: dict[str, str] = {}
    t0 = datetime.now(UTC) - timedelta(hours=1)
    for k in range(kiosks):
        dev = f"kiosk-bench-{k:03d}"
        key = generate_key()
        keys[dev] = public_key_b64(key)
        evs = []
        for seq in range(1, per_kiosk + 1):
            ev = CheckIn(
                event_id=uuid7(), device_id=dev, seq=seq, employee_id=f"19850312201001{seq % 10000:04d}",
                kind=Kind.IN if seq % 2 else Kind.OUT, captured_at=t0 + timedelta(milliseconds=seq),
                clock_source="gps", gps=GpsFix(fix=True, lat=-3.2452, lon=104.6513, accuracy_m=4.0,
                                               satellites=9, mode=3),
                geofence=Geofence(office_id="bench", radius_m=50, distance_m=8.0, inside=True),
                face=FaceVerdict(distance=0.38, threshold=0.5, model="dlib"), method=Method.FACE)
            evs.append(sign(ev.to_wire(), key))
        events[dev] = evs
    return events, keys


def fresh(pg: Postgres, keys: dict[str, str]) -> str:
    """A migrated database with the bench office and kiosks."""
    url = pg.create_database("hadir_bench")
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        add_office(conn, "bench", "Kantor Bench", "Asia/Jakarta", -3.2452, 104.6513, 50)
        for dev, pub in keys.items():
            add_device(conn, dev, pub, "bench")
    return url


def count(url: str) -> int:
    """Rows in checkins."""
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM checkins").fetchone()[0])  # type: ignore[index]


def publish_all(port: int, payloads: dict[str, list[bytes]]) -> None:
    """One paho client per kiosk, QoS 1, in parallel; returns when every PUBACK is in."""
    def run(dev: str, msgs: list[bytes]) -> None:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{dev}", protocol=mqtt.MQTTv5)
        c.max_inflight_messages_set(200)
        c.max_queued_messages_set(0)
        c.connect("127.0.0.1", port)
        c.loop_start()
        infos = [c.publish(topics.checkin(dev), m, qos=1) for m in msgs]
        for info in infos:
            info.wait_for_publish(120)
        c.loop_stop()
        c.disconnect()

    threads = [threading.Thread(target=run, args=item) for item in payloads.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def bench_copy(pg: Postgres, keys, events) -> float:
    """Raw COPY of all rows into the same table."""
    url = fresh(pg, keys)
    rows = [checkin_row(CheckIn.model_validate(e), e) for evs in events.values() for e in evs]
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        with conn.cursor().copy(f"COPY checkins ({', '.join(COLUMNS)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        conn.commit()
        dt = time.perf_counter() - t0
    pg.drop_database(url)
    return len(rows) / dt


def through_subscriber(broker: Mosquitto, payloads: dict[str, list[bytes]], name: str,
                       handle: Callable[[bytes], None]) -> float:
    """Messages/s from the publishers through the broker into one QoS 1 subscriber."""
    total = sum(len(v) for v in payloads.values())
    done = threading.Event()
    n = [0]

    def on_message(client, userdata, msg):  # type: ignore[no-untyped-def]
        handle(msg.payload)
        n[0] += 1
        if n[0] >= total:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("hadir/v1/+/checkin", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    publish_all(broker.port, payloads)
    done.wait(600)
    dt = time.perf_counter() - t0
    sub.loop_stop()
    sub.disconnect()
    return total / dt


def bench_passthrough(broker: Mosquitto, singles: dict[str, list[bytes]]) -> float:
    """Broker + paho to a subscriber that does nothing."""
    return through_subscriber(broker, singles, "passthrough", lambda _payload: None)


def bench_naive(pg: Postgres, broker: Mosquitto, keys, singles, limit: int) -> float:
    """One INSERT and one COMMIT per message (parse, no batching)."""
    url = fresh(pg, keys)
    sample = {d: v[: max(1, limit // len(singles))] for d, v in singles.items()}
    conn = psycopg.connect(url)
    insert = (f"INSERT INTO checkins ({', '.join(COLUMNS)}) "
              f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT DO NOTHING")

    def handle(payload: bytes) -> None:
        raw = json.loads(payload)
        conn.execute(insert, checkin_row(CheckIn.model_validate(raw), raw))
        conn.commit()

    rate = through_subscriber(broker, sample, "naive", handle)
    conn.close()
    pg.drop_database(url)
    return rate


def bench_ingest(pg: Postgres, broker: Mosquitto, keys, payloads, events_total: int,
                 tmp: Path, name: str, workers: int = 1) -> float:
    """The real worker(s): publish, and time until every event is committed."""
    url = fresh(pg, keys)
    procs = []
    for w in range(1, workers + 1):
        # each worker its own stable client id: a dead member of a shared group with a
        # persistent session keeps receiving its share of messages
        env = {**os.environ, "HADIR_DATABASE_URL": url, "HADIR_BROKER_PORT": str(broker.port),
               "HADIR_INGEST_CLIENT_ID": f"bench-ingest-{w}"}
        path = tmp / f"ingest-{name}-{w}.log"
        with open(path, "wb") as log:
            procs.append((subprocess.Popen([str(BIN / "hadir-cloud"), "ingest"], env=env,
                                           stdout=log, stderr=subprocess.STDOUT), path))
    deadline = time.monotonic() + 30
    for _proc, path in procs:
        while b"subscribed to" not in path.read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"the ingest did not subscribe; see {path}")
            time.sleep(0.1)
    t0 = time.perf_counter()
    publish_all(broker.port, payloads)
    while count(url) < events_total:
        if time.perf_counter() - t0 > 600:
            raise SystemExit(f"ingest stalled at {count(url)}/{events_total}")
        time.sleep(0.05)
    dt = time.perf_counter() - t0
    for proc, _path in procs:
        proc.terminate()
        proc.wait(20)
    stored = count(url)
    pg.drop_database(url)
    if stored != events_total:
        raise SystemExit(f"{name}: stored {stored} of {events_total}")
    return events_total / dt


def main() -> None:
    """Run every measurement and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=4)
    ap.add_argument("--events", type=int, default=10_000, help="events in all")
    ap.add_argument("--naive-events", type=int, default=2_000)
    args = ap.parse_args()
    per = args.events // args.kiosks
    total = per * args.kiosks
    print(f"preparing {total} signed events from {args.kiosks} kiosks …", flush=True)
    events, keys = make_events(args.kiosks, per)
    singles = {d: [encode(e) for e in evs] for d, evs in events.items()}
    batches = {d: [batch_payload(d, evs[i:i + 100]) for i in range(0, len(evs), 100)]
               for d, evs in events.items()}
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-"))
    pg = Postgres.obtain()
    broker = Mosquitto(workdir=tmp / "mosquitto").start()
    try:
        copy_rate = bench_copy(pg, keys, events)
        print(f"COPY:        {copy_rate:10.0f} rows/s", flush=True)
        passthrough = bench_passthrough(broker, singles)
        print(f"passthrough: {passthrough:10.0f} msgs/s", flush=True)
        naive = bench_naive(pg, broker, keys, singles, args.naive_events)
        print(f"naive:       {naive:10.0f} events/s", flush=True)
        single = bench_ingest(pg, broker, keys, singles, total, tmp, "single")
        print(f"ingest:      {single:10.0f} events/s (single-event messages)", flush=True)
        batched = bench_ingest(pg, broker, keys, batches, total, tmp, "batched")
        print(f"batched:     {batched:10.0f} events/s (100 events per message)", flush=True)
        workers = max(2, os.cpu_count() or 2)
        batched_n = bench_ingest(pg, broker, keys, batches, total, tmp, "batched-n", workers)
        print(f"batched ×{workers}:  {batched_n:10.0f} events/s ({workers} workers)", flush=True)
    finally:
        broker.stop()
        pg.close()
    print(json.dumps({
        "events": total, "kiosks": args.kiosks,
        "events_per_s": round(single), "batched_events_per_s": round(batched),
        "copy_rows_per_s": round(copy_rate), "passthrough_msgs_per_s": round(passthrough),
        "naive_events_per_s": round(naive),
        "ratio_vs_passthrough": round(single / passthrough, 2),
        "ratio_vs_naive": round(single / naive, 1),
        "batched_ratio_vs_copy": round(batched / copy_rate, 2),
        "workers": workers, "batched_workers_events_per_s": round(batched_n),
        "batched_workers_ratio_vs_naive": round(batched_n / naive, 1),
    }))


if __name__ == "__main__":
    main()
