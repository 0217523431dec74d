"""The fingerprint machines' logs in the browser: upload, check (nothing stored), import.

The import itself is `store.import_punches`, the same as `hadir-cloud punches import`; a file of
10,000 lines takes a few seconds, so it runs within the request. The id mapping is uploaded here
too; punches waiting for a NIP are listed and brought in with one button.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..portal import db
from . import files, store
from .domain import FormatError, csv_rows, decode, kinds, parse_mapping

bp = Blueprint("punches", __name__, url_prefix="/absen-mesin")
MAX_UPLOAD = 20 * 1024 * 1024
#: bad lines listed on the page (the count is always shown)
PROBLEMS_SHOWN = 200
MODES = ("otomatis", "mesin", "urutan")


def _offices() -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db().execute("SELECT id, name, tz FROM offices ORDER BY name")]


def _page(**extra: Any) -> str:
    values = {"mesin": "", "kantor": "", "status": "otomatis", **extra.pop("values", {})}
    return render_template("punches/index.html", offices=_offices(), waiting=store.unmapped(db()),
                           values=values, errors=extra.pop("errors", {}), result=None,
                           problems_shown=PROBLEMS_SHOWN, **extra)


@bp.get("/", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The upload form and the user ids that wait for a NIP."""
    return _page()


@bp.post("/", endpoint="upload")
def upload():  # type: ignore[no-untyped-def]
    """Check (`aksi=periksa`, nothing stored) or import an uploaded log; every bad line with its
    number, the counts, the user ids without a NIP."""
    values = {k: (request.form.get(k) or "").strip() for k in ("mesin", "kantor", "status")}
    dry_run = request.form.get("aksi") != "impor"
    errors: dict[str, str] = {}
    if not values["mesin"]:
        errors["mesin"] = _("Isi nama atau nomor seri mesin.")
    if values["kantor"] not in {o[0] for o in _offices()}:
        errors["kantor"] = _("Pilih kantor tempat mesin.")
    if values["status"] not in MODES:
        values["status"] = "otomatis"
    berkas = request.files.get("berkas")
    data = berkas.read(MAX_UPLOAD + 1) if berkas is not None and berkas.filename else None
    parsed = None
    if data is None:
        errors["berkas"] = _("Pilih berkas log (attlog .dat, .csv atau .xlsx).")
    elif len(data) > MAX_UPLOAD:
        errors["berkas"] = _("Berkas terlalu besar (maksimal 20 MB).")
    else:
        name = Path(berkas.filename or "").name  # type: ignore[union-attr]
        try:
            parsed = files.read(io.BytesIO(data), files.guess_format(name))
        except FormatError as err:
            errors["berkas"] = _("Berkas tidak dapat dibaca: %(err)s", err=str(err))
    if errors or parsed is None:
        return _page(values=values, errors=errors), 400
    chosen = kinds(parsed.punches, values["status"], parsed.states_recorded)  # type: ignore[arg-type]
    result = store.import_punches(db(), values["mesin"], values["kantor"], parsed.punches, chosen,
                                  name, dry_run=dry_run)
    return render_template(
        "punches/index.html", offices=_offices(), waiting=store.unmapped(db()), values=values,
        errors={}, result=result, parsed=parsed, dry_run=dry_run, filename=name,
        problems_shown=PROBLEMS_SHOWN)


@bp.post("/peta", endpoint="map_upload")
def map_upload():  # type: ignore[no-untyped-def]
    """Add or change `machine, user_id → NIP` from a CSV/XLSX, then bring waiting punches in."""
    berkas = request.files.get("peta")
    if berkas is None or not berkas.filename:
        flash(_("Pilih berkas peta (CSV atau XLSX berkolom machine,user_id,nip)."), "error")
        return redirect(url_for("punches.index"))
    data = berkas.read(MAX_UPLOAD + 1)
    try:
        if Path(berkas.filename).suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows: list[list[Any]] = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
            wb.close()
        else:
            rows = [list(r) for r in csv_rows(decode(data))]
        parsed, problems = parse_mapping(rows)
    except Exception as err:  # a file that is no CSV/XLSX at all: say so, never a 500
        flash(_("Berkas peta tidak dapat dibaca: %(err)s", err=str(err)), "error")
        return redirect(url_for("punches.index"))
    res = store.import_mapping(db(), parsed)
    stored, left = store.remap(db())
    for p in sorted(problems + res.problems, key=lambda p: p.line)[:PROBLEMS_SHOWN]:
        flash(str(p), "error")
    flash(_("Peta: %(added)s baru, %(changed)s diubah, %(same)s tetap. %(stored)s absen yang "
            "menunggu dimasukkan; %(left)s masih menunggu NIP.", added=res.added,
            changed=res.changed, same=res.unchanged, stored=stored, left=left), "info")
    return redirect(url_for("punches.index"))
