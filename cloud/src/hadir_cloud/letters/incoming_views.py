"""Incoming letter pages: `/surat/masuk/baru` (TU registers a scan), `/surat/masuk/<id>`
(the letter, its dispositions, and the recipient's moves: dispose further, act, or make it
today's LKH activity), the scan and the lembar disposisi PDF."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..lkh.domain import LkhError
from ..org.store import document_head
from ..portal import db
from . import archive, incoming, store
from . import disposition as dp
from .domain import ACCESS_TEXT, URGENCY_TEXT, Access, LetterError, Urgency
from .pdf import render_disposition_sheet
from .views import my_nip, now, rules, viewer

bp = Blueprint("letters_in", __name__)


def _units() -> list[tuple[str, str]]:
    """The units TU may register for: its granted units and below (every unit for admin)."""
    who = current_user.principal
    rows = db().execute("SELECT id, name FROM units ORDER BY name").fetchall()
    if who.regency_wide or not who.units:
        return [(r[0], r[1]) for r in rows]
    from ..users import unit_subtree

    allowed = unit_subtree(db(), who.units)
    return [(r[0], r[1]) for r in rows if r[0] in allowed]


def _date(name: str, errors: dict[str, list[str]], required: bool = False) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        if required:
            errors.setdefault(name, []).append(_("Tanggal wajib diisi."))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(_("Tanggal harus berbentuk TTTT-BB-HH."))
        return None


@bp.route("/surat/masuk/baru", endpoint="new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    """Register a received letter: agenda number, sender, dates, subject, classification,
    urgency, deadline and the scan (PDF or image)."""
    units = _units()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        f = request.form
        unit = f.get("unit", "")
        if unit not in {u for u, _n in units}:
            errors.setdefault("unit", []).append(_("Pilih unit tujuan."))
        letter_date = _date("tanggal_surat", errors)
        deadline = _date("batas", errors)
        upload = request.files.get("pindaian")
        data = upload.read() if upload and upload.filename else None
        if data is None:
            errors.setdefault("pindaian", []).append(_("Unggah pindaian surat (PDF, PNG atau "
                                                        "JPEG)."))
        elif incoming.scan_mime(data) is None:
            errors.setdefault("pindaian", []).append(_("Pindaian harus PDF, PNG atau JPEG."))
        if not errors:
            try:
                x = incoming.register(
                    db(), rules(), current_user.username, unit, now().date(),
                    sender=f.get("pengirim", ""), letter_number=f.get("nomor_surat", ""),
                    letter_date=letter_date, subject=f.get("perihal", ""),
                    classification=f.get("klasifikasi", ""),
                    urgency=Urgency(f.get("sifat", "biasa")),
                    access=Access(f.get("akses", "biasa")), deadline=deadline,
                    summary=f.get("ringkasan", ""), scan=data,
                    scan_name=upload.filename if upload else None)
            except (LetterError, ValueError) as err:
                errors.setdefault("umum", []).append(str(err))
            else:
                flash(_("Surat masuk teregistrasi dengan agenda %(a)s dan diteruskan ke "
                        "pimpinan unit.", a=x.agenda), "ok")
                return redirect(url_for("letters_in.show", letter_id=x.id))
    return render_template("letters/incoming_new.html", units=units, errors=errors,
                           form=request.form, rules=rules()), 400 if errors else 200


def _load(letter_id: int) -> incoming.Incoming:
    try:
        x = incoming.load(db(), letter_id)
    except LookupError:
        abort(404)
    if not archive.can_see(db(), viewer(), letter_id):
        abort(403)
    return x


@bp.get("/surat/masuk/<int:letter_id>", endpoint="show")
def show(letter_id: int):  # type: ignore[no-untyped-def]
    """The letter, its dispositions as a tree, and the viewer's own waiting disposition."""
    x = _load(letter_id)
    nip = my_nip()
    if nip:
        incoming.mark_read(db(), letter_id, nip)
    c = store.chart(db())
    rows = incoming.dispositions(db(), letter_id)
    extra = {d.id: e for d, e in rows}
    mine = next((d for d, _e in rows if d.to_nip == nip and d.state is dp.DispState.BARU), None)
    choices = incoming.candidates(db(), nip, now().date(), c) if mine and nip else []
    return render_template("letters/incoming_show.html", x=x, c=c,
                           tree=dp.tree(d for d, _e in rows), extra=extra, mine=mine,
                           choices=choices, disp_text=dp.DISP_TEXT, access_text=ACCESS_TEXT,
                           urgency_text=URGENCY_TEXT, rules=rules())


