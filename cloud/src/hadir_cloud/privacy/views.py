"""`/privasi`: the privacy notice (public), a person's consent, their data and its export.

The notice shows the retention periods from the database, so it says what the deployment
does. An employee sees what is held about them, downloads their own data as a ZIP (a job,
its progress polled by htmx), gives consent to biometric enrolment, or withdraws it (which
erases their biometric data at once). Erasure by HR and retention settings: erasure_views.py.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..jobs import progress
from ..portal import db, regency_zone
from ..portal.files import download
from . import erasure, store, web
from .domain import (
    DEFAULT_REGENCY,
    NOTICE_VERSION,
    AuditAction,
    Consent,
    ConsentMethod,
    RetentionKind,
    effective_days,
)

bp = Blueprint("privacy", __name__, url_prefix="/privasi")

#: each kind of retained data in words (pages); the domain's RETENTION_TEXT for the CLI
KIND_TEXT = {
    RetentionKind.SELFIES: _l("Foto swafoto check-in (juga foto check-in di karantina)"),
    RetentionKind.REJECTED: _l("Pesan kiosk yang ditolak (isi mentah, termasuk fotonya)"),
    RetentionKind.TELEMETRY: _l("Laporan kesehatan kiosk (telemetri)"),
    RetentionKind.AUDIT: _l("Log audit (siapa melihat, mengekspor, menghapus apa)"),
}
KIND_EFFECT = {
    RetentionKind.SELFIES: _l("fotonya dihapus; catatan presensinya tetap"),
    RetentionKind.REJECTED: _l("pesannya dihapus"),
    RetentionKind.TELEMETRY: _l("laporannya dihapus"),
    RetentionKind.AUDIT: _l("entrinya dihapus; sebelum itu tidak dapat diubah atau dihapus"),
}


def _nip() -> str | None:
    return current_user.principal.nip if current_user.is_authenticated else None


@bp.get("", endpoint="notice")
def notice():  # type: ignore[no-untyped-def]
    """The privacy notice in Bahasa Indonesia, with the retention this deployment applies."""
    conn = db()
    rows = store.policies(conn)
    regency = None
    nip = _nip()
    if nip:
        found = conn.execute("SELECT u.regency FROM employees e JOIN units u ON u.id = e.unit_id "
                             "WHERE e.nip = %s", (nip,)).fetchone()
        regency = found[0] if found else None
    kept = [(KIND_TEXT[k], effective_days(rows, k, regency), KIND_EFFECT[k])
            for k in RetentionKind]
    overrides = [p for p in rows if p.regency != DEFAULT_REGENCY]
    live = store.live_consent(conn, nip) if nip else None
    return render_template("privacy/notice.html", kept=kept, overrides=overrides,
                           kind_text=KIND_TEXT, version=NOTICE_VERSION, nip=nip,
                           consented=live is not None)


@bp.post("/persetujuan", endpoint="consent_give")
def consent_give():  # type: ignore[no-untyped-def]
    """The signed-in employee consents to biometric enrolment, after reading the notice."""
    nip = _nip()
    if nip is None:
        abort(403)
    if request.form.get("setuju") != "1":
        flash(_("Centang pernyataan persetujuan terlebih dahulu."), "error")
        return redirect(url_for("privacy.notice") + "#persetujuan")
    conn = db()
    with conn.transaction():
        if store.live_consent(conn, nip) is None:
            store.record_consent(conn, nip, Consent("portal", current_user.username,
                                                    ConsentMethod.PORTAL), web.origin())
    flash(_("Persetujuan Anda tercatat. Wajah Anda dapat didaftarkan oleh petugas."), "ok")
    return redirect(url_for("privacy.my_data"))


@bp.get("/data-saya", endpoint="my_data")
def my_data():  # type: ignore[no-untyped-def]
    """What is held about the signed-in employee, their consents, their exports."""
    nip = _nip()
    if nip is None:
        return render_template("privacy/my_data.html", nip=None)
    conn = db()
    exports = conn.execute(
        "SELECT x.job_id, x.requested_at, x.filename, x.size_bytes, x.expires_at, p.state "
        "FROM subject_exports x LEFT JOIN job_progress p ON p.job_id = x.job_id "
        "WHERE x.employee_id = %s ORDER BY x.requested_at DESC LIMIT 10", (nip,)).fetchall()
    return render_template("privacy/my_data.html", nip=nip, summary=store.held(conn, nip),
                           consents=store.consents(conn, nip), exports=exports, tz=regency_zone())


@bp.post("/data-saya/ekspor", endpoint="export_start")
def export_start():  # type: ignore[no-untyped-def]
    """Queue the signed-in employee's export and open its progress page."""
    from ..jobs.app import create_app as jobs_app
    from .jobs import defer_export

    nip = _nip()
    if nip is None:
        abort(403)
    url = current_app.config["DATABASE_URL"]
    job_id = defer_export(jobs_app(url), url, nip, current_user.username, web.origin())
    return redirect(url_for("privacy.export_job", job_id=job_id))


