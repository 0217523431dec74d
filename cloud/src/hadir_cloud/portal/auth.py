"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..users import check_password, end_sessions, principal, session_id
from . import User, db
from .rbac import Principal, Role, decide

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("NIP atau nama pengguna"),
                           validators=[DataRequired(_l("Isi NIP atau nama pengguna."))])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Isi kata sandi."))])


def safe_next(target: str | None) -> str | None:
    """`next` only when it is a path on this site: not `//elsewhere`, `/\\elsewhere` or a URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return None
    return target


def _home(who: Principal) -> str:
    """Where an account lands after signing in: today's check-ins for those who read them,
    the letters for a records clerk (TU), else the employee's own month."""
    if who.roles - {Role.PEGAWAI} and decide("checkins.today", who) == 200:
        return "checkins.today"
    if Role.TU in who.roles:
        return "letters.index"
    return "attendance.my_month"


@bp.route("/masuk", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        username = check_password(db(), form.username.data or "", form.password.data or "")
        sid = session_id(db(), username) if username else None
        who = principal(db(), sid) if sid else None
        if who is not None and sid is not None:
            login_user(User(who, sid))
            return redirect(safe_next(request.args.get("next")) or url_for(_home(who)))
        flash(_("NIP/nama pengguna atau kata sandi salah."), "error")
    return render_template("login.html", form=form)


@bp.route("/keluar", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out: this session and every copy of it end."""
    end_sessions(db(), current_user.username)
    logout_user()
    return redirect(url_for("auth.login"))
