"""The privacy pages through Flask's client: the notice, consent, Data saya and its export (a
real procrastinate worker in this process), photo views audited and never cached, HR's
erasure with errors next to the field, retention, and the audit trail for auditors."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest
from hadir_cloud.devices.gallery import enroll
from hadir_cloud.jobs.app import create_app as jobs_app
from hadir_cloud.portal import create_app
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.privacy.store import set_retention
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import activate, add_user, grant, invite
from hadir_protocol.codec import pack_encoding
from privacy_db import BUDI, RINA, checkin, seed

PW = "kata-sandi-rahasia"


@pytest.fixture
def portal(fresh_db: str):  # type: ignore[no-untyped-def]
    """Rina (Ogan Ilir) and Budi (Buton Tengah) with accounts and check-ins, Rina enrolled;
    regency HR, an auditor, an admin."""
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for nip in (RINA, BUDI):
            activate(conn, nip, invite(conn, nip), PW)
        for name, role in (("hr", "admin_bkpsdm"), ("auditor", "auditor")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, None, "uji")
        add_user(conn, "admin", PW, "admin")
        events = {nip: checkin(conn, nip, datetime.now(UTC)) for nip in (RINA, BUDI)}
        enroll(conn, RINA, "Rina", [pack_encoding(np.zeros(128, dtype=np.float32))],
               consent=Consent("FRM-1", "hr"), photo=b"\xff\xd8\xffreferensi")
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    return app, fresh_db, events


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    resp = client.post("/masuk", data={"username": user, "password": PW})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def trail(url: str, action: str) -> list[tuple[str, str | None, str | None]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT actor, subject, origin FROM audit_log WHERE action = %s "
                            "ORDER BY id", (action,)).fetchall()


def test_the_notice_is_public_and_says_the_retention_this_regency_applies(portal):
    app, url, _events = portal
    html = app.test_client().get("/privasi").get_data(as_text=True)
    assert "Pemberitahuan privasi" in html and "27 Tahun 2022" in html
    assert "90 hari" in html and "1825 hari" in html and "Persetujuan biometrik" in html
    with psycopg.connect(url, autocommit=True) as conn:
        set_retention(conn, "buton-tengah", "foto_presensi", 30, "hr")
    budi = login(app, BUDI).get("/privasi").get_data(as_text=True)
    assert "30 hari" in budi and 'id="consent-form"' in budi  # not consented yet
    assert "90 hari" in login(app, RINA).get("/privasi").get_data(as_text=True)


def test_consent_in_the_portal_then_enrolment_needs_no_form(portal):
    app, url, _events = portal
    budi = login(app, BUDI)
    resp = budi.post("/privasi/persetujuan", data={})
    assert resp.status_code == 302 and "#persetujuan" in resp.headers["Location"]
    assert budi.post("/privasi/persetujuan", data={"setuju": "1"}).status_code == 302
    with psycopg.connect(url, autocommit=True) as conn:
        (method, by) = conn.execute("SELECT method, recorded_by FROM biometric_consents "
                                    "WHERE employee_id = %s", (BUDI,)).fetchone()
        assert (method, by) == ("portal", BUDI)
        enroll(conn, BUDI, "Budi", [pack_encoding(np.ones(128, dtype=np.float32))])
    assert trail(url, "persetujuan.catat")[-1][:2] == (BUDI, BUDI)
    html = budi.get("/privasi/data-saya").get_data(as_text=True)
    assert "terdaftar, tersimpan terenkripsi" in html and "di portal" in html


def test_an_employee_exports_their_own_data_and_nobody_else_can_fetch_it(portal):
    app, url, events = portal
    rina = login(app, RINA)
    page = rina.get("/privasi/data-saya")
    assert page.headers["Cache-Control"] == "no-store"
    resp = rina.post("/privasi/data-saya/ekspor")
    job = resp.headers["Location"]
    waiting = rina.get(job).get_data(as_text=True)
    assert "Menunggu pekerja" in waiting and 'hx-get="' in waiting
    jobs_app(url).run_worker(wait=False, install_signal_handlers=False,
                             additional_context={"conninfo": url})
    done = rina.get(job + "/kemajuan").get_data(as_text=True)
    assert 'data-state="done"' in done and "hx-get" not in done and 'id="download"' in done
    zipped = rina.get(job + "/unduh")
    assert zipped.status_code == 200 and zipped.headers["Cache-Control"] == "no-store"
    names = zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()
    assert "presensi.csv" in names and "wajah/foto-referensi.jpg" in names
    assert "foto-presensi/" in "".join(names) and events[RINA] in "".join(names)
    budi = login(app, BUDI)
    for path in (job, job + "/kemajuan", job + "/unduh"):
        assert budi.get(path).status_code == 403
    assert trail(url, "ekspor.minta") == [(RINA, RINA, "127.0.0.1")]
    assert trail(url, "ekspor.unduh") == [(RINA, RINA, "127.0.0.1")]


def test_every_photo_view_is_audited_and_never_cached(portal):
    app, url, events = portal
    hr = login(app, "hr")
    resp = hr.get(f"/checkins/{events[BUDI]}/photo.jpg")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    ref = hr.get(f"/tinjauan/foto-referensi/{RINA}.jpg")
    assert ref.status_code == 200 and ref.headers["Cache-Control"] == "no-store"
    assert login(app, RINA).get(f"/checkins/{events[RINA]}/photo.jpg").status_code == 200
    assert trail(url, "foto.lihat") == [("hr", BUDI, "127.0.0.1"), ("hr", RINA, "127.0.0.1"),
                                        (RINA, RINA, "127.0.0.1")]
    # a refused view is no view
    assert login(app, BUDI).get(f"/checkins/{events[RINA]}/photo.jpg").status_code == 403
    assert len(trail(url, "foto.lihat")) == 3


def test_hr_erases_with_errors_next_to_the_field_then_follows_the_kiosks(portal):
    app, url, _events = portal
    hr = login(app, "hr")
    found = hr.get(f"/privasi/penghapusan?nip={RINA}").get_data(as_text=True)
    assert "ada (terenkripsi)" in found and 'id="erase-form"' in found
    bad = hr.post("/privasi/penghapusan", data={"nip": RINA, "alasan": "", "konfirmasi": "1"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert 'id="alasan-error"' in html and 'id="konfirmasi-error"' in html
    assert "Ketik ulang NIP yang sama" in html
    unknown = hr.get("/privasi/penghapusan?nip=123").get_data(as_text=True)
    assert 'id="nip-error"' in unknown
    resp = hr.post("/privasi/penghapusan", data={"nip": RINA, "alasan": "permintaan pegawai",
                                                 "konfirmasi": RINA})
    report = resp.headers["Location"]
    html = hr.get(report).get_data(as_text=True)
    assert 'data-place="templat_wajah"><td>' in html and "menunggu konfirmasi" in html
    status = hr.get(report + "/status").get_data(as_text=True)
    assert 'data-complete="tidak"' in status and "hx-get" in status
    with psycopg.connect(url, autocommit=True) as conn:  # both kiosks report the removal
        conn.execute("INSERT INTO device_state (device_id, gallery_version, last_telemetry_at) "
                     "SELECT id, (SELECT max(version) FROM face_templates), now() + interval "
                     "'1 second' FROM devices")
        from hadir_cloud.privacy.erasure import confirm

        assert confirm(conn) == 2
    status = hr.get(report + "/status").get_data(as_text=True)
    assert 'data-complete="ya"' in status and "hx-get" not in status
    assert login(app, "auditor").get(report).status_code == 200
    assert login(app, RINA).get(report).status_code == 403
    assert trail(url, "biometrik.hapus") == [("hr", RINA, "127.0.0.1")]


def test_an_employee_withdraws_consent_and_their_face_is_erased(portal):
    app, url, _events = portal
    rina = login(app, RINA)
    assert rina.post("/privasi/data-saya/tarik-persetujuan",
                     data={"konfirmasi": "salah"}).status_code == 302
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM erasures").fetchone()[0] == 0
    rina.post("/privasi/data-saya/tarik-persetujuan", data={"konfirmasi": RINA})
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT employee_id, requested_by FROM erasures").fetchall() == [
            (RINA, RINA)]
    assert "dihapus pada" in rina.get("/privasi/data-saya").get_data(as_text=True)


def test_retention_page_edits_for_hr_and_reads_for_auditors(portal):
    app, url, _events = portal
    hr = login(app, "hr")
    bad = hr.post("/privasi/retensi", data={"kabupaten": "*", "jenis": "log_audit", "hari": "30"})
    assert bad.status_code == 400 and 'id="hari-error"' in bad.get_data(as_text=True)
    assert hr.post("/privasi/retensi", data={"kabupaten": "buton-tengah",
                                             "jenis": "foto_presensi", "hari": "45"}
                   ).status_code == 302
    page = login(app, "auditor").get("/privasi/retensi").get_data(as_text=True)
    assert 'data-regency="buton-tengah" data-kind="foto_presensi"' in page and "45 hari" in page
    assert 'id="retention-form"' not in page
    assert login(app, "auditor").post("/privasi/retensi", data={}).status_code == 403
    assert trail(url, "retensi.ubah") == [("hr", None, "127.0.0.1")]


def test_the_auditor_reads_the_trail_filtered_and_paged(portal):
    app, url, events = portal
    hr = login(app, "hr")
    for _ in range(55):
        hr.get(f"/checkins/{events[BUDI]}/photo.jpg")
    auditor = login(app, "auditor")
    page = auditor.get(f"/audit?subjek={BUDI}").get_data(as_text=True)
    assert page.count('data-action="foto.lihat"') == 50 and "Lebih lama" in page
    nxt = page.split('href="/audit?sebelum=')[1].split('"')[0].replace("&amp;", "&")
    rest = auditor.get(f"/audit?sebelum={nxt}").get_data(as_text=True)
    assert rest.count(f'data-subject="{BUDI}"') == 5 and "Budi Santoso" in rest
    empty = auditor.get("/audit?aksi=peran.cabut").get_data(as_text=True)
    assert "Tidak ada entri yang cocok" in empty
    assert auditor.get("/audit?aksi=bukan.aksi").status_code == 400
    assert login(app, "hr").get("/audit").status_code == 403