def _own_export(job_id: int) -> tuple[progress.Progress, dict[str, Any]]:
    """The job and its export row, only for the person it belongs to."""
    from .jobs import EXPORT_KIND

    row = db().execute("SELECT employee_id, filename, size_bytes, expires_at, "
                       "data IS NOT NULL FROM subject_exports WHERE job_id = %s",
                       (job_id,)).fetchone()
    p = progress.get(db(), job_id, EXPORT_KIND)
    if row is None or p is None:
        abort(404)
    if row[0] != _nip():
        abort(403)  # someone else's data: never, whoever asks
    return p, {"filename": row[1], "size_bytes": row[2], "expires_at": row[3], "ready": row[4]}


@bp.get("/data-saya/ekspor/<int:job_id>", endpoint="export_job")
def export_job(job_id: int):  # type: ignore[no-untyped-def]
    """An export's page: its progress (htmx), then the download."""
    p, x = _own_export(job_id)
    return render_template("privacy/export_job.html", p=p, x=x, tz=regency_zone(),
                           workers=progress.workers_alive(db()))


@bp.get("/data-saya/ekspor/<int:job_id>/kemajuan", endpoint="export_progress")
def export_progress(job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment htmx swaps in."""
    p, x = _own_export(job_id)
    return render_template("privacy/_export_progress.html", p=p, x=x, tz=regency_zone(),
                           workers=progress.workers_alive(db()))


@bp.get("/data-saya/ekspor/<int:job_id>/unduh", endpoint="export_download")
def export_download(job_id: int):  # type: ignore[no-untyped-def]
    """The ZIP, to its owner only, never cached; every download is audited."""
    _p, x = _own_export(job_id)
    row = db().execute("SELECT filename, data FROM subject_exports WHERE job_id = %s AND "
                       "data IS NOT NULL AND expires_at > now()", (job_id,)).fetchone()
    if row is None:
        abort(404)
    web.record(AuditAction.EXPORT_DOWNLOAD, _nip(), {"tugas": job_id, "berkas": row[0]})
    return download(row[0], "application/zip", bytes(row[1]))


@bp.post("/data-saya/tarik-persetujuan", endpoint="withdraw")
def withdraw():  # type: ignore[no-untyped-def]
    """The employee withdraws their consent: their biometric data is erased at once (a face
    check-in stops working; the NIP keypad remains)."""
    nip = _nip()
    if nip is None:
        abort(403)
    if request.form.get("konfirmasi", "").strip() != nip:
        flash(_("Ketik NIP Anda untuk mengonfirmasi penarikan persetujuan."), "error")
        return redirect(url_for("privacy.my_data") + "#tarik")
    erasure.erase(db(), nip, "persetujuan ditarik oleh pegawai di portal",
                  current_user.username, web.origin())
    flash(_("Persetujuan ditarik dan data biometrik Anda dihapus dari cloud; kiosk menghapus "
            "wajah Anda begitu menerima perubahan galeri."), "ok")
    return redirect(url_for("privacy.my_data"))


def no_store(resp: Response) -> Response:
    """Personal data pages are not kept by browsers or proxies."""
    resp.headers["Cache-Control"] = "no-store"
    return resp


bp.after_request(no_store)
