"""The API token page: an IT operator makes a token (shown once), the API takes it for its
scope, revoking stops it at once; bad input is refused next to the field; other roles are
refused the page. Through the real portal app and PostgreSQL."""

from __future__ import annotations

import re

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import AccountError, add_user, create_token, grant, tokens
from test_shell_browser import portal_url  # noqa: F401 (a fixture)

PW = "kata-sandi-rahasia"


@pytest.fixture
def app(fresh_db: str):  # type: ignore[no-untyped-def]
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for user, role in (("it", "operator_ti"), ("hr", "admin_bkpsdm")):
            add_user(conn, user, PW, "staf")
            grant(conn, user, role, None, "tes")
    return create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                      WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False)


def _login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def test_made_once_used_by_the_api_and_revoked(app, fresh_db: str):
    it = _login(app, "it")
    page = it.get("/token-api").get_data(as_text=True)
    assert "Belum ada token API." in page and 'name="cakupan"' in page
    made = it.post("/token-api", data={"nama": "dasbor-dinas", "cakupan": "checkins:read",
                                       "hari": "30"})
    html = made.get_data(as_text=True)
    token = re.search(r'<code id="token-value"[^>]*>([^<]+)</code>', html).group(1)  # type: ignore[union-attr]
    assert made.status_code == 200 and "tidak akan ditampilkan lagi" in html
    api = app.test_client()
    assert api.get("/api/checkins", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 200
    again = it.get("/token-api").get_data(as_text=True)
    assert token not in again  # shown once
    assert 'data-name="dasbor-dinas" data-live="ya"' in again
    with psycopg.connect(fresh_db) as conn:
        (row,) = tokens(conn)
    assert row.created_by == "it" and row.scopes == ["checkins:read"] and row.expires_at
    it.post(f"/token-api/{row.token_sha256}/cabut")
    assert api.get("/api/checkins", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 401
    assert 'data-name="dasbor-dinas" data-live="tidak"' in it.get("/token-api").get_data(
        as_text=True)
    gone = it.post(f"/token-api/{row.token_sha256}/cabut", follow_redirects=True)
    assert "sudah dicabut" in gone.get_data(as_text=True)


def test_every_scope_is_described():
    from hadir_cloud.portal.tokens import SCOPE_TEXT
    from hadir_cloud.users import TOKEN_SCOPES

    assert set(SCOPE_TEXT) == TOKEN_SCOPES


def test_bad_input_next_to_its_field_and_other_roles_refused(app, fresh_db: str):
    it = _login(app, "it")
    for data, field in (({"nama": "", "cakupan": "checkins:read", "hari": "30"}, "nama"),
                        ({"nama": "x", "hari": "30"}, "cakupan"),
                        ({"nama": "x", "cakupan": "semua:tulis", "hari": "30"}, "cakupan"),
                        ({"nama": "x", "cakupan": "checkins:read", "hari": "7"}, "hari")):
        bad = it.post("/token-api", data=data)
        assert bad.status_code == 400 and f'id="{field}-error"' in bad.get_data(as_text=True)
    with psycopg.connect(fresh_db) as conn:
        assert tokens(conn) == []
        with pytest.raises(AccountError, match="tidak dikenal"):
            create_token(conn, "x", ("checkins:write",))
    assert _login(app, "hr").get("/token-api").status_code == 403
    assert _login(app, "hr").post("/token-api", data={"nama": "x"}).status_code == 403


@pytest.mark.browser
@pytest.mark.slow
def test_the_token_page_in_a_browser(portal_url: str, browser, tmp_path):  # noqa: F811
    from test_shell_browser import PASSWORD, _shot

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Token API").click()
    page.wait_for_url(f"{portal_url}/token-api")
    _shot(page, tmp_path, "portal-tokens-empty-id")
    page.get_by_label("Nama (untuk apa token ini)").fill("dasbor dinas kominfo")
    page.get_by_role("button", name="Buat token").click()
    page.wait_for_load_state()
    assert len(page.locator("#token-value").inner_text()) > 30
    _shot(page, tmp_path, "portal-tokens-new-id")
    page.locator('tr[data-name="dasbor dinas kominfo"]').get_by_role("button", name="Cabut").click()
    page.wait_for_load_state()
    assert page.locator('tr[data-name="dasbor dinas kominfo"]').get_attribute("data-live") == "tidak"
    _shot(page, tmp_path, "portal-tokens-revoked-id")
