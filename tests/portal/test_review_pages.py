"""`/tinjauan`: the queue of NIP check-ins by scope, decisions and what they do to the recap
and TPP, the reference photo, errors in Bahasa, double submits."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest
from hadir_cloud.attendance import store as attendance_store
from hadir_cloud.devices.gallery import enroll, reference_jpeg
from hadir_cloud.portal import create_app
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.users import activate, add_user, grant, invite
from hadir_protocol.codec import pack_encoding

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "review"))
from review_db import DEWI, FACES, GURU, SARI, add_nip_checkin, face, seed_october  # noqa: E402

PW = "kata-sandi-rahasia"
OCT8 = date(2026, 10, 8)  # Dewi: no face check-in that day and her DL refused
AFTER = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

#: a recorded consent to biometric enrolment (enrolment refuses without one)
CONSENT = Consent("FRM-UJI-1", "uji")


@pytest.fixture
def portal(fresh_db: str):
    """October 2026; Sari heads BKPSDM (Dewi's atasan); an OPD admin of DISDIK; BKPSDM HR;
    Dewi typed her NIP on 8 October coming and going; the gallery holds her reference photo."""
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        activate(conn, SARI, invite(conn, SARI), PW)
        activate(conn, GURU, invite(conn, GURU), PW)
        for name, role, unit in (("bkpsdm", "admin_bkpsdm", None),
                                 ("disdik", "admin_opd", "DISDIK")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, unit, "tes")
        moment = face("biden/biden1.jpg")
        came = add_nip_checkin(conn, DEWI, OCT8, "07:25", "in", photo=moment, face_distance=0.62)
        left = add_nip_checkin(conn, DEWI, OCT8, "16:05", "out", photo=moment)
        enroll(conn, DEWI, "Dewi", [pack_encoding(np.zeros(128, dtype=np.float32))],
               photo=reference_jpeg(FACES / "obama" / "obama1.jpg"), consent=CONSENT)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    return app, fresh_db, came, left


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def _tk(db: str) -> list[date]:
    with psycopg.connect(db) as conn:
        got = {r.nip: r for r in tpp_store.compute_month(conn, "2026-10")}
    return [d.day for d in got[DEWI].deductions if d.code == "TK"]


def _recap(db: str) -> str | None:
    with psycopg.connect(db) as conn:
        rows = attendance_store.recap_day(conn, frozenset({"BKPSDM"}), OCT8, AFTER)
    return next(r.column for r in rows if r.employee.nip == DEWI)


def test_the_atasan_sees_both_photos_and_the_face_distance_in_words(portal):
    app, _db, came, left = portal
    client = login(app, SARI)
    html = client.get("/tinjauan").get_data(as_text=True)
    assert "Tinjauan check-in" in html.split('aria-label="Menu utama"')[1]  # the nav entry
    assert "2 check-in menunggu tinjauan." in html
    assert html.index(str(came)) < html.index(str(left))  # oldest first
    item = html.split(f'id="item-{came}"')[1].split("</article>")[0]
    assert f"/checkins/{came}/photo.jpg" in item and f"/tinjauan/foto-referensi/{DEWI}.jpg" in item
    assert "jarak wajah 0,62 — di atas batas 0,50: kemungkinan bukan orang yang sama" in item
    assert "Badan Kepegawaian" in item and DEWI in item and "08-10-2026 07:25" in item
    assert "di dalam" in item and "12 m / 50 m" in item
    later = html.split(f'id="item-{left}"')[1].split("</article>")[0]
    assert "jarak wajah tidak tercatat" in later
    ref = client.get(f"/tinjauan/foto-referensi/{DEWI}.jpg")
    assert ref.status_code == 200 and ref.mimetype == "image/jpeg"
    assert ref.data[:2] == b"\xff\xd8" and len(ref.data) < 60_000
    assert client.get(f"/checkins/{came}/photo.jpg").status_code == 200
    # the day's check-ins say "perlu ditinjau" and take a reviewer to the queue
    day = client.get(f"/?date={OCT8.isoformat()}").get_data(as_text=True)
    assert '<a class="warn" href="/tinjauan">perlu ditinjau</a>' in day
    # an employee who heads nothing reviews nothing
    assert login(app, GURU).get("/tinjauan").status_code == 403


def test_another_opd_s_admin_neither_sees_nor_decides(portal):
    app, db, came, _left = portal
    client = login(app, "disdik")
    html = client.get("/tinjauan").get_data(as_text=True)
    assert str(came) not in html and "Tidak ada check-in yang menunggu tinjauan." in html
    assert client.post(f"/tinjauan/{came}", data={"decision": "accepted"}).status_code == 403
    assert client.get(f"/tinjauan/foto-referensi/{DEWI}.jpg").status_code == 403
    assert _tk(db) == [OCT8]  # nothing was decided
    # BKPSDM sees the regency's
    assert str(came) in login(app, "bkpsdm").get("/tinjauan").get_data(as_text=True)


def test_accepting_makes_the_day_present_and_a_double_submit_changes_nothing(portal):
    app, db, came, left = portal
    assert _recap(db) == "tk" and _tk(db) == [OCT8]
    client = login(app, SARI)

    def waiting_on_her_month() -> bool:
        page = client.get(f"/rekap/pegawai/{DEWI}?bulan=2026-10").get_data(as_text=True)
        return "waiting-review" in page.split(f'data-day="{OCT8.isoformat()}"')[1].split("</td>")[0]

    assert waiting_on_her_month()  # her TK that day may still change: her month says so
    for eid in (came, left):
        resp = client.post(f"/tinjauan/{eid}", data={"decision": "accepted"})
        assert resp.status_code == 302 and resp.location.endswith("/tinjauan")
    again = client.post(f"/tinjauan/{came}", data={"decision": "accepted"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Keputusan ini sudah tercatat sebelumnya" in again
    assert "Tidak ada check-in yang menunggu tinjauan." in again
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM checkin_review_moves").fetchone()[0] == 2
        live = tpp_store.live_tpp(conn, "2026-10", DEWI)
    assert [d.day for d in live.deductions if d.code == "TK"] == []
    assert _recap(db) == "hadir" and _tk(db) == [] and not waiting_on_her_month()
    html = client.get("/tinjauan/riwayat?keputusan=accepted").get_data(as_text=True)
    assert str(came) in html and "Diterima" in html and "Ubah keputusan" in html


def test_a_reject_needs_a_reason_and_turns_the_day_into_tk_in_the_tpp_run(portal):
    app, db, came, left = portal
    client = login(app, SARI)
    client.post(f"/tinjauan/{left}", data={"decision": "accepted"})
    assert _tk(db) == []  # a check-out alone makes no TK (late: TL4)
    resp = client.post(f"/tinjauan/{came}", data={"decision": "rejected", "note": "  "})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Tulis alasan penolakan." in html
    assert 'aria-invalid="true"' in html.split(f'id="item-{came}"')[1].split("</article>")[0]
    resp = client.post(f"/tinjauan/{came}", data={"decision": "maybe"})
    assert resp.status_code == 400 and "Pilih Terima atau Tolak." in resp.get_data(as_text=True)
    resp = client.post(f"/tinjauan/{came}", data={"decision": "rejected",
                                                 "note": "wajah di foto bukan Dewi"})
    assert resp.status_code == 302
    # the check-out was accepted too, but a rejected check-in: the day counts as no entry
    client.post(f"/tinjauan/{left}?dari=riwayat", data={"decision": "rejected", "note": "sama"})
    assert _tk(db) == [OCT8]
    html = client.get("/tinjauan/riwayat?keputusan=rejected").get_data(as_text=True)
    decided = html.split(f'id="item-{came}"')[1].split("</article>")[0]
    assert "wajah di foto bukan Dewi" in decided and "Pegawai 2004" in decided  # who decided
    assert "Belum ada keputusan di sini." in client.get(
        "/tinjauan/riwayat?keputusan=accepted").get_data(as_text=True)
    assert client.get("/tinjauan/riwayat?keputusan=x").status_code == 400
    assert client.get("/tinjauan?halaman=0").status_code == 400


def test_htmx_gets_the_item_back_decided_or_with_its_error(portal):
    app, _db, came, _left = portal
    client = login(app, SARI)
    hx = {"HX-Request": "true"}
    resp = client.post(f"/tinjauan/{came}", data={"decision": "rejected"}, headers=hx)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith("<article")
    assert 'data-state="pending"' in html and "Tulis alasan penolakan." in html
    html = client.post(f"/tinjauan/{came}", data={"decision": "accepted"},
                       headers=hx).get_data(as_text=True)
    assert 'data-state="accepted"' in html and "dihitung sebagai kehadiran" in html
    assert "<html" not in html
    # the queue's count, swapped out of band: one left
    assert 'id="pending-count" hx-swap-oob="true">1 check-in menunggu tinjauan.' in html


def test_without_an_enrolled_photo_the_page_says_so(portal):
    app, db, came, _left = portal
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE face_templates SET photo = NULL")
    client = login(app, SARI)
    item = client.get("/tinjauan").get_data(as_text=True).split(f'id="item-{came}"')[1]
    assert "belum ada foto referensi" in item.split("</article>")[0]
    assert client.get(f"/tinjauan/foto-referensi/{DEWI}.jpg").status_code == 404
