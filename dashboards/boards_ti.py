"""IT's boards: the kiosk fleet (a map coloured by health, queues, held events, heartbeats,
camera, GPS, clock) and the ingest (events per second, refusals by reason, lag).

Panels read `fleet_status`, `fleet_telemetry`, `ingest_events` and `ingest_rejections`
(migration 1210): no person, no photo, no raw message bytes.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard, geomap, stat, table, timeseries
from grafana_foundation_sdk.models import common
from grafana_sql import DATASOURCE, Sql, steps

#: health_level of fleet_status → colour (sehat, perhatian, luring, nonaktif/belum melapor)
HEALTH_COLOURS = ((None, "green"), (1, "yellow"), (2, "red"), (3, "text"))



def armada() -> dashboard.Dashboard:
    """Armada kiosk: the map, counts by health, a table per kiosk, queues and held events."""
    d = (dashboard.Dashboard("Hadir — Armada kiosk").uid("hadir-armada")
         .tags(["hadir", "ti"]).refresh("30s").time("now-24h", "now").timezone("browser")
         .readonly()
         .description("Luring: kiosk mengirim pesan terakhir (last will) 'offline' atau tidak "
                      "mengirim detak selama 5 menit. Peta: titik kantor kiosk; ubin peta "
                      "dasar membutuhkan akses internet dari peramban."))
    d.with_panel(
        geomap.Panel().title("Peta kiosk").datasource(DATASOURCE).height(14).span(14)
        .with_target(Sql("""
SELECT device_id AS "Kiosk", office_name AS "Kantor", lat, lon, health AS "Kesehatan",
       health_level, last_seen AS "Terakhir terlihat", outbox_depth AS "Antrean",
       held_count AS "Ditahan"
  FROM fleet_status
 WHERE lat IS NOT NULL AND lon IS NOT NULL"""))
        .view(geomap.MapViewConfig().id("coords").lat(-2).lon(118).zoom(5))
        .basemap(cb.MapLayerOptions().type("default").name("Peta dasar"))
        .layers([cb.MapLayerOptions().type("markers").name("Kiosk").tooltip(True)
                 .location(cb.FrameGeometrySource().mode(common.FrameGeometrySourceMode.COORDS)
                           .latitude("lat").longitude("lon"))
                 .config({"showLegend": True,
                          "style": {"size": {"fixed": 8},
                                    "color": {"field": "health_level", "fixed": "green"},
                                    "opacity": 0.9}})])
        .thresholds(steps(*HEALTH_COLOURS)))
    d.with_panel(
        stat.Panel().title("Kiosk menurut kesehatan").datasource(DATASOURCE)
        .height(14).span(10)
        .with_target(Sql("""
SELECT count(*) FILTER (WHERE health = 'sehat') AS "Sehat",
       count(*) FILTER (WHERE health = 'perhatian') AS "Perlu perhatian",
       count(*) FILTER (WHERE health = 'luring') AS "Luring",
       count(*) FILTER (WHERE health = 'luring' AND offline_minutes >= 30) AS "Luring ≥ 30 menit",
       count(*) FILTER (WHERE health = 'belum_melapor') AS "Belum melapor",
       coalesce(sum(outbox_depth), 0) AS "Antrean total",
       coalesce(sum(held_count), 0) AS "Peristiwa ditahan"
  FROM fleet_status
 WHERE NOT disabled"""))
        .color_mode(common.BigValueColorMode.VALUE).graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    d.with_panel(
        table.Panel().title("Kesehatan per kiosk").datasource(DATASOURCE).height(10).span(24)
        .with_target(Sql("""
