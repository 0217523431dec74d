"""Attendance pages: `/bulan-saya` (one's own month) and `/rekap` (a team's, unit's or OPD's).

The recap reads the same statuses as the TPP engine (`tpp.store`), scoped by unit: a
regency-wide role picks any unit, an OPD admin its subtree, an atasan the units it heads.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_login import current_user

from ..portal import db, regency_zone
from ..portal.rbac import Role
from ..punches.store import fingerprint_events
from ..review.store import days_waiting
from ..tpp import store as tpp_store
from ..tpp.calendar import CalendarError, month_bounds
from ..users import unit_subtree
from . import store
from .cache import RecapCache
from .domain import (
    DAY_COLUMNS,
    MONTH_COLUMNS,
    cells,
    day_counts,
    month_title,
    month_totals,
    rupiah,
    tally,
    weeks,
)

bp = Blueprint("attendance", __name__)
#: who sees the TPP estimate on a person's month (an atasan sees the days, not the money)
_TPP_READERS = frozenset({Role.ADMIN_OPD, Role.ADMIN_BKPSDM, Role.PIMPINAN, Role.ADMIN})
#: the recap's columns as people read them (keys: domain.DAY_COLUMNS, domain.MONTH_COLUMNS)
DAY_TEXT = {"hadir": _l("Hadir"), "terlambat": _l("Terlambat"), "belum": _l("Belum masuk"),
            "tk": _l("Tanpa keterangan"), "izin": _l("Izin, sakit, cuti, dinas luar"),
            "libur": _l("Libur / tidak aktif")}
MONTH_TEXT = {"hari_kerja": _l("Hari kerja"), "H": _l("Hadir"), "TL": _l("TL"),
              "PSW": _l("PSW"), "TK": _l("TK"), "IZIN": _l("Izin"), "SAKIT": _l("Sakit"),
              "CUTI": _l("Cuti"), "DL": _l("DL")}


@bp.route("/bulan-saya", endpoint="my_month")
def my_month():  # type: ignore[no-untyped-def]
    """The signed-in employee's month (`?bulan=YYYY-MM`, default this month)."""
    nip = current_user.principal.nip
    if nip is None:
        return render_template("attendance/my_month.html", nip=None, heading=_("Bulan saya"))
    return _month_page(nip, _("Bulan saya"), show_tpp=True)


@bp.route("/rekap/pegawai/<nip>", endpoint="person")
def person(nip: str):  # type: ignore[no-untyped-def]
    """A person's month from the recap (`?bulan=YYYY-MM`); 403 outside the viewer's scope."""
    unit = store.unit_of(db(), nip)
    if unit is None:
        abort(404)
    scope = _scope()
    if scope is not None and unit not in scope:
        abort(403)
    show_tpp = bool(current_user.principal.roles & _TPP_READERS)
    return _month_page(nip, _("Presensi pegawai"), show_tpp=show_tpp, back=True)


@bp.route("/cari", endpoint="search")
def search():  # type: ignore[no-untyped-def]
    """Find a person by name or NIP within the viewer's scope; each opens their month."""
    query = (request.args.get("q") or "").strip()[:100]
    found: list[tuple[str, str, str, str]] = []
    if len(query) >= 2:
        found = store.find_people(db(), query, _scope())
    return render_template("attendance/search.html", query=query, found=found[:store.SEARCH_LIMIT],
                           more=len(found) > store.SEARCH_LIMIT, limit=store.SEARCH_LIMIT)


def _month_page(nip: str, heading: str, show_tpp: bool, back: bool = False) -> str:
    emp_row = db().execute("SELECT e.name, o.tz FROM employees e JOIN offices o ON "
                           "o.id = e.office_id WHERE e.nip = %s", (nip,)).fetchone()
    tz = ZoneInfo(emp_row[1]) if emp_row else regency_zone()
    today = datetime.now(tz).date()
    month = request.args.get("bulan") or today.strftime("%Y-%m")
    try:
        first, _last = month_bounds(month)
    except CalendarError:
        first, _last = month_bounds(today.strftime("%Y-%m"))
        month = today.strftime("%Y-%m")
    problem = None
    result = None
    try:
        result = tpp_store.live_tpp(db(), month, nip)
    except (LookupError, ValueError, tpp_store.StoreError) as err:
        problem = str(err) or type(err).__name__
    by_day = cells(list(result.statuses), today) if result else {}
    fingerprint = fingerprint_events(db(), nip, first, _last) if result else frozenset()
    # NIP check-ins still waiting for review do not count yet: say so on those days
    waiting = days_waiting(db(), nip, first, _last, str(tz)) if result else frozenset()
    return render_template(
        "attendance/my_month.html", nip=nip, name=emp_row[0] if emp_row else nip,
        heading=heading, back=back, show_tpp=show_tpp, month=month,
        title=month_title(first), weeks=weeks(first, by_day), tally=tally(by_day),
        result=result, problem=problem, rupiah=rupiah, fingerprint=fingerprint, waiting=waiting,
        prev=_shift(first, -1), next=_shift(first, 1))


