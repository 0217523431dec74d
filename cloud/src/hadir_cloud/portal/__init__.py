"""The Flask portal: `create_app(settings)` builds it; blueprints per area."""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Flask, g
from flask_babel import Babel
from flask_login import LoginManager, UserMixin
from flask_wtf import CSRFProtect

from ..settings import CloudSettings

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class User(UserMixin):
    """A signed-in portal user."""

    def __init__(self, username: str, role: str):
        self.id = username
        self.role = role


def db() -> psycopg.Connection:
    """This request's database connection."""
    if "db" not in g:
        g.db = psycopg.connect(g.db_url, autocommit=True)
    return g.db  # type: ignore[no-any-return]


def create_app(settings: CloudSettings | None = None, **overrides: Any) -> Flask:
    """The portal app; the database URL and the secret key come from settings (never defaults)."""
    settings = settings or CloudSettings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=overrides.pop("SECRET_KEY", None) or settings.secret_key(),
        DATABASE_URL=settings.require_database_url(),
        BABEL_DEFAULT_LOCALE="id",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(overrides)

    @app.before_request
    def _bind_db() -> None:
        g.db_url = app.config["DATABASE_URL"]

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk terlebih dahulu."
    csrf.init_app(app)
    babel.init_app(app)

    @login_manager.user_loader
    def _load(username: str) -> User | None:
        row = db().execute("SELECT username, role FROM portal_users WHERE username = %s",
                           (username,)).fetchone()
        return User(row[0], row[1]) if row else None

    from .auth import bp as auth_bp
    from .checkins import bp as checkins_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(checkins_bp)
    csrf.exempt(checkins_bp)  # JSON API with bearer tokens; pages there are GET only
    return app
