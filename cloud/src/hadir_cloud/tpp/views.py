"""TPP in the browser (HR): start a month's run as a job and watch it, open a run, explain one
employee, finalize, export XLSX per OPD. The numbers are the engine's (`tpp/`), the work the
job queue's (`jobs/`)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from decimal import Decimal
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
from . import store
from .calendar import CalendarError, month_bounds
from .tpp import rp

bp = Blueprint("tpp", __name__, url_prefix="/tpp")


def _month_arg(value: str | None) -> str | None:
    try:
        month_bounds(value or "")
    except CalendarError:
        return None
    return value


@bp.get("/", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The runs so far and a form to run a month."""
    today = date.today()
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return render_template("tpp/index.html", runs=store.list_runs(db()), rp=rp, Decimal=Decimal,
                           default_month=last_month.strftime("%Y-%m"))


@bp.post("/jalankan", endpoint="start")
def start():  # type: ignore[no-untyped-def]
    """Queue the month's run as a job and go to its progress page."""
    from ..jobs.app import create_app as jobs_app
    from ..jobs.tasks import defer_tpp_run

    month = _month_arg(request.form.get("month"))
    if month is None:
        flash(_("Bulan harus berformat YYYY-MM."), "error")
        return redirect(url_for("tpp.index"))
    url = current_app.config["DATABASE_URL"]
    job_id = defer_tpp_run(jobs_app(url), url, month, current_user.username,
                           reason=request.form.get("reason", "").strip())
    return redirect(url_for("tpp.job", job_id=job_id))


def _job_or_404(job_id: int) -> progress.Progress:
    from ..jobs.tasks import TPP_KIND  # an org import's job is not a TPP page

    p = progress.get(db(), job_id, TPP_KIND)
    if p is None:
        abort(404)
    return p


def _run_or_404(run_id: int) -> store.RunInfo:
    try:
        return store.get_run(db(), run_id)
    except store.RunNotFoundError:
        abort(404)


@bp.get("/job/<int:job_id>", endpoint="job")
def job(job_id: int):  # type: ignore[no-untyped-def]
    """A job's page: its progress bar, polled with htmx until it ends."""
    return render_template("tpp/job.html", p=_job_or_404(job_id))


@bp.get("/job/<int:job_id>/kemajuan", endpoint="job_progress")
def job_progress(job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment htmx swaps in (it stops polling once the job has ended)."""
    return render_template("tpp/_progress.html", p=_job_or_404(job_id))


@bp.get("/run/<int:run_id>", endpoint="run")
def run(run_id: int):  # type: ignore[no-untyped-def]
    """A run: totals per OPD, every employee, finalize and export."""
    info = _run_or_404(run_id)
    rows = store.run_results(db(), run_id)
    names = dict(db().execute("SELECT id, name FROM units").fetchall())
    units: dict[str, dict[str, object]] = {}
    for r in rows:
        u = units.setdefault(r["unit_id"], {"name": names.get(r["unit_id"], r["unit_id"]),
                                            "people": 0, "net": Decimal(0)})
        u["people"] = int(u["people"]) + 1  # type: ignore[call-overload]
        u["net"] = Decimal(u["net"]) + Decimal(r["net"])  # type: ignore[arg-type]
    return render_template("tpp/run.html", info=info, rows=rows, units=units, rp=rp,
                           Decimal=Decimal)


@bp.get("/run/<int:run_id>/pegawai/<nip>", endpoint="explain")
def explain(run_id: int, nip: str):  # type: ignore[no-untyped-def]
    """One employee's TPP in a run, line by line with the rule behind each deduction."""
    info = _run_or_404(run_id)
    rows = store.run_results(db(), run_id, nip)
    if not rows:
        abort(404)
    return render_template("tpp/explain.html", info=info, r=rows[0], rp=rp, Decimal=Decimal)


@bp.post("/run/<int:run_id>/final", endpoint="finalize")
def finalize(run_id: int):  # type: ignore[no-untyped-def]
    """Finalize a run (it can no longer change; a correction is a new version)."""
    try:
        store.finalize_run(db(), run_id, current_user.username)
    except (store.RunNotFoundError, store.StoreError) as err:
        flash(str(err), "error")
    else:
        flash(_("Run difinalkan."))
    return redirect(url_for("tpp.run", run_id=run_id))


@bp.get("/run/<int:run_id>/ekspor.zip", endpoint="export")
def export(run_id: int):  # type: ignore[no-untyped-def]
    """Every OPD's XLSX of the run, in one ZIP."""
    from .export import write_unit_workbooks

    info = _run_or_404(run_id)
    rows = store.run_results(db(), run_id)
    names = dict(db().execute("SELECT id, name FROM units").fetchall())
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buf, "w") as zf:
        for path in write_unit_workbooks(rows, info, names, Path(tmp)):
            zf.write(path, path.name)
    month = info.month.strftime("%Y-%m")
    return Response(buf.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="TPP-{month}-v{info.version}.zip"'})
