"""Grafana dashboards: valid JSON, up to date, and every panel's SQL runs on the real schema.

No Grafana server can run here, so the panels' SQL is run with the macros
expanded the way Grafana's PostgreSQL data source expands them.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("dash_build", ROOT / "dashboards" / "build.py")
assert spec and spec.loader
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_committed_json_is_generated_from_code():
    on_disk = json.loads((ROOT / "dashboards" / "json" / "kehadiran.json").read_text())
    assert on_disk == json.loads(json.dumps(build.dashboard())), "run: python dashboards/build.py"


def test_layout_and_datasource():
    dash = build.dashboard()
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/hadir.yaml").read_text())
    uid = ds["datasources"][0]["uid"]
    for p in dash["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        assert p["datasource"]["uid"] == uid
        assert p["targets"][0]["rawSql"].strip()
    prov = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/hadir.yaml").read_text())
    assert prov["providers"][0]["options"]["path"]


def test_macro_expansion_rejects_unknown_macros():
    with pytest.raises(ValueError):
        build.expand_macros("SELECT $__unixEpochFilter(x)", "a", "b")


@pytest.fixture
def schema_db(fresh_db):
    from hadir_cloud.db.migrate import upgrade

    upgrade(fresh_db)
    return fresh_db


def _insert(conn, employee, kind, at, office="kantor-a", inside=True, review=False):
    conn.execute(
        """INSERT INTO checkins (event_id, device_id, seq, employee_id, kind, captured_at,
               clock_source, gps_fix, office_id, geofence_inside, method, review_required,
               signature, payload)
           VALUES (%s, 'kiosk-a', %s, %s, %s, %s, 'ntp', false, %s, %s, %s, %s, 'x', '{}')""",
        (uuid.uuid4(), abs(hash((employee, at))) % 10**9 + 1, employee, kind, at, office, inside,
         "nip" if review else "face", review),
    )


def test_every_panel_runs_on_the_real_schema(schema_db):
    now = datetime.now(UTC)
    with psycopg.connect(schema_db) as conn:
        conn.execute("INSERT INTO offices VALUES ('kantor-a','Kantor A','Asia/Jakarta',-3.2,104.6,50)")
        _insert(conn, "198503122010012003", "in", now - timedelta(minutes=5))
        _insert(conn, "198503122010012003", "in", now - timedelta(minutes=4))
        _insert(conn, "199001012015031001", "in", now - timedelta(minutes=3), inside=False)
        _insert(conn, "199001012015031001", "out", now - timedelta(minutes=2), review=True)
        t0 = (now - timedelta(hours=24)).isoformat()
        t1 = (now + timedelta(minutes=1)).isoformat()
        results = {}
        for panel in build.dashboard()["panels"]:
            sql = build.expand_macros(panel["targets"][0]["rawSql"], t0, t1)
            results[panel["title"]] = conn.execute(sql).fetchall()
    # Values that follow from the rows above (the first panel counts the local WIB day).
    wib_midnight = now.astimezone(timezone(timedelta(hours=7))).replace(hour=0, minute=0)
    if now - timedelta(minutes=5) >= wib_midnight:
        assert results["Pegawai sudah masuk hari ini"] == [(2,)]
    assert results["Perlu ditinjau (NIP + foto)"] == [(1,)]
    assert results["Di luar area kantor"] == [(1,)]
    assert results["Check-in per kantor"] == [("Kantor A", 2)]
    assert sum(r[1] + r[2] for r in results["Check-in per jam"]) == 4
