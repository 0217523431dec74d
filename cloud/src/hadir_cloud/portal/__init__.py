"""The Flask portal: `create_app(settings)` builds it; blueprints per area."""

from __future__ import annotations

import os
import threading
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from flask import Flask, Response, abort, current_app, g, render_template, request
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from psycopg_pool import ConnectionPool

from ..settings import ZONE_NAMES, CloudSettings
from .i18n import babel, init_i18n  # noqa: F401 - `babel` kept importable from here
from .rbac import PERMISSIONS, Principal, decide

#: everything from this site only; inline styles stay allowed until the last inline <style> goes
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")

login_manager = LoginManager()
#: endpoints whose POST is rate limited per address (sign-in and activation guess passwords)
RATE_LIMITED = ("auth.login", "accounts.activate")
csrf = CSRFProtect()


class User(UserMixin):
    """A signed-in portal account: Flask-Login's view of a `Principal`."""

    def __init__(self, who: Principal, sid: str):
        self.id = sid  # "username|session_version": an older session cookie stops working
        self.principal = who
        self.username = who.username
        self.roles = who.roles

    @property
    def role(self) -> str:
        """The account's roles, comma-separated (for display)."""
        return ", ".join(sorted(r.value for r in self.roles))


#: every portal connection: autocommit; no JIT (no portal query gains from it; a big one
#: pays 100 ms compiling, docs/benchmarks.md); and a plan for each query's own values: after
#: five runs psycopg prepares a statement, and PostgreSQL's generic plan for "received since
#: this stamp, captured in this month" scanned the whole month (300 ms instead of 0.1 ms)
CONNECT_KW: dict[str, Any] = {"autocommit": True,
                              "options": "-c jit=off -c plan_cache_mode=force_custom_plan"}


class _Pools:
    """One connection pool per process (gunicorn forks workers: a pool opened before the fork
    would share sockets), opened on the first request that needs the database."""

    def __init__(self, url: str, size: int):
        self.url, self.size = url, size
        self.pid = 0
        self.pool: ConnectionPool | None = None
        self.lock = threading.Lock()

    def get(self) -> ConnectionPool:
        with self.lock:
            if self.pool is None or self.pid != os.getpid():
                self.pool = ConnectionPool(self.url, min_size=1, max_size=self.size,
                                           kwargs=CONNECT_KW, open=True, name="portal")
                self.pid = os.getpid()
            return self.pool


def db() -> psycopg.Connection:
    """This request's database connection (from the process's pool when it has one)."""
    if "db" not in g:
        pools: _Pools | None = current_app.extensions.get("hadir_pool")
        if pools is None:
            g.db = psycopg.connect(g.db_url, **CONNECT_KW)
        else:
            g.db_pool = pools.get()
            g.db = g.db_pool.getconn()
    return g.db  # type: ignore[no-any-return]


def regency_zone() -> ZoneInfo:
    """The regency's zone (HADIR_TIMEZONE): this request's 'today' and the times shown where no
    office's zone applies."""
    settings: CloudSettings = current_app.extensions["hadir_settings"]
    return settings.zone()


