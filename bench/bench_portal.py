"""`make bench-portal`: 50 locust users on the portal's pages over a regency-sized database.

In one run, on the same machine, against the same gunicorn portal:

- seed a fresh database with COPY: 2 offices, 81 units (20 OPD with 3 bidang each, schools
  under Dinas Pendidikan), N employees with well-formed NIPs, the shipped TPP rule sets,
  calendars and schedules, D days of check-ins (about 2 per working day per person, all 32
  columns of `hadir_cloud.rows.COLUMNS`, unsigned, no photos) and approved LKH;
- accounts: HR accounts with `admin_bkpsdm` (regency-wide) and a pool of employee accounts;
- serve the portal with gunicorn (2 sync workers) and run locust headless
  (`bench/locustfile_portal.py`): HR users on the check-ins of a day and the recap (day and
  month), employees on "my month" (this month and the previous), everyone sometimes `/healthz`;
- baseline: `/healthz` in the same run under the same load (and unloaded, before the run).

The last line is one JSON object: p50/p95/p99 (ms) per page, requests, failures, the same for
`/healthz`, each page's p95 over the healthz p95, the machine and the data size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.rows import COLUMNS
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.tpp.rules import load_dir, shipped_dir
from hadir_cloud.tpp.schedule import ScheduleBook, load_schedules_file
from hadir_cloud.users import activate, add_user, grant, invite
from hadir_devstack import Postgres, free_port, wait_port
from hadir_protocol.identifiers import nip_problem

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
REGENCY = "Ogan Ilir"  # the shipped rule sets `ogan_ilir_asn` / `ogan_ilir_pppk` apply
TZ = "Asia/Jakarta"
#: (id, name, tz, lat, lon, workweek, schedule group)
OFFICES = (("bench-kantor", "Kantor Bupati (bench)", TZ, -3.2452, 104.6513, 5, "kantor"),
           ("bench-sekolah", "SD Negeri (bench)", TZ, -3.2231, 104.6468, 6, "guru"))
OPD = 20
BIDANG_PER_OPD = 3
SCHOOLS = 5
CLASSES = ("5", "7", "9", "11")
NULL = "\\N"
PAGES = ("/?date=[hari]", "/rekap?tanggal=[hari]", "/rekap?bulan=[bulan]", "/bulan-saya",
         "/bulan-saya?bulan=[bulan]")


def say(msg: str) -> None:
    """Progress on stdout."""
    print(msg, flush=True)


def nip_of(i: int) -> str:
    """The i-th employee's NIP: a distinct birth date per thousand, the sequence within it."""
    born = date(1970, 1, 1) + timedelta(days=(i // 1000) * 11)
    tmt = f"{2000 + i % 20}{(1, 3, 4)[i % 3]:02d}"
    nip = f"{born:%Y%m%d}{tmt}{1 + i % 2}{i % 1000:03d}"
    assert nip_problem(nip) is None, nip
    return nip


def _copy(conn: psycopg.Connection, sql: str, text: str) -> None:
    with conn.cursor().copy(sql) as cp:
        cp.write(text)


def seed_reference(conn: psycopg.Connection, first: date, last: date) -> None:
    """Offices, work weeks, the shipped rule sets and schedules, the calendars of the years."""
    for oid, name, tz, lat, lon, ww, _group in OFFICES:
        add_office(conn, oid, name, tz, lat, lon, 50.0)
        conn.execute("INSERT INTO office_calendars (office_id, workweek) VALUES (%s, %s)",
                     (oid, ww))
        add_device(conn, f"kiosk-{oid}", "A" * 43 + "=", oid)
    for rs in load_dir(shipped_dir()):
        tpp_store.save_ruleset(conn, rs, "shipped", "bench")
    for year in range(first.year, last.year + 1):
        cal = shipped_dir() / f"kalender_{year}.toml"
        tpp_store.seed_calendar(conn, year, cal if cal.exists() else None)
    for s in load_schedules_file(shipped_dir() / "jadwal_2026.toml"):
        tpp_store.save_schedule(conn, s)


def seed_org(conn: psycopg.Connection, n: int) -> list[tuple[str, str, str]]:
    """Units and n employees by COPY; returns (nip, office, group) per employee."""
    units = [("BENCH-PEMKAB", "Pemerintah Kabupaten (bench)", "pemkab", None)]
    leaves: list[str] = []
    for o in range(1, OPD + 1):
        opd = f"OPD-{o:02d}"
        units.append((opd, f"Perangkat Daerah {o}", "opd", "BENCH-PEMKAB"))
        for b in range(1, BIDANG_PER_OPD + 1):
            units.append((f"{opd}-B{b}", f"Bidang {b} Perangkat Daerah {o}", "bidang", opd))
            leaves.append(f"{opd}-B{b}")
    schools = [f"OPD-01-SD{s}" for s in range(1, SCHOOLS + 1)]
    units += [(s, f"SD Negeri {i} (bench)", "sekolah", "OPD-01") for i, s in
              enumerate(schools, 1)]
    buf = io.StringIO()
    for uid, name, kind, parent in units:
        buf.write(f"{uid}\t{name}\t{REGENCY}\t{parent or NULL}\t{kind}\n")
    _copy(conn, "COPY units (id, name, regency, parent_id, kind) FROM STDIN", buf.getvalue())
    people = []
    buf = io.StringIO()
    for i in range(n):
        nip = nip_of(i)
        school = i % 10 == 9  # a tenth are teachers in a school (6-day week)
        oid, group = (OFFICES[1][0], "guru") if school else (OFFICES[0][0], "kantor")
        unit = schools[i % SCHOOLS] if school else leaves[i % len(leaves)]
        kind, cls = ("PPPK", "PPPK") if i % 8 == 7 else ("ASN", CLASSES[i % len(CLASSES)])
        buf.write(f"{nip}\tPegawai Bench {i:05d}\t{unit}\t{kind}\t{cls}\t{group}\t"
                  f"2015-01-01\t\\N\t{oid}\n")
        people.append((nip, oid, group))
    _copy(conn, "COPY employees (nip, name, unit_id, staff_kind, position_class, "
          "schedule_group, join_date, leave_date, office_id) FROM STDIN", buf.getvalue())
    say(f"  org: {len(units)} unit ({OPD} OPD), {n} pegawai")
    return people


def _working_days(conn: psycopg.Connection, first: date, last: date) -> dict[str, list[date]]:
    cals = tpp_store.office_calendars(conn, first, last)
    out: dict[str, list[date]] = {}
    for oid, *_ in OFFICES:
        days: list[date] = []
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            days += [d for d in cals[oid].working_days(y, m) if first <= d <= last]
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out[oid] = days
    return out


def seed_checkins(conn: psycopg.Connection, people: list[tuple[str, str, str]],
                  first: date, last: date, rng: random.Random) -> tuple[int, int]:
    """Check-ins (all columns, unsigned) and approved LKH by COPY, a day at a time."""
    sched = ScheduleBook(tpp_store.schedules(conn))
    cals = tpp_store.office_calendars(conn, first, last)
    working = _working_days(conn, first, last)
    all_days = sorted({d for days in working.values() for d in days})
    by_office = {oid: set(days) for oid, days in working.items()}
    seq = {oid: 0 for oid, *_ in OFFICES}
    office = {o[0]: o for o in OFFICES}
    ev = n_chk = n_lkh = 0
    t0 = time.perf_counter()
    cols = ", ".join(COLUMNS)
    lkh = io.StringIO()  # one COPY at a time on a connection: LKH after the check-ins
    with conn.cursor().copy(f"COPY checkins ({cols}) FROM STDIN") as cp:
        for n_day, d in enumerate(all_days, 1):
            buf = io.StringIO()
            hours = {}
            for oid, _n, _tz, _la, _lo, _ww, group in OFFICES:
                if d in by_office[oid]:
                    try:
                        h, _ref = sched.hours_for(group, d, cals[oid].is_ramadan(d))
                        hours[oid] = (h.start.hour * 60 + h.start.minute,
                                      h.end.hour * 60 + h.end.minute)
                    except LookupError:  # before the shipped schedules (2026): usual hours
                        hours[oid] = (450, 960) if group == "kantor" else (420, 840)
            ds = d.isoformat()
            for nip, oid, _group in people:
                if oid not in hours or rng.random() < 0.03:
                    continue  # not a working day there, or absent
                start, end = hours[oid]
                _id, _name, _tz, lat, lon, _ww, _g = office[oid]
                dev = f"kiosk-{oid}"
                for kind, minute in (("in", start - rng.randint(-20, 40)),
                                     ("out", end + rng.randint(-15, 60))):
                    if kind == "out" and rng.random() < 0.03:
                        continue  # left without checking out
                    ev += 1
                    seq[oid] += 1
                    eid = f"{ev:032x}"
                    at = f"{ds} {minute // 60:02d}:{minute % 60:02d}:{rng.randint(0, 59):02d}+07"
                    payload = (f'{{"v": 1, "event_id": "{eid}", "device_id": "{dev}", '
                               f'"seq": {seq[oid]}, "employee_id": "{nip}", "kind": "{kind}", '
                               f'"captured_at": "{at}", "method": "face"}}')
                    buf.write(
                        f"{eid}\t{dev}\t{seq[oid]}\t{nip}\t{kind}\t{at}\tgps\t0.1\tt\t{lat}\t"
                        f"{lon}\t4.2\t1.1\t9\t3\t{at}\t0.6\t{oid}\t8.5\t50\tt\t0.38\t0.5\t"
                        f"dlib_face_recognition_resnet_model_v1\tblink\t\\N\tt\tface\tf\t\\N\t"
                        f"bench-unsigned\t{payload}\n")
                    if kind == "in" and rng.random() < 0.9:
                        lkh.write(f"{nip}\t{ds}\tdisetujui\n")
                        n_lkh += 1
            text = buf.getvalue()
            n_chk += text.count("\n")
            cp.write(text)
            if n_day % 20 == 0 or n_day == len(all_days):
                dt = time.perf_counter() - t0
                say(f"  check-in: {n_day}/{len(all_days)} hari, {n_chk:,} baris, "
                    f"{dt:.0f} s ({n_chk / dt:,.0f} baris/s)")
    _copy(conn, "COPY lkh_reports (nip, day, status) FROM STDIN", lkh.getvalue())
    return n_chk, n_lkh


def hr_accounts(conn: psycopg.Connection, role: str, n: int, password: str) -> list[list[str]]:
    """n HR accounts with `role`: admin_bkpsdm (the regency) or admin_opd (OPD-02, OPD-03, …)."""
    out = []
    for k in range(1, n + 1):
        name = f"{role}-bench-{k}"
        add_user(conn, name, password, role="pegawai")
        grant(conn, name, role, f"OPD-{k + 1:02d}" if role == "admin_opd" else None, "bench")
        out.append([name, password])
    return out


def seed_accounts(conn: psycopg.Connection, people: list[tuple[str, str, str]], hr: int,
                  pool: int) -> dict[str, list[list[str]]]:
    """HR accounts (admin_bkpsdm) and a pool of activated employee accounts; their passwords."""
    password = "bench-" + secrets.token_hex(8)
    hrs = hr_accounts(conn, "admin_bkpsdm", hr, password)
    conn.commit()
    step = max(1, len(people) // pool)
    nips = [nip for nip, _oid, _group in people[::step][:pool]]

    def one(nip: str) -> list[str]:
        # argon2 releases the GIL: a connection per thread, one thread per core
        with psycopg.connect(conn.info.dsn, autocommit=True) as c:
            activate(c, nip, invite(c, nip), password)
        return [nip, password]

    with ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        emps = list(ex.map(one, nips))
    return {"hr": hrs, "employees": emps}


def seed(url: str, employees: int, days: int, accounts: int, today: date) -> dict:
    """Everything the run reads; returns what was made and how long it took."""
    t0 = time.perf_counter()
    rng = random.Random(2026)
    last = today - timedelta(days=1)
    first = today - timedelta(days=days)
    with psycopg.connect(url) as conn:
        seed_reference(conn, first, last)
        people = seed_org(conn, employees)
        conn.commit()
        checkins, lkh = seed_checkins(conn, people, first, last, rng)
        conn.commit()
        say(f"  {checkins:,} check-in, {lkh:,} LKH; {time.perf_counter() - t0:.0f} s")
        t1 = time.perf_counter()
        accts = seed_accounts(conn, people, 5, accounts)
        conn.commit()
        say(f"  akun: {len(accts['hr'])} admin_bkpsdm, {len(accts['employees'])} pegawai "
            f"({time.perf_counter() - t1:.0f} s, argon2)")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('checkins'))"
                            ).fetchone()[0]  # type: ignore[index]
    return {"first_day": first.isoformat(), "last_day": last.isoformat(), "checkins": checkins,
            "lkh": lkh, "checkins_table": size, "accounts": accts,
            "seed_s": round(time.perf_counter() - t0, 1)}


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99 by nearest rank."""
    s = sorted(ms)
    if not s:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}

    def p(q: float) -> float:
        return round(s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))], 1)
    return {"p50": p(0.50), "p95": p(0.95), "p99": p(0.99)}


def healthz_idle(port: int, n: int = 200) -> dict[str, float]:
    """`/healthz` one request at a time with nothing else running."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            r.read()
        out.append((time.perf_counter() - t) * 1000)
    return percentiles(out)


def serve(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """The portal under gunicorn, as deployed."""
    env = {**os.environ, "HADIR_DATABASE_URL": url, "HADIR_SECRET_KEY": secrets.token_hex(32),
           "HADIR_PORTAL_SECURE_COOKIES": "false", "HADIR_LOGIN_RATE_LIMIT": "100000 per minute"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--timeout", "120",
             "--bind", f"127.0.0.1:{port}", "hadir_cloud.portal.wsgi:app"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_port(port, 30)
    except Exception:
        proc.terminate()
        raise SystemExit(f"the portal did not start; see {log}") from None
    return proc


def warm(port: int, hr: list[str], day: date, months: list[str], workers: int) -> dict:
    """Each worker's recap cache (attendance/cache.py, one per process) judges the regency
    once before the load: `workers` concurrent requests per HR page, twice. Returns the
    slowest first-round time per page (the cold cost a worker pays once per period)."""
    import requests  # locust's dependency

    base = f"http://127.0.0.1:{port}"
    paths = [f"/?date={day.isoformat()}", f"/rekap?tanggal={day.isoformat()}",
             *(f"/rekap?bulan={m}" for m in months)]
    sessions = []
    for _ in range(workers):
        s = requests.Session()
        page = s.get(f"{base}/masuk", timeout=60).text
        token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        s.post(f"{base}/masuk", data={"csrf_token": token, "username": hr[0],
                                      "password": hr[1]}, allow_redirects=False, timeout=60)
        sessions.append(s)

    def get(s: requests.Session, path: str) -> float:
        t = time.perf_counter()
        r = s.get(base + path, timeout=600, allow_redirects=False)
        r.raise_for_status()
        return (time.perf_counter() - t) * 1000

    cold = {}
    with ThreadPoolExecutor(workers) as pool:
        for path in paths:
            first = list(pool.map(get, sessions, [path] * workers))
            list(pool.map(get, sessions, [path] * workers))
            cold[path] = round(max(first), 1)
    return cold


def run_locust(port: int, tmp: Path, accounts: dict, users: int, rate: int, seconds: int,
               day: date, months: list[str], warmup: float) -> tuple[list[dict], list[dict]]:
    """Locust headless; every request it made (name, ms, failed, t): those from `warmup`
    seconds after the last user started, and the sign-ins."""
    acc_file, samples = tmp / "accounts.json", tmp / "samples.json"
    acc_file.write_text(json.dumps({**accounts, "day": day.isoformat(), "months": months}))
    env = {**os.environ, "HADIR_BENCH_ACCOUNTS": str(acc_file),
           "HADIR_BENCH_SAMPLES": str(samples)}
    cmd = [str(BIN / "locust"), "-f", str(HERE / "locustfile_portal.py"), "--headless",
           "-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--stop-timeout", "30",
           "--host", f"http://127.0.0.1:{port}", "--csv", str(tmp / "locust"),
           "--only-summary", "--loglevel", "WARNING"]
    say("  " + " ".join(cmd[1:]))
    done = subprocess.run(cmd, env=env, timeout=seconds + 180, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    (tmp / "locust.log").write_text(done.stdout)
    if not samples.exists():
        raise SystemExit(f"locust wrote no samples (exit {done.returncode}); see "
                         f"{tmp / 'locust.log'}")
    got = json.loads(samples.read_text())
    start = got["spawned"] + warmup
    return ([s for s in got["samples"] if s["t"] >= start],
            [s for s in got["samples"] if s["name"] == "/masuk [POST]"])


def main() -> None:
    """Seed, serve, load, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employees", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365, help="days of check-ins up to yesterday")
    ap.add_argument("--accounts", type=int, default=200, help="employee accounts (my month)")
    ap.add_argument("--users", type=int, default=50, help="concurrent locust users")
    ap.add_argument("--spawn-rate", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=60, help="how long the load runs")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds after the last user "
                    "started (the sign-in storm: argon2) left out of the figures")
    ap.add_argument("--hr-role", choices=("admin_bkpsdm", "admin_opd"), default="admin_bkpsdm",
                    help="the HR users' role: the whole regency (default) or one OPD each")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--database-url", help="reuse a database seeded by an earlier --keep run "
                    "(with its accounts file) instead of seeding")
    ap.add_argument("--keep", action="store_true", help="do not drop the database; print its URL")
    args = ap.parse_args()
    today = datetime.now(ZoneInfo(TZ)).date()
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-portal-"))
    pg = Postgres.obtain()
    proc = None
    try:
        if args.database_url:
            url = args.database_url
            upgrade(url)  # migrations newer than the seeding
            data = json.loads((Path(tempfile.gettempdir()) /
                               f"{url.rsplit('/', 1)[1]}.json").read_text())
            say(f"• memakai {url} (diisi {data['seed_s']} s)")
        else:
            url = pg.create_database("hadir_bench_portal")
            upgrade(url)
            say(f"• mengisi {url}: {args.employees} pegawai, {args.days} hari")
            data = seed(url, args.employees, args.days, args.accounts, today)
            if args.keep:
                pg.databases.remove(url.rsplit("/", 1)[1])
                (Path(tempfile.gettempdir()) / f"{url.rsplit('/', 1)[1]}.json").write_text(
                    json.dumps(data))
                say(f"  disimpan: --database-url {url}")
        # the latest working day with check-ins, this month and the previous
        with psycopg.connect(url) as conn:
            # the latest Monday–Friday with check-ins (a Saturday has the schools' only)
            day = conn.execute("SELECT max(d) FROM (SELECT (captured_at AT TIME ZONE %s)::date d"
                               " FROM checkins WHERE captured_at > now() - interval '10 days') x"
                               " WHERE extract(isodow FROM d) < 6",
                               (TZ,)).fetchone()[0]  # type: ignore[index]
            if args.hr_role != "admin_bkpsdm":
                data["accounts"]["hr"] = hr_accounts(conn, args.hr_role, 5,
                                                     data["accounts"]["hr"][0][1])
                conn.commit()
            n_emp = conn.execute("SELECT count(*) FROM employees").fetchone()[0]  # type: ignore[index]
        this_month = today.strftime("%Y-%m")
        prev = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        port = free_port()
        proc = serve(url, port, args.workers, tmp / "gunicorn.log")
        idle = healthz_idle(port)
        say(f"• /healthz tanpa beban: {idle}")
        cold = warm(port, data["accounts"]["hr"][0], day or today, [prev, this_month],
                    args.workers)
        say(f"• pemanasan (tembolok rekap tiap worker), permintaan pertama, ms: {cold}")
        say(f"• locust: {args.users} pengguna (HR: {args.hr_role}), {args.seconds} s, hari {day}, "
            f"bulan {prev} dan {this_month}")
        samples, logins = run_locust(port, tmp, data["accounts"], args.users, args.spawn_rate,
                                     args.seconds, day or today, [prev, this_month],
                                     args.warmup)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        pg.close()
    by_name: dict[str, list[dict]] = {}
    for s in samples:
        by_name.setdefault(s["name"], []).append(s)
    health = percentiles([s["ms"] for s in by_name.get("/healthz", []) if not s["failed"]])
    pages = {}
    for name in PAGES:
        got = by_name.get(name, [])
        ok = [s["ms"] for s in got if not s["failed"]]
        pct = percentiles(ok)
        pages[name] = {**pct, "requests": len(got), "failures": len(got) - len(ok),
                       "ratio_p95_vs_healthz": round(pct["p95"] / health["p95"], 1)
                       if health["p95"] else None,
                       "goal_met": bool(ok) and pct["p95"] < 200
                       and pct["p95"] <= 4 * health["p95"]}
        say(f"{name:28s} n={len(got):5d} fail={len(got) - len(ok):3d} p50={pct['p50']:8.1f} "
            f"p95={pct['p95']:8.1f} p99={pct['p99']:8.1f} ms")
    hz = by_name.get("/healthz", [])
    say(f"{'/healthz':28s} n={len(hz):5d} p50={health['p50']:8.1f} p95={health['p95']:8.1f} "
        f"p99={health['p99']:8.1f} ms")
    login = percentiles([s["ms"] for s in logins])
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(json.dumps({
        "pages": pages,
        "healthz": {**health, "requests": len(hz),
                    "failures": sum(1 for s in hz if s["failed"])},
        "healthz_idle": idle, "login": login, "cold_first_request_ms": cold,
        "users": args.users, "hr_role": args.hr_role, "seconds": args.seconds,
        "warmup_s": args.warmup,
        "gunicorn_workers": args.workers,
        "employees": n_emp, "checkins": data["checkins"], "lkh": data["lkh"],
        "checkins_table": data["checkins_table"],
        "days": f"{data['first_day']}..{data['last_day']}", "seed_s": data["seed_s"],
        "machine": {"cores": os.cpu_count(), "ram_gib": round(mem, 1),
                    "python": sys.version.split()[0]},
        "all_goals_met": all(p["goal_met"] for p in pages.values()),
    }))


if __name__ == "__main__":
    main()