SELECT device_id AS "Kiosk", office_name AS "Kantor", health AS "Kesehatan",
       last_seen AS "Detak terakhir", offline_since AS "Luring sejak",
       outbox_depth AS "Antrean", held_count AS "Ditahan", oldest_unacked_at AS "Tertua belum terkirim",
       camera_state AS "Kamera", gps_fix AS "GPS fix", gps_satellites AS "Satelit",
       clock_source AS "Sumber waktu", clock_drift_s AS "Selisih jam (detik)",
       version AS "Versi", config_version AS "Konfigurasi", gallery_version AS "Galeri",
       temperature_c AS "Suhu (°C)", disk_free_mb AS "Disk bebas (MB)"
  FROM fleet_status
 ORDER BY health_level DESC, device_id""")))
    for title, column in (("Antrean outbox per kiosk", "outbox_depth"),
                          ("Peristiwa ditahan per kiosk", "held_count")):
        d.with_panel(
            timeseries.Panel().title(title).datasource(DATASOURCE).height(8).span(12)
            .with_target(Sql(f"""
SELECT $__timeGroupAlias(received_at, '5m'), device_id AS metric, max({column}) AS value
  FROM fleet_telemetry
 WHERE $__timeFilter(received_at)
 GROUP BY 1, 2
 ORDER BY 1""", "time_series")))
    return d


def ingest() -> dashboard.Dashboard:
    """Ingest: events per second, refused by reason, held events, lag from capture to storage."""
    d = (dashboard.Dashboard("Hadir — Ingest").uid("hadir-ingest")
         .tags(["hadir", "ti"]).refresh("30s").time("now-6h", "now").timezone("browser")
         .readonly()
         .description("Jeda: dari waktu tangkap di kiosk sampai tersimpan; peristiwa dari kiosk "
                      "yang lama luring membawa jeda sepanjang masa luringnya."))
    d.with_panel(
        timeseries.Panel().title("Check-in tersimpan per detik").datasource(DATASOURCE)
        .height(8).span(12)
        .with_target(Sql("""
SELECT $__timeGroupAlias(received_at, '1m'), count(*) / 60.0 AS "per detik"
  FROM ingest_events
 WHERE $__timeFilter(received_at)
 GROUP BY 1
 ORDER BY 1""", "time_series")).unit("reqps"))
    d.with_panel(
        timeseries.Panel().title("Pesan ditolak per alasan").datasource(DATASOURCE)
        .height(8).span(12)
        .with_target(Sql("""
SELECT $__timeGroupAlias(last_seen_at, '5m'), reason AS metric, sum(seen_count) AS value
  FROM ingest_rejections
 WHERE $__timeFilter(last_seen_at)
 GROUP BY 1, 2
 ORDER BY 1""", "time_series")).draw_style(common.GraphDrawStyle.BARS))
    d.with_panel(
        timeseries.Panel().title("Jeda tangkap → simpan").datasource(DATASOURCE)
        .height(8).span(12)
        .with_target(Sql("""
SELECT $__timeGroupAlias(received_at, '5m'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_s) AS "p50",
       percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_s) AS "p95"
  FROM ingest_events
 WHERE $__timeFilter(received_at)
 GROUP BY 1
 ORDER BY 1""", "time_series")).unit("s"))
    d.with_panel(
        stat.Panel().title("Rentang ini").datasource(DATASOURCE).height(8).span(12)
        .with_target(Sql("""
SELECT (SELECT count(*) FROM ingest_events WHERE $__timeFilter(received_at)) AS "Tersimpan",
       (SELECT coalesce(sum(seen_count), 0) FROM ingest_rejections
         WHERE $__timeFilter(last_seen_at)) AS "Ditolak",
       (SELECT coalesce(sum(held_count), 0) FROM fleet_status WHERE NOT disabled)
           AS "Ditahan di kiosk (sekarang)" """))
        .color_mode(common.BigValueColorMode.VALUE).graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    d.with_panel(
        table.Panel().title("Alasan penolakan").datasource(DATASOURCE).height(8).span(24)
        .with_target(Sql("""
SELECT reason AS "Alasan", sum(seen_count) AS "Jumlah", count(*) AS "Pesan berbeda",
       max(last_seen_at) AS "Terakhir"
  FROM ingest_rejections
 WHERE $__timeFilter(last_seen_at)
 GROUP BY reason
 ORDER BY 2 DESC, 1""")))
    return d
