"""Bench: a month of TPP from the database for 10,000 and 100,000 synthetic employees.

For 10,000 the same month is also computed the naive way (one employee and one day at a time,
one query each) in the same run. Prints one JSON line per size: employees, seconds (the whole
`tpp run` path: bulk reads, rules, the run written with COPY), naive_seconds (reads and rules
only, nothing written), ratio, total_net (equal for both ways, checked).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.tpp import store
from hadir_cloud.tpp.calendar import days_between, month_bounds
from hadir_cloud.tpp.lkh import completeness
from hadir_cloud.tpp.rules import load_dir, shipped_dir
from hadir_cloud.tpp.schedule import Schedule, ScheduleBook
from hadir_cloud.tpp.status import Absence, Punch, evaluate_day, free_day
from hadir_cloud.tpp.tpp import compute_tpp
from hadir_devstack import Postgres

MONTH = "2026-10"
OFFICES = (("kantor-wib", "Asia/Jakarta", "+07", 5), ("kantor-wita", "Asia/Makassar", "+08", 5),
           ("sekolah-wit", "Asia/Jayapura", "+09", 6))
UNITS = 40


def prepare(url: str) -> None:
    """The project's migrations (0001 spine, 0100 TPP)."""
    from hadir_cloud.db.migrate import upgrade

    upgrade(url)


def _copy(conn: psycopg.Connection, sql: str, lines: io.StringIO) -> None:
    with conn.cursor().copy(sql) as cp:
        cp.write(lines.getvalue())


def generate(url: str, n: int, seed: int = 7) -> None:
    """Synthetic regency: n employees, a month of check-ins, LKH and absences, loaded by COPY."""
    rnd = random.Random(seed)
    first, last = month_bounds(MONTH)
    office_sched = Schedule.from_data("kantor", "kantor", date(2026, 1, 1), None, {
        "normal": {"checkin_open": "06:00", "start": "07:30", "end": "16:00",
                   "checkout_close": "23:00"},
        "friday": {"checkin_open": "06:00", "start": "07:30", "end": "16:30",
                   "checkout_close": "23:00"}})
    school = Schedule.from_data("guru", "guru", date(2026, 1, 1), None, {
        "normal": {"checkin_open": "05:30", "start": "07:00", "end": "14:00",
                   "checkout_close": "20:00"},
        "saturday": {"checkin_open": "05:30", "start": "07:00", "end": "12:00",
                     "checkout_close": "20:00"}})
    with psycopg.connect(url) as conn:
        for rs in load_dir(shipped_dir()):
            store.save_ruleset(conn, rs, "shipped", "bench")
        store.seed_calendar(conn, 2026, shipped_dir() / "kalender_2026.toml")
        for oid, tz, _, ww in OFFICES:
            conn.execute("INSERT INTO offices (id, name, tz) VALUES (%s, %s, %s) "
                         "ON CONFLICT DO NOTHING", (oid, oid, tz))
            conn.execute("INSERT INTO office_calendars VALUES (%s, %s)", (oid, ww))
        store.save_schedule(conn, office_sched)
        store.save_schedule(conn, school)
        conn.execute("INSERT INTO units SELECT 'OPD-' || i, 'Perangkat Daerah ' || i, "
                     "'Kabupaten Contoh', NULL FROM generate_series(1, %s) i", (UNITS,))
        cals = store.office_calendars(conn, first, last)
        emps, chk, lkh, absn = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
        classes = ("1", "3", "5", "7", "9", "11", "13")
        ev = 0
        for i in range(n):
            nip = f"19{i:016d}"
            oid, tz, off, _ = OFFICES[i % 3]
            group = "guru" if oid.startswith("sekolah") else "kantor"
            sched = school if group == "guru" else office_sched
            kind = ("ASN", "ASN", "PPPK", "honorer")[i % 4]
            join = date(2026, 10, 12) if i % 97 == 0 else date(2015, 1, 1)
            emps.write(f"{nip}\tPegawai {i}\tOPD-{i % UNITS + 1}\t{kind}\t{classes[i % 7]}\t"
                       f"{group}\t{join}\t\\N\t{oid}\n")
            cal = cals[oid]
            cuti = rnd.random() < 0.03
            if cuti:
                absn.write(f"CT-{i}\t{nip}\tcuti\ttahunan\t2026-10-19\t2026-10-21\tdisetujui\n")
            for d in cal.working_days(2026, 10):
                if d < join:
                    continue
                hours, _ = sched.hours_for(d, False)
                r = rnd.random()
                if r > 0.03:
                    late = rnd.randint(-25, 0) if rnd.random() < 0.85 else rnd.randint(1, 120)
                    t = hours.start.hour * 60 + hours.start.minute + late
                    ev += 1
                    chk.write(f"{ev:032x}\tkiosk-{oid}\t{nip}\tin\t{d} {t // 60:02d}:{t % 60:02d}:"
                              f"{rnd.randint(0, 59):02d}{off}\tface\tf\tt\n")
                    if r > 0.06:
                        t = hours.end.hour * 60 + hours.end.minute + rnd.randint(-40, 60)
                        ev += 1
                        chk.write(f"{ev:032x}\tkiosk-{oid}\t{nip}\tout\t{d} {t // 60:02d}:"
                                  f"{t % 60:02d}:00{off}\tface\tf\tt\n")
                if rnd.random() < 0.9:
                    lkh.write(f"{nip}\t{d}\tdisetujui\n")
        _copy(conn, "COPY employees (nip, name, unit_id, staff_kind, position_class, "
              "schedule_group, join_date, leave_date, office_id) FROM STDIN", emps)
        _copy(conn, "COPY checkins (event_id, device_id, employee_id, kind, captured_at, method, "
              "review_required, geofence_inside) FROM STDIN", chk)
        _copy(conn, "COPY lkh_reports (nip, day, status) FROM STDIN", lkh)
        _copy(conn, "COPY absences (ref, nip, kind, subkind, start_date, end_date, status) "
              "FROM STDIN", absn)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def bulk(url: str, workers: int) -> tuple[float, Decimal]:
    """The `tpp run` path: bulk reads + rules in worker processes, streamed into the run's COPY."""
    t0 = time.perf_counter()
    with psycopg.connect(url) as writer:
        info = store.write_run(writer, MONTH, None, store.month_rows(url, MONTH, workers=workers),
                               "bench", "bench")
    return time.perf_counter() - t0, Decimal(info.total_net)


