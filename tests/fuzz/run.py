"""Drive mutated payloads through the real decode → verify → write path into PostgreSQL.

`python -m fuzz.run --count 100000` (from tests/; `make fuzz`) prints the counts as
JSON. Every payload must end up accounted for: its events stored (once) or in
`rejected_messages` / `checkin_quarantine` with a reason, or the whole message in
`rejected_messages`; and `process` must never raise (a crash of the worker).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass

import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.ingest import Pipeline
from hadir_cloud.keys import DeviceKeys
from hadir_protocol.models import AckStatus
from hadir_protocol.signing import public_key_b64

from .mutate import DEVICE, Mutator, fixture_key


@dataclass
class Msg:
    """An MQTT message as the pipeline reads it."""

    topic: str
    payload: bytes


def prepare(db_url: str) -> None:
    """Migrate and register the fixture kiosk."""
    upgrade(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        add_office(conn, "ogan-ilir-setda", "Setda", "Asia/Jakarta", -3.2452, 104.6513, 50)
        add_device(conn, DEVICE, public_key_b64(fixture_key()), "ogan-ilir-setda")


def fuzz(db_url: str, count: int, seed: int = 8, chunk: int = 250,
         progress: bool = False) -> dict[str, object]:
    """Run `count` payloads; returns the counts (and the problems, which must be empty)."""
    prepare(db_url)
    mutator = Mutator(seed)
    pipeline = Pipeline(DeviceKeys())
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    crashes = sent = 0
    stored_ids: set[str] = set()
    t0 = time.monotonic()
    logging.getLogger("hadir_cloud").setLevel(logging.CRITICAL)  # the refusals are expected
    with psycopg.connect(db_url, autocommit=True) as conn:
        Pipeline.prepare(conn)
        while sent < count:
            msgs = [Msg(*mutator.next()[:2]) for _ in range(min(chunk, count - sent))]
            sent += len(msgs)
            try:
                result = pipeline.process(conn, msgs)
            except Exception as err:  # a worker crash: the thing this test exists to find
                crashes += 1
                problems.append(f"crash: {type(err).__name__}: {err}"[:300])
                continue
            for msg, outs in zip(msgs, result.outcomes, strict=True):
                if not outs:
                    problems.append(f"unaccounted payload {msg.payload[:80]!r}")
                for out in outs:
                    outcomes[out.status.value if out.status else f"message:{out.reason}"] += 1
                    if out.reason:
                        outcomes[f"reason:{out.reason.value}"] += 1
                    problem = _check(conn, msg, out)
                    if problem:
                        problems.append(problem)
                    if out.status is AckStatus.STORED:
                        if out.event_id in stored_ids:
                            problems.append(f"stored twice: {out.event_id}")
                        stored_ids.add(str(out.event_id))
            if progress:
                print(f"\r{sent}/{count} payloads, {time.monotonic() - t0:.0f} s", end="",
                      file=sys.stderr, flush=True)
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM checkins").fetchone()
    if progress:
        print(file=sys.stderr)
    if rows != distinct or rows != len(stored_ids):
        problems.append(f"checkins: {rows} rows, {distinct} distinct, {len(stored_ids)} stored")
    return {"payloads": sent, "seed": seed, "crashes": crashes, "checkins_rows": rows,
            "outcomes": dict(sorted(outcomes.items())), "problems": problems[:20],
            "problem_count": len(problems), "seconds": round(time.monotonic() - t0, 1)}


def _check(conn: psycopg.Connection, msg: Msg, out) -> str | None:  # type: ignore[no-untyped-def]
    """Is this outcome really in the database?"""
    if out.status in (AckStatus.STORED, AckStatus.DUPLICATE):
        found = conn.execute("SELECT 1 FROM checkins WHERE event_id = %s",
                             (out.event_id,)).fetchone()
    elif out.status is AckStatus.QUARANTINED:
        found = conn.execute("SELECT 1 FROM checkin_quarantine WHERE event_id = %s AND "
                             "reason = %s", (out.event_id, out.reason.value)).fetchone()
    else:  # refused: kept with its raw bytes (a whole message: exactly the payload)
        digest = out.raw_sha256 or hashlib.sha256(msg.payload).digest()
        found = conn.execute("SELECT 1 FROM rejected_messages WHERE raw_sha256 = %s AND "
                             "reason = %s", (digest, out.reason.value)).fetchone()
    return None if found else f"{out} not in the database"


def main() -> None:
    """`make fuzz`."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--db", help="database URL (default: a fresh database, dropped after)")
    args = ap.parse_args()
    from hadir_devstack import Postgres

    pg = None
    url = args.db
    if url is None:
        pg = Postgres.obtain()
        url = pg.create_database("hadir_fuzz")
    try:
        report = fuzz(url, args.count, args.seed, progress=True)
    finally:
        if pg is not None:
            pg.drop_database(url)
            pg.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(0 if report["crashes"] == 0 and report["problem_count"] == 0 else 1)


if __name__ == "__main__":
    main()
