"""The demo's seeded regency (demo/seed_regency.py): a living portal for HR, an atasan and staff.

The seed goes through the project's own paths (org import XLSX → check → apply, shipped rule
sets and calendar, signed check-ins from registered kiosks, invite/activate/grant); this holds
what a newcomer would see: three OPD, 50 people each with a position, heads derived as atasan,
a month of TPP that computes for everyone, and three accounts that sign in.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.attendance.domain import month_title
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.portal import create_app
from hadir_cloud.portal.rbac import Role
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.users import activate, invite, principal, session_id
from hadir_protocol.signing import load_public_key, verify

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "demo"))
import seed_regency  # noqa: E402

pytestmark = pytest.mark.system


def _last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def test_seeded_regency_is_whole_and_its_accounts_sign_in(fresh_db: str, tmp_path: Path) -> None:
    upgrade(fresh_db)
    today = date.today()
    month = _last_month(today)  # a whole month, whatever today's date
    lines: list[str] = []
    seeded = seed_regency.seed(fresh_db, month, today=today, say=lines.append)
    assert seeded.seconds < 60 and any("selesai" in line for line in lines)

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        # the org: 3 OPD, 50 people, each holding a position today; one regency
        assert conn.execute("SELECT count(*) FROM units WHERE kind = 'opd'").fetchone()[0] == 3
        assert conn.execute("SELECT DISTINCT regency FROM units").fetchall() == [("Ogan Ilir",)]
        people = conn.execute("SELECT count(*) FROM employees").fetchone()[0]
        assert people == seeded.people == 50
        assert conn.execute(
            "SELECT count(*) FROM employees e WHERE NOT EXISTS (SELECT 1 FROM assignments a "
            "WHERE a.nip = e.nip AND a.start_date <= current_date AND a.end_date IS NULL)"
        ).fetchone()[0] == 0
        for p in seed_regency.KIOSK_PEOPLE:  # the live kiosks' faces are people of the org
            assert conn.execute("SELECT office_id FROM employees WHERE nip = %s",
                                (p.nip,)).fetchone() == (p.office.id,)

        # every head is an atasan through principal(): give each an account and ask
        assert len(seeded.heads) == 13
        for nip in seeded.heads:
            if conn.execute("SELECT password_hash FROM portal_users WHERE nip = %s",
                            (nip,)).fetchone() is None:
                activate(conn, nip, invite(conn, nip), "kata-sandi-uji-123")
            who = principal(conn, session_id(conn, nip))
            assert who is not None and Role.ATASAN in who.roles, nip
            assert who.units, nip
        staff = seeded.account("Pegawai")
        who = principal(conn, session_id(conn, staff.nip))
        assert who is not None and who.roles == {Role.PEGAWAI}
        hr = principal(conn, session_id(conn, seeded.account("Admin BKPSDM").nip))
        assert hr is not None and Role.ADMIN_BKPSDM in hr.roles and hr.regency_wide

        # a month of check-ins: working days only, signed by a registered kiosk of the office
        assert seeded.days and all(d.weekday() < 6 for d in seeded.days)
        assert 1500 < seeded.events < 3000  # ~50 people × ~22 days × in and out
        stored = conn.execute("SELECT count(*) FROM checkins WHERE device_id = ANY(%s)",
                              (list(seeded.devices),)).fetchone()[0]
        assert stored == seeded.events
        rows = conn.execute(
            "SELECT c.payload, d.public_key, c.office_id = d.office_id, c.photo FROM checkins c "
            "JOIN devices d ON d.id = c.device_id ORDER BY c.captured_at").fetchall()
        for payload, key, same_office, _photo in rows:
            verify(payload, load_public_key(key))  # raises on a bad signature
            assert same_office
        sundays = conn.execute(
            "SELECT count(*) FROM checkins c JOIN offices o ON o.id = c.office_id "
            "WHERE extract(isodow FROM c.captured_at AT TIME ZONE o.tz) = 7").fetchone()[0]
        assert sundays == 0

        # TPP computes for everyone, with some (not all) people losing something
        results = list(tpp_store.compute_month(conn, month))
        assert len(results) == 50
        assert all(r.net > 0 for r in results)
        with_deductions = [r for r in results if r.deductions]
        assert 0 < len(with_deductions) < 50
        codes = {d.code[:2] for r in results for d in r.deductions}
        assert {"TL", "TK"} <= codes

    # running it again changes nothing that matters and adds no check-in twice
    again = seed_regency.seed(fresh_db, month, today=today, say=lines.append)
    assert again.events == seeded.events and again.days == seeded.days
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 50

    # the three accounts (with the second run's passwords) sign in through the portal
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    landing = {"Admin BKPSDM": "/", "Atasan": "/", "Pegawai": "/bulan-saya"}
    day = seeded.days[len(seeded.days) // 2]
    for account in again.accounts:
        client = app.test_client()
        resp = client.post("/masuk", data={"username": account.nip, "password": account.password})
        assert resp.status_code == 302, account
        assert resp.headers["Location"] == landing[account.role], account
        html = client.get(f"/bulan-saya?bulan={month}").get_data(as_text=True)
        assert month_title(date.fromisoformat(month + "-01")) in html and account.nip in html
        api = client.get(f"/api/checkins?date={day}")
        if account.role == "Pegawai":
            assert api.status_code == 403
            continue
        assert api.status_code == 200
        got = {c["event_id"] for c in api.get_json()["checkins"]}
        if account.role == "Admin BKPSDM":
            assert got == seeded.events_by_day[day]
        else:  # the Kabid sees the people of the bidang and its seksi only
            assert got and got < seeded.events_by_day[day]

    # the Kabid's month as a PDF: the Dinas's letterhead with the Pemkab's logo, signed by them
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed (scripts/system-deps.sh installs it)")
    kabid = again.account("Atasan")
    client = app.test_client()
    client.post("/masuk", data={"username": kabid.nip, "password": kabid.password})
    resp = client.get(f"/rekap.pdf?bulan={month}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = tmp_path / "rekap-kabid.pdf"
    pdf.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[:3] == ["PEMERINTAH KABUPATEN OGAN ILIR", "DINAS PENDIDIKAN",
                         "Jalan Lintas Timur Km 36, Indralaya, Ogan Ilir 30662"]
    assert "Indralaya, " in text and "Kepala Bidang Pembinaan Sekolah Dasar," in text
    assert kabid.name in text and f"NIP. {kabid.nip}" in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    # the Pemkab's emblem on page 1 (a PNG with transparency: the image and its soft mask)
    assert [(r.split()[0], r.split()[2]) for r in images] == [("1", "image"), ("1", "smask")]
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "rekap-kabid")], check=True)
