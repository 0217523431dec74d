"""`/privasi/penghapusan` and `/privasi/retensi`: HR erases a person's biometric data and
follows every kiosk's confirmation; regency HR sets how long data is kept."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from hadir_protocol.identifiers import nip_problem

from ..portal import db, regency_zone
from ..portal.rbac import decide
from . import erasure, store, web
from .domain import DEFAULT_REGENCY, KioskState, RetentionKind
from .views import KIND_TEXT, no_store

bp = Blueprint("privacy_admin", __name__, url_prefix="/privasi")

#: the erased places in words, in report order
PLACE_TEXT = {
    "templat_wajah": _l("Templat wajah di cloud (dihancurkan beserta kunci datanya)"),
    "foto_referensi": _l("Foto referensi pendaftaran"),
    "foto_presensi": _l("Foto check-in"),
    "foto_karantina": _l("Foto check-in di karantina"),
    "pesan_ditolak": _l("Pesan kiosk yang ditolak yang memuat datanya"),
    "ekspor": _l("Berkas ekspor data pribadi"),
    "persetujuan": _l("Persetujuan biometrik (ditandai ditarik)"),
}
STATE_TEXT = {
    KioskState.CONFIRMED: _l("terkonfirmasi"),
    KioskState.WAITING: _l("menunggu konfirmasi"),
    KioskState.DISABLED: _l("kiosk nonaktif — tidak menerima perubahan; kosongkan kartunya"),
}


def _lookup(nip: str) -> tuple[str | None, store.Held | None]:
    """(a problem with the NIP typed, what is held about the person)."""
    if not nip:
        return None, None
    problem = nip_problem(nip)
    conn = db()
    known = conn.execute("SELECT 1 FROM employees WHERE nip = %s UNION SELECT 1 FROM "
                         "face_templates WHERE employee_id = %s", (nip, nip)).fetchone()
    if known is None:
        return problem or _("Tidak ada pegawai atau wajah terdaftar dengan NIP itu."), None
    return None, store.held(conn, nip)


def _page(nip: str, errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    problem, held = _lookup(nip)
    if problem:
        errors = {**errors, "nip": problem}
    return render_template("privacy/erasure.html", nip=nip, summary=held, errors=errors,
                           reason=request.form.get("alasan", ""),
                           recent=erasure.recent(db()), tz=regency_zone()), status


@bp.get("/penghapusan", endpoint="erasure_index")
def erasure_index():  # type: ignore[no-untyped-def]
    """Look a person up (`?nip=`): what is held; the erase form; the latest erasures."""
    return _page(request.args.get("nip", "").strip(), {})


@bp.post("/penghapusan", endpoint="erase")
def erase():  # type: ignore[no-untyped-def]
    """Erase now (the NIP typed again as confirmation, a reason); then the report."""
    nip = request.form.get("nip", "").strip()
    errors: dict[str, str] = {}
    if request.form.get("konfirmasi", "").strip() != nip:
        errors["konfirmasi"] = _("Ketik ulang NIP yang sama untuk mengonfirmasi.")
    if not request.form.get("alasan", "").strip():
        errors["alasan"] = _("Tulis alasan penghapusan (mis. permintaan pegawai, pensiun).")
    elif len(request.form["alasan"]) > 500:
        errors["alasan"] = _("Alasan paling panjang 500 karakter.")
    problem, held = _lookup(nip)
    if problem or held is None:
        errors["nip"] = problem or _("Isi NIP.")
    if errors:
        return _page(nip, errors, 400)
    erasure_id = erasure.erase(db(), nip, request.form["alasan"], current_user.username,
                               web.origin())
    flash(_("Data biometrik %(nip)s dihapus dari cloud; perubahan galeri dikirim ke setiap kiosk.",
            nip=nip), "ok")
    return redirect(url_for("privacy_admin.erasure_report", erasure_id=erasure_id))


def _report_or_404(erasure_id: int) -> erasure.Report:
    r = erasure.report(db(), erasure_id)
    if r is None:
        abort(404)
    return r


@bp.get("/penghapusan/<int:erasure_id>", endpoint="erasure_report")
def erasure_report(erasure_id: int):  # type: ignore[no-untyped-def]
    """What was erased where, and each kiosk's confirmation (polled until complete)."""
    return render_template("privacy/erasure_report.html", r=_report_or_404(erasure_id),
                           places=PLACE_TEXT, states=STATE_TEXT, tz=regency_zone())


@bp.get("/penghapusan/<int:erasure_id>/status", endpoint="erasure_status")
def erasure_status(erasure_id: int):  # type: ignore[no-untyped-def]
    """The kiosks' fragment htmx swaps in until every kiosk confirmed."""
    return render_template("privacy/_erasure_status.html", r=_report_or_404(erasure_id),
                           states=STATE_TEXT, tz=regency_zone())


@bp.get("/retensi", endpoint="retention")
def retention():  # type: ignore[no-untyped-def]
    """How long each kind of data is kept: the default and each regency's own."""
    return _retention_page({}, {})


def _retention_page(errors: dict[str, str], form: dict[str, str],
                    status: int = 200) -> tuple[str, int]:
    rows = store.policies(db())
    return render_template(
        "privacy/retention.html", rows=rows, kinds=list(RetentionKind), kind_text=KIND_TEXT,
        regencies=store.regencies(db()), default=DEFAULT_REGENCY, errors=errors, form=form,
        can_edit=decide("privacy_admin.retention_save", current_user.principal) == 200,
        tz=regency_zone()), status


@bp.post("/retensi", endpoint="retention_save")
def retention_save():  # type: ignore[no-untyped-def]
    """Set one kind's retention for the default or a regency (or reset a regency's)."""
    form = {k: request.form.get(k, "").strip() for k in ("kabupaten", "jenis", "hari")}
    reset = request.form.get("kembalikan") == "1"
    days: int | None = None
    if not reset:
        try:
            days = int(form["hari"])
        except ValueError:
            return _retention_page({"days": _("Isi jumlah hari (angka).")}, form, 400)
    try:
        store.set_retention(db(), form["kabupaten"] or DEFAULT_REGENCY, form["jenis"], days,
                            current_user.username, web.origin())
    except store.RetentionError as err:
        return _retention_page({err.field: str(err)}, form, 400)
    flash(_("Masa simpan tersimpan; tugas retensi menerapkannya paling lambat satu jam lagi."),
          "ok")
    return redirect(url_for("privacy_admin.retention"))


bp.after_request(no_store)
