"""Grafana boards as code: the committed JSON and alerting file are what the code builds, the
provisioning is complete, and every panel's SQL (macros and variables expanded as Grafana's
PostgreSQL data source does; no Grafana server can run here) returns the numbers the seeded
regency implies: today per office's own zone (a WITA and a WIT office), November judged as the
TPP engine judges it, the fleet and the ingest."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import board_seed as S
import psycopg
import pytest
import yaml
from boards_run import run_board, targets, variable_values
from grafana_macros import expand
from hadir_cloud.tpp import store

ROOT = Path(__file__).resolve().parents[2]
DASH = ROOT / "dashboards"
WIB, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")
#: November as a viewer in WIB picks it ("this month"), and as one in WIT does
NOV_WIB = (datetime(2026, 11, 1, tzinfo=WIB), datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB))
NOV_WIT = (datetime(2026, 11, 1, tzinfo=WIT), datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIT))
LEAVE = {"izin", "sakit", "cuti", "dl", "tugas_belajar"}
OPD_OF = {"bidang-a": "Dinas Pendidikan", "sdn-1": "Dinas Pendidikan",
          "opd-b": "Dinas Kesehatan", "opd-c": "Dinas Kominfo"}


def board(build, name: str) -> dict:  # type: ignore[no-untyped-def]
    return build.dashboard(name)


# ------------------------------------------------------------------ code, files, provisioning


def test_committed_files_are_generated_from_code(build):
    for name, data in build.dashboards().items():
        on_disk = json.loads((DASH / "json" / name).read_text())
        assert on_disk == data, f"json/{name} is stale: run python dashboards/build.py"
    assert (DASH / build.ALERTING).read_text() == build.alerting_yaml()
    written = {p.relative_to(DASH / "json").as_posix() for p in (DASH / "json").rglob("*.json")}
    assert written == set(build.BOARDS), "a board file no code builds"


def test_layout_datasource_folders_and_alerting(build):
    ds = yaml.safe_load((DASH / "provisioning/datasources/hadir.yaml").read_text())
    (source,) = ds["datasources"]
    assert source["user"] == "grafana_reader" and source["uid"] == "hadir-db"
    providers = yaml.safe_load((DASH / "provisioning/dashboards/hadir.yaml").read_text())
    folders = {Path(p["options"]["path"]).name: p["folder"] for p in providers["providers"]}
    assert folders == {"pimpinan": "Hadir — Pimpinan", "ti": "Hadir — TI"}
    uids = set()
    for name, data in build.dashboards().items():
        assert name.split("/")[0] in folders
        uids.add(data["uid"])
        ids = [p["id"] for p in data["panels"]]
        assert len(ids) == len(set(ids)), name
        for p in data["panels"]:
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, (name, p["title"])
            assert p["datasource"]["uid"] == source["uid"]
            (t,) = p["targets"]
            assert t["datasource"]["uid"] == source["uid"] and t["rawSql"].strip()
            assert t["format"] in ("table", "time_series")
            if t["format"] == "time_series":
                assert re.search(r'AS "?time"?|\$__timeGroupAlias', t["rawSql"]), p["title"]
    assert len(uids) == 4
    alerting = yaml.safe_load((DASH / build.ALERTING).read_text())
    (group,) = alerting["groups"]
    assert group["folder"] == "Hadir — TI" and group["interval"] == "1m"
    assert {r["title"] for r in group["rules"]} == {
        "Kiosk luring 30 menit", "Lonjakan pesan ditolak", "Jeda ingest tinggi"}
    for rule in group["rules"]:
        refs = {q["refId"]: q for q in rule["data"]}
        assert rule["condition"] == "C" and set(refs) == {"A", "B", "C"}
        assert refs["A"]["datasourceUid"] == source["uid"] and refs["A"]["model"]["rawSql"]
        assert refs["C"]["model"]["type"] == "threshold"
        assert not {"folderUID", "orgID", "ruleGroup"} & set(rule)
    (contact,) = alerting["contactPoints"]
    (receiver,) = contact["receivers"]
    assert receiver["type"] == "email" and receiver["settings"]["addresses"] == "$HADIR_ALERT_EMAIL"
    assert alerting["policies"][0]["receiver"] == contact["name"]


def test_macro_and_variable_expansion_is_strict():
    t0, t1 = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="macro"):
        expand("SELECT $__unixEpochFilter(x)", t0, t1)
    with pytest.raises(ValueError, match="variable"):
        expand("SELECT 1 WHERE a IN ($opd)", t0, t1)
    sql = expand("SELECT 1 WHERE a IN ($opd) AND b IN (${unit}) AND $__timeFilter(c)", t0, t1,
                 {"opd": ["x", "o'k"], "unit": ["u"]})
    assert sql == ("SELECT 1 WHERE a IN ('x','o''k') AND b IN ('u') AND c BETWEEN "
                   "'2026-11-01T00:00:00Z' AND '2026-11-02T00:00:00Z'")


# ------------------------------------------------------------------ the numbers


@pytest.fixture(scope="module")
def engine(board_db: str) -> list:
    """November as the TPP engine computes it (the same run the TPP page stores)."""
    with psycopg.connect(board_db) as conn:
        return list(store.compute_month(conn, S.MONTH))


def _unit_of(nip: str) -> str:
    return next(p.unit for p in S.PEOPLE.values() if p.nip == nip)


def test_the_views_judge_november_as_the_tpp_engine(board_db: str, engine):
    with psycopg.connect(board_db) as conn:
        view = {(r[0], r[1]): tuple(r[2:]) for r in conn.execute(
            "SELECT nip, day, status, late_code, early_code FROM attendance_person_daily "
            "WHERE day BETWEEN %s AND %s", (S.FIRST, S.LAST))}
    judged = {(r.nip, s.day): (s.status, s.late_code, s.early_code)
              for r in engine for s in r.statuses}
    assert len(judged) == 7 * 30
    assert view == judged
    statuses = Counter(v[0] for v in judged.values())
    codes = Counter(c for v in judged.values() for c in v[1:] if c)
    # every case of the seed occurs: the holiday, leave, TK, late and early tiers
    assert statuses["libur"] and statuses["izin"] == 2 and statuses["cuti"] == 4
    assert statuses["dl"] == 1 and statuses["tk"] == 2
    assert {"TL1", "TL2", "TL4", "PSW2", "PSW4"} <= set(codes)


def test_a_wita_and_a_wit_office_count_their_own_day(board_db: str):
    """B3's shift check-in at 00:40 WITA is 23:40 WIB of the day before: it belongs to the
    WITA day; B1's 07:40 WITA is 10 minutes late (06:40 WIB would be early); C1's 09:05 WIT
    on a Monday is 95 minutes late."""
    with psycopg.connect(board_db) as conn:
        rows = {(r[0], r[1]): r[2:] for r in conn.execute(
            "SELECT nip, day, status, late_minutes, late_code, first_in, tz "
            "FROM attendance_person_daily WHERE day IN ('2026-11-09', '2026-11-10')")}
    b3 = rows[(S.PEOPLE["B3"].nip, date(2026, 11, 10))]
    assert b3[0] == "hadir" and b3[1] == 10 and b3[2] == "TL1" and b3[4] == "Asia/Makassar"
    assert b3[3] == datetime(2026, 11, 9, 16, 40, tzinfo=UTC)  # 23:40 WIB on the 9th
    b1 = rows[(S.PEOPLE["B1"].nip, date(2026, 11, 10))]
    assert b1[:3] == ("hadir", 10, "TL1")
    c1 = rows[(S.PEOPLE["C1"].nip, date(2026, 11, 9))]  # a Monday
    assert c1[:3] == ("hadir", 95, "TL4") and c1[4] == "Asia/Jayapura"


def test_kehadiran_today_per_office_zone(board_db: str, build):
    now = datetime.now(UTC)
    with psycopg.connect(board_db) as conn:
        got = run_board(conn, board(build, "pimpinan/kehadiran.json"), now - timedelta(days=30),
                        now)
        only_b = run_board(conn, board(build, "pimpinan/kehadiran.json"),
                           now - timedelta(days=30), now, {"opd": ["opd-b"]})
    assert got["Hari ini"] == [(7, 5, 4, 1, 1, 0)]  # expected, present, late, leave, not yet, TK
    assert only_b["Hari ini"] == [(3, 2, 2, 1, 0, 0)]
    assert got["Kehadiran hari ini per unit"] == [
        ("Bidang SD", 1, 1, 0, 0, 0), ("Dinas Kesehatan", 0, 2, 1, 0, 0),
        ("Dinas Kominfo", 0, 1, 0, 0, 0), ("SD Negeri 1", 0, 0, 0, 1, 0)]
    per_opd = {r[0]: r[1:] for r in got["Per OPD hari ini"]}
    assert per_opd == {"Dinas Kesehatan": (3, 2, Decimal("66.7"), 2, 1, 0, 0),
                       "Dinas Kominfo": (1, 1, Decimal("100.0"), 1, 0, 0, 0),
                       "Dinas Pendidikan": (3, 2, Decimal("66.7"), 1, 0, 1, 0)}


def _by_opd(engine) -> dict[str, Counter]:  # type: ignore[no-untyped-def]
    out: dict[str, Counter] = defaultdict(Counter)
    for r in engine:
        c = out[OPD_OF[_unit_of(r.nip)]]
        for s in r.statuses:
            if s.status in ("libur", "belum_aktif"):
                continue
            c["expected"] += 1
            c["present"] += s.status == "hadir"
            c["late"] += bool(s.status == "hadir" and s.late_code)
            c["early"] += bool(s.status == "hadir" and s.early_code)
            c["tk"] += s.status == "tk"
            c["leave"] += s.status in LEAVE
        c["lkh_ok"] += r.lkh.approved_days
        c["lkh_eff"] += r.lkh.effective_days
    return out


@pytest.mark.parametrize("window", [NOV_WIB, NOV_WIT], ids=["viewer-wib", "viewer-wit"])
def test_disiplin_bulanan_matches_the_engine(board_db: str, build, engine, window):
    with psycopg.connect(board_db) as conn:
        got = run_board(conn, board(build, "pimpinan/disiplin.json"), *window)
        daily = run_board(conn, board(build, "pimpinan/kehadiran.json"), *window)
    want = _by_opd(engine)
    table = {r[0]: r[1:] for r in got["Disiplin per OPD"]}
    assert set(table) == set(want)
    for opd, c in want.items():
        expected, present, pct, tl, psw, tk, leave = table[opd]
        assert (expected, present, tl, psw, tk, leave) == (
            c["expected"], c["present"], c["late"], c["early"], c["tk"], c["leave"]), opd
        assert float(pct) == pytest.approx(round(100 * c["present"] / c["expected"], 1))
    lkh = {r[0]: r[1] for r in got["Kelengkapan LKH per OPD"]}
    for opd, c in want.items():
        assert float(lkh[opd]) == pytest.approx(round(100 * c["lkh_ok"] / c["lkh_eff"], 1)), opd
    assert lkh["Dinas Kesehatan"] == 0  # B1 filed every day, none approved
    # per day: the engine's TL/PSW/TK of every November day, and nothing outside November
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for r in engine:
        for s in r.statuses:
            row = per_day[s.day]
            row[0] += bool(s.status == "hadir" and s.late_code)
            row[1] += bool(s.status == "hadir" and s.early_code)
            row[2] += s.status == "tk"
            row[3] += s.status == "hadir"
            row[4] += s.status in LEAVE
    trend = {t.date(): list(v) for t, *v in got["TL, PSW dan TK per hari"]}
    assert trend == {d: v[:3] for d, v in per_day.items()}
    hadir = {t.date(): list(v) for t, *v in daily["Kehadiran harian"]}
    assert hadir == {d: [v[3], v[0], v[4], v[2]] for d, v in per_day.items()}


def test_tpp_deductions_by_reason(board_db: str, build, engine):
    want: dict[str, list] = defaultdict(lambda: [0, set(), 0])
    for r in engine:
        for item in r.deductions:
            w = want[item.code]
            w[0] += 1
            w[1].add(r.nip)
            w[2] += item.rupiah
    with psycopg.connect(board_db) as conn:
        got = run_board(conn, board(build, "pimpinan/disiplin.json"), *NOV_WIB)
        december = run_board(conn, board(build, "pimpinan/disiplin.json"),
                             datetime(2026, 12, 1, tzinfo=WIB),
                             datetime(2026, 12, 31, 23, 59, 59, tzinfo=WIB))
    rows = {r[0]: (r[1], r[2], r[3]) for r in got["Potongan TPP menurut alasan"]}
    assert rows == {code: (n, len(people), rupiah) for code, (n, people, rupiah) in want.items()}
    assert {"TK", "TL1", "TL4", "PSW2"} <= set(rows)
    assert december["Potongan TPP menurut alasan"] == []  # no run for December


def test_armada_kiosk(board_db: str, build):
    now = datetime.now(UTC)
    with psycopg.connect(board_db) as conn:
        got = run_board(conn, board(build, "ti/armada.json"), now - timedelta(hours=24), now)
    health = {r[0]: (r[4], r[5]) for r in got["Peta kiosk"]}
    assert health == {"kiosk-a": ("sehat", 0), "kiosk-b": ("luring", 2), "kiosk-c": ("luring", 2),
                      "kiosk-d": ("perhatian", 1), "kiosk-e": ("nonaktif", 3)}
    assert got["Kiosk menurut kesehatan"] == [(1, 1, 2, 1, 0, 15, 4)]
    table = got["Kesehatan per kiosk"]
    assert [r[0] for r in table] == ["kiosk-e", "kiosk-b", "kiosk-c", "kiosk-d", "kiosk-a"]
    a = table[-1]
    assert a[2] == "sehat" and a[5:7] == (3, 0) and a[11:13] == ("gps", 0.4)
    b = table[1]
    assert b[4] is not None and now - b[4] == pytest.approx(timedelta(minutes=45),
                                                            abs=timedelta(minutes=1))
    queue = defaultdict(list)
    for _t, dev, depth in got["Antrean outbox per kiosk"]:
        queue[dev].append(depth)
    assert {d: sorted(v) for d, v in queue.items()} == {
        "kiosk-a": [3, 23], "kiosk-b": [12, 32], "kiosk-c": [0, 20], "kiosk-d": [0, 20]}
    held = {dev: v for _t, dev, v in got["Peristiwa ditahan per kiosk"] if v}
    assert held == {"kiosk-d": 4}


def test_ingest(board_db: str, build):
    now = datetime.now(UTC)
    with psycopg.connect(board_db) as conn:
        got = run_board(conn, board(build, "ti/ingest.json"), now - timedelta(hours=1), now)
    assert sum(v for _t, v in got["Check-in tersimpan per detik"]) * 60 == pytest.approx(35)
    refused = Counter()
    for _t, reason, n in got["Pesan ditolak per alasan"]:
        refused[reason] += n
    assert refused == {"bad_signature": 90, "not_utf8": 30}
    lags = got["Jeda tangkap → simpan"]
    assert min(p50 for _t, p50, _p95 in lags) >= 2
    assert max(p95 for _t, _p50, p95 in lags) >= timedelta(days=3).total_seconds() * 0.9
    assert got["Rentang ini"] == [(35, 120, 4)]
    assert [r[:3] for r in got["Alasan penolakan"]] == [("bad_signature", 90, 1),
                                                        ("not_utf8", 30, 1)]


# ------------------------------------------------------------------ alerts


def _alerts(build) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    import alerts  # dashboards/ is on the path once build.py is loaded

    return {r.title: r for r in alerts.RULES}


def _firing(conn: psycopg.Connection, rule) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Reduce 'last' per row (one alert instance a row), then the threshold, as Grafana does."""
    rows = conn.execute(rule.sql).fetchall()
    return [r for r in rows if r[-1] is not None and float(r[-1]) > rule.above]


