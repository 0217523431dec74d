"""HR's import of the organisation in the browser: upload, every row's problems, fix, apply.

The upload is kept server-side under a random token between the check and the apply (the
apply reads and checks it again, then stores everything or nothing).
"""

from __future__ import annotations

import io
import secrets
import tempfile
from pathlib import Path

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
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db
from . import imports, store

bp = Blueprint("org", __name__, url_prefix="/organisasi")
UPLOADS = Path(tempfile.gettempdir()) / "hadir-org-imports"
MAX_UPLOAD = 20 * 1024 * 1024


def _upload_path(token: str) -> Path:
    if not token.isalnum() or len(token) != 32:
        abort(400)
    return UPLOADS / f"{token}.xlsx"


def _counts(book: dict[str, imports.Sheet]) -> dict[str, int]:
    return {name: len(sheet.rows) for name, sheet in book.items()}


@bp.get("/impor", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The upload form."""
    return render_template("org/import.html", problems=None)


@bp.post("/impor", endpoint="check")
def check():  # type: ignore[no-untyped-def]
    """Read and check an uploaded XLSX: every problem, or the button to apply it."""
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        flash(_("Pilih berkas XLSX terlebih dahulu."), "error")
        return redirect(url_for("org.index"))
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash(_("Berkas terlalu besar (maksimal 20 MB)."), "error")
        return redirect(url_for("org.index"))
    token = secrets.token_hex(16)
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    path = _upload_path(token)
    path.write_bytes(data)
    try:
        book = imports.read(path)
    except (OSError, ValueError, KeyError) as err:
        path.unlink(missing_ok=True)
        flash(_("Berkas tidak dapat dibaca sebagai XLSX impor: %(err)s", err=str(err)), "error")
        return redirect(url_for("org.index"))
    problems = imports.check(book, store.known(db()))
    if problems:
        path.unlink(missing_ok=True)
    return render_template("org/import.html", problems=problems, counts=_counts(book),
                           token=None if problems else token, filename=upload.filename)


@bp.post("/impor/terapkan", endpoint="apply")
def apply():  # type: ignore[no-untyped-def]
    """Apply a checked upload: all or nothing, idempotent (upsert by id and NIP)."""
    path = _upload_path(request.form.get("token", ""))
    if not path.exists():
        flash(_("Unggahan sudah kedaluwarsa; unggah berkasnya lagi."), "error")
        return redirect(url_for("org.index"))
    try:
        book = imports.read(path)
        known = store.known(db())
        problems = imports.check(book, known)
        if problems:  # the data changed since the check
            return render_template("org/import.html", problems=problems, counts=_counts(book),
                                   token=None, filename="")
        result = store.apply(db(), imports.parse(book, known))
    except store.OrgStoreError as err:
        flash(str(err), "error")
        return redirect(url_for("org.index"))
    finally:
        path.unlink(missing_ok=True)
    ins, upd = result.inserted, result.updated
    flash(_("Tersimpan oleh %(user)s: ", user=current_user.username)
          + ", ".join(f"{k} {ins[k]} baru/{upd[k]} berubah" for k in ins))
    return redirect(url_for("org.index"))


@bp.get("/templat.xlsx", endpoint="template")
def template():  # type: ignore[no-untyped-def]
    """The empty import template with its column notes."""
    buf = io.BytesIO()
    imports.make_template().save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="templat-organisasi.xlsx"'})


@bp.get("/ekspor.xlsx", endpoint="export")
def export():  # type: ignore[no-untyped-def]
    """The organisation as it is now, in the import's shape (re-importing it changes nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "organisasi.xlsx"
        store.export_xlsx(db(), path)
        data = path.read_bytes()
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="organisasi.xlsx"'})
