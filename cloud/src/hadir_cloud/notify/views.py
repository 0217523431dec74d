"""`/pemberitahuan`: a person's notices (marked read when opened) and where the daily digest
goes."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db
from . import store
from .domain import KIND_TEXT

bp = Blueprint("notify", __name__)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@bp.get("/pemberitahuan", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The signed-in account's notices, newest first; opening the page marks them read."""
    rows = store.for_user(db(), current_user.username)
    email, daily = store.prefs(db(), current_user.username)
    store.mark_read(db(), current_user.username)
    return render_template("notify/index.html", rows=rows, email=email, daily=daily,
                           kind_text=KIND_TEXT, tz=ZoneInfo("Asia/Jakarta"))


@bp.post("/pemberitahuan/pengaturan", endpoint="prefs")
def prefs():  # type: ignore[no-untyped-def]
    """Save the digest's address and choice."""
    email = (request.form.get("email") or "").strip()
    if email and (len(email) > 200 or not _EMAIL.fullmatch(email)):
        flash(_("Alamat email tidak valid: %(e)s", e=email), "error")
        return redirect(url_for("notify.index"))
    store.set_prefs(db(), current_user.username, email, request.form.get("harian") == "ya")
    flash(_("Pengaturan pemberitahuan tersimpan."), "ok")
    return redirect(url_for("notify.index"))