def test_alert_rules_fire_on_what_they_watch(board_db: str, build):
    rules = _alerts(build)
    with psycopg.connect(board_db, autocommit=True) as conn:
        offline = _firing(conn, rules["Kiosk luring 30 menit"])
        assert [(r[0], r[1]) for r in offline] == [("kiosk-b", "Kantor Dinkes")]  # not kiosk-c
        spike = rules["Lonjakan pesan ditolak"]
        assert _firing(conn, spike) == []  # 90 in the last 10 minutes
        lag = rules["Jeda ingest tinggi"]
        assert _firing(conn, lag) == []  # freshest lags 2, 5 and 40 s: the backlog is no alarm
        with conn.transaction(force_rollback=True):
            conn.execute("UPDATE rejected_messages SET seen_count = seen_count + 20, "
                         "last_seen_at = now() WHERE reason = 'not_utf8'")
            assert _firing(conn, spike) == [(140,)]
            conn.execute("UPDATE checkins SET received_at = captured_at + INTERVAL '10 minutes' "
                         "WHERE received_at > now() - INTERVAL '10 minutes'")
            assert _firing(conn, lag) == [(600.0,)]


# ------------------------------------------------------------------ grafana_reader


def _relations(sql: str) -> set[str]:
    return {m.lower() for m in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)", sql, re.I)}


