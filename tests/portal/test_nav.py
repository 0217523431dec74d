"""The navigation: one table, entries per role, areas not built yet left out."""

from __future__ import annotations

import psycopg
import pytest
from flask import Flask
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.portal import create_app
from hadir_cloud.portal.nav import NAV, ROLES, for_roles, role_label
from hadir_cloud.portal.rbac import PERMISSIONS, Access, Principal, Role
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import add_user


def _app(*endpoints: str) -> Flask:
    app = Flask(__name__)
    for e in endpoints:
        app.add_url_rule(f"/{e}", endpoint=e, view_func=lambda: "")
    return app


def test_entries_of_areas_not_built_yet_are_skipped():
    app = _app("checkins.today", "accounts.change_password")
    assert [e.endpoint for e in for_roles(app, ["admin"])] == [
        "checkins.today", "accounts.change_password"]


def test_each_role_sees_its_own_entries():
    app = _app(*(e.endpoint for e in NAV))
    seen = {role: {e.endpoint for e in for_roles(app, [role])} for role in ROLES}
    assert seen["admin"] == {e.endpoint for e in NAV}  # the legacy role: everything
    assert "checkins.today" not in seen["pegawai"] and "attendance.my_month" in seen["pegawai"]
    assert "audit.index" in seen["auditor"] and "tpp.index" in seen["auditor"]
    assert "devices.index" in seen["operator_ti"] and "lkh.index" not in seen["operator_ti"]
    assert "checkins.today" in seen["admin_opd"]
    assert "tpp.index" not in seen["admin_opd"]  # TPP runs are regency-wide: BKPSDM's
    settings = {"tpp_settings.rules", "tpp_settings.calendar", "tpp_settings.schedules"}
    assert settings <= seen["admin_bkpsdm"]  # rule sets, calendar and schedules: regency HR's
    for role in ("pimpinan", "auditor", "admin_opd", "atasan", "pegawai"):
        assert not settings & seen[role], role
    for role in ROLES:
        assert "accounts.change_password" in seen[role]
    assert {e.endpoint for e in for_roles(app, ["pegawai", "atasan"])} >= {
        "attendance.my_month", "attendance.team"}  # roles add up
    assert for_roles(app, []) == []


def test_the_menu_never_offers_a_page_the_permission_table_refuses():
    app = _app(*(e.endpoint for e in NAV))
    for entry in NAV:
        rule = PERMISSIONS.get(entry.endpoint)
        if isinstance(rule, frozenset):
            assert entry.roles <= {str(r) for r in rule}, entry.endpoint
        elif rule is None:  # declared once the area lands; until then the table's check hides it
            who = Principal("x", None, frozenset({Role.ADMIN}))
            assert entry not in for_roles(app, ["admin"], who)
        else:
            assert rule in (Access.PUBLIC, Access.SIGNED_IN)


def test_every_role_has_a_name():
    assert all(role_label(r) != r for r in ROLES)
    assert role_label("tidak-ada") == "tidak-ada"


@pytest.fixture
def signed_in(fresh_db: str, monkeypatch):
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_user(conn, "admin", "kata-sandi-rahasia")
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    client = create_app(CloudSettings(), SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False).test_client()
    resp = client.post("/masuk", data={"username": "admin", "password": "kata-sandi-rahasia"})
    assert resp.status_code == 302
    return client


def test_the_shell_shows_the_user_the_menu_and_logout(signed_in):
    html = signed_in.get("/").get_data(as_text=True)
    assert '<title>Check-in' in html and "— Hadir</title>" in html
    assert 'class="who">admin' in html and "Administrator" in html
    assert 'href="/" aria-current="page">Check-in hari ini</a>' in html
    assert 'action="/keluar"' in html and 'name="csrf_token"' in html
    assert "Belum ada check-in pada tanggal ini." in html  # the empty state says what to do
    english = signed_in.get("/?lang=en").get_data(as_text=True)
    assert ("Today's check-ins" in english or "Today&#39;s check-ins" in english)
    assert "Sign out" in english
    assert "No check-ins on this date yet." in english
