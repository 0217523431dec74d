"""LKH pages: `/lkh` (my days), `/lkh/<day>` (write and submit a day, with optional evidence
files), `/lkh/tinjau` (the atasan's queue: approve one by one or in bulk, or return with a
note), and a day's evidence file for its owner, their atasan and regency HR."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import attachments
from ..org.store import load_chart
from ..portal import db, regency_today
from ..portal import files as files_in
from ..portal.rbac import Role
from ..privacy import web as privacy_web
from ..privacy.domain import AuditAction
from . import store
from .domain import MAX_ACTIVITIES, STATE_TEXT, LkhError, parse_activities

bp = Blueprint("lkh", __name__)
#: attachments.owner_kind of an LKH day's files (owner_id '<nip>:<day>')
OWNER = "lkh"
#: empty lines offered under the written ones
BLANK_ROWS = 3


def _today() -> date:
    return regency_today()


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
        up = files_in.upload("lampiran")
        bad = attachments.problem(up) if up is not None else None
        if bad is not None:
            problems["lampiran"] = bad
        if not problems:
            submit = request.form.get("aksi") == "ajukan"
            try:
                with db().transaction():  # the report and its file, or neither
                    store.save(db(), nip, when, activities, submit, current_user.username,
                               _today())
                    if up is not None:
                        attachments.save(db(), OWNER, f"{nip}:{when.isoformat()}", "bukti", up,
                                         current_user.username)
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
                           editable=editable, state_text=STATE_TEXT,
                           files=attachments.of(db(), OWNER, f"{nip}:{when.isoformat()}")
                           ), 400 if problems else 200


@bp.get("/lkh/tinjau", endpoint="queue")
def queue():  # type: ignore[no-untyped-def]
    """Reports of the people this atasan supervises, waiting for a decision."""
    reports = store.queue(db(), _my_nip())
    files = {(r.nip, r.day): attachments.of(db(), OWNER, f"{r.nip}:{r.day.isoformat()}")
             for r in reports}
    return render_template("lkh/queue.html", reports=reports, files=files)


@bp.get("/lkh/<nip>/<day>/lampiran/<int:file_id>", endpoint="attachment")
def attachment(nip: str, day: str, file_id: int):  # type: ignore[no-untyped-def]
    """An LKH day's evidence file: for its owner, their atasan on that day and regency HR."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    who = current_user.principal
    if who.nip != nip and not who.roles & {Role.ADMIN_BKPSDM, Role.ADMIN}:
        unit = db().execute("SELECT unit_id FROM employees WHERE nip = %s", (nip,)).fetchone()
        if unit is None or who.nip is None or store.atasan_for(
                load_chart(db()), nip, unit[0], when) != who.nip:
            abort(403)
    found = attachments.load(db(), OWNER, f"{nip}:{when.isoformat()}", file_id)
    if found is None:
        abort(404)
    meta, data = found
    privacy_web.record(AuditAction.FILE_VIEW, nip, {"lkh": when.isoformat(), "berkas": file_id,
                                                    "nama": meta.filename})
    return files_in.download(meta.filename, meta.content_type, data)


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
