"""The leaders' boards: attendance per OPD today (each office in its own local day) and the
month's discipline (TL/PSW/TK, LKH completion, TPP deductions by reason).

Every panel reads the views of migrations 1200–1210 (`attendance_today`,
`attendance_unit_daily`, `board_units`, `tpp_deductions_monthly`), the only relations the
data source's role `grafana_reader` may read.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, bargauge, dashboard, stat, table, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_sql import DATASOURCE, OPD_FILTER, Sql, steps


def day_bound(macro: str) -> str:
    """A time range's end as a date: read in WITA (the middle of Indonesia's zones) and rounded
    to the nearest midnight, so "this month" means the same days to a viewer in WIB, WITA or
    WIT (and to any within eleven hours of them)."""
    return f"(({macro}::timestamptz AT TIME ZONE 'Asia/Makassar') + INTERVAL '12 hours')::date"


#: the first and the day after the last of the picked days
START, END = day_bound("$__timeFrom()"), day_bound("$__timeTo()")


def day_range(column: str = "day") -> str:
    """The calendar days the picked time range covers."""
    return f"{column} >= {START} AND {column} < {END}"


def variables(d: dashboard.Dashboard) -> dashboard.Dashboard:
    """OPD, then the units of the chosen OPDs (both multi-valued, 'Semua' by default). The
    Pemkab itself is no OPD; a unit under it that belongs to no OPD is offered as its own."""
    return (
        d.with_variable(
            dashboard.QueryVariable("opd").label("OPD").datasource(DATASOURCE)
            .query("SELECT DISTINCT opd_name AS __text, opd_id AS __value FROM board_units "
                   "WHERE unit_kind <> 'pemkab' ORDER BY 1")
            .multi(True).include_all(True).refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(dm.VariableSort.ALPHABETICAL_ASC))
        .with_variable(
            dashboard.QueryVariable("unit").label("Unit").datasource(DATASOURCE)
            .query("SELECT unit_name AS __text, unit_id AS __value FROM board_units "
                   "WHERE opd_id IN ($opd) ORDER BY 1")
            .multi(True).include_all(True).refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)))



def kehadiran() -> dashboard.Dashboard:
    """Kehadiran per OPD, live: present, late, on leave, not yet in, absent, per unit."""
    d = (dashboard.Dashboard("Hadir — Kehadiran per OPD").uid("hadir-kehadiran")
         .tags(["hadir", "pimpinan"]).refresh("1m").time("now-30d", "now").timezone("browser")
         .readonly()
         .description("Hari ini dihitung per kantor menurut zona waktunya sendiri (WIB, WITA, "
                      "WIT). 'Belum masuk': belum ada catatan selama jam hitung masih berjalan; "
                      "'Tidak hadir (TK)': hari yang jam hitungnya sudah lewat tanpa catatan."))
    d = variables(d)
    d.with_panel(
        stat.Panel().title("Hari ini").datasource(DATASOURCE).height(5).span(24)
        .with_target(Sql(f"""
SELECT coalesce(sum(expected), 0) AS "Wajib hadir",
       coalesce(sum(present), 0) AS "Hadir",
       coalesce(sum(late), 0) AS "Terlambat",
       coalesce(sum(on_leave), 0) AS "Cuti/izin/sakit/DL",
       coalesce(sum(not_yet_in), 0) AS "Belum masuk",
       coalesce(sum(absent), 0) AS "Tidak hadir (TK)"
  FROM attendance_today
 WHERE {OPD_FILTER}"""))
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(steps((None, "blue"))))
    d.with_panel(
        barchart.Panel().title("Kehadiran hari ini per unit").datasource(DATASOURCE)
        .height(10).span(14)
        .with_target(Sql(f"""
SELECT unit_name AS "Unit",
       sum(present - late) AS "Tepat waktu",
       sum(late) AS "Terlambat",
       sum(on_leave) AS "Cuti/izin/sakit/DL",
       sum(not_yet_in) AS "Belum masuk",
       sum(absent) AS "Tidak hadir (TK)"
  FROM attendance_today
 WHERE {OPD_FILTER}
 GROUP BY unit_name
 ORDER BY 1"""))
        .x_field("Unit").orientation(common.VizOrientation.HORIZONTAL)
        .stacking(common.StackingMode.NORMAL).show_value(common.VisibilityMode.NEVER))
    d.with_panel(
        table.Panel().title("Per OPD hari ini").datasource(DATASOURCE).height(10).span(10)
        .with_target(Sql(f"""
