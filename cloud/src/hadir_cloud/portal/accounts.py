"""Employees' own accounts: activation with HR's one-time code, changing the password; and
HR's page of employees' accounts, where a new code is issued (activation or reset)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..users import (
    ACTIVATION_VALID,
    MIN_PASSWORD,
    AccountError,
    accounts,
    activate,
    change_password,
    invite,
    unit_subtree,
)
from . import db, regency_zone

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



# ---------------------------------------------------------------- HR: employees' accounts

#: employees on one page of `/akun`
PAGE = 50


def _hr_scope() -> frozenset[str] | None:
    """The units whose people this HR account manages (None: the whole regency)."""
    who = current_user.principal
    return None if who.regency_wide else unit_subtree(db(), who.units)


@bp.get("/akun", endpoint="people")
def people():  # type: ignore[no-untyped-def]
    """Employees and their accounts (none, waiting for activation, active, locked), searchable
    by name or NIP, a page at a time; each row issues a new activation code."""
    query = (request.args.get("q") or "").strip()[:100]
    try:
        page = max(1, int(request.args.get("hal", "1")))
    except ValueError:
        page = 1
    rows, total = accounts(db(), _hr_scope(), query, PAGE, (page - 1) * PAGE)
    return render_template("accounts/people.html", rows=rows, total=total, query=query,
                           page=page, pages=max(1, -(-total // PAGE)),
                           tz=regency_zone())


@bp.post("/akun/<nip>/kode", endpoint="issue_code")
def issue_code(nip: str):  # type: ignore[no-untyped-def]
    """A new one-time activation code, shown once on the page HR prints or reads out (never
    put in the session cookie); `kunci` also stops the old password and every session."""
    row = db().execute("SELECT name, unit_id FROM employees WHERE nip = %s", (nip,)).fetchone()
    if row is None:
        abort(404)
    scope = _hr_scope()
    if scope is not None and row[1] not in scope:
        abort(403)
    lock = request.form.get("kunci") == "ya"
    try:
        code = invite(db(), nip, lock=lock)
    except AccountError as err:
        flash(str(err), "error")
        return redirect(url_for("accounts.people", q=nip))
    current_app.logger.info("activation code for %s issued by %s (lock=%s)", nip,
                            current_user.username, lock)
    hours = int(ACTIVATION_VALID.total_seconds() // 3600)
    return render_template("accounts/code.html", nip=nip, name=row[0], hours=hours, lock=lock,
                           code=f"{code[:5]}-{code[5:]}", min_password=MIN_PASSWORD)
