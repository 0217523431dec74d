"""The outbox keeps every committed event through SIGKILL; seq never repeats or skips."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
    for _round in range(2):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(log)])
        time.sleep(1.5)
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
