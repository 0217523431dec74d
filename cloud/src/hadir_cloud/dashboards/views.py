"""The leaders' board in the portal (pimpinan, BKPSDM): the regency by OPD, an OPD by unit, a
unit by person (each person's month opens in the recap); and the import of performance
ratings. Figures come from the boards' views, the same the Grafana boards read."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db, regency_zone
from ..portal.rbac import decide
from ..settings import CloudSettings
from ..tpp.field_errors import N_
from . import domain, store
from .files import read_rows
from .quadrants import LEVELS, QuadrantRule, QuadrantRuleError, load_rule

bp = Blueprint("dashboards", __name__, url_prefix="/dasbor")
MAX_UPLOAD = 5 * 1024 * 1024
#: the counts of "now" and their text, in the order of the stacked bars
NOW_PARTS = (("on_time", N_("Tepat waktu"), "#137333"), ("late", N_("Terlambat"), "#e8a317"),
             ("on_leave", N_("Cuti/izin/sakit/DL"), "#1a73e8"),
             ("not_yet_in", N_("Belum masuk"), "#9aa0a6"),
             ("absent", N_("Tanpa keterangan"), "#c5221f"))


def _rule() -> QuadrantRule:
    rule: QuadrantRule | None = current_app.extensions.get("hadir_quadrant_rule")
    if rule is None:
        try:
            rule = load_rule(CloudSettings().quadrant_rules_file)
        except QuadrantRuleError as err:
            current_app.logger.error("quadrant rule: %s", err)
            abort(500)
        current_app.extensions["hadir_quadrant_rule"] = rule
    return rule


def _month() -> tuple[str, date, date]:
    now = store.local_today(db(), regency_zone().key)
    text = request.args.get("bulan") or now.strftime("%Y-%m")
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        abort(400, _("Bulan tidak valid: %(month)s (format YYYY-MM).", month=text))
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return text, first, last


def _shift(month: date, delta: int) -> str:
    m = month.month - 1 + delta
    return f"{month.year + m // 12:04d}-{m % 12 + 1:02d}"


def _now_chart(rows: list[store.Row]) -> dict[str, Any]:
    series = []
    for key, label, colour in NOW_PARTS:
        if key == "on_time":
            values = [r.counts["present"] - r.counts["late"] for r in rows]
        else:
            values = [r.counts[key] for r in rows]
        series.append({"label": _(label), "values": values, "color": colour})
    return {"kind": "stacked", "labels": [r.name for r in rows], "series": series,
            "title": _("Kehadiran hari ini")}


def _trend_chart(trend: list[tuple[date, int, int, int]]) -> dict[str, Any]:
    x = [int(datetime(d.year, d.month, d.day).timestamp()) for d, *_r in trend]
    return {"kind": "lines", "x": x, "title": _("TL, PSW dan TK per hari"), "series": [
        {"label": _("Terlambat (TL)"), "values": [r[1] for r in trend], "color": "#e8a317"},
        {"label": _("Pulang cepat (PSW)"), "values": [r[2] for r in trend], "color": "#8430ce"},
        {"label": _("Tanpa keterangan (TK)"), "values": [r[3] for r in trend], "color": "#c5221f"}]}


def _lkh_chart(rows: list[store.Row]) -> dict[str, Any]:
    return {"kind": "bars", "labels": [r.name for r in rows], "max": 100,
            "title": _("LKH disetujui (%)"),
            "series": [{"label": _("LKH disetujui (%)"), "color": "#1a73e8",
                        "values": [r.pct("lkh_approved", "lkh_expected") or 0 for r in rows]}]}


def _quadrants(period: str | None, opd: str | None, group: str) -> dict[str, Any]:
    """The rule's matrix and quadrants for a period: counts overall and per group."""
    rule = _rule()
    rated = store.ratings(db(), period, opd) if period else []
    triples = [(r[0], r[1], r[2]) for r in rated]
    placed = domain.place(triples, rule)
    group_of = {r[0]: (r[4] if group == "opd" else r[3]) for r in rated}
    return {"rule": rule, "period": period, "periods": store.periods(db()), "rated": len(rated),
            "matrix": domain.matrix_counts(triples),
            "per_group": domain.quadrant_counts(placed, group_of, rule),
            "total": domain.quadrant_counts(placed, {}, rule).get("", {}),
            "levels": LEVELS}


def _can_import() -> bool:
    who = getattr(current_user, "principal", None)
    return who is not None and decide("dashboards.ratings", who) == 200


