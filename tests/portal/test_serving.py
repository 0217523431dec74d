"""Production-grade serving: security headers, sign-in rate limit, gunicorn entry point."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_devstack import free_port, wait_port


@pytest.fixture
def app(fresh_db: str):
    upgrade(fresh_db)
    return create_app(CloudSettings(database_url=fresh_db, login_rate_limit="3 per minute"),
                      SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False)


def test_every_response_carries_the_security_headers(app):
    resp = app.test_client().get("/masuk")
    h = resp.headers
    assert h["Strict-Transport-Security"].startswith("max-age=")
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http:" not in csp and "https:" not in csp  # nothing from elsewhere
    assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"


def test_session_cookies_are_secure_and_http_only(app):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_sign_in_attempts_are_rate_limited_with_a_bahasa_page(app):
    client = app.test_client()
    codes = [client.post("/masuk", data={"username": "x", "password": "salah-salah-salah"}
                         ).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert "Terlalu banyak percobaan" in client.post(
        "/masuk", data={"username": "x", "password": "y"}).get_data(as_text=True)
    assert client.get("/masuk").status_code == 200  # reading the page is not limited


def test_gunicorn_serves_the_wsgi_app(fresh_db: str):
    upgrade(fresh_db)
    port = free_port()
    env = {"HADIR_DATABASE_URL": fresh_db, "HADIR_SECRET_KEY": "y" * 32,
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                             f"127.0.0.1:{port}", "hadir_cloud.portal.wsgi:app"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_port(port, 30)
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200 and b"ok" in r.read()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_stale_form_gets_a_bahasa_page_not_a_bare_400(fresh_db: str):
    upgrade(fresh_db)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32)  # CSRF on
    resp = app.test_client().post("/masuk", data={"username": "x", "password": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Formulir kedaluwarsa" in html and "Bad Request" not in html