def _back(letter_id: int) -> Any:
    return redirect(url_for("letters_in.show", letter_id=letter_id))


def _letter_of(disposition_id: int) -> int:
    row = db().execute("SELECT letter_id FROM dispositions WHERE id = %s",
                       (disposition_id,)).fetchone()
    if row is None:
        abort(404)
    return int(row[0])


@bp.post("/surat/masuk/disposisi/<int:disposition_id>", endpoint="dispose")
def dispose(disposition_id: int):  # type: ignore[no-untyped-def]
    """Pass a disposition on to people below, with an instruction and a deadline."""
    letter_id = _letter_of(disposition_id)
    nip = my_nip()
    if nip is None:
        abort(403)
    errors: dict[str, list[str]] = {}
    deadline = _date("batas", errors)
    if errors:
        flash(errors["batas"][0], "error")
        return _back(letter_id)
    try:
        ids = incoming.dispose(db(), disposition_id, nip, request.form.getlist("kepada"),
                               request.form.get("instruksi", ""), deadline, now().date())
    except LetterError as err:
        flash(str(err), "error")
    else:
        flash(_("Disposisi diteruskan ke %(n)d orang.", n=len(ids)), "ok")
    return _back(letter_id)


@bp.post("/surat/masuk/disposisi/<int:disposition_id>/selesai", endpoint="finish")
def finish(disposition_id: int):  # type: ignore[no-untyped-def]
    """The recipient acted on the disposition."""
    letter_id = _letter_of(disposition_id)
    try:
        incoming.finish(db(), disposition_id, my_nip() or "", request.form.get("catatan", ""))
    except LetterError as err:
        flash(str(err), "error")
    else:
        flash(_("Disposisi ditandai selesai."), "ok")
    return _back(letter_id)


@bp.post("/surat/masuk/disposisi/<int:disposition_id>/lkh", endpoint="to_lkh")
def to_lkh(disposition_id: int):  # type: ignore[no-untyped-def]
    """One action: the disposition becomes today's LKH activity, the letter linked."""
    letter_id = _letter_of(disposition_id)
    today = now().date()
    link = url_for("letters_in.show", letter_id=letter_id, _external=True)
    try:
        incoming.to_lkh(db(), disposition_id, my_nip() or "", current_user.username, today,
                        link)
    except (LetterError, LkhError) as err:
        flash(str(err), "error")
        return redirect(request.referrer or url_for("lkh.index"))
    flash(_("Disposisi dicatat sebagai kegiatan LKH hari ini (draf)."), "ok")
    return redirect(url_for("lkh.day", day=today.isoformat()))


@bp.get("/surat/masuk/<int:letter_id>/pindaian", endpoint="scan")
def scan(letter_id: int):  # type: ignore[no-untyped-def]
    """The registered scan."""
    _load(letter_id)
    found = incoming.scan(db(), letter_id)
    if found is None:
        abort(404)
    data, mime, name = found
    return Response(data, mimetype=mime, headers={
        "Content-Disposition": f'inline; filename="{name.replace(chr(34), "")}"'})


@bp.get("/surat/masuk/<int:letter_id>/lembar-disposisi.pdf", endpoint="sheet")
def sheet(letter_id: int):  # type: ignore[no-untyped-def]
    """The lembar disposisi as a PDF."""
    x = _load(letter_id)
    c = store.chart(db())
    kop, _sig = document_head(db(), [x.unit_id], now().date())
    pdf = render_disposition_sheet(
        kop, {"agenda": x.agenda, "received_on": x.received_on, "sender": x.sender,
              "letter_number": x.letter_number, "letter_date": x.letter_date,
              "subject": x.subject, "classification": x.classification,
              "urgency": URGENCY_TEXT.get(x.urgency, x.urgency), "deadline": x.deadline},
        incoming.sheet_rows(db(), letter_id, c), now().date())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="lembar-disposisi-{letter_id}.pdf"'})