def _board(opd: tuple[str, str] | None) -> str:
    month, first, last = _month()
    today = store.local_today(db(), regency_zone().key).date()
    days = domain.month_days(first, last, today)
    opd_id = opd[0] if opd else None
    now_rows = store.presence_now(db(), opd_id)
    month_rows = store.month_discipline(db(), *days, opd_id) if days else []
    trend = store.daily_trend(db(), *days, opd_id) if days else []
    periods = store.periods(db())
    period = request.args.get("periode") or (periods[0][0] if periods else None)
    group = "unit" if opd else "opd"
    total = {k: sum(r.counts[k] for r in now_rows) for k in store.NOW_COUNTS}
    names = {r.key: r.name for r in now_rows + month_rows}
    return render_template(
        "dashboards/board.html", opd=opd, month=month, first=first, days=days, today=today,
        total=total, name_of=names, can_import=_can_import(),
        prev=_shift(first, -1), next=_shift(first, 1), now_rows=now_rows, month_rows=month_rows,
        charts={"now": _now_chart(now_rows), "trend": _trend_chart(trend),
                "lkh": _lkh_chart(month_rows)},
        q=_quadrants(period, opd_id, group), group=group, status_text=domain.STATUS_TEXT)


@bp.get("/", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The regency by OPD: presence now, the month's discipline, LKH, the quadrants."""
    return _board(None)


@bp.get("/opd/<opd_id>", endpoint="opd")
def opd(opd_id: str):  # type: ignore[no-untyped-def]
    """One OPD by unit."""
    found = store.opd_of(db(), opd_id)
    if found is None:
        abort(404)
    return _board(found)


@bp.get("/unit/<unit_id>", endpoint="unit")
def unit(unit_id: str):  # type: ignore[no-untyped-def]
    """One unit by person: today's status, the month's TL/PSW/TK and LKH, the predicate."""
    found = store.unit_of(db(), unit_id)
    if found is None:
        abort(404)
    month, first, last = _month()
    today = store.local_today(db(), regency_zone().key).date()
    days = domain.month_days(first, last, today)
    people = store.people(db(), unit_id, days)
    periods = store.periods(db())
    period = request.args.get("periode") or (periods[0][0] if periods else None)
    rule = _rule()
    rated = store.ratings(db(), period, unit=unit_id) if period else []
    placed = {p.nip: p for p in domain.place([(r[0], r[1], r[2]) for r in rated], rule)}
    trend = store.daily_trend(db(), *days, unit=unit_id) if days else []
    return render_template(
        "dashboards/unit.html", unit=found, can_import=_can_import(), month=month, first=first, days=days,
        prev=_shift(first, -1), next=_shift(first, 1), people=people, placed=placed, rule=rule,
        period=period, periods=periods, status_text=domain.STATUS_TEXT,
        charts={"trend": _trend_chart(trend)})


@bp.route("/penilaian", methods=["GET", "POST"], endpoint="ratings")
def ratings():  # type: ignore[no-untyped-def]
    """Import a period's performance ratings from XLSX/CSV (all rows or none); the periods so
    far."""
    errors: dict[str, str] = {}
    problems: list[domain.RowProblem] = []
    if request.method == "POST":
        berkas = request.files.get("berkas")
        data = berkas.read(MAX_UPLOAD + 1) if berkas is not None and berkas.filename else None
        name = Path(berkas.filename or "").name if berkas is not None else ""
        if data is None:
            errors["berkas"] = _("Pilih berkas penilaian (.xlsx atau .csv).")
        elif len(data) > MAX_UPLOAD:
            errors["berkas"] = _("Berkas terlalu besar (maksimal 5 MB).")
        else:
            try:
                rows, problems = domain.parse_ratings(read_rows(data, name),
                                                      store.known_nips(db()))
            except domain.SheetError as err:
                errors["berkas"] = _("Berkas tidak dapat dibaca: %(err)s", err=str(err))
            else:
                if not problems and not rows:
                    errors["berkas"] = _("Berkas tidak berisi penilaian.")
                elif not problems:
                    n = store.save_ratings(db(), rows, f"impor:{name}", current_user.username)
                    flash(_("%(num)d penilaian dari %(file)s tersimpan.", num=n, file=name), "ok")
                    return redirect(url_for("dashboards.ratings"))
    return render_template("dashboards/ratings.html", errors=errors, problems=problems,
                           periods=store.periods(db()), rule=_rule()), \
        400 if errors or problems else 200
