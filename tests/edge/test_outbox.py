"""The outbox keeps every committed event through SIGKILL; seq never repeats or skips."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hadir_edge.outbox import Outbox
from hadir_protocol.codec import uuid7
from hadir_protocol.models import AckItem, AckStatus

WRITER = """
import sys, time
from hadir_edge.outbox import Outbox
from hadir_protocol.codec import uuid7
box = Outbox(__import__('pathlib').Path(sys.argv[1]))
log = open(sys.argv[2], 'a', buffering=1)
while True:
    ev = box.add(lambda seq: {"seq": seq, "event_id": str(uuid7()), "employee_id": "x1234",
                              "kind": "in", "captured_at": "2026-10-05T00:28:00+00:00"})
    log.write(f"{ev['seq']} {ev['event_id']}\\n")  # written only after add() returned
"""


def ev(seq: int) -> dict:
    return {"seq": seq, "event_id": str(uuid7()), "employee_id": "198503122010012003",
            "kind": "in", "captured_at": "2026-10-05T00:28:00+00:00"}


def test_every_confirmed_event_survives_sigkill(tmp_path: Path):
    db, log = tmp_path / "outbox.sqlite", tmp_path / "confirmed.txt"
    for round_ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(log)])
        deadline = time.monotonic() + 60
        # until the writer has confirmed 20 more events (a fixed sleep once ended before a
        # loaded machine had started it, and nothing was checked)
        while (not log.exists() or len(log.read_text().splitlines()) < 20 * (round_ + 1)) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    confirmed = [line.split() for line in log.read_text().splitlines() if line.strip()]
    box = Outbox(db)
    stored = {r[1]: r[0] for r in box.db.execute("SELECT seq, event_id FROM events")}
    assert confirmed, "the writer made no events"
    for seq, event_id in confirmed:
        assert stored[event_id] == int(seq)
    seqs = sorted(stored.values())
    assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap or a repeat"
    assert box.last_seq() == seqs[-1]
    nxt = box.add(ev)
    assert nxt["seq"] == seqs[-1] + 1


def test_acks_remove_and_rejections_are_kept(tmp_path: Path):
    box = Outbox(tmp_path / "o.sqlite")
    a, b, c = box.add(ev), box.add(ev), box.add(ev)
    assert box.depth() == 3 and [p.seq for p in box.due(60, 10)] == [1, 2, 3]
    box.mark_sent([1, 2, 3])
    assert box.due(60, 10) == [] and box.in_flight(60) == 3
    assert [p.seq for p in box.due(0, 10)] == [1, 2, 3]  # past the ack timeout: due again
    removed = box.ack([AckItem(event_id=a["event_id"], status=AckStatus.STORED),
                       AckItem(event_id=b["event_id"], status=AckStatus.DUPLICATE),
                       AckItem(event_id=c["event_id"], status=AckStatus.REJECTED,
                               reason="bad_signature")])
    assert removed == 3 and box.depth() == 0
    assert box.rejected_count() == 1 and box.last_ack() is not None
    # a redelivered ack changes nothing
    assert box.ack([AckItem(event_id=a["event_id"], status=AckStatus.STORED)]) == 0
    assert len(box.recent("198503122010012003", "2026-01-01")) == 2


def test_the_outbox_is_migrated_version_by_version(tmp_path: Path):
    """An outbox of the previous release (version 1: no index on the person's events, no NIP
    attempts) is brought to the current version in place, its events kept."""
    from hadir_edge.outbox import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "outbox.sqlite"
    old = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO events (seq, event_id, employee_id, kind, captured_at, payload, "
                "created_at) VALUES (1, 'e1', 'x1234', 'in', '2026-10-05T00:28:00Z', '{}', "
                "'2026-10-05T00:28:00Z')")
    old.execute("UPDATE meta SET value = '1' WHERE key = 'last_seq'")
    old.close()
    box = Outbox(path)
    assert box.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    indexes = {r[0] for r in box.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"events_person", "acked_person", "nip_attempts_at"} <= indexes
    assert box.depth() == 1 and box.recent("x1234", "2026-10-05T00:00:00") == [
        ("2026-10-05T00:28:00Z", "in")]
    assert box.checked_in_since("x1234", "2026-10-05T00:00:00")
    assert not box.checked_in_since("x1234", "2026-10-05T00:29:00")
    assert not box.checked_in_since("someone-else", "2026-10-05T00:00:00")
    now = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)
    box.note_nip_attempt("198503122010012003", now)
    assert box.nip_attempts(now + timedelta(seconds=1), 60, "198503122010012003", 900) == (1, 1)
    assert box.nip_attempts(now + timedelta(seconds=61), 60, "198503122010012003", 900) == (0, 1)
    box.close()
    assert Outbox(path).last_seq() == 1  # opened again: nothing to migrate, nothing lost
