"""`/tinjauan`: the queue of NIP check-ins waiting for review, the decided ones, a decision,
and the enrolled reference photo shown beside the moment's photo.

Who reviews: an atasan for the people of the units they head, a verifikator and an OPD admin
for the people of their granted unit's subtree, BKPSDM for the regency (`domain.may_review`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, pgettext
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db, regency_zone
from ..privacy import web as privacy_web
from ..privacy.domain import AuditAction
from ..users import unit_subtree
from . import store
from .domain import Decision, FaceMatch, ReviewError, face_match, may_review, regency_wide

bp = Blueprint("review", __name__, url_prefix="/tinjauan")


def _units() -> list[str] | None:
    """The units whose people this reviewer decides (None: every unit)."""
    who = current_user.principal
    return None if regency_wide(who) else sorted(unit_subtree(db(), who.units))


def _page() -> int:
    raw = request.args.get("halaman", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort(400, _("Nomor halaman tidak valid."))
    return int(raw)


def _face_text(distance: float | None, threshold: float | None) -> tuple[str, str]:
    """The face distance in words, and its CSS class."""
    match, limit = face_match(distance, threshold)
    lim = format_decimal(limit, format="0.00")
    if match is FaceMatch.UNKNOWN:
        return _("jarak wajah tidak tercatat (wajah tidak terbaca atau belum terdaftar di "
                 "kiosk) — bandingkan kedua foto dengan teliti"), "warn"
    dist = format_decimal(distance, format="0.00")
    if match is FaceMatch.ABOVE:
        return _("jarak wajah %(dist)s — di atas batas %(limit)s: kemungkinan bukan orang yang "
                 "sama", dist=dist, limit=lim), "bad"
    return _("jarak wajah %(dist)s — di bawah batas %(limit)s: kemungkinan orang yang sama, "
             "tetapi kiosk tidak yakin", dist=dist, limit=lim), "ok"


def _present(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Local time in the office's zone and the face distance in words, per item."""
    for r in rows:
        r["local_time"] = r["captured_at"].astimezone(ZoneInfo(r["tz"]))
        r["face_text"], r["face_class"] = _face_text(r["face_distance"], r["face_threshold"])
    return rows


def _texts() -> dict[str, str]:
    """Texts the item template repeats, translated once per page."""
    return {"in": pgettext("jenis check-in", "Masuk"),
            "out": pgettext("jenis check-in", "Pulang"),
            "accepted": pgettext("tinjauan", "Diterima"),
            "rejected": pgettext("tinjauan", "Ditolak"),
            "pending": pgettext("tinjauan", "Menunggu tinjauan")}


def _queue_page(errors: dict[UUID, str], status: int = 200) -> tuple[str, int]:
    page = _page()
    units, me = _units(), current_user.principal.nip
    rows = store.pending(db(), units, me, regency_zone().key, page)
    more = len(rows) > store.PAGE_SIZE
    total = store.count_pending(db(), units, me)
    return render_template("review/queue.html", rows=_present(rows[:store.PAGE_SIZE]),
                           total=total, page=page, more=more, t=_texts(), errors=errors,
                           notes=_notes(errors)), status


def _history_page(errors: dict[UUID, str], status: int = 200) -> tuple[str, int]:
    raw = request.args.get("keputusan") or None
    try:
        decision = Decision(raw) if raw else None
    except ValueError:
        abort(400, _("Saringan keputusan tidak dikenal."))
    page = _page()
    rows = store.decided(db(), _units(), current_user.principal.nip, regency_zone().key,
                         decision, page)
    more = len(rows) > store.PAGE_SIZE
    return render_template("review/history.html", rows=_present(rows[:store.PAGE_SIZE]),
                           decision=raw, page=page, more=more, t=_texts(), errors=errors,
                           notes=_notes(errors)), status


def _notes(errors: dict[UUID, str]) -> dict[UUID, str]:
    """What the reviewer typed, kept in the form that came back with an error."""
    if not errors:
        return {}
    return {eid: request.form.get("note", "") for eid in errors}


@bp.get("", endpoint="queue")
def queue():  # type: ignore[no-untyped-def]
    """The pending NIP check-ins in this reviewer's scope, oldest first, 50 a page."""
    return _queue_page({})


@bp.get("/riwayat", endpoint="history")
def history():  # type: ignore[no-untyped-def]
    """The decided NIP check-ins in scope, the latest decision first (`?keputusan=`)."""
    return _history_page({})


def _error_text(err: ReviewError) -> str:
    texts: dict[str, str] = {"reject_note": _("Tulis alasan penolakan."),
                             "change_note": _("Tulis alasan mengubah keputusan."),
                             "note_long": _("Alasan paling panjang 500 karakter.")}
    return str(texts.get(err.code, _("Keputusan ini tidak dapat dibuat.")))


@bp.post("/<uuid:event_id>", endpoint="decide")
def decide(event_id: UUID):  # type: ignore[no-untyped-def]
    """Accept or reject one NIP check-in (a reject needs a reason). htmx gets the item back;
    a plain form goes back to the page it came from (`?dari=riwayat`: the history)."""
    conn = db()
    who = current_user.principal
    target = store.target(conn, event_id)
    if target is None:
        abort(404)
    units = _units()
    if not may_review(who, target.employee_id, target.unit_id,
                      frozenset(units) if units is not None else frozenset()):
        abort(403)
    error, done = None, ""
    try:
        decision = Decision(request.form.get("decision", ""))
        move = store.record(conn, event_id, decision, request.form.get("note"), who.username)
    except ValueError as err:  # ReviewError, or no such decision
        error = _error_text(err) if isinstance(err, ReviewError) else \
            _("Pilih Terima atau Tolak.")
    except LookupError:
        abort(404)
    else:
        done = (_("Keputusan ini sudah tercatat sebelumnya; tidak ada yang berubah.")
                if move is None else
                _("Check-in diterima: dihitung sebagai kehadiran.")
                if decision is Decision.ACCEPTED else
                _("Check-in ditolak: hari itu tidak dihitung hadir dari check-in ini."))
    from_history = request.args.get("dari") == "riwayat"
    if request.headers.get("HX-Request") == "true":
        row = store.item(conn, event_id, regency_zone().key)
        assert row is not None  # the target exists
        # the queue's count follows (htmx swaps it out of band)
        total = None if from_history else store.count_pending(conn, units, who.nip)
        return render_template("review/_item.html", r=_present([row])[0], t=_texts(),
                               error=error, done=done, note=request.form.get("note", ""),
                               from_history=from_history, oob=total is not None, total=total)
    if error is not None:
        page = _history_page if from_history else _queue_page
        return page({event_id: error}, 400)
    flash(done, "info")
    return redirect(url_for("review.history") if from_history else url_for("review.queue"))


@bp.get("/foto-referensi/<nip>.jpg", endpoint="reference_photo")
def reference_photo(nip: str):  # type: ignore[no-untyped-def]
    """The person's enrolled reference photo, for reviewers whose scope holds the person."""
    known, unit = store.person_unit(db(), nip)
    units = _units()
    if known and not may_review(current_user.principal, nip, unit,
                                frozenset(units) if units is not None else frozenset()):
        abort(403)
    if not known and units is not None:
        abort(403)  # an unknown NIP's photo: regency-wide reviewers only
    photo = store.reference_photo(db(), nip)
    if photo is None:
        abort(404)
    privacy_web.record(AuditAction.PHOTO_VIEW, nip, {"foto": "referensi"})
    return Response(photo, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
