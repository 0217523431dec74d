"""Bahasa Indonesia first, English second, through Flask-Babel.

The msgids are the Bahasa text (Bahasa is the source language); the English
catalog is `translations/en/LC_MESSAGES/messages.po`, compiled to `.mo` by
`make i18n`. The locale: `?lang=` (remembered in a `lang` cookie), then that
cookie, then the browser's Accept-Language among the supported ones, then `id`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, request
from flask_babel import Babel, get_locale, gettext

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def N_(text: str) -> str:  # noqa: N802 - the keyword pybabel extracts by default
    """Marks a msgid for extraction where something else translates it later."""
    return text


#: msgids translated elsewhere: Flask-Login flashes `login_message` through `localize_callback`
EXTERNAL_MSGIDS = (N_("Silakan masuk terlebih dahulu."),)


def select_locale() -> str:
    """`?lang=`, then the `lang` cookie, then Accept-Language among LOCALES, then `id`."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LOCALES:
            return candidate  # type: ignore[return-value]
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def lang_url(code: str) -> str:
    """This page in another language: the same path and query with `lang=code`."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def init_i18n(app: Flask) -> None:
    """Flask-Babel with the locale selector and its cookie, and the shell's template helpers.

    Templates get `current_locale`, `locales`, and (from `nav.init_nav`) `nav_entries()` and
    `role_label()`: the layout in `base.html` needs both, so one call sets the shell up.
    """
    from .nav import init_nav

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    babel.init_app(app, locale_selector=select_locale)
    login_manager = getattr(app, "login_manager", None)
    if login_manager is not None:
        login_manager.localize_callback = gettext

    @app.after_request
    def _remember_lang(resp: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LOCALES and request.cookies.get(COOKIE) != chosen:
            resp.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=request.is_secure)
        return resp

    @app.context_processor
    def _locale() -> dict[str, object]:
        return {"current_locale": str(get_locale() or DEFAULT_LOCALE), "locales": LOCALES,
                "lang_url": lang_url}

    init_nav(app)