def _shift(first: date, months: int) -> str:
    """'YYYY-MM' of the month `months` before or after the one starting on `first`."""
    n = first.year * 12 + first.month - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


# ---------------------------------------------------------------- the recap


def _scope() -> frozenset[str] | None:
    """The units whose people this session may see (None: every unit of the regency)."""
    who = current_user.principal
    if who.regency_wide:
        return None
    return unit_subtree(db(), who.units)


def _cache() -> RecapCache:
    """This app's recap cache (one per portal process; see `attendance.cache`)."""
    return current_app.extensions.setdefault("hadir_recap_cache", RecapCache())  # type: ignore[no-any-return]


def _groups(picker: list[store.Unit], rows: list[dict[str, Any]],
            count: Callable[[list[dict[str, Any]]], dict[str, int]]) -> list[dict[str, Any]]:
    """The regency's overview: one line per OPD (the units below the root), its people's
    counts summed; a unit outside every OPD counts under the root."""
    roots = [u for u in picker if u.depth == 0]
    top_depth = 1 if len(roots) == 1 else 0
    top_of: dict[str, store.Unit] = {}
    current: store.Unit | None = None
    for u in picker:
        if u.depth <= top_depth:
            current = u
        top_of[u.id] = current or u
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        top = top_of.get(r["emp"].unit_id)
        groups.setdefault(top.id if top else r["emp"].unit_id, []).append(r)
    order = [u for u in picker if u.id in groups]
    return [{"unit": u, "people": len(groups[u.id]), "counts": count(groups[u.id]),
             "problems": sum(1 for r in groups[u.id] if r["problem"])} for u in order]


def _recap() -> dict[str, Any]:
    """What `/rekap` and `/rekap.xlsx` show, from the query string."""
    who = current_user.principal
    scope = _scope()
    picker = store.units_tree(db(), None if scope is None else who.units)
    now = datetime.now(regency_zone())
    unit = request.args.get("unit") or ""
    if unit:
        if scope is not None and unit not in scope:
            abort(403)
        units = store.subtree(db(), unit)
        label = next((u.name for u in picker if u.id == unit), None)
        if label is None:
            abort(404)
    else:
        units = frozenset(u.id for u in picker)
        label = _("Semua unit") if scope is None else ", ".join(
            u.name for u in picker if u.depth == 0) or _("Tidak ada unit")
    month = request.args.get("bulan")
    # resolved once: a lazy string is translated again each time a row shows it
    ctx: dict[str, Any] = {"picker": picker, "unit": unit, "unit_label": label,
                           "day_columns": DAY_COLUMNS,
                           "day_text": {k: str(v) for k, v in DAY_TEXT.items()},
                           "month_columns": MONTH_COLUMNS,
                           "month_text": {k: str(v) for k, v in MONTH_TEXT.items()},
                           "unit_names": {u.id: u.name for u in picker},
                           # the regency as a whole: one line per OPD, each opens its people
                           "overview": scope is None and not unit}
    if month:
        try:
            first, last = month_bounds(month)
        except CalendarError:
            abort(400, _("Bulan harus berbentuk TTTT-BB, misalnya 2026-10."))
        def month_view(judged: list[store.MonthRow]) -> dict[str, Any]:
            rows = [{"emp": m.employee, "counts": m.counts, "problem": m.problem}
                    for m in judged]

            def count(part: list[dict[str, Any]]) -> dict[str, int]:
                return month_totals([r["counts"] for r in part if r["counts"]])

            return {"rows": rows, "totals": count(rows),
                    "groups": _groups(picker, rows, count) if ctx["overview"] else None}

        ctx.update(mode="bulan", month=month, period=month_title(first),
                   prev=_shift(first, -1), next=_shift(first, 1), day=now.date(),
                   **_viewed(store.recap_month(db(), units, first, last, now, _cache()),
                             month_view, ctx["overview"]))
        return ctx
    raw = request.args.get("tanggal")
    try:
        day = date.fromisoformat(raw) if raw else now.date()
    except ValueError:
        abort(400, _("Tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-10-06."))

    def day_view(judged: list[store.DayRow]) -> dict[str, Any]:
        rows = [{"emp": p.employee, "status": p.status, "column": p.column,
                 "codes": [] if p.status is None or p.column == "belum" else p.status.codes,
                 "problem": p.problem} for p in judged]

        def count_day(part: list[dict[str, Any]]) -> dict[str, int]:
            return day_counts([r["column"] for r in part if r["column"]])

        return {"rows": rows, "counts": count_day(rows),
                "groups": _groups(picker, rows, count_day) if ctx["overview"] else None}

    ctx.update(mode="hari", day=day, month=day.strftime("%Y-%m"),
               period=f"{day.day} {month_title(day)}",
               **_viewed(store.recap_day(db(), units, day, now, _cache()), day_view,
                         ctx["overview"]))
    return ctx


