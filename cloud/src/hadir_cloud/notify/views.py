"""`/pemberitahuan`: a person's notices (marked read when opened) and where and when they hear
of them (e-mail, a WhatsApp/Telegram gateway; the daily digest; urgent notices at once)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db, regency_zone
from . import store
from .domain import CHANNEL_TEXT, CHANNELS, EMAIL, KIND_TEXT, WEBHOOK, Prefs

bp = Blueprint("notify", __name__)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: a WhatsApp number (+62…, 08…) or a Telegram chat id (digits, maybe negative) or @username
_PHONE = re.compile(r"\+?\d{6,20}|-?\d{5,20}|@[A-Za-z0-9_]{5,32}")


def _offered() -> list[str]:
    """The channels this deployment has (settings), in order."""
    have = {EMAIL: current_app.config.get("NOTIFY_EMAIL", False),
            WEBHOOK: current_app.config.get("NOTIFY_WEBHOOK", False)}
    return [c for c in CHANNELS if have[c]]


@bp.get("/pemberitahuan", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The signed-in account's notices, newest first; opening the page marks them read."""
    rows = store.for_user(db(), current_user.username)
    p = store.prefs(db(), current_user.username)
    store.mark_read(db(), current_user.username)
    return render_template("notify/index.html", rows=rows, prefs=p, errors={},
                           offered=_offered(), channel_text=CHANNEL_TEXT, kind_text=KIND_TEXT,
                           tz=regency_zone())


@bp.post("/pemberitahuan/pengaturan", endpoint="prefs")
def prefs():  # type: ignore[no-untyped-def]
    """Save the addresses, channels and choices; errors next to their fields."""
    email = (request.form.get("email") or "").strip()
    raw = (request.form.get("telepon") or "").strip()
    # "0812-3456 7890" → "081234567890"; a chat id (-100…) or @username as typed
    phone = raw if raw.startswith(("-", "@")) else re.sub(r"[\s.()-]", "", raw)
    chosen = frozenset(c for c in request.form.getlist("saluran") if c in CHANNELS)
    errors: dict[str, str] = {}
    if email and (len(email) > 200 or not _EMAIL.fullmatch(email)):
        errors["email"] = _("Alamat email tidak valid: %(e)s", e=email)
    if phone and not _PHONE.fullmatch(phone):
        errors["telepon"] = _("Nomor WhatsApp atau ID Telegram tidak valid: %(p)s", p=phone)
    if EMAIL in chosen and not email and "email" not in errors:
        errors["email"] = _("Isi alamat email untuk menerima pemberitahuan lewat email.")
    if WEBHOOK in chosen and not phone and "telepon" not in errors:
        errors["telepon"] = _("Isi nomor WhatsApp atau ID Telegram untuk saluran ini.")
    p = Prefs(email, phone, chosen, request.form.get("harian") == "ya",
              request.form.get("segera") == "ya")
    if errors:
        rows = store.for_user(db(), current_user.username)
        return render_template("notify/index.html", rows=rows, prefs=p, errors=errors,
                               offered=_offered(), channel_text=CHANNEL_TEXT,
                               kind_text=KIND_TEXT, tz=regency_zone()), 400
    store.set_prefs(db(), current_user.username, p)
    flash(_("Pengaturan pemberitahuan tersimpan."), "ok")
    return redirect(url_for("notify.index"))
