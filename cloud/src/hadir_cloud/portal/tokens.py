"""`/token-api`: the API tokens of integrations (`Authorization: Bearer …`), for IT operators:
each with its scopes, expiry, maker and state; a new one is shown once; revoking stops it at
once. The same tokens as `hadir-cloud token`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..users import TOKEN_SCOPES, AccountError, create_token, revoke_token_by_hash, tokens
from . import db, regency_zone

bp = Blueprint("tokens", __name__)
#: each scope of `users.TOKEN_SCOPES` in words (a test holds that none is missing)
SCOPE_TEXT = {"checkins:read": _l("Membaca check-in (GET /api/checkins)")}
#: the expiries offered (days; 0: never)
EXPIRIES = (30, 90, 365, 0)


def _page(errors: dict[str, str], form: dict[str, object], new_token: str | None = None,
          status: int = 200) -> tuple[str, int]:
    return render_template("tokens/index.html", rows=tokens(db()),
                           scopes={c: SCOPE_TEXT.get(c, c) for c in sorted(TOKEN_SCOPES)},
                           expiries=EXPIRIES, errors=errors, form=form, new_token=new_token,
                           tz=regency_zone()), status


@bp.get("/token-api", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """Every token and the form for a new one."""
    return _page({}, {"days": 90, "scopes": ["checkins:read"]})


@bp.post("/token-api", endpoint="create")
def create():  # type: ignore[no-untyped-def]
    """Make a token; it is shown on this answer only (only its hash is kept)."""
    name = (request.form.get("nama") or "").strip()
    scopes = tuple(request.form.getlist("cakupan"))
    try:
        days = int(request.form.get("hari", "90"))
    except ValueError:
        days = -1
    form = {"name": name, "scopes": list(scopes), "days": days}
    errors: dict[str, str] = {}
    if days not in EXPIRIES:
        errors["hari"] = _("Pilih masa berlaku dari daftar.")
    if not errors:
        try:
            token = create_token(db(), name, scopes, days or None, by=current_user.username)
        except AccountError as err:
            field = "nama" if "nama" in str(err) else "cakupan"
            errors[field] = str(err)
        else:
            current_app.logger.info("API token %r made by %s", name, current_user.username)
            flash(_("Token %(name)s dibuat. Salin sekarang: token ini tidak akan ditampilkan "
                    "lagi.", name=name), "ok")
            return _page({}, {"days": 90, "scopes": ["checkins:read"]}, new_token=token)
    return _page(errors, form, status=400)


@bp.post("/token-api/<token_sha256>/cabut", endpoint="revoke")
def revoke(token_sha256: str):  # type: ignore[no-untyped-def]
    """Stop a token at once."""
    if len(token_sha256) != 64:
        abort(404)
    if revoke_token_by_hash(db(), token_sha256):
        current_app.logger.info("API token %s… revoked by %s", token_sha256[:8],
                                current_user.username)
        flash(_("Token dicabut; permintaan dengan token itu ditolak mulai sekarang."), "ok")
    else:
        flash(_("Token itu tidak ada atau sudah dicabut."), "error")
    return redirect(url_for("tokens.index"))