def test_grafana_reader_reads_exactly_the_board_views(board_db: str, build):
    boards = build.dashboards()
    sqls = [s for b in boards.values() for s in targets(b).values()]
    sqls += [v["query"] for b in boards.values() for v in b.get("templating", {}).get("list", [])]
    sqls += [r.sql for r in _alerts(build).values()]
    used = set().union(*(_relations(s) for s in sqls))
    with psycopg.connect(board_db) as conn:
        granted = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.role_table_grants "
            "WHERE grantee = 'grafana_reader' AND privilege_type = 'SELECT'")}
        kinds = dict(conn.execute("SELECT relname, relkind FROM pg_class c JOIN pg_namespace n "
                                  "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                                  "AND relname = ANY(%s)", (list(granted),)).fetchall())
        privileges = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                                  "WHERE rolname = 'grafana_reader'").fetchone()
    assert granted == used - {"k"}  # `k`: a subquery's alias in an alert rule
    assert set(kinds.values()) == {"v"}, "grafana_reader may read views only"
    assert privileges == (False, False, False)
    now = datetime.now(UTC)
    with psycopg.connect(board_db) as conn:
        conn.execute("SET ROLE grafana_reader")
        for name, b in boards.items():
            rows = run_board(conn, b, now - timedelta(days=40), now)
            assert rows, name
        for rule in _alerts(build).values():
            conn.execute(rule.sql).fetchall()
        offered = variable_values(conn, boards["pimpinan/kehadiran.json"], now, now)
        assert offered["opd"] == ["opd-b", "opd-c", "opd-a"]  # by name; the Pemkab is no OPD
        assert sorted(offered["unit"]) == ["bidang-a", "opd-a", "opd-b", "opd-c", "sdn-1"]
    for forbidden in ("checkins", "employees", "attendance_person_daily", "device_telemetry",
                      "rejected_messages", "portal_users", "checkins_hourly"):
        with psycopg.connect(board_db) as conn:
            conn.execute("SET ROLE grafana_reader")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {forbidden} LIMIT 1")


def test_the_role_migration_runs_again_where_the_role_exists(postgres):
    """Roles belong to the server: a second database (or a re-created one) finds the role made
    and still grants it its views."""
    from hadir_cloud.db.migrate import upgrade

    url = postgres.create_database()
    try:
        upgrade(url)
        with psycopg.connect(url) as conn:
            n = conn.execute("SELECT count(*) FROM information_schema.role_table_grants WHERE "
                             "grantee = 'grafana_reader'").fetchone()[0]
        assert n == 8
    finally:
        postgres.drop_database(url)


@pytest.mark.slow
def test_the_deployment_lets_grafana_reader_log_in(tmp_path: Path):
    """On a cluster of its own (a role belongs to the whole server): NOLOGIN after the
    migrations; `hadir-cloud db grafana-login` lets it in; it reads a board view, not a table."""
    import subprocess
    import sys

    from hadir_devstack import Postgres

    cli = Path(sys.executable).parent / "hadir-cloud"
    pg = Postgres.start_cluster()
    try:
        url = pg.create_database()
        env = {"PATH": "/usr/bin:/bin", "HADIR_DATABASE_URL": url}
        assert subprocess.run([str(cli), "db", "upgrade"], env=env, capture_output=True,
                              timeout=120).returncode == 0
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = "
                                "'grafana_reader'").fetchone() == (False,)
        secret = tmp_path / "grafana_db_password"
        secret.write_text("pendek\n")
        short = subprocess.run([str(cli), "db", "grafana-login", "--password-file", str(secret)],
                               env=env, capture_output=True, text=True, timeout=60)
        assert short.returncode != 0 and "minimal 12 karakter" in short.stderr
        secret.write_text("kata-sandi-grafana-panjang\n")
        done = subprocess.run([str(cli), "db", "grafana-login", "--password-file", str(secret)],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        reader = psycopg.conninfo.make_conninfo(url, user="grafana_reader",
                                                password="kata-sandi-grafana-panjang")
        with psycopg.connect(reader) as conn:
            assert conn.execute("SELECT current_user, count(*) FROM fleet_status").fetchone() == (
                "grafana_reader", 0)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM checkins")
    finally:
        pg.close()


@pytest.mark.timescale
def test_every_panel_on_timescaledb(timescale_db: str, build, board_db: str):
    """The same seed on TimescaleDB (continuous aggregates, real-time aggregation): every panel
    returns what it returns on plain PostgreSQL."""
    S.seed_all(timescale_db)
    for name, b in build.dashboards().items():
        for window in (NOV_WIB,):
            with psycopg.connect(board_db) as plain, psycopg.connect(timescale_db) as ts:
                want = run_board(plain, b, *window)
                got = run_board(ts, b, *window)
            for title in want:
                if "per kiosk" in title or title in ("Peta kiosk", "Kesehatan per kiosk"):
                    continue  # times of "now" differ between the two seeds
                assert got[title] == want[title], (name, title)
