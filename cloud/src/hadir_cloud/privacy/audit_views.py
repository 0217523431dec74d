"""`/audit`: the audit trail for auditors — who did what to whose data, when, from where;
filtered by person, actor, action and dates, newest first, 50 a page (keyset)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..portal import db, regency_zone
from . import audit
from .domain import AuditAction
from .views import no_store

bp = Blueprint("audit", __name__)

#: every action in words (a test holds that none is missing)
ACTION_TEXT = {
    AuditAction.PHOTO_VIEW: _l("melihat foto"),
    AuditAction.FILE_VIEW: _l("membuka berkas bukti"),
    AuditAction.EXPORT_REQUEST: _l("meminta ekspor data pribadi"),
    AuditAction.EXPORT_DOWNLOAD: _l("mengunduh ekspor data pribadi"),
    AuditAction.GALLERY_ENROLL: _l("mendaftarkan wajah"),
    AuditAction.GALLERY_REMOVE: _l("mengeluarkan wajah dari galeri"),
    AuditAction.ERASURE: _l("menghapus data biometrik"),
    AuditAction.ROLE_GRANT: _l("memberi peran"),
    AuditAction.ROLE_REVOKE: _l("mencabut peran"),
    AuditAction.RETENTION_CHANGE: _l("mengubah masa simpan"),
    AuditAction.RETENTION_RUN: _l("menjalankan retensi"),
    AuditAction.CONSENT_GIVEN: _l("mencatat persetujuan biometrik"),
    AuditAction.CONSENT_WITHDRAWN: _l("mencatat penarikan persetujuan"),
    AuditAction.KIOSK_KEY_SENT: _l("mengirim kunci galeri ke kiosk"),
    AuditAction.TEMPLATES_SEALED: _l("mengenkripsi ulang templat wajah"),
}


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, _("Tanggal harus berbentuk TTTT-BB-HH."))


def _cursor() -> tuple[datetime, int] | None:
    raw = request.args.get("sebelum", "")
    if not raw:
        return None
    at, _sep, eid = raw.partition("~")
    try:
        return datetime.fromisoformat(at), int(eid)
    except ValueError:
        abort(400, _("Tautan halaman berikutnya rusak; buka lagi dari halaman pertama."))


@bp.get("/audit", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The trail, filtered (`?subjek=`, `?pelaku=`, `?aksi=`, `?dari=`, `?sampai=`)."""
    action = request.args.get("aksi") or None
    if action is not None and action not in set(AuditAction):
        abort(400, _("Jenis aksi tidak dikenal."))
    since, until = _day("dari"), _day("sampai")
    filters = {"subjek": request.args.get("subjek", "").strip(),
               "pelaku": request.args.get("pelaku", "").strip(), "aksi": action or "",
               "dari": since.isoformat() if since else "",
               "sampai": until.isoformat() if until else ""}
    rows = audit.entries(
        db(), actor=filters["pelaku"] or None, action=action,
        subject=filters["subjek"] or None,
        since=datetime.combine(since, time(), regency_zone()) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), regency_zone()) if until else None,
        before=_cursor(), limit=audit.PAGE_SIZE + 1)
    more = len(rows) > audit.PAGE_SIZE
    rows = rows[:audit.PAGE_SIZE]
    nxt = f"{rows[-1].at.isoformat()}~{rows[-1].id}" if more else None
    return render_template("audit/index.html", rows=rows, filters=filters, actions=ACTION_TEXT,
                           args={k: v for k, v in filters.items() if v}, next_cursor=nxt,
                           first_page=request.args.get("sebelum") is None,
                           tz=regency_zone())


bp.after_request(no_store)