SELECT opd_name AS "OPD",
       sum(expected) AS "Wajib hadir",
       sum(present) AS "Hadir",
       round(100.0 * sum(present) / nullif(sum(expected), 0), 1) AS "% hadir",
       sum(late) AS "Terlambat",
       sum(on_leave) AS "Cuti/izin/sakit/DL",
       sum(not_yet_in) AS "Belum masuk",
       sum(absent) AS "TK"
  FROM attendance_today
 WHERE {OPD_FILTER}
 GROUP BY opd_name
 ORDER BY 1""")))
    d.with_panel(
        timeseries.Panel().title("Kehadiran harian").datasource(DATASOURCE).height(9).span(24)
        .with_target(Sql(f"""
SELECT day::timestamp AS time,
       sum(present) AS "Hadir",
       sum(late) AS "Terlambat",
       sum(on_leave) AS "Cuti/izin/sakit/DL",
       sum(absent) AS "Tidak hadir (TK)"
  FROM attendance_unit_daily
 WHERE {day_range()} AND NOT today AND {OPD_FILTER}
 GROUP BY day
 ORDER BY day""", "time_series"))
        .draw_style(common.GraphDrawStyle.BARS).fill_opacity(60)
        .stacking(cb.StackingConfig().mode(common.StackingMode.NONE)))
    return d


def disiplin() -> dashboard.Dashboard:
    """Disiplin bulanan: TL/PSW/TK trends per OPD, LKH completion, TPP deductions by reason."""
    d = (dashboard.Dashboard("Hadir — Disiplin bulanan").uid("hadir-disiplin")
         .tags(["hadir", "pimpinan"]).refresh("15m").time("now/M", "now").timezone("browser")
         .readonly()
         .description("TL, PSW dan TK dari jadwal kerja, kalender dan aturan TPP yang berlaku; "
                      "LKH: laporan disetujui atas hari efektif (hadir, TK, DL); potongan TPP "
                      "dari run TPP terakhir (final lebih dulu)."))
    d = variables(d)
    d.with_panel(
        timeseries.Panel().title("TL, PSW dan TK per hari").datasource(DATASOURCE)
        .height(9).span(24)
        .with_target(Sql(f"""
SELECT day::timestamp AS time,
       sum(late) AS "Terlambat (TL)",
       sum(left_early) AS "Pulang cepat (PSW)",
       sum(absent) AS "Tanpa keterangan (TK)"
  FROM attendance_unit_daily
 WHERE {day_range()} AND NOT today AND {OPD_FILTER}
 GROUP BY day
 ORDER BY day""", "time_series"))
        .draw_style(common.GraphDrawStyle.LINE).show_points(common.VisibilityMode.ALWAYS))
    d.with_panel(
        table.Panel().title("Disiplin per OPD").datasource(DATASOURCE).height(10).span(14)
        .with_target(Sql(f"""
SELECT u.opd_name AS "OPD",
       sum(a.expected) AS "Hari wajib",
       sum(a.present) AS "Hadir",
       round(100.0 * sum(a.present) / nullif(sum(a.expected), 0), 1) AS "% hadir",
       sum(a.late) AS "TL",
       sum(a.left_early) AS "PSW",
       sum(a.absent) AS "TK",
       sum(a.on_leave) AS "Cuti/izin/sakit/DL"
  FROM attendance_unit_daily a
  JOIN board_units u ON u.unit_id = a.unit_id
 WHERE {day_range('a.day')} AND NOT a.today AND a.opd_id IN ($opd) AND a.unit_id IN ($unit)
 GROUP BY u.opd_name
 ORDER BY 1""")))
    d.with_panel(
        bargauge.Panel().title("Kelengkapan LKH per OPD").datasource(DATASOURCE)
        .height(10).span(10)
        .with_target(Sql(f"""
SELECT u.opd_name AS "OPD",
       round(100.0 * sum(a.lkh_approved) / nullif(sum(a.lkh_expected), 0), 1) AS "LKH disetujui (%)"
  FROM attendance_unit_daily a
  JOIN board_units u ON u.unit_id = a.unit_id
 WHERE {day_range('a.day')} AND a.opd_id IN ($opd) AND a.unit_id IN ($unit)
 GROUP BY u.opd_name
 ORDER BY 1"""))
        .unit("percent").min(0).max(100)
        .reduce_options(cb.ReduceDataOptions().values(True).calcs([]))
        .thresholds(steps((None, "red"), (80, "yellow"), (95, "green")))
        .orientation(common.VizOrientation.HORIZONTAL))
    d.with_panel(
        table.Panel().title("Potongan TPP menurut alasan").datasource(DATASOURCE)
        .height(9).span(24)
        .with_target(Sql(f"""
SELECT reason AS "Alasan",
       sum(items) AS "Jumlah potongan",
       sum(persons) AS "Pegawai",
       sum(rupiah) AS "Rupiah"
  FROM tpp_deductions_monthly
 WHERE month >= date_trunc('month', {START})::date AND month < {END}
   AND opd_id IN ($opd)
 GROUP BY reason
 ORDER BY 4 DESC, 1""")).unit("currencyIDR"))
    return d
