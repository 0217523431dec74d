"""`/bulan-saya`: an employee's month — daily statuses, the check-ins behind them, the TPP so far."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..portal import db
from ..tpp import store as tpp_store
from ..tpp.calendar import CalendarError, month_bounds
from .domain import cells, month_title, rupiah, tally, weeks

bp = Blueprint("attendance", __name__)


@bp.route("/bulan-saya", endpoint="my_month")
def my_month():  # type: ignore[no-untyped-def]
    """The signed-in employee's month (`?bulan=YYYY-MM`, default this month)."""
    nip = current_user.principal.nip
    if nip is None:
        return render_template("attendance/my_month.html", nip=None)
    emp_row = db().execute("SELECT e.name, o.tz FROM employees e JOIN offices o ON "
                           "o.id = e.office_id WHERE e.nip = %s", (nip,)).fetchone()
    tz = ZoneInfo(emp_row[1] if emp_row else "Asia/Jakarta")
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
    prev_m = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    next_m = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return render_template(
        "attendance/my_month.html", nip=nip, name=emp_row[0] if emp_row else nip,
        title=month_title(first), weeks=weeks(first, by_day), tally=tally(by_day),
        result=result, problem=problem, rupiah=rupiah,
        prev=prev_m.strftime("%Y-%m"), next=next_m.strftime("%Y-%m"))
