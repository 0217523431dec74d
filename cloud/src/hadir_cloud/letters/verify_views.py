"""Public verification pages (no login): `/verifikasi/<token>` (what the QR code opens: the
letter's number, subject, signer and signing time, and the validation of the stored signed
PDF) and `/verifikasi` (upload any PDF: is its signature valid, which letter is it, was it
changed after signing)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from ..portal import db, regency_zone
from .domain import KIND_TEXT
from .views import settings

bp = Blueprint("verify", __name__)
#: the largest PDF the upload form reads
MAX_UPLOAD = 20 * 1024 * 1024


def _letter(where: str, value: str) -> dict[str, Any] | None:
    row = db().execute(
        "SELECT l.id, l.kind, l.number, l.subject, l.signed_at, l.signed_by, e.name, "
        "p.name, l.signed_pdf, l.verify_token, l.access, u.name FROM letters l "
        "LEFT JOIN employees e ON e.nip = l.signed_by "
        "LEFT JOIN positions p ON p.id = l.signer_position_id "
        "JOIN units u ON u.id = l.unit_id "
        f"WHERE l.signed_pdf IS NOT NULL AND {where} = %s", (value,)).fetchone()
    if row is None:
        return None
    keys = ("id", "kind", "number", "subject", "signed_at", "signed_by", "signer", "position",
            "pdf", "token", "access", "unit")
    found = dict(zip(keys, row, strict=True))
    found["kind_text"] = KIND_TEXT.get(found["kind"], found["kind"])
    return found


def _page(**values: Any) -> str:
    """The verification page; times in the regency's zone (named by `zone_name`)."""
    return render_template("letters/verify.html", tz=regency_zone(), **values)


def _check(pdf: bytes) -> tuple[Any, str]:
    """The verdict on `pdf` (pyHanko loads with the first check), or the configuration's
    problem."""
    from .signing import SignerError, trust_from_settings
    from .verify import verify

    try:
        return verify(pdf, trust_from_settings(settings())), ""
    except SignerError as err:
        return None, str(err)


@bp.get("/verifikasi/<token>", endpoint="token")
def token(token: str):  # type: ignore[no-untyped-def]
    """The letter a QR code names and the validation of its stored signed PDF."""
    letter = _letter("l.verify_token", token[:64])
    if letter is None:
        abort(404)
    verdict, problem = _check(bytes(letter["pdf"]))
    return _page(letter=letter, verdict=verdict,
                           problem=problem, uploaded=False)


@bp.route("/verifikasi", endpoint="index", methods=["GET", "POST"])
def index():  # type: ignore[no-untyped-def]
    """Upload a PDF to learn whether its signature is valid and which letter it is."""
    if request.method == "GET":
        return _page(letter=None, verdict=None, problem="",
                               uploaded=False)
    upload = request.files.get("berkas")
    data = upload.read(MAX_UPLOAD + 1) if upload and upload.filename else b""
    if not data:
        return _page(letter=None, verdict=None,
                               problem=_("Pilih berkas PDF yang akan diperiksa."),
                               uploaded=False), 400
    if len(data) > MAX_UPLOAD:
        return _page(letter=None, verdict=None,
                               problem=_("Berkas paling besar 20 MB."), uploaded=False), 400
    verdict, problem = _check(data)
    letter = None
    if verdict is not None:
        letter = _letter("l.pdf_sha256", verdict.pdf_sha256) or (
            _letter("l.signature_sha256", verdict.signature_sha256)
            if verdict.signature_sha256 else None)
    return _page(letter=letter, verdict=verdict,
                           problem=problem, uploaded=True)