def regency_today() -> date:
    """Today in the regency's zone."""
    settings: CloudSettings = current_app.extensions["hadir_settings"]
    return settings.today()


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
        SESSION_COOKIE_SECURE=settings.portal_secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.portal_secure_cookies,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        LOGIN_RATE_LIMIT=settings.login_rate_limit,
        # which notice channels the deployment has (the preferences page offers only those)
        NOTIFY_EMAIL=bool(settings.smtp_host),
        NOTIFY_WEBHOOK=bool(settings.notify_webhook_url),
    )
    app.config.update(overrides)
    app.extensions["hadir_settings"] = settings
    zone_name = ZONE_NAMES[settings.timezone]

    @app.context_processor
    def _zone_name() -> dict[str, str]:
        return {"zone_name": zone_name}  # WIB, WITA or WIT: the regency's (HADIR_TIMEZONE)
    if app.config.get("DB_POOL_SIZE", settings.portal_db_pool):
        app.extensions["hadir_pool"] = _Pools(
            app.config["DATABASE_URL"], app.config.get("DB_POOL_SIZE", settings.portal_db_pool))

    @app.before_request
    def _bind_db() -> None:
        g.db_url = app.config["DATABASE_URL"]

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        pool = g.pop("db_pool", None)
        if conn is None:
            return
        if pool is None:
            conn.close()
        else:
            pool.putconn(conn)  # rolled back first if a transaction was left open

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk terlebih dahulu."
    csrf.init_app(app)
    init_i18n(app)

    from ..users import principal  # not at import time: users imports portal.rbac

    @login_manager.user_loader
    def _load(sid: str) -> User | None:
        who = principal(db(), sid)
        return User(who, sid) if who else None

    @app.before_request
    def _authorize() -> Any:
        """The permission table decides, before any view runs (an undeclared route: 403)."""
        who = current_user.principal if current_user.is_authenticated else None
        verdict = decide(request.endpoint, who)
        if verdict == 401:
            return login_manager.unauthorized()
        if verdict == 403:
            if request.endpoint not in PERMISSIONS:
                app.logger.error("route %s has no declared permission", request.endpoint)
            abort(403)
        return None

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        """HSTS, a content security policy with nothing from elsewhere, no framing, no sniffing."""
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    # one limiter per app (its own storage): a module-level one would share counts and
    # switches between apps
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions["hadir_limiter"] = limiter

    @app.errorhandler(429)
    def _too_many(_err: Exception) -> tuple[str, int]:
        return render_template("errors/429.html"), 429

    @app.errorhandler(CSRFError)
    def _stale_form(_err: Exception) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(400)
    def _bad_request(err: Exception) -> Any:
        if getattr(err, "response", None) is not None:
            return err.response  # type: ignore[attr-defined]  # the JSON API's own answer
        # a view's abort(400, "…") carries its Bahasa reason; Werkzeug's own is English
        description = getattr(err, "description", "")
        if not isinstance(description, str) or description.startswith("The browser"):
            description = gettext("Alamat atau isian halaman ini tidak dapat dibaca.")
        return render_template("errors/400.html", description=description), 400

    @app.errorhandler(404)
    def _not_found(_err: Exception) -> tuple[str, int]:
        return render_template("errors/404.html"), 404

    @app.errorhandler(403)
    def _forbidden(_err: Exception) -> tuple[str, int]:
        return render_template("errors/403.html"), 403

    from .accounts import bp as accounts_bp
    from .auth import bp as auth_bp
    from .checkins import bp as checkins_bp
    from .tokens import bp as tokens_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(checkins_bp)
    from ..attendance.views import bp as attendance_bp
    from ..dashboards.views import bp as dashboards_bp
    from ..devices.views import bp as devices_bp
    from ..letters.incoming_views import bp as letters_in_bp
    from ..letters.verify_views import bp as verify_bp
    from ..letters.views import bp as letters_bp
    from ..lkh.views import bp as lkh_bp
    from ..notify.views import bp as notify_bp
    from ..org.views import bp as org_bp
    from ..privacy.audit_views import bp as audit_bp
    from ..privacy.erasure_views import bp as privacy_admin_bp
    from ..privacy.views import bp as privacy_bp
    from ..punches.views import bp as punches_bp
    from ..requests.views import bp as requests_bp
    from ..review.views import bp as review_bp
    from ..tpp.settings_views import bp as tpp_settings_bp
    from ..tpp.views import bp as tpp_bp

    app.register_blueprint(attendance_bp)
    app.register_blueprint(tpp_bp)
    app.register_blueprint(tpp_settings_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(lkh_bp)
    app.register_blueprint(punches_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(requests_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(letters_in_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(devices_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(privacy_admin_bp)
    app.register_blueprint(audit_bp)
    for endpoint in RATE_LIMITED:
        app.view_functions[endpoint] = limiter.limit(
            lambda: app.config["LOGIN_RATE_LIMIT"], methods=["POST"])(app.view_functions[endpoint])
    csrf.exempt(checkins_bp)  # JSON API with bearer tokens; pages there are GET only
    return app
