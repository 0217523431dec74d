"""XLSX export of a TPP run, one workbook per OPD, in Bahasa Indonesia (openpyxl)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

RUPIAH = '#,##0;[Red]-#,##0'
SUMMARY_HEADERS = ("NIP", "Nama", "Kelas jabatan", "Aturan", "TPP dasar", "Hari kerja",
                   "Hari aktif", "TPP proporsional", "Jumlah potongan", "TPP diterima",
                   "LKH disetujui", "Hari efektif", "LKH (%)", "TL", "PSW", "TK")
DETAIL_HEADERS = ("NIP", "Nama", "Tanggal", "Kode", "Aturan", "Bagian", "Persen (%)",
                  "Potongan (Rp)", "Keterangan")


def _bold(ws: Any) -> None:
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"


def write_unit_workbooks(rows: Sequence[Mapping[str, Any]], run: Any,
                         unit_names: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Write TPP-<unit>-<YYYY-MM>-v<version>.xlsx per unit; return the paths."""
    by_unit: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_unit.setdefault(r["unit_id"], []).append(r)
    paths = []
    for unit_id, unit_rows in sorted(by_unit.items()):
        wb = Workbook()
        ws = wb.active
        ws.title = "Rekap"
        ws.append(SUMMARY_HEADERS)
        for r in unit_rows:
            counts = r["status_counts"]
            tl = sum(v for k, v in counts.items() if k.startswith("TL"))
            psw = sum(v for k, v in counts.items() if k.startswith("PSW"))
            ws.append((r["nip"], r["name"], r["position_class"], r["ruleset"], int(r["base"]),
                       r["working_days"], r["active_days"], int(r["gross"]), int(r["total"]),
                       int(r["net"]), r["lkh_approved"], r["lkh_effective"],
                       float(r["lkh_pct"]) if r["lkh_pct"] is not None else None,
                       tl, psw, counts.get("TK", 0)))
        n = len(unit_rows) + 1
        ws.append(("JUMLAH", "", "", "", f"=SUM(E2:E{n})", "", "", f"=SUM(H2:H{n})",
                   f"=SUM(I2:I{n})", f"=SUM(J2:J{n})"))
        for col in "EHIJ":
            for cell in ws[col][1:]:
                cell.number_format = RUPIAH
        _bold(ws)
        det = wb.create_sheet("Rincian")
        det.append(DETAIL_HEADERS)
        for r in unit_rows:
            for it in r["items"]:
                det.append((r["nip"], r["name"], it["day"] or "bulanan", it["code"], it["rule"],
                            it["part"], float(Decimal(it["pct"])), int(Decimal(it["rupiah"])),
                            it["note"]))
        for cell in det["H"][1:]:
            cell.number_format = RUPIAH
        _bold(det)
        info = wb.create_sheet("Keterangan")
        for line in (("Unit/OPD", f"{unit_id} — {unit_names.get(unit_id, '')}"),
                     ("Bulan", f"{run.month:%Y-%m}"), ("Run", run.id), ("Versi", run.version),
                     ("Status", run.status), ("Dibuat oleh", run.created_by),
                     ("Alasan", run.reason)):
            info.append(line)
        path = out_dir / f"TPP-{unit_id}-{run.month:%Y-%m}-v{run.version}.xlsx"
        wb.save(path)
        paths.append(path)
    return paths