def _viewed(judged: list[Any], view: Callable[[list[Any]], dict[str, Any]],
            overview: bool) -> dict[str, Any]:
    """`view(judged)`, kept while the recap cache hands back the very same verdicts (a
    regency's page: 10,000 rows, their counts and the OPD lines, built once, not per request).
    The rows are read only, by the page, the spreadsheet and the PDF."""
    kept: dict[tuple[int, bool], tuple[list[Any], dict[str, Any]]] = \
        current_app.extensions.setdefault("hadir_recap_views", {})
    key = (id(judged), overview)
    hit = kept.get(key)
    if hit is not None and hit[0] is judged:
        return hit[1]
    out = view(judged)
    if len(judged) >= 1000:  # small pages are cheaper built than kept
        while len(kept) >= 16:
            kept.pop(next(iter(kept)))
        kept[key] = (judged, out)
    return out


@bp.route("/rekap", endpoint="team")
def team():  # type: ignore[no-untyped-def]
    """The recap by unit and day (`?tanggal=`, default today) or month (`?bulan=YYYY-MM`)."""
    return render_template("attendance/recap.html", **_recap())


@bp.route("/rekap.xlsx", endpoint="team_xlsx")
def team_xlsx():  # type: ignore[no-untyped-def]
    """The recap on screen as a spreadsheet: one sheet, unit and period in the header rows."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    r = _recap()
    names = r["unit_names"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Rekap"
    ws.append([_("Rekap kehadiran")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Unit"), r["unit_label"]])
    ws.append([_("Periode"), r["period"]])
    ws.append([])
    if r["mode"] == "hari":
        ws.append([_("Nama"), _("NIP"), _("Unit"), _("Keadaan"), _("Kode"),
                   pgettext("jenis check-in", "Masuk"), pgettext("jenis check-in", "Pulang")])
        for row in r["rows"]:
            s = row["status"]
            ws.append([row["emp"].name, row["emp"].nip,
                       names.get(row["emp"].unit_id, row["emp"].unit_id),
                       str(DAY_TEXT[row["column"]]) if row["column"] else row["problem"],
                       " ".join(row["codes"]),
                       s.checkin_at.strftime("%H:%M") if s and s.checkin_at else "",
                       s.checkout_at.strftime("%H:%M") if s and s.checkout_at else ""])
        ws.append([])
        for key in DAY_COLUMNS:
            ws.append([str(DAY_TEXT[key]), r["counts"][key]])
    else:
        ws.append([_("Nama"), _("NIP"), _("Unit"), *(str(MONTH_TEXT[k]) for k in MONTH_COLUMNS)])
        for row in r["rows"]:
            values = ([row["counts"][k] for k in MONTH_COLUMNS] if row["counts"]
                      else [row["problem"]])
            ws.append([row["emp"].name, row["emp"].nip,
                       names.get(row["emp"].unit_id, row["emp"].unit_id), *values])
        ws.append([_("Jumlah"), "", "", *(r["totals"][k] for k in MONTH_COLUMNS)])
    for cell in ws[5]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 22
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    stem = f"rekap-{r['unit'] or 'semua'}-{r['month'] if r['mode'] == 'bulan' else r['day']}"
    return send_file(buf, as_attachment=True, download_name=f"{stem}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/rekap.pdf", endpoint="team_pdf")
def team_pdf():  # type: ignore[no-untyped-def]
    """The recap on screen as an A4 PDF under the OPD's letterhead, with a signature block."""
    from flask import flash, redirect, url_for
    from flask_babel import format_number

    from ..org.store import document_head
    from .pdf import MAX_ROWS, render_recap

    r = _recap()
    if len(r["rows"]) > MAX_ROWS:  # ~12 ms a row: a regency's month belongs to a job
        flash(_("PDF dibuat untuk rekap sampai %(max)s pegawai; rekap ini memuat %(num)s. Pilih "
                "unit yang lebih kecil, atau unduh Excel.", max=format_number(MAX_ROWS),
                num=format_number(len(r["rows"]))), "error")
        return redirect(url_for("attendance.team", **request.args))
    printed = datetime.now(regency_zone())
    units = [r["unit"]] if r["unit"] else [u.id for u in r["picker"] if u.depth == 0]
    kop, signer = document_head(db(), units, printed.date())
    body = render_recap(r, kop, signer, printed)
    stem = f"rekap-{r['unit'] or 'semua'}-{r['month'] if r['mode'] == 'bulan' else r['day']}"
    return send_file(io.BytesIO(body), as_attachment=True, download_name=f"{stem}.pdf",
                     mimetype="application/pdf")
