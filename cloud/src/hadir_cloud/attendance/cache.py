"""The recap's per-person verdicts kept between requests, in each portal process.

A recap re-judges nobody whose inputs did not change: an entry is keyed by person, period and
the days still pending, and holds the inputs it was judged from (the employee's record, their
approved absences, a digest of the calendars, rule sets and schedules) and a *stamp*: every
check-in received up to the stamp was read. Before entries are used, one query asks which
people of the period have check-ins received after the oldest stamp (`checkins_received_at`
index); their entries are judged again. Check-ins are only ever added (a released quarantine
row is received anew), so nothing else can change a verdict; a review decision on a NIP
check-in (which changes whether it counts, `review/`) is part of the person's inputs.

The stamp is the newest `received_at` seen, but never later than the database's clock minus
`COMMIT_MARGIN`: a check-in whose transaction began before the read and commits after it has
a `received_at` older than the read and must still count as new.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

#: the longest an ingest transaction may stay open between taking now() and committing
COMMIT_MARGIN = timedelta(minutes=2)
#: a put of this many verdicts moves every live object out of the cyclic collector's sight
#: (`gc.freeze`): a regency's verdicts are ~200,000 objects that hold no cycles, and each full
#: collection walked them all (120–190 ms, measured under `make bench-portal`); evicted ones
#: are still freed by reference counting
FREEZE_AFTER = 1_000


@dataclass(frozen=True)
class _Entry:
    inputs: Any  # compared with ==: the same inputs give the same verdict
    stamp: datetime
    value: Any


class RecapCache:
    """An LRU of verdicts; safe to share between a worker's threads."""

    def __init__(self, max_items: int = 60_000):
        self.max_items = max_items
        self._items: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0  # verdicts (`fresh`)
        self.window_hits = 0  # whole values (`window_value`)

    def __len__(self) -> int:
        return len(self._items)

    def fresh(self, conn: psycopg.Connection, wanted: dict[Hashable, tuple[str, Any]],
              lo: datetime, hi: datetime) -> dict[Hashable, Any]:
        """The values of `wanted` (key → (NIP, inputs)) still valid; check-ins read in lo..hi."""
        found: dict[Hashable, tuple[str, _Entry]] = {}
        with self._lock:
            for key, (nip, inputs) in wanted.items():
                entry = self._items.get(key)
                if entry is not None and entry.inputs == inputs:
                    self._items.move_to_end(key)
                    found[key] = (nip, entry)
        if found:
            since = min(e.stamp for _n, e in found.values())
            newer = dict(conn.execute(
                "SELECT employee_id, max(received_at) FROM checkins WHERE received_at > %s "
                "AND captured_at >= %s AND captured_at < %s GROUP BY employee_id",
                (since, lo, hi)).fetchall())
            found = {k: (n, e) for k, (n, e) in found.items()
                     if n not in newer or newer[n] <= e.stamp}
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return {k: e.value for k, (_n, e) in found.items()}

    def window_value(self, conn: psycopg.Connection, key: Hashable, inputs: Any,
                     lo: datetime, hi: datetime) -> Any | None:
        """A value over every check-in captured in lo..hi (a day's count, say): still valid
        while none arrived after its stamp; None when there is none or it is stale."""
        with self._lock:
            entry = self._items.get(key)
        if entry is None or entry.inputs != inputs:
            return None
        if conn.execute("SELECT 1 FROM checkins WHERE received_at > %s AND captured_at >= %s "
                        "AND captured_at < %s LIMIT 1", (entry.stamp, lo, hi)).fetchone():
            return None
        self.window_hits += 1
        return entry.value

    @staticmethod
    def stamp(conn: psycopg.Connection) -> datetime:
        """Read before the check-ins a verdict is judged from: see the module's docstring."""
        row = conn.execute("SELECT max(received_at), now() FROM checkins").fetchone()
        newest, now = row if row else (None, None)
        assert now is not None
        limit = now - COMMIT_MARGIN
        return limit if newest is None or newest > limit else newest

    def put(self, items: list[tuple[Hashable, Any, Any]], stamp: datetime) -> None:
        """Keep (key, inputs, value) judged from check-ins received up to `stamp`."""
        with self._lock:
            for key, inputs, value in items:
                self._items[key] = _Entry(inputs, stamp, value)
                self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
            frozen = len(items) >= FREEZE_AFTER
        if frozen:
            gc.collect()  # today's cyclic garbage goes now, not into the permanent generation
            gc.freeze()
