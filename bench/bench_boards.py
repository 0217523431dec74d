"""Bench: the leaders' board's month per OPD from the SQL views, against the TPP engine judging
the same month (the path of the recap and the TPP run), on bench_tpp's synthetic regency.

Per size prints one JSON line: employees, view_seconds (the board's month of TL/PSW/TK and LKH
per OPD: `dashboards.store.month_discipline`), engine_seconds (`tpp.store.compute_month`:
reads and rules for every person and day), ratio (engine / view), today_seconds (the live
"now" per OPD), and whether the two agree on the month's TL, PSW and TK counts (they must).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import psycopg
from hadir_cloud.dashboards import store as boards
from hadir_cloud.tpp import store
from hadir_cloud.tpp.calendar import month_bounds
from hadir_devstack import Postgres

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tpp import MONTH, generate, prepare  # noqa: E402


def engine_counts(url: str) -> tuple[float, dict[str, int]]:
    """The TPP engine's month: seconds, and TL/PSW/TK counted from its verdicts."""
    t0 = time.perf_counter()
    counts = {"late": 0, "left_early": 0, "absent": 0}
    with psycopg.connect(url) as conn:
        for r in store.compute_month(conn, MONTH):
            for s in r.statuses:
                counts["late"] += bool(s.status == "hadir" and s.late_code)
                counts["left_early"] += bool(s.status == "hadir" and s.early_code)
                counts["absent"] += s.status == "tk"
    return time.perf_counter() - t0, counts


def view_counts(url: str) -> tuple[float, dict[str, int], float]:
    """The board's month per OPD (and its today): seconds, summed counts, today's seconds."""
    first, last = month_bounds(MONTH)
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        rows = boards.month_discipline(conn, first, last)
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        boards.presence_now(conn)
        today = time.perf_counter() - t1
    counts = {k: sum(r.counts[k] for r in rows) for k in ("late", "left_early", "absent")}
    return secs, counts, today


def main() -> int:
    """Run the sizes and print one JSON line each."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="2000,10000")
    args = ap.parse_args()
    pg = Postgres.obtain()
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            url = pg.create_database("hadir_bench_boards")
            try:
                prepare(url)
                generate(url, n)
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("ANALYZE")
                vsecs, vcounts, today = view_counts(url)
                esecs, ecounts = engine_counts(url)
                print(json.dumps({"employees": n, "view_seconds": round(vsecs, 2),
                                  "engine_seconds": round(esecs, 2),
                                  "ratio": round(esecs / vsecs, 1),
                                  "today_seconds": round(today, 2), "counts": vcounts,
                                  "agree": vcounts == ecounts}), flush=True)
                if vcounts != ecounts:
                    print(f"the views {vcounts} != the engine {ecounts}", file=sys.stderr)
                    return 1
            finally:
                pg.drop_database(url)
    finally:
        pg.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
