"""Request pages against a real database: an employee asks for 3 days of cuti tahunan, the
atasan and the atasan's atasan approve in their inboxes, and the balance, the recap and the
TPP estimate change; a return with a note is fixed and resubmitted; bad input gets field
errors in Bahasa."""

from __future__ import annotations

import io
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import activate, add_user, grant, invite

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "requests"))
from request_builders import KABID, KASI, STAF, STAF2  # noqa: E402
from test_requests_store import seed  # noqa: E402

PW = "kata-sandi-rahasia"
WIB = ZoneInfo("Asia/Jakarta")


def today() -> date:
    return datetime.now(WIB).date()


def last_week(offset: int = 0) -> date:
    """Monday of the week before this one, plus `offset` days (always in the past)."""
    t = today()
    return t - timedelta(days=t.weekday() + 7) + timedelta(days=offset)


def seed_portal(url: str) -> None:
    """The requests' Dinas Kesehatan with rule sets and a work schedule (for the recap and
    the TPP), accounts for the employees and a BKPSDM admin without a NIP."""
    from hadir_cloud.tpp import store as tpp_store
    from hadir_cloud.tpp.rules import load_dir, shipped_dir
    from hadir_cloud.tpp.schedule import Schedule

    seed(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for rs in load_dir(shipped_dir()):
            tpp_store.save_ruleset(conn, rs, "shipped", "tes")
        tpp_store.save_schedule(conn, Schedule.from_data(
            "kantor-2026", "kantor", date(2026, 1, 1), None,
            {k: {"checkin_open": "06:00", "start": "07:30", "end": "16:00",
                 "checkout_close": "23:00"}
             for k in ("normal", "friday", "ramadan", "ramadan_friday")}))
        for nip in (STAF, KASI, KABID, STAF2):
            activate(conn, nip, invite(conn, nip), PW)
        add_user(conn, "bkpsdm", PW, "staf")
        grant(conn, "bkpsdm", "admin_bkpsdm", None, "tes")


@pytest.fixture(scope="module")
def req_db(postgres):
    url = postgres.create_database()
    seed_portal(url)
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="module")
def app(req_db: str):
    return create_app(CloudSettings(database_url=req_db), SECRET_KEY="x" * 32,
                      WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def _left(client) -> int:  # type: ignore[no-untyped-def]
    import re

    html = client.get("/permohonan").get_data(as_text=True)
    return int(re.search(r'id="balance-left">(-?\d+)<', html).group(1))  # type: ignore[union-attr]


def _recap(url: str, day: date) -> str:
    from hadir_cloud.attendance import store as recap_store

    with psycopg.connect(url, autocommit=True) as conn:
        rows = {r.employee.nip: r for r in recap_store.recap_day(
            conn, frozenset({"SURV"}), day, datetime.now(WIB))}
    status = rows[STAF].status
    assert status is not None, rows[STAF].problem
    return status.status


def _tpp(url: str, month: str):  # type: ignore[no-untyped-def]
    from hadir_cloud.tpp import store as tpp_store

    with psycopg.connect(url, autocommit=True) as conn:
        return tpp_store.live_tpp(conn, month, STAF)


def test_cuti_tahunan_approved_in_two_inboxes_changes_balance_recap_and_tpp(app, req_db):
    start, end = last_week(0), last_week(2)  # Monday to Wednesday of last week
    staf, kasi, kabid, staf2 = (login(app, n) for n in (STAF, KASI, KABID, STAF2))
    page = staf.get("/permohonan").get_data(as_text=True)
    assert "Ajukan permohonan" in page and "Belum ada permohonan" in page
    left = _left(staf)
    month = start.strftime("%Y-%m")
    before = _tpp(req_db, month)
    assert {start, end} <= set(before.tk_dates)
    assert _recap(req_db, start) == "tk"

    form = staf.get("/permohonan/baru?jenis=cuti_tahunan").get_data(as_text=True)
    assert 'name="mulai"' in form and "Sisa cuti tahunan" in form
    resp = staf.post("/permohonan/baru", data={"jenis": "cuti_tahunan", "mulai": start.isoformat(),
                                               "selesai": end.isoformat(),
                                               "alasan": "urusan keluarga"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rid = resp.headers["Location"].rsplit("/", 1)[1]
    shown = staf.get(f"/permohonan/{rid}").get_data(as_text=True)
    assert "diajukan" in shown and f"Pegawai {KASI[-4:]}" in shown  # waiting for the Kasi
    assert _left(staf) == left  # reserved, not yet taken

    # the Kasi's inbox has it; the Kabid's not yet; a plain employee may not decide
    assert f'data-id="{rid}"' in kasi.get("/permohonan/masuk").get_data(as_text=True)
    assert f'data-id="{rid}"' not in kabid.get("/permohonan/masuk").get_data(as_text=True)
    assert staf2.get("/permohonan/masuk").status_code == 403
    assert staf2.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui"}).status_code == 403
    assert staf2.get(f"/permohonan/{rid}").status_code == 403  # nor read someone else's

    done = kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui", "versi": "2"},
                     follow_redirects=True).get_data(as_text=True)
    assert "menunggu langkah berikutnya" in done
    assert f'data-id="{rid}"' not in done  # gone from the Kasi's inbox
    inbox = kabid.get("/permohonan/masuk").get_data(as_text=True)
    assert f'data-id="{rid}"' in inbox and "Cuti tahunan" in inbox and "sisa" in inbox
    assert _recap(req_db, start) == "tk"  # not approved yet

    # a stale form (read before the Kasi's step) is refused with a reload hint
    stale = kabid.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui", "versi": "2"},
                       follow_redirects=True).get_data(as_text=True)
    assert "sudah diputuskan orang lain, muat ulang" in stale
    final = kabid.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui", "versi": "3"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Permohonan #{rid} disetujui." in final
    again = kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui", "versi": "4"},
                      follow_redirects=True).get_data(as_text=True)
    assert "sudah diputuskan orang lain, muat ulang" in again

    shown = staf.get(f"/permohonan/{rid}").get_data(as_text=True)
    assert 'id="state" class="ok">disetujui' in shown
    assert shown.count('data-move="setujui"') == 2
    assert _left(staf) == left - 3
    assert _recap(req_db, start) == "cuti" and _recap(req_db, end) == "cuti"
    after = _tpp(req_db, month)
    assert not {start, last_week(1), end} & set(after.tk_dates)
    assert len(after.tk_dates) == len(before.tk_dates) - 3
    days = {start, last_week(1), end}
    # the itemised TK deductions of those days are gone (the month's total stays capped: the
    # seeded employee has no check-ins at all)
    assert days <= {d.day for d in before.deductions}
    assert not days & {d.day for d in after.deductions}


