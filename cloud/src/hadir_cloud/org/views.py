"""HR's import of the organisation in the browser: upload, every row's problems, fix, apply.

A clean upload is kept in the database under a random token (`org.uploads`) between the check
and the apply; the apply is a job (`jobs.tasks.run_org_import`) that reads and checks it again,
stores everything or nothing, and reports its progress on `/organisasi/impor/tugas/<id>`.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

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
from flask_login import current_user

from ..jobs import progress
from ..portal import db
from . import imports, sheets, store, uploads

bp = Blueprint("org", __name__, url_prefix="/organisasi")
MAX_UPLOAD = 20 * 1024 * 1024
#: the people a dry run lists by name (the count is always shown)
LEAVERS_SHOWN = 500


def _counts(book: dict[str, imports.Sheet]) -> dict[str, int]:
    return {name: len(sheet.rows) for name, sheet in book.items()}


@bp.get("/impor", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The upload form."""
    return render_template("org/import.html", problems=None)


@bp.post("/impor", endpoint="check")
def check():  # type: ignore[no-untyped-def]
    """Read and check an uploaded XLSX: every problem, or who would leave and the button to
    apply it."""
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        flash(_("Pilih berkas XLSX terlebih dahulu."), "error")
        return redirect(url_for("org.index"))
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash(_("Berkas terlalu besar (maksimal 20 MB)."), "error")
        return redirect(url_for("org.index"))
    try:
        book = imports.read_xlsx(io.BytesIO(data))
    except (OSError, ValueError, KeyError) as err:
        flash(_("Berkas tidak dapat dibaca sebagai XLSX impor: %(err)s", err=str(err)), "error")
        return redirect(url_for("org.index"))
    known = store.known(db())
    problems = imports.check(book, known)
    token, leavers, day, names = None, [], date.today(), dict[str, str]()
    if not problems:
        parsed = imports.parse(book, known)
        leavers = store.leavers_of(db(), parsed, day)
        names = dict(db().execute("SELECT id, name FROM units").fetchall())
        names.update({u.id: u.name for u in parsed.units})
        token = uploads.save(db(), Path(upload.filename).name, data, current_user.username)
    return render_template("org/import.html", problems=problems, counts=_counts(book),
                           token=token, filename=upload.filename, leavers=leavers,
                           leavers_shown=LEAVERS_SHOWN, day=day, unit_names=names)


@bp.post("/impor/terapkan", endpoint="apply")
def apply():  # type: ignore[no-untyped-def]
    """Queue the apply of a checked upload as a job and go to its progress page (all or
    nothing, idempotent: upsert by id and NIP)."""
    from ..jobs.app import create_app as jobs_app
    from ..jobs.tasks import JobError, defer_org_import

    url = current_app.config["DATABASE_URL"]
    try:
        job_id = defer_org_import(jobs_app(url), url, request.form.get("token", ""),
                                  current_user.username,
                                  request.form.get("tandai_keluar") == "1", date.today())
    except JobError:
        flash(_("Unggahan sudah kedaluwarsa; unggah berkasnya lagi."), "error")
        return redirect(url_for("org.index"))
    return redirect(url_for("org.job", job_id=job_id))


def _job_or_404(job_id: int) -> progress.Progress:
    from ..jobs.tasks import ORG_KIND

    p = progress.get(db(), job_id, ORG_KIND)
    if p is None:
        abort(404)
    return p


@bp.get("/impor/tugas/<int:job_id>", endpoint="job")
def job(job_id: int):  # type: ignore[no-untyped-def]
    """An import job's page: its progress bar, polled with htmx until it ends, then the
    counts or the error."""
    return render_template("org/job.html", p=_job_or_404(job_id),
                           workers=progress.workers_alive(db()))


@bp.get("/impor/tugas/<int:job_id>/kemajuan", endpoint="job_progress")
def job_progress(job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment htmx swaps in (it stops polling once the job has ended)."""
    return render_template("org/_job_progress.html", p=_job_or_404(job_id),
                           workers=progress.workers_alive(db()))


@bp.get("/templat.xlsx", endpoint="template")
def template():  # type: ignore[no-untyped-def]
    """The empty import template with its column notes."""
    buf = io.BytesIO()
    sheets.make_template().save(buf)
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
