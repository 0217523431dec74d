"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..users import check_password
from . import User, db

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("Nama pengguna", validators=[DataRequired()])
    password = PasswordField("Kata sandi", validators=[DataRequired()])


def safe_next(target: str | None) -> str | None:
    """`next` only when it is a path on this site: not `//elsewhere`, `/\\elsewhere` or a URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return None
    return target


@bp.route("/masuk", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        if check_password(db(), form.username.data or "", form.password.data or ""):
            row = db().execute("SELECT role FROM portal_users WHERE username = %s",
                               (form.username.data,)).fetchone()
            login_user(User(form.username.data or "", row[0] if row else "admin"))
            return redirect(safe_next(request.args.get("next")) or url_for("checkins.today"))
        flash("Nama pengguna atau kata sandi salah.")
    return render_template("login.html", form=form)


@bp.route("/keluar", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out."""
    logout_user()
    return redirect(url_for("auth.login"))