def test_return_with_a_note_fix_and_resubmit_then_reject(app, req_db):
    day = today() + timedelta(days=14 - today().weekday())  # a Monday two weeks ahead
    staf, kasi = login(app, STAF), login(app, KASI)
    resp = staf.post("/permohonan/baru", data={"jenis": "izin", "mulai": day.isoformat(),
                                               "selesai": day.isoformat(), "alasan": "x"})
    assert resp.status_code == 302
    rid = resp.headers["Location"].rsplit("/", 1)[1]
    no_note = kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "kembalikan"})
    assert no_note.status_code == 400
    assert "Catatan wajib diisi bila permohonan dikembalikan" in no_note.get_data(as_text=True)
    kasi.post(f"/permohonan/{rid}/putuskan",
              data={"aksi": "kembalikan", "catatan": "Tulis keperluannya dengan jelas"})
    shown = staf.get(f"/permohonan/{rid}").get_data(as_text=True)
    assert "Tulis keperluannya dengan jelas" in shown and "Perbaiki dan ajukan lagi" in shown
    form = staf.get(f"/permohonan/{rid}/ubah").get_data(as_text=True)
    assert "Tulis keperluannya dengan jelas" in form and day.isoformat() in form
    assert kasi.get(f"/permohonan/{rid}/ubah").status_code == 403  # the owner's only
    resp = staf.post(f"/permohonan/{rid}/ubah",
                     data={"mulai": day.isoformat(), "selesai": day.isoformat(),
                           "alasan": "mengurus akta kelahiran anak di Disdukcapil"})
    assert resp.status_code == 302
    assert f'data-id="{rid}"' in kasi.get("/permohonan/masuk").get_data(as_text=True)
    no_note = kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "tolak"})
    assert no_note.status_code == 400
    assert "Catatan wajib diisi bila permohonan ditolak" in no_note.get_data(as_text=True)
    kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "tolak", "catatan": "tenaga kurang"})
    shown = staf.get(f"/permohonan/{rid}").get_data(as_text=True)
    assert "ditolak" in shown and "tenaga kurang" in shown and 'id="cancel"' not in shown
    moves = shown.count('data-move="ajukan"'), shown.count('data-move="kembalikan"')
    assert moves == (2, 1)


