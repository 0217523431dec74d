"""Every route × every role against the expected access; accounts, activation and sessions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.portal import create_app
from hadir_cloud.portal.rbac import PERMISSIONS, undeclared
from hadir_cloud.rows import COLUMNS, checkin_row
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import (
    AccountError,
    activate,
    add_user,
    create_token,
    grant,
    invite,
    revoke_token,
)
from hadir_protocol.codec import uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign

PW = "kata-sandi-rahasia"
NIP_A = "198503122010012003"  # works in OPD A (Dinas Pendidikan), under a Bidang
NIP_B = "199001012015031001"  # works in OPD B (Dinas Kesehatan)
PHOTO = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")

#: role → account; `pegawai` is an employee with only their own account
ACCOUNTS = {
    "admin": None, "admin_bkpsdm": None, "operator_ti": None, "pimpinan": None,
    "auditor": None, "admin_opd": "opd-a", "verifikator": None, "tu": None, "pegawai": None,
}
READERS = {"admin", "admin_bkpsdm", "operator_ti", "pimpinan", "auditor", "admin_opd"}
RECAP = {"admin", "admin_bkpsdm", "pimpinan", "admin_opd"}  # and atasan (tests/portal/test_recap)
#: the review of NIP check-ins (and atasan: tests/portal/test_review_pages.py)
REVIEWERS = {"admin", "admin_bkpsdm", "admin_opd", "verifikator"}


def expected(path_kind: str, role: str | None) -> int:
    """The expected status of a GET, by route and role (None: not signed in)."""
    if path_kind in ("login", "activate", "healthz", "static", "verify", "privacy_notice"):
        return 200  # the letters' verify page and the privacy notice: anyone, no login
    if path_kind == "verify_token":
        return 404  # public, and no letter has that token
    if role is None:
        return 401 if path_kind == "api" else 302
    if path_kind in ("password", "my_month", "my_data"):
        return 200
    if path_kind == "export_job":  # no such export here (and never someone else's)
        return 404
    if path_kind == "erasure":
        return 200 if role in {"admin", "admin_bkpsdm"} else 403
    if path_kind == "erasure_report":  # no such erasure here
        return 404 if role in {"admin", "admin_bkpsdm", "auditor"} else 403
    if path_kind == "retention":
        return 200 if role in {"admin", "admin_bkpsdm", "auditor"} else 403
    if path_kind == "audit":
        return 200 if role in {"admin", "auditor"} else 403
    if path_kind == "photo_a":  # NIP A's own photo: the readers, and NIP A (pegawai) too
        return 200 if role in READERS | {"pegawai"} else 403
    if path_kind in ("today", "api"):
        return 200 if role in READERS else 403
    if path_kind in ("lkh_index", "notices"):
        return 200  # any account (one without a NIP is told so)
    if path_kind in ("letters_index", "letters_new", "letters_archive"):
        return 200  # any account (one without a NIP is told so; the archive filters)
    if path_kind == "letters_in_new":
        return 200 if role in {"admin", "tu"} else 403
    if path_kind == "letter_missing":
        return 404  # no such letter
    if path_kind in ("requests_index", "requests_new"):
        return 200  # any account (one without a NIP is told so)
    if path_kind == "requests_inbox":  # and atasan: tests/portal/test_request_pages.py
        return 200 if role == "admin_bkpsdm" else 403
    if path_kind == "lkh_queue":
        return 200 if role == "atasan" else 403  # the admin account has no NIP to review with
    if path_kind == "tokens":
        return 200 if role in {"admin", "operator_ti"} else 403
    if path_kind in ("accounts", "requests_balances"):
        return 200 if role in {"admin", "admin_bkpsdm", "admin_opd"} else 403
    if path_kind in ("org_index", "tpp_rules", "tpp_calendar", "tpp_schedules",
                     "tpp_schedule_new"):
        return 200 if role in {"admin", "admin_bkpsdm"} else 403
    if path_kind == "board":
        return 200 if role in {"admin", "admin_bkpsdm", "pimpinan"} else 403
    if path_kind in ("board_opd", "board_unit"):  # no such OPD or unit here
        return 404 if role in {"admin", "admin_bkpsdm", "pimpinan"} else 403
    if path_kind == "ratings":
        return 200 if role in {"admin", "admin_bkpsdm"} else 403
    fleet, viewers = {"admin", "operator_ti"}, {"admin", "operator_ti", "admin_bkpsdm"}
    if path_kind == "kiosks":
        return 200 if role in viewers else 403
    if path_kind in ("kiosk_show", "kiosk_cmd"):  # no such kiosk here
        return 404 if role in viewers else 403
    if path_kind in ("kiosk_new", "faces"):
        return 200 if role in fleet else 403
    if path_kind == "face_job":  # no such job here
        return 404 if role in fleet else 403
    if path_kind == "punches_index":
        return 200 if role in {"admin", "admin_bkpsdm", "operator_ti"} else 403
    if path_kind == "org_job":  # no such import job here
        return 404 if role in {"admin", "admin_bkpsdm"} else 403
    if path_kind in ("tpp_index", "tpp_run", "tpp_job"):
        readers = {"admin", "admin_bkpsdm", "pimpinan", "auditor"}
        allowed = readers if path_kind != "tpp_job" else {"admin", "admin_bkpsdm"}
        ok = 200 if path_kind == "tpp_index" else 404  # no such run or job here
        return ok if role in allowed else 403
    if path_kind in ("review_queue", "review_history"):
        return 200 if role in REVIEWERS else 403
    if path_kind == "reference_b":  # NIP B (OPD B) has no reference photo; not OPD A's admin's,
        # nor a verifikator's without a unit
        return 404 if role in {"admin", "admin_bkpsdm"} else 403
    if path_kind == "photo_b":  # a person of OPD B: not for OPD A's admin
        return 200 if role in READERS - {"admin_opd"} else 403
    if path_kind in ("recap", "recap_xlsx", "recap_pdf", "person_a", "search"):
        return 200 if role in RECAP else 403
    if path_kind == "person_b":
        return 200 if role in RECAP - {"admin_opd"} else 403
    raise AssertionError(path_kind)


@pytest.fixture(scope="module")
def portal_db(postgres):
    """One database for the module (accounts cost an argon2 hash each)."""
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="module")
def portal(portal_db: str):
    fresh_db = portal_db
    upgrade(fresh_db)
    key = generate_key()
    events = {}
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "kantor", "Kantor Bupati", "Asia/Jakarta", -3.2, 104.6, 50)
        add_device(conn, "kiosk-1", public_key_b64(key), "kantor")
        conn.execute("INSERT INTO units (id, name, regency, parent_id) VALUES "
                     "('pemkab', 'Pemkab', 'uji', NULL), ('opd-a', 'Dinas Pendidikan', 'uji', "
                     "'pemkab'), ('bidang-a', 'Bidang SD', 'uji', 'opd-a'), "
                     "('opd-b', 'Dinas Kesehatan', 'uji', 'pemkab')")
        for nip, unit in ((NIP_A, "bidang-a"), (NIP_B, "opd-b")):
            conn.execute("INSERT INTO employees (nip, name, unit_id, staff_kind, position_class, "
                         "schedule_group, join_date, office_id) VALUES (%s, %s, %s, 'ASN', "
                         "'pelaksana', 'kantor', '2015-01-01', 'kantor')", (nip, f"P {nip}", unit))
            ev = sign(CheckIn(event_id=uuid7(), device_id="kiosk-1", seq=len(events) + 1,
                              employee_id=nip, kind=Kind.IN, captured_at=datetime.now(UTC),
                              clock_source="ntp", gps=GpsFix(fix=False), method=Method.FACE,
                              face=FaceVerdict(distance=0.3, threshold=0.5, model="m"),
                              photo_jpeg_b64="/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==").to_wire(), key)
            conn.execute(f"INSERT INTO checkins ({', '.join(COLUMNS)}) VALUES "
                         f"({', '.join(['%s'] * len(COLUMNS))})",
                         checkin_row(CheckIn.model_validate(ev), ev))
            events[nip] = ev["event_id"]
        for role, unit in ACCOUNTS.items():
            if role == "pegawai":
                continue
            add_user(conn, role, PW, "admin" if role == "admin" else "staf")
            if role != "admin":
                grant(conn, role, role, unit, "uji")
        activate(conn, NIP_A, invite(conn, NIP_A), PW)  # pegawai: NIP A's own account
        token = create_token(conn, "dasbor", ("checkins:read",), days=30)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    return app, events, token, fresh_db


def login(app, role: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    user = NIP_A if role == "pegawai" else role
    resp = client.post("/masuk", data={"username": user, "password": PW})
    assert resp.status_code == 302, (role, resp.get_data(as_text=True)[:300])
    return client


def paths(events: dict[str, str]) -> dict[str, str]:
    return {"login": "/masuk", "activate": "/aktivasi", "healthz": "/healthz",
            "static": "/static/vendor/MANIFEST.json", "password": "/kata-sandi", "today": "/",
            "api": "/api/checkins", "my_month": "/bulan-saya", "tpp_index": "/tpp/",
            "org_index": "/organisasi/impor", "punches_index": "/absen-mesin/",
            "org_job": "/organisasi/impor/tugas/999999",
            "tpp_rules": "/tpp/aturan",
            "tpp_calendar": "/tpp/kalender", "tpp_schedules": "/tpp/jadwal",
            "tpp_schedule_new": "/tpp/jadwal/baru",
            "tpp_run": "/tpp/run/999999", "tpp_job": "/tpp/job/999999",
            "photo_a": f"/checkins/{events[NIP_A]}/photo.jpg",
            "photo_b": f"/checkins/{events[NIP_B]}/photo.jpg", "recap": "/rekap",
            "recap_xlsx": "/rekap.xlsx", "recap_pdf": "/rekap.pdf", "search": "/cari?q=Bud",
            "accounts": "/akun", "lkh_index": "/lkh", "notices": "/pemberitahuan",
            "requests_index": "/permohonan",
            "requests_new": "/permohonan/baru", "requests_inbox": "/permohonan/masuk",
            "requests_balances": "/permohonan/saldo", "tokens": "/token-api",
            "lkh_queue": "/lkh/tinjau",
            "letters_index": "/surat", "letters_new": "/surat/baru",
            "letters_archive": "/surat/arsip?q=rapat", "letters_in_new": "/surat/masuk/baru",
            "verify": "/verifikasi", "verify_token": "/verifikasi/tidak-ada",
            "letter_missing": "/surat/999999",
            "person_a": f"/rekap/pegawai/{NIP_A}",
            "person_b": f"/rekap/pegawai/{NIP_B}", "review_queue": "/tinjauan",
            "review_history": "/tinjauan/riwayat?keputusan=rejected",
            "reference_b": f"/tinjauan/foto-referensi/{NIP_B}.jpg",
            "board": "/dasbor/", "board_opd": "/dasbor/opd/tidak-ada",
            "board_unit": "/dasbor/unit/tidak-ada", "ratings": "/dasbor/penilaian",
            "kiosks": "/kiosk/", "kiosk_new": "/kiosk/baru",
            "kiosk_show": "/kiosk/perangkat/tidak-ada",
            "kiosk_cmd": "/kiosk/perangkat/tidak-ada/perintah/x", "faces": "/kiosk/wajah",
            "face_job": "/kiosk/wajah/tugas/999999",
            "privacy_notice": "/privasi", "my_data": "/privasi/data-saya",
            "export_job": "/privasi/data-saya/ekspor/999999", "erasure": "/privasi/penghapusan",
            "erasure_report": "/privasi/penghapusan/999999", "retention": "/privasi/retensi",
            "audit": "/audit"}


#: endpoint → the path kinds above that reach it (every route of the app must be here)
ROUTE_KINDS = {"auth.login": ["login"], "accounts.activate": ["activate"],
               "checkins.healthz": ["healthz"], "static": ["static"],
               "accounts.change_password": ["password"], "checkins.today": ["today"],
               "checkins.api_checkins": ["api"], "checkins.photo": ["photo_a", "photo_b"],
               "attendance.my_month": ["my_month"], "auth.logout": [],
               "tpp.index": ["tpp_index"], "tpp.run": ["tpp_run"], "tpp.job": ["tpp_job"],
               # POSTs and pages of a run, a job or a person: tests/portal/test_tpp_pages.py
               "tpp.start": [], "tpp.finalize": [], "tpp.explain": [], "tpp.export": [],
               "tpp.job_progress": [],
               "attendance.team": ["recap"], "attendance.team_xlsx": ["recap_xlsx"],
               "attendance.team_pdf": ["recap_pdf"],
               "attendance.person": ["person_a", "person_b"],
               "attendance.search": ["search"],
               # issuing a code (POST): tests/portal/test_account_pages.py
               "accounts.people": ["accounts"], "accounts.issue_code": [],
               # a day's form and the decisions (POST): tests/portal/test_lkh_pages.py
               "lkh.index": ["lkh_index"], "lkh.day": [], "lkh.queue": ["lkh_queue"],
               "lkh.decide": [], "lkh.attachment": [],
               "notify.index": ["notices"], "notify.prefs": [],
               # a request, its edit and the POSTs: tests/portal/test_request_pages.py
               "requests.index": ["requests_index"], "requests.new": ["requests_new"],
               "requests.inbox": ["requests_inbox"], "requests.show": [], "requests.edit": [],
               "requests.cancel": [], "requests.decide": [], "requests.attachment": [],
               "requests.balances": ["requests_balances"],
               # making and revoking (POSTs): tests/portal/test_tokens.py
               "tokens.index": ["tokens"], "tokens.create": [], "tokens.revoke": [],
               # a letter's pages, moves, signing job and PDFs: tests/letters/test_letters_pages.py
               "letters.index": ["letters_index"], "letters.new": ["letters_new"],
               "letters.archive": ["letters_archive"], "letters.show": ["letter_missing"],
               "letters.edit": [], "letters.act": [], "letters.sign": [], "letters.job": [],
               "letters.job_progress": [], "letters.preview": [], "letters.download": [],
               "letters_in.new": ["letters_in_new"], "letters_in.show": [],
               "letters_in.dispose": [], "letters_in.finish": [], "letters_in.to_lkh": [],
               "letters_in.scan": [], "letters_in.sheet": [],
               "verify.index": ["verify"], "verify.token": ["verify_token"],
               # the upload, apply, job fragment and downloads: tests/portal/test_org_pages.py
               "org.index": ["org_index"], "org.check": [], "org.apply": [], "org.template": [],
               "org.export": [], "org.job": ["org_job"], "org.job_progress": [],
               # the upload and the mapping (POSTs): tests/punches/test_punches_pages.py
               "punches.index": ["punches_index"], "punches.upload": [], "punches.map_upload": [],
               "tpp_settings.rules": ["tpp_rules"], "tpp_settings.calendar": ["tpp_calendar"],
               "tpp_settings.schedules": ["tpp_schedules"],
               "tpp_settings.schedule_new": ["tpp_schedule_new"],
               # the POSTs, a download and a stored schedule: tests/tpp/test_settings_pages.py
               "tpp_settings.rules_check": [], "tpp_settings.rules_save": [],
               "tpp_settings.rules_download": [], "tpp_settings.calendar_add": [],
               "tpp_settings.calendar_remove": [], "tpp_settings.ramadan_add": [],
               "tpp_settings.ramadan_remove": [], "tpp_settings.workweek": [],
               "tpp_settings.calendar_seed": [], "tpp_settings.schedule_edit": [],
               # the decision (a POST): tests/portal/test_review_pages.py
               "review.queue": ["review_queue"], "review.history": ["review_history"],
               "review.reference_photo": ["reference_b"], "review.decide": [],
               # the leaders' board and the ratings import: tests/portal/test_leader_board.py
               "dashboards.index": ["board"], "dashboards.opd": ["board_opd"],
               "dashboards.unit": ["board_unit"], "dashboards.ratings": ["ratings"],
               # the fleet console; its POSTs and the job fragment: tests/portal/test_fleet_console
               "devices.index": ["kiosks"], "devices.new": ["kiosk_new"],
               "devices.show": ["kiosk_show"], "devices.command_reply": ["kiosk_cmd"],
               "devices.faces": ["faces"], "devices.face_job": ["face_job"],
               "devices.face_job_progress": [], "devices.config": [], "devices.command": [],
               "devices.disable": [], "devices.enable": [], "devices.revoke": [],
               # privacy: the POSTs, progress and downloads: tests/privacy/test_privacy_pages.py
               "privacy.notice": ["privacy_notice"], "privacy.my_data": ["my_data"],
               "privacy.consent_give": [], "privacy.export_start": [],
               "privacy.export_job": ["export_job"], "privacy.export_progress": [],
               "privacy.export_download": [], "privacy.withdraw": [],
               "privacy_admin.erasure_index": ["erasure"], "privacy_admin.erase": [],
               "privacy_admin.erasure_report": ["erasure_report"],
               "privacy_admin.erasure_status": [], "privacy_admin.retention": ["retention"],
               "privacy_admin.retention_save": [], "audit.index": ["audit"]}


def test_every_route_is_declared_and_in_the_access_matrix(portal):
    app, *_ = portal
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert undeclared(endpoints) == []
    assert endpoints == set(ROUTE_KINDS), "a route without a row in the access matrix"
    assert set(PERMISSIONS) >= endpoints


def test_a_route_added_without_a_declared_permission_is_closed(portal):
    _, _, _, db_url = portal
    app = create_app(CloudSettings(database_url=db_url), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False)
    app.add_url_rule("/baru", "baru", lambda: "rahasia")
    assert undeclared(r.endpoint for r in app.url_map.iter_rules()) == ["baru"]
    client = login(app, "admin")
    resp = client.get("/baru")
    assert resp.status_code == 403 and "rahasia" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", [None, *ACCOUNTS])
def test_routes_by_role(portal, role: str | None):
    app, events, _token, _db = portal
    if "static" in paths(events) and not app.static_folder:
        pytest.skip("no static folder")
    client = app.test_client() if role is None else login(app, role)
    got = {}
    for kinds in ROUTE_KINDS.values():
        for kind in kinds:
            if kind == "static" and not (app.static_folder and
                                         __import__("pathlib").Path(app.static_folder,
                                                                    "vendor/MANIFEST.json").exists()):
                continue
            got[kind] = client.get(paths(events)[kind]).status_code
    want = {k: expected(k, role) for k in got}
    assert got == want


def test_the_403_page_is_in_bahasa_indonesia(portal):
    app, events, *_ = portal
    resp = login(app, "admin_opd").get(paths(events)["photo_b"])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403 and "Akses ditolak" in html and "wewenang" in html


def test_an_opd_admin_sees_only_its_opd_s_people(portal):
    app, events, *_ = portal
    data = login(app, "admin_opd").get("/api/checkins").get_json()
    assert [c["employee_id"] for c in data["checkins"]] == [NIP_A]
    everyone = login(app, "admin_bkpsdm").get("/api/checkins").get_json()
    assert sorted(c["employee_id"] for c in everyone["checkins"]) == sorted([NIP_A, NIP_B])


def test_tokens_have_scopes_expiry_and_revocation(portal):
    app, _events, _shared, db_url = portal
    client = app.test_client()
    with psycopg.connect(db_url, autocommit=True) as conn:
        token = create_token(conn, "dicabut", ("checkins:read",), days=30)
        assert client.get("/api/checkins", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 200
        other = "token-untuk-cakupan-lain"  # a token of another scope (stored as one would be)
        conn.execute("INSERT INTO api_tokens (token_sha256, name, scopes) VALUES "
                     "(encode(sha256(%s::bytea), 'hex'), 'lain', '{letters:read}')", (other,))
        old = create_token(conn, "lama", days=1)
        conn.execute("UPDATE api_tokens SET expires_at = now() - interval '1 minute' "
                     "WHERE name = 'lama'")
        assert revoke_token(conn, "dicabut") == 1
    for t in (token, other, old):
        assert client.get("/api/checkins", headers={"Authorization": f"Bearer {t}"}
                          ).status_code == 401


def test_activation_then_sessions_end_on_logout_and_password_change(portal):
    app, _events, _token, db_url = portal
    with psycopg.connect(db_url, autocommit=True) as conn:
        code = invite(conn, NIP_B)
        with pytest.raises(AccountError, match="kode aktivasi salah"):
            activate(conn, NIP_B, "SALAH12345", PW)
    client = app.test_client()
    assert client.post("/masuk", data={"username": NIP_B, "password": PW}).status_code == 200
    resp = client.post("/aktivasi", data={"nip": NIP_B, "code": code.lower(), "password": PW,
                                          "again": PW})
    assert resp.status_code == 302
    with psycopg.connect(db_url, autocommit=True) as conn:  # the code works once
        with pytest.raises(AccountError):
            activate(conn, NIP_B, code, PW + "x")
    # two sessions of the same person; one logs out: the other's cookie ends too
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert c.post("/masuk", data={"username": NIP_B, "password": PW}).status_code == 302
    assert second.get("/kata-sandi").status_code == 200
    first.post("/keluar")
    assert second.get("/kata-sandi").status_code == 302
    # a password change ends every session, including the one that changed it
    third, fourth = app.test_client(), app.test_client()
    for c in (third, fourth):
        c.post("/masuk", data={"username": NIP_B, "password": PW})
    new = PW + "-baru"
    resp = third.post("/kata-sandi", data={"old": PW, "password": new, "again": new})
    assert resp.status_code == 302
    assert fourth.get("/kata-sandi").status_code == 302
    assert app.test_client().post("/masuk", data={"username": NIP_B, "password": new}
                                  ).status_code == 302


def test_unknown_accounts_take_as_long_as_wrong_passwords(portal):
    """Equal time: a name that does not exist is not told apart by the clock."""
    import time

    app, *_ = portal
    client = app.test_client()

    def timed(user: str) -> float:
        t0 = time.perf_counter()
        client.post("/masuk", data={"username": user, "password": "salah-salah-salah"})
        return time.perf_counter() - t0

    known = min(timed("admin") for _ in range(3))
    unknown = min(timed("tidak-ada") for _ in range(3))
    assert unknown > known * 0.5, (known, unknown)  # both pay for one argon2 verification


def test_nip_login_and_form_errors_next_to_the_field(portal):
    app, *_ = portal
    html = app.test_client().post("/aktivasi", data={"nip": "123", "code": "", "password": "x",
                                                      "again": "y"}).get_data(as_text=True)
    assert re.search(r'role="alert"', html) and "NIP" in html
    assert date.today()  # the page rendered without a crash
