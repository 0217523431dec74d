"""Grafana dashboards as code: `python dashboards/build.py` writes dashboards/json/*.json.

Panels query the same SQL surface on TimescaleDB and plain PostgreSQL (the
migrations keep names and columns equal), through a PostgreSQL data source
provisioned as `hadir-db`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "hadir-db"}

# Each panel: (title, type, sql, grid position w×h, format).
PANELS: list[dict[str, Any]] = [
    {
        "title": "Pegawai sudah masuk hari ini",
        "type": "stat",
        "format": "table",
        "sql": (
            "SELECT count(DISTINCT employee_id) AS \"Pegawai\"\n"
            "FROM checkins\n"
            "WHERE kind = 'in'\n"
            "  AND captured_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Jakarta')"
            " AT TIME ZONE 'Asia/Jakarta'"
        ),
        "w": 6, "h": 5,
    },
    {
        "title": "Perlu ditinjau (NIP + foto)",
        "type": "stat",
        "format": "table",
        "sql": (
            "SELECT count(*) AS \"Perlu ditinjau\"\n"
            "FROM checkins\n"
            "WHERE review_required AND $__timeFilter(captured_at)"
        ),
        "w": 6, "h": 5,
    },
    {
        "title": "Di luar area kantor",
        "type": "stat",
        "format": "table",
        "sql": (
            "SELECT count(*) AS \"Di luar geofence\"\n"
            "FROM checkins\n"
            "WHERE geofence_inside IS FALSE AND $__timeFilter(captured_at)"
        ),
        "w": 6, "h": 5,
    },
    {
        "title": "Pesan ditolak",
        "type": "stat",
        "format": "table",
        "sql": (
            "SELECT count(*) AS \"Ditolak\"\n"
            "FROM rejected_messages\n"
            "WHERE $__timeFilter(received_at)"
        ),
        "w": 6, "h": 5,
    },
    {
        "title": "Check-in per jam",
        "type": "timeseries",
        "format": "time_series",
        "sql": (
            "SELECT $__timeGroupAlias(captured_at, '1h'),\n"
            "  count(*) FILTER (WHERE kind = 'in') AS \"Masuk\",\n"
            "  count(*) FILTER (WHERE kind = 'out') AS \"Pulang\"\n"
            "FROM checkins\n"
            "WHERE $__timeFilter(captured_at)\n"
            "GROUP BY 1\nORDER BY 1"
        ),
        "w": 24, "h": 9,
    },
    {
        "title": "Check-in per kantor",
        "type": "barchart",
        "format": "table",
        "sql": (
            "SELECT coalesce(o.name, c.office_id, 'tanpa kantor') AS \"Kantor\",\n"
            "  count(DISTINCT c.employee_id) AS \"Pegawai\"\n"
            "FROM checkins c LEFT JOIN offices o ON o.id = c.office_id\n"
            "WHERE $__timeFilter(c.captured_at)\n"
            "GROUP BY 1\nORDER BY 2 DESC"
        ),
        "w": 12, "h": 9,
    },
    {
        "title": "Kiosk: check-in terakhir",
        "type": "table",
        "format": "table",
        "sql": (
            "SELECT d.id AS \"Kiosk\", d.office_id AS \"Kantor\",\n"
            "  max(c.captured_at) AS \"Check-in terakhir\",\n"
            "  max(c.seq) AS \"Seq terakhir\",\n"
            "  count(c.event_id) AS \"Jumlah\"\n"
            "FROM devices d LEFT JOIN checkins c\n"
            "  ON c.device_id = d.id AND $__timeFilter(c.captured_at)\n"
            "GROUP BY d.id, d.office_id\nORDER BY 3 DESC NULLS LAST"
        ),
        "w": 12, "h": 9,
    },
    {
        "title": "Kesehatan kiosk (laporan terakhir)",
        "type": "table",
        "format": "table",
        "sql": (
            "SELECT d.id AS \"Kiosk\", coalesce(s.state, '-') AS \"Status\",\n"
            "  t.received_at AS \"Laporan terakhir\", t.outbox_depth AS \"Antrean\",\n"
            "  t.held_count AS \"Ditahan cloud\", t.disk_full AS \"Disk penuh\",\n"
            "  (SELECT count(*) FROM rejected_messages r WHERE r.device_id = d.id\n"
            "     AND $__timeFilter(r.last_seen_at)) AS \"Pesan ditolak\",\n"
            "  t.oldest_unacked_at AS \"Tertua belum terkirim\", t.gps_fix AS \"GPS\",\n"
            "  t.camera_state AS \"Kamera\", t.disk_free_mb AS \"Disk bebas (MB)\",\n"
            "  t.temperature_c AS \"Suhu (°C)\", t.gallery_version AS \"Galeri\",\n"
            "  t.version AS \"Versi\"\n"
            "FROM devices d LEFT JOIN device_state s ON s.device_id = d.id\n"
            "LEFT JOIN LATERAL (SELECT * FROM device_telemetry x WHERE x.device_id = d.id\n"
            "  AND $__timeFilter(x.received_at) ORDER BY x.received_at DESC LIMIT 1) t ON true\n"
            "WHERE NOT d.disabled\nORDER BY t.outbox_depth DESC NULLS FIRST, d.id"
        ),
        "w": 24, "h": 8,
    },
    {
        "title": "Alasan penolakan",
        "type": "table",
        "format": "table",
        "sql": (
            "SELECT reason AS \"Alasan\", count(*) AS \"Jumlah\", max(received_at) AS \"Terakhir\"\n"
            "FROM rejected_messages\n"
            "WHERE $__timeFilter(received_at)\n"
            "GROUP BY reason\nORDER BY 2 DESC"
        ),
        "w": 24, "h": 7,
    },
]


def dashboard() -> dict[str, Any]:
    """The live attendance board as Grafana dashboard JSON."""
    panels = []
    x = y = row_h = 0
    for i, p in enumerate(PANELS, start=1):
        if x + p["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        panels.append({
            "id": i,
            "title": p["title"],
            "type": p["type"],
            "datasource": DATASOURCE,
            "gridPos": {"x": x, "y": y, "w": p["w"], "h": p["h"]},
            "targets": [{
                "refId": "A",
                "datasource": DATASOURCE,
                "editorMode": "code",
                "format": p["format"],
                "rawQuery": True,
                "rawSql": p["sql"],
            }],
            "fieldConfig": {"defaults": {}, "overrides": []},
            "options": {},
        })
        x += p["w"]
        row_h = max(row_h, p["h"])
    return {
        "uid": "hadir-kehadiran",
        "title": "Hadir — Kehadiran langsung",
        "tags": ["hadir"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-24h", "to": "now"},
        "panels": panels,
        "templating": {"list": []},
        "annotations": {"list": []},
        "editable": False,
    }


def write(out_dir: Path = HERE / "json") -> list[Path]:
    """Write every dashboard's JSON; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "kehadiran.json"
    path.write_text(json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n")
    return [path]


if __name__ == "__main__":
    for written in write():
        sys.stdout.write(f"{written}\n")


def expand_macros(sql: str, time_from: str, time_to: str) -> str:
    """Expand the Grafana PostgreSQL macros used here, as Grafana does, for tests."""
    import re

    def group(m: re.Match[str]) -> str:
        col, interval = m.group(1).strip(), m.group(2).strip().strip("'")
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[interval[-1]] * int(interval[:-1])
        return f'to_timestamp(floor(extract(epoch from {col})/{seconds})*{seconds}) AS "time"'

    sql = re.sub(r"\$__timeGroupAlias\(([^,]+),([^)]+)\)", group, sql)
    sql = re.sub(
        r"\$__timeFilter\(([^)]+)\)",
        lambda m: f"{m.group(1).strip()} BETWEEN '{time_from}' AND '{time_to}'",
        sql,
    )
    sql = sql.replace("$__timeFrom()", f"'{time_from}'").replace("$__timeTo()", f"'{time_to}'")
    if "$__" in sql:
        raise ValueError(f"unexpanded macro in: {sql}")
    return sql
