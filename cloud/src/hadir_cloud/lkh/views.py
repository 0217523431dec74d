"""LKH pages: `/lkh` (my days), `/lkh/<day>` (write and submit a day), `/lkh/tinjau` (the
atasan's queue: approve one by one or in bulk, or return with a note)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db
from . import store
from .domain import MAX_ACTIVITIES, STATE_TEXT, LkhError, parse_activities

bp = Blueprint("lkh", __name__)
DEFAULT_TZ = "Asia/Jakarta"
#: empty lines offered under the written ones
BLANK_ROWS = 3


def _today() -> date:
    return datetime.now(ZoneInfo(DEFAULT_TZ)).date()


def _my_nip() -> str:
    nip = current_user.principal.nip
    if nip is None:
        abort(403)
    return str(nip)


@bp.get("/lkh", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The signed-in employee's recent working days and their reports."""
    nip = current_user.principal.nip
    if nip is None:
        return render_template("lkh/index.html", days=None, waiting=0)
    today = _today()
    days = [(d, state, store.last_day(db(), nip, d)) for d, state in
            store.recent_days(db(), nip, today)]
    waiting = len(store.queue(db(), nip)) if "atasan" in current_user.principal.roles else 0
    from ..letters.incoming import tasks  # dispositions waiting: tasks to turn into work

    return render_template("lkh/index.html", days=days, today=today, state_text=STATE_TEXT,
                           waiting=waiting, tasks=tasks(db(), nip))


@bp.route("/lkh/<day>", endpoint="day", methods=["GET", "POST"])
def day_page(day: str):  # type: ignore[no-untyped-def]
    """Write a day's activities, save them as a draft or submit them to the atasan."""
    nip = _my_nip()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(400, _("Tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-10-06."))
    problems: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    if request.method == "POST":
        rows = [{k: request.form.get(f"{k}-{i}", "") for k in
                 ("kegiatan", "hasil", "jumlah", "satuan", "menit", "tautan")}
                for i in range(1, MAX_ACTIVITIES + 1)]
        activities, problems = parse_activities(rows)
        if not problems:
            submit = request.form.get("aksi") == "ajukan"
            try:
                store.save(db(), nip, when, activities, submit, current_user.username, _today())
            except LkhError as err:
                problems["umum"] = str(err)
            else:
                flash(_("LKH %(day)s diajukan ke atasan.", day=when.strftime("%d-%m-%Y"))
                      if submit else _("Draf LKH %(day)s tersimpan.",
                                       day=when.strftime("%d-%m-%Y")), "ok")
                return redirect(url_for("lkh.index"))
    rep = store.report(db(), nip, when)
    if not rows:
        rows = [{"kegiatan": a.activity, "hasil": a.output, "jumlah": f"{a.quantity.normalize():f}",
                 "satuan": a.unit, "menit": str(a.minutes), "tautan": a.link}
                for a in rep.activities]
    rows = [r for r in rows if any(r.values())]
    rows += [{}] * min(BLANK_ROWS, MAX_ACTIVITIES - len(rows))
    editable = rep.state in (None, "draf", "dikembalikan") and (
        rep.state == "dikembalikan" or _today() <= rep.last_day) and when <= _today()
    return render_template("lkh/day.html", rep=rep, rows=rows, problems=problems,
                           editable=editable, state_text=STATE_TEXT), 400 if problems else 200


@bp.get("/lkh/tinjau", endpoint="queue")
def queue():  # type: ignore[no-untyped-def]
    """Reports of the people this atasan supervises, waiting for a decision."""
    return render_template("lkh/queue.html", reports=store.queue(db(), _my_nip()))


@bp.post("/lkh/tinjau", endpoint="decide")
def decide():  # type: ignore[no-untyped-def]
    """Approve the ticked reports, or return them with one note."""
    nip = _my_nip()
    approve = request.form.get("aksi") == "setujui"
    note = request.form.get("catatan", "")
    picked = request.form.getlist("lkh")
    if not picked:
        flash(_("Pilih LKH yang akan diperiksa."), "error")
        return redirect(url_for("lkh.queue"))
    done, refused = 0, []
    for item in picked:
        owner, _sep, raw = item.partition("|")
        try:
            store.review(db(), current_user.username, nip, owner, date.fromisoformat(raw),
                         approve, note)
            done += 1
        except (LkhError, ValueError) as err:
            refused.append(f"{owner} {raw}: {err}")
    if done:
        flash(_("%(n)d LKH disetujui.", n=done) if approve
              else _("%(n)d LKH dikembalikan dengan catatan.", n=done), "ok")
    for text in refused:
        flash(text, "error")
    return redirect(url_for("lkh.queue"))
