"""Employees' own accounts: activation with HR's one-time code, and changing the password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..users import MIN_PASSWORD, AccountError, activate, change_password
from . import db

bp = Blueprint("accounts", __name__)


class ActivateForm(FlaskForm):
    """NIP, the code from HR, and a new password twice."""

    nip = StringField(_l("NIP"), validators=[DataRequired(), Length(min=18, max=18)])
    code = StringField(_l("Kode aktivasi dari admin kepegawaian"), validators=[DataRequired()])
    password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(),
                                                                Length(min=MIN_PASSWORD)])
    again = PasswordField(_l("Ulangi kata sandi"),
                          validators=[DataRequired(), EqualTo("password",
                                                              _l("Kata sandi tidak sama."))])


class PasswordForm(FlaskForm):
    """The old password and a new one twice."""

    old = PasswordField(_l("Kata sandi lama"), validators=[DataRequired()])
    password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(),
                                                                Length(min=MIN_PASSWORD)])
    again = PasswordField(_l("Ulangi kata sandi"),
                          validators=[DataRequired(), EqualTo("password",
                                                              _l("Kata sandi tidak sama."))])


@bp.route("/aktivasi", endpoint="activate", methods=["GET", "POST"])
def activate_page():  # type: ignore[no-untyped-def]
    """First sign-in of an employee: set a password with the code from HR."""
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            activate(db(), form.nip.data or "", form.code.data or "", form.password.data or "")
        except AccountError as err:
            form.code.errors.append(str(err))
        else:
            flash(_("Akun aktif. Silakan masuk dengan NIP dan kata sandi baru."))
            return redirect(url_for("auth.login"))
    return render_template("accounts/activate.html", form=form)


@bp.route("/kata-sandi", endpoint="change_password", methods=["GET", "POST"])
def change_password_page():  # type: ignore[no-untyped-def]
    """Change one's password; every session (this one too) ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(db(), current_user.username, form.old.data or "",
                            form.password.data or "")
        except AccountError as err:
            form.old.errors.append(str(err))
        else:
            logout_user()
            flash(_("Kata sandi diganti. Silakan masuk lagi."))
            return redirect(url_for("auth.login"))
    return render_template("accounts/password.html", form=form)