def naive(url: str) -> tuple[float, Decimal]:
    """One employee and one day at a time, one query each (the baseline)."""
    first, last = month_bounds(MONTH)
    days = days_between(first, last)
    total = Decimal(0)
    with psycopg.connect(url) as conn:
        emps = store.employees(conn, first, last)
        cals = store.office_calendars(conn, first, last)
        book = store.rulebook(conn)
        sched = ScheduleBook(store.schedules(conn))
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            for e in emps:
                cal = cals[e.office_id]
                zone = ZoneInfo(cal.tz)
                statuses, lkh_days = [], []
                for d in days:
                    lo = datetime.combine(d, datetime.min.time(), zone)
                    cur.execute(
                        "SELECT (SELECT array_agg(event_id::text || '|' || kind || '|' || "
                        "extract(epoch FROM captured_at)) FROM checkins WHERE employee_id = %(n)s "
                        "AND captured_at >= %(lo)s AND captured_at < %(hi)s), "
                        "(SELECT ref || '|' || kind FROM absences WHERE nip = %(n)s AND "
                        "status = 'disetujui' AND %(d)s BETWEEN start_date AND end_date LIMIT 1),"
                        " (SELECT status FROM lkh_reports WHERE nip = %(n)s AND day = %(d)s)",
                        {"n": e.nip, "lo": lo, "hi": lo + timedelta(days=1), "d": d})
                    evs, ab, lkh = cur.fetchone()
                    cday = cal.day(d)
                    if not cday.working or not e.active_on(d):
                        statuses.append(free_day(cday, e.active_on(d)))
                        continue
                    punches = []
                    for s in evs or ():
                        eid, kind, epoch = s.split("|")
                        at = datetime.fromtimestamp(float(epoch), zone)
                        punches.append((Punch(eid, kind, at), at.time().replace(tzinfo=None)))
                    absence = None
                    if ab:
                        ref, kind = ab.split("|")
                        absence = Absence(ref, kind, d, d)
                    rules = book.for_day(e.regency, e.staff_kind, d)
                    s = sched.for_day(e.schedule_group, d)
                    hours, variant = s.hours_for(d, cday.ramadan)
                    statuses.append(evaluate_day(cday, punches, hours, f"{s.id}/{variant}",
                                                 rules, absence, True))
                    if lkh == "disetujui":
                        lkh_days.append(d)
                r = compute_tpp(e, first, statuses,
                                lambda d, e=e: book.for_day(e.regency, e.staff_kind, d),
                                completeness(statuses, lkh_days))
                total += r.net
        return time.perf_counter() - t0, total


def main() -> int:
    """Run the sizes and print one JSON line each."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--naive-max", type=int, default=10000,
                    help="measure the naive way for sizes up to this")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (2 cores here)")
    args = ap.parse_args()
    pg = Postgres.obtain()
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            url = pg.create_database("hadir_bench_tpp")
            try:
                prepare(url)
                g0 = time.perf_counter()
                generate(url, n)
                gen = time.perf_counter() - g0
                secs, net = bulk(url, args.workers)
                row: dict[str, object] = {"employees": n, "seconds": round(secs, 2),
                                          "workers": args.workers,
                                          "generate_seconds": round(gen, 1),
                                          "total_net": str(net)}
                if n <= args.naive_max:
                    nsecs, nnet = naive(url)
                    if nnet != net:
                        print(f"naive total {nnet} != bulk total {net}", file=sys.stderr)
                        return 1
                    row["naive_seconds"] = round(nsecs, 2)
                    row["ratio"] = round(nsecs / secs, 1)
                print(json.dumps(row), flush=True)
            finally:
                pg.drop_database(url)
    finally:
        pg.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
