"""The review of NIP check-ins in a real browser: an atasan compares the moment's photo with the
enrolled one (enrolled by `hadir-cloud gallery enroll` through the real face engine), rejects
one check-in with a reason and accepts another; the next TPP run counts the rejected one's day
as TK and the accepted one's as present, and HR sees it in the employee's explanation.
Screenshots stay in the test's tmp_path only: the photos are of public figures
(/work/shared/faces/README.md), test data, not documentation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.users import activate, invite
from test_shell_browser import PASSWORD, portal_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "review"))
from review_db import DEWI, FACES, SARI, add_nip_checkin, face, seed_october  # noqa: E402

OCT8, OCT9 = date(2026, 10, 8), date(2026, 10, 9)


def _shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def _enroll(db: str, nip: str, photo: Path) -> None:
    """`hadir-cloud gallery enroll`, as IT staff would (the face engine reads the photo)."""
    pytest.importorskip("face_recognition")
    env = dict(os.environ, HADIR_DATABASE_URL=db)
    env.pop("HADIR_DATABASE_URL_FILE", None)
    cli = ROOT / ".venv/bin/hadir-cloud"
    done = subprocess.run([str(cli) if cli.exists() else "hadir-cloud", "gallery", "enroll",
                           "--employee", nip, "--name", "Dewi", "--persetujuan", "FRM-7",
                           str(photo)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_an_atasan_rejects_one_nip_check_in_and_accepts_another(
        portal_url: str, browser, fresh_db: str, tmp_path: Path):  # noqa: F811
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        activate(conn, SARI, invite(conn, SARI), PASSWORD)
        # someone else typed Dewi's NIP on the 8th (she has no other record that day); on the
        # 9th (a Friday, to 16:30) she typed it herself when the kiosk did not know her
        conn.execute("DELETE FROM checkins WHERE employee_id = %s AND captured_at::date = %s",
                     (DEWI, OCT9))
        other = add_nip_checkin(conn, DEWI, OCT8, "07:25", "in", photo=face("biden/biden1.jpg"),
                                face_distance=0.62)
        own = add_nip_checkin(conn, DEWI, OCT9, "07:20", "in", photo=face("obama/obama2.jpg"),
                              face_distance=0.46)
        add_nip_checkin(conn, DEWI, OCT9, "16:35", "out", review_required=False,
                        method="face")
    _enroll(fresh_db, DEWI, FACES / "obama" / "obama1.jpg")

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(SARI)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    page.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Tinjauan check-in").click()
    page.wait_for_url(f"{portal_url}/tinjauan")
    assert page.title() == "Tinjauan check-in NIP — Hadir"
    assert "2 check-in menunggu tinjauan." in page.locator("#pending-count").inner_text()
    first = page.locator(f'#item-{other}')
    # the two photos side by side, both loaded
    for img in (first.locator("img.moment"), first.locator("img.reference")):
        assert img.evaluate("i => i.complete && i.naturalWidth > 0"), img
    moment, ref = first.locator("img.moment").bounding_box(), first.locator(
        "img.reference").bounding_box()
    assert abs(moment["y"] - ref["y"]) < 2 and ref["x"] > moment["x"] + moment["width"]
    assert ("jarak wajah 0,62 — di atas batas 0,50: kemungkinan bukan orang yang sama"
            in first.locator(".face").inner_text())
    assert "di bawah batas 0,50" in page.locator(f"#item-{own} .face").inner_text()
    _shot(page, tmp_path, "portal-review-queue-id")

    # reject without a reason: the error next to the field, nothing decided
    first.get_by_role("button", name="Tolak").click()
    page.locator(f'#item-{other} [role="alert"]').wait_for()
    assert page.locator(f'#item-{other} [role="alert"]').inner_text() == \
        "Tulis alasan penolakan."
    _shot(page, tmp_path, "portal-review-reject-error-id")
    page.locator(f"#item-{other}").get_by_label("Alasan penolakan").fill(
        "wajah di foto bukan Dewi")
    page.locator(f"#item-{other}").get_by_role("button", name="Tolak").click()
    page.locator(f'#item-{other}[data-state="rejected"]').wait_for()
    assert "wajah di foto bukan Dewi" in page.locator(f"#item-{other}").inner_text()
    page.locator(f"#item-{own}").get_by_role("button", name="Terima").click()
    page.locator(f'#item-{own}[data-state="accepted"]').wait_for()
    assert "dihitung sebagai kehadiran" in page.locator(f"#item-{own}").inner_text()
    assert "0 check-in menunggu tinjauan." in page.locator("#pending-count").inner_text()
    _shot(page, tmp_path, "portal-review-decided-id")

    page.reload()
    assert "Tidak ada check-in yang menunggu tinjauan." in page.locator("main").inner_text()
    _shot(page, tmp_path, "portal-review-empty-id")
    page.get_by_role("link", name="Riwayat keputusan »").click()
    page.get_by_role("link", name="Ditolak").click()
    page.wait_for_url("**keputusan=rejected**")
    assert page.locator(f"#item-{other}").count() == 1 and page.locator(f"#item-{own}").count() == 0
    _shot(page, tmp_path, "portal-review-history-id")
    assert failed == []
    with psycopg.connect(fresh_db) as conn:
        got = conn.execute("SELECT event_id, decision, reviewer, note FROM checkin_review_moves "
                           "ORDER BY id").fetchall()
    assert got == [(other, "rejected", SARI, "wajah di foto bukan Dewi"),
                   (own, "accepted", SARI, None)]

    # the next TPP run: the 8th (only the rejected check-in) is TK, the 9th is present
    env = dict(os.environ, HADIR_DATABASE_URL=fresh_db)
    env.pop("HADIR_DATABASE_URL_FILE", None)
    cli = ROOT / ".venv/bin/hadir-cloud"
    done = subprocess.run([str(cli) if cli.exists() else "hadir-cloud", "tpp", "run", "--month",
                           "2026-10", "--by", "admin"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with psycopg.connect(fresh_db) as conn:
        run_id, tk = conn.execute(
            "SELECT r.id, x.tk_dates FROM tpp_runs r JOIN tpp_results x ON x.run_id = r.id "
            "WHERE x.nip = %s ORDER BY r.id DESC LIMIT 1", (DEWI,)).fetchone()  # type: ignore[misc]
    assert OCT8 in tk and OCT9 not in tk
    page.context.clear_cookies()
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    page.goto(f"{portal_url}/tpp/run/{run_id}/pegawai/{DEWI}")
    lines = page.locator("main").inner_text()
    assert "2026-10-08 · TK" in lines and "2026-10-09 · " not in lines, lines
    _shot(page, tmp_path, "portal-review-tpp-explain-id")