def test_cancel_and_field_errors_in_bahasa(app, req_db):
    day = today() + timedelta(days=21 - today().weekday())
    staf = login(app, STAF)
    bad = staf.post("/permohonan/baru", data={"jenis": "izin", "mulai": "31-02-2026",
                                              "selesai": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert 'id="mulai-error"' in html and "Tanggal mulai harus diisi dengan tanggal" in html
    assert 'id="selesai-error"' in html and "Tanggal selesai wajib diisi" in html
    back = staf.post("/permohonan/baru", data={"jenis": "izin", "mulai": day.isoformat(),
                                               "selesai": (day - timedelta(days=1)).isoformat()})
    assert back.status_code == 400 and "tidak boleh sebelum" in back.get_data(as_text=True)
    # two weeks: more than 3 working days whatever holidays fall in them (the calendar's
    # Christmas and cuti bersama once left only 3 of a Monday-to-Friday span)
    long = staf.post("/permohonan/baru", data={"jenis": "izin", "mulai": day.isoformat(),
                                               "selesai": (day + timedelta(days=13)).isoformat()})
    html = long.get_data(as_text=True)
    assert long.status_code == 400 and 'id="selesai-error"' in html
    assert re.search(r"Izin paling lama 3 hari kerja, diminta (\d+)", html)
    assert int(re.search(r"diminta (\d+)", html).group(1)) > 3  # type: ignore[union-attr]
    sick = {"jenis": "sakit", "mulai": day.isoformat(),
            "selesai": (day + timedelta(days=1)).isoformat()}
    missing = staf.post("/permohonan/baru", data=sick)
    html = missing.get_data(as_text=True)
    assert missing.status_code == 400 and 'id="lampiran-error"' in html
    assert "lampiran wajib belum ada: Surat keterangan dokter" in html
    place = staf.post("/permohonan/baru", data={"jenis": "dinas_luar", "mulai": day.isoformat(),
                                                "selesai": day.isoformat(), "tempat": "",
                                                "lat": "utara", "lon": "104.6", "radius": "5"})
    html = place.get_data(as_text=True)
    assert place.status_code == 400 and 'id="lat-error"' in html and 'id="tempat-error"' in html
    far = staf.post("/permohonan/baru", data={"jenis": "cuti_besar", "mulai": "0202-01-01",
                                              "selesai": "9999-12-31"})
    html = far.get_data(as_text=True)
    assert far.status_code == 400 and html.count("Tanggal harus pada tahun") == 2
    assert staf.get("/permohonan/baru?jenis=cuti_haji").status_code == 400
    assert staf.get("/permohonan/abc").status_code == 404

    fake = staf.post("/permohonan/baru", data={
        **sick, "lampiran-surat_dokter": (io.BytesIO(b"MZ\x90\x00 program"), "surat.pdf")},
        content_type="multipart/form-data")
    html = fake.get_data(as_text=True)
    assert fake.status_code == 400 and 'id="lampiran-error"' in html
    assert "berkas surat.pdf bukan PDF, JPEG atau PNG" in html
    letter = b"%PDF-1.4 surat keterangan dokter\n%%EOF\n"
    ok = staf.post("/permohonan/baru", data={
        **sick, "lampiran-surat_dokter": (io.BytesIO(letter), "surat-dokter.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "surat-dokter.pdf (SHA-256" in html
    assert "Surat keterangan dokter" in html
    rid = ok.request.path.rsplit("/", 1)[1]
    # the file is kept with the request: its owner and its approver open it, nobody else
    link = re.search(r'href="(/permohonan/\d+/lampiran/\d+)" data-code="surat_dokter">'
                     r'surat-dokter.pdf<', html)
    assert link, html
    got = staf.get(link.group(1))
    assert got.status_code == 200 and got.data == letter
    assert got.headers["Cache-Control"] == "no-store"
    assert got.headers["Content-Type"] == "application/pdf"
    assert "surat-dokter.pdf" in got.headers["Content-Disposition"]
    assert login(app, KASI).get(link.group(1)).data == letter
    assert login(app, STAF2).get(link.group(1)).status_code == 403
    assert staf.get(link.group(1).rsplit("/", 1)[0] + "/999999").status_code == 404
    html = staf.post(f"/permohonan/{rid}/batalkan", follow_redirects=True).get_data(as_text=True)
    assert f"Permohonan #{rid} dibatalkan." in html and 'id="cancel"' not in html


def test_accounts_without_a_nip_are_told_so(app):
    bkpsdm = login(app, "bkpsdm")
    assert "tanpa NIP" in bkpsdm.get("/permohonan").get_data(as_text=True)
    inbox = bkpsdm.get("/permohonan/masuk")
    assert inbox.status_code == 200 and "Admin BKPSDM yang memiliki NIP" in inbox.get_data(
        as_text=True)
    assert bkpsdm.post("/permohonan/1/putuskan", data={"aksi": "setujui"}).status_code == 403


def test_the_bkpsdm_step_waits_in_a_nip_linked_bkpsdm_admins_inbox(app, req_db):
    """cuti besar: the atasan, then BKPSDM: an admin_bkpsdm account with a NIP decides it."""
    with psycopg.connect(req_db, autocommit=True) as conn:  # analis1 (seeded): PW's hash
        conn.execute("UPDATE portal_users SET password_hash = (SELECT password_hash FROM "
                     "portal_users WHERE username = 'bkpsdm') WHERE username = 'analis1'")
    first = today() + timedelta(days=35)
    staf2, kasi, analis = login(app, STAF2), login(app, KASI), login(app, "analis1")
    resp = staf2.post("/permohonan/baru", data={
        "jenis": "cuti_besar", "mulai": first.isoformat(),
        "selesai": (first + timedelta(days=29)).isoformat()})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rid = resp.headers["Location"].rsplit("/", 1)[1]
    assert f'data-id="{rid}"' not in analis.get("/permohonan/masuk").get_data(as_text=True)
    kasi.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui"})
    inbox = analis.get("/permohonan/masuk").get_data(as_text=True)
    assert f'data-id="{rid}"' in inbox and "langkah 2 dari 2" in inbox
    assert "1 permohonan menunggu keputusan Anda" in analis.get("/permohonan").get_data(
        as_text=True)
    assert f'data-id="{rid}"' not in kasi.get("/permohonan/masuk").get_data(as_text=True)
    done = analis.post(f"/permohonan/{rid}/putuskan", data={"aksi": "setujui"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Permohonan #{rid} disetujui." in done
    shown = staf2.get(f"/permohonan/{rid}").get_data(as_text=True)
    assert "BKPSDM" in shown and 'id="state" class="ok">disetujui' in shown


def test_hr_sees_everyones_balance_within_its_scope(app, req_db):
    """BKPSDM sees the whole regency's cuti tahunan balances, found by NIP; an employee may
    not open the page; the balance is the one the employee sees on their own page."""
    bkpsdm, staf = login(app, "bkpsdm"), login(app, STAF)
    page = bkpsdm.get(f"/permohonan/saldo?q={STAF}").get_data(as_text=True)
    row = re.search(rf'<tr data-nip="{STAF}" data-left="(-?\d+)"', page)
    assert row, page
    assert int(row.group(1)) == _left(staf)
    everyone = bkpsdm.get("/permohonan/saldo").get_data(as_text=True)
    assert all(f'data-nip="{n}"' in everyone for n in (STAF, KASI, KABID, STAF2))
    assert "Saldo cuti tahunan" in everyone and 'name="tahun"' in everyone
    assert staf.get("/permohonan/saldo").status_code == 403
    assert bkpsdm.get("/permohonan/saldo?tahun=abc&hal=x").status_code == 200
