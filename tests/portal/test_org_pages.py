"""HR imports the organisation in the browser: 3 OPD and 199 people with 3 bad rows are
shown by sheet, row and column; fixed and uploaded again, they are applied all at once by a job
whose progress page HR watches; a complete file marks the people it leaves out as left."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_office
from hadir_cloud.jobs.app import create_app as jobs_app
from hadir_cloud.org import store
from hadir_cloud.org.domain import ActingKind, Holder, atasan_of
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import add_user, grant

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "org"))  # the org builders
from org_builders import holder, regency_rows, with_acting, write_book  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_shell_browser import PASSWORD, _shot, portal_url  # noqa: E402,F401

HADIR_CLOUD = shutil.which("hadir-cloud", path=str(Path(sys.executable).parent)) or "hadir-cloud"
TABLES = ("units", "positions", "employees", "assignments", "acting_assignments")

#: every write to job_progress, in order (a trigger: the test sees each step the job reports)
PROGRESS_LOG = """
CREATE TABLE progress_log (seq bigserial PRIMARY KEY, job_id bigint, state text, done integer,
                           total integer);
CREATE FUNCTION log_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO progress_log (job_id, state, done, total)
    VALUES (NEW.job_id, NEW.state, NEW.done, NEW.total);
    RETURN NEW;
END $$;
CREATE TRIGGER log_progress AFTER INSERT OR UPDATE ON job_progress
    FOR EACH ROW EXECUTE FUNCTION log_progress();
"""


def refuse(nip: str) -> str:
    """A rule of the database that refuses one person (as a constraint would)."""
    return f"""
CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.nip = '{nip}' THEN
        RAISE EXCEPTION 'pegawai % ditolak oleh aturan basis data', NEW.nip
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_one BEFORE INSERT OR UPDATE ON employees
    FOR EACH ROW EXECUTE FUNCTION refuse_one();
"""


def broken(rows):  # type: ignore[no-untyped-def]
    """Three bad rows: a NIP with a 13th month, a duplicate NIP, an unknown unit."""
    emp = rows["pegawai"]
    emp[10][0] = "19851312" + emp[10][0][8:]
    emp[50][0] = emp[49][0]
    emp[120][3] = "DISDIK-BID9"
    return rows


def run_worker_until_idle(url: str) -> None:
    """procrastinate's real worker, in this process, until the queue is empty."""
    jobs_app(url).run_worker(wait=False, install_signal_handlers=False,
                             additional_context={"conninfo": url})


@pytest.fixture
def hr(fresh_db: str):  # type: ignore[no-untyped-def]
    """A migrated database with the regency's office, and a signed-in BKPSDM admin."""
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "kantor-bupati", "Kantor Bupati", "Asia/Makassar", -5.33, 122.56, 50)
        add_user(conn, "hr", PASSWORD, "staf")
        grant(conn, "hr", "admin_bkpsdm", None, "uji")
        conn.execute(PROGRESS_LOG)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    assert client.post("/masuk", data={"username": "hr", "password": PASSWORD}).status_code == 302
    return client


def check(client, path: Path) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    """Upload a file for the dry run: the page and the token of a clean upload."""
    with path.open("rb") as f:
        resp = client.post("/organisasi/impor", data={"berkas": (f, path.name)},
                           content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    m = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    return html, m[1] if m else None


def apply(client, token: str, mark_leavers: bool = False) -> int:  # type: ignore[no-untyped-def]
    """Press Terapkan: the job's id from the redirect to its page."""
    resp = client.post("/organisasi/impor/terapkan",
                       data={"token": token, **({"tandai_keluar": "1"} if mark_leavers else {})})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    m = re.fullmatch(r"/organisasi/impor/tugas/(\d+)", resp.headers["Location"])
    assert m, resp.headers["Location"]
    return int(m[1])


def steps(url: str, job_id: int) -> list[tuple[str, int, int | None]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT state, done, total FROM progress_log WHERE job_id = %s "
                            "ORDER BY seq", (job_id,)).fetchall()


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def uploads_kept(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM org_import_uploads").fetchone()[0]


def test_an_import_applied_as_a_job_reports_progress_to_its_page(hr, fresh_db: str,
                                                                  tmp_path: Path):
    """545 rows (19 units, 25 positions, 499 people, 2 Plt/Plh): the page waits for a worker,
    the worker applies them with progress every 200 rows, the page shows the counts."""
    rows = with_acting(regency_rows(staff_per_seksi=80))
    html, token = check(hr, write_book(rows, tmp_path / "organisasi.xlsx"))
    assert "Tidak ada masalah." in html and token is not None
    assert "plt: 2 baris" in html and "pegawai: 499 baris" in html
    assert "Pegawai yang tidak ada di berkas ditandai keluar" in html
    assert 'name="tandai_keluar" value="1">' in html and "checked" not in html  # off by default
    assert "Tidak ada: setiap pegawai OPD" in html  # nobody would leave
    assert counts(fresh_db)["employees"] == 0  # a dry run stores nothing but the upload
    assert uploads_kept(fresh_db) == 1

    job_id = apply(hr, token)
    assert apply(hr, token) == job_id  # pressed twice: one job
    assert hr.get(f"/tpp/job/{job_id}").status_code == 404  # not a TPP run's page
    assert uploads_kept(fresh_db) == 1  # until the job has read it
    page = hr.get(f"/organisasi/impor/tugas/{job_id}").get_data(as_text=True)
    assert "Impor organisasi: organisasi.xlsx" in page and "menunggu" in page
    assert "Menunggu pekerja: belum ada pekerja latar belakang yang berjalan" in page
    assert 'hx-trigger="every 1s"' in page
    assert hr.get(f"/organisasi/impor/tugas/{job_id + 1}").status_code == 404

    run_worker_until_idle(fresh_db)

    total = 19 + 25 + 499 + 2
    assert steps(fresh_db, job_id) == [("queued", 0, None), ("running", 0, total),
                                       ("running", 200, total), ("running", 400, total),
                                       ("running", total, total), ("done", total, total)]
    fragment = hr.get(f"/organisasi/impor/tugas/{job_id}/kemajuan").get_data(as_text=True)
    assert "selesai" in fragment and "hx-trigger" not in fragment  # polling stops
    assert f"{total} / {total} baris" in fragment
    assert "<td>Pegawai</td><td>499</td><td>0</td>" in fragment
    assert "<td>Plt/Plh</td><td>2</td><td>0</td>" in fragment
    assert "<td>Ditandai keluar</td><td colspan=\"2\">0</td>" in fragment
    assert "oleh hr" in fragment
    assert counts(fresh_db) == {"units": 19, "positions": 25, "employees": 499,
                                "assignments": 499, "acting_assignments": 2}
    assert uploads_kept(fresh_db) == 0  # the job has read it and ended
    # the Plt is the Kasi's atasan in the Plt's dates
    with psycopg.connect(fresh_db) as conn:
        chart = store.load_chart(conn)
    kasi = holder(rows, "DISDIK-BID1-SEKSI-KEPALA")
    assert atasan_of(kasi, date(2026, 11, 2), chart.units, chart.positions, chart.assignments,
                     chart.acting) == Holder(holder(rows, "DISDIK-SEKRE-KEPALA"),
                                             "DISDIK-BID1-KEPALA", ActingKind.PLT)
    # the upload is gone: pressing Terapkan again says so
    resp = hr.post("/organisasi/impor/terapkan", data={"token": token}, follow_redirects=True)
    assert "Unggahan sudah kedaluwarsa" in resp.get_data(as_text=True)


def test_leavers_are_listed_in_the_dry_run_and_marked_only_when_ticked(hr, fresh_db: str,
                                                                       tmp_path: Path):
    rows = regency_rows()
    _, token = check(hr, write_book(rows, tmp_path / "semua.xlsx"))
    apply(hr, token)
    run_worker_until_idle(fresh_db)
    gone = [rows["pegawai"].pop(i) for i in (60, 30, 25)]
    later = write_book(rows, tmp_path / "lengkap.xlsx")

    html, token = check(hr, later)
    today = date.today().isoformat()
    assert f"Akan ditandai keluar: 3 pegawai (tanggal keluar {today})" in html
    for g in gone:
        assert f"<td>{g[0]}</td><td>{g[1]}</td><td>Unit {g[3]}</td>" in html
    job = apply(hr, token)  # not ticked
    run_worker_until_idle(fresh_db)
    assert "<td>Ditandai keluar</td><td colspan=\"2\">0</td>" in \
        hr.get(f"/organisasi/impor/tugas/{job}").get_data(as_text=True)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM employees WHERE leave_date IS NOT NULL"
                            ).fetchone() == (0,)

    _, token = check(hr, later)
    job = apply(hr, token, mark_leavers=True)
    run_worker_until_idle(fresh_db)
    page = hr.get(f"/organisasi/impor/tugas/{job}").get_data(as_text=True)
    assert "<td>Ditandai keluar</td><td colspan=\"2\">3</td>" in page
    assert "<td>Penugasan jabatan</td><td>0</td><td>3</td>" in page  # their positions closed
    with psycopg.connect(fresh_db) as conn:
        left = conn.execute("SELECT nip, leave_date FROM employees WHERE leave_date IS NOT NULL "
                            "ORDER BY nip").fetchall()
    assert left == sorted((g[0], date.today()) for g in gone)

    html, token = check(hr, later)  # the same file once more: nobody left to mark, no change
    assert "Tidak ada: setiap pegawai OPD" in html
    before = counts(fresh_db)
    job = apply(hr, token, mark_leavers=True)
    run_worker_until_idle(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        result = conn.execute("SELECT result FROM job_progress WHERE job_id = %s",
                              (job,)).fetchone()[0]
    assert result["leavers"] == 0
    assert set(result["inserted"].values()) == set(result["updated"].values()) == {0}
    assert counts(fresh_db) == before


def test_a_refused_row_fails_the_job_with_its_message_and_stores_nothing(hr, fresh_db: str,
                                                                         tmp_path: Path):
    """The database refuses the 450th person after 400 rows were reported: nothing stays."""
    rows = with_acting(regency_rows(staff_per_seksi=80))
    refused = rows["pegawai"][450][0]
    _, token = check(hr, write_book(rows, tmp_path / "organisasi.xlsx"))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(refuse(refused))
    job_id = apply(hr, token)
    run_worker_until_idle(fresh_db)

    total = 19 + 25 + 499 + 2
    assert steps(fresh_db, job_id) == [("queued", 0, None), ("running", 0, total),
                                       ("running", 200, total), ("running", 400, total),
                                       ("failed", 400, total)]
    message = (f"basis data menolak impor pada pegawai {refused}, tidak ada yang disimpan: "
               f"pegawai {refused} ditolak oleh aturan basis data")
    page = hr.get(f"/organisasi/impor/tugas/{job_id}").get_data(as_text=True)
    assert "gagal" in page and 'role="alert">' + message in page
    assert "Tidak ada yang disimpan." in page and "hx-trigger" not in page
    assert counts(fresh_db) == dict.fromkeys(TABLES, 0)
    assert uploads_kept(fresh_db) == 0
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT status::text, attempts FROM procrastinate_jobs "
                            "WHERE id = %s", (job_id,)).fetchone() == ("failed", 1)

    # the database moved on between the dry run and the job: the job's own check says how
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse_one ON employees")
    _, token = check(hr, write_book(rows, tmp_path / "organisasi.xlsx"))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DELETE FROM offices WHERE id = 'kantor-bupati'")
    job_id = apply(hr, token)
    run_worker_until_idle(fresh_db)
    fragment = hr.get(f"/organisasi/impor/tugas/{job_id}/kemajuan").get_data(as_text=True)
    assert "berkas bermasalah, tidak ada yang disimpan: 499 masalah — Pegawai baris 2, kolom " \
           "id_kantor: kantor belum terdaftar: kantor-bupati" in fragment
    assert "dan 494 lagi" in fragment
    assert counts(fresh_db) == dict.fromkeys(TABLES, 0)


@pytest.mark.browser
@pytest.mark.slow
def test_hr_imports_an_organisation_with_bad_rows_then_fixed(portal_url: str, browser,  # noqa: F811
                                                             fresh_db: str, tmp_path: Path):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "kantor-bupati", "Kantor Bupati", "Asia/Makassar", -5.33, 122.56, 50)
    bad = write_book(broken(regency_rows()), tmp_path / "organisasi-salah.xlsx")
    good = write_book(with_acting(regency_rows()), tmp_path / "organisasi.xlsx")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link",
                                                                  name="Organisasi").click()
    page.wait_for_url(f"{portal_url}/organisasi/impor")

    page.locator('input[name="berkas"]').set_input_files(str(bad))
    page.get_by_role("button", name="Periksa").click()
    rows = page.locator("#problems tbody tr")
    assert rows.count() == 3
    text = page.locator("#problems").inner_text()
    assert "tanggal lahir dalam NIP tidak valid" in text and "ganda" in text
    assert "unit tidak dikenal: DISDIK-BID9" in text
    assert page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").count() == 0
    _shot(page, tmp_path, "portal-org-import-problems-id")
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 0

    page.locator('input[name="berkas"]').set_input_files(str(good))
    page.get_by_role("button", name="Periksa").click()
    assert "Tidak ada masalah." in page.locator("main").inner_text()
    page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").click()
    page.wait_for_url(re.compile(r".*/organisasi/impor/tugas/\d+$"))
    assert "Menunggu pekerja" in page.locator("#job-progress").inner_text()
    _shot(page, tmp_path, "portal-org-import-job-waiting-id")

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([HADIR_CLOUD, "worker"], env={**os.environ,
                                                            "HADIR_DATABASE_URL": fresh_db},
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        # htmx polls every second; the worker starts, applies, and the page shows the counts
        page.wait_for_selector('#job-progress[data-state="done"]', timeout=60_000)
        result = page.locator("#import-result").inner_text()
        assert re.search(r"Pegawai\s+199\s+0", result) and re.search(r"Plt/Plh\s+2\s+0", result)
        assert "245 / 245 baris" in page.locator("#job-progress").inner_text()
        _shot(page, tmp_path, "portal-org-import-job-done-id")
        with psycopg.connect(fresh_db) as conn:
            assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 199
            assert conn.execute("SELECT count(*) FROM units WHERE kind = 'opd'").fetchone()[0] == 3
            assert conn.execute("SELECT count(*) FROM acting_assignments").fetchone()[0] == 2

        # a complete file without two people: the dry run lists them, HR ticks the box
        fewer = with_acting(regency_rows())
        gone = [fewer["pegawai"].pop(i) for i in (100, 40)]
        page.get_by_role("link", name="Kembali ke impor").click()
        page.locator('input[name="berkas"]').set_input_files(
            str(write_book(fewer, tmp_path / "organisasi-lengkap.xlsx")))
        page.get_by_role("button", name="Periksa").click()
        assert "Akan ditandai keluar: 2 pegawai" in page.locator("#leavers").inner_text()
        listed = page.locator("#leavers-list tbody").inner_text()
        assert all(g[0] in listed and g[1] in listed for g in gone)
        page.get_by_label("Pegawai yang tidak ada di berkas ditandai keluar").check()
        page.wait_for_timeout(400)  # Pico's checkbox transition, before the screenshot
        _shot(page, tmp_path, "portal-org-import-leavers-id")
        page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").click()
        page.wait_for_selector('#job-progress[data-state="done"]', timeout=60_000)
        assert re.search(r"Ditandai keluar\s+2", page.locator("#import-result").inner_text())
        _shot(page, tmp_path, "portal-org-import-leavers-done-id")

        # the database refuses a person: the job fails, says why, and nothing is stored
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute(refuse(fewer["pegawai"][150][0]))
        fewer["pegawai"][150][1] = "Nama Baru"
        fewer["pegawai"][10][1] = "Nama Baru Juga"
        page.get_by_role("link", name="Kembali ke impor").click()
        page.locator('input[name="berkas"]').set_input_files(
            str(write_book(fewer, tmp_path / "organisasi-ditolak.xlsx")))
        page.get_by_role("button", name="Periksa").click()
        page.get_by_role("button", name="Terapkan (semua atau tidak sama sekali)").click()
        page.wait_for_selector('#job-progress[data-state="failed"]', timeout=60_000)
        alert = page.locator("#job-progress [role=alert]").inner_text()
        assert alert.startswith(f"basis data menolak impor pada pegawai {fewer['pegawai'][150][0]}")
        _shot(page, tmp_path, "portal-org-import-job-failed-id")
        with psycopg.connect(fresh_db) as conn:
            assert conn.execute("SELECT count(*) FROM employees WHERE name LIKE 'Nama Baru%'"
                                ).fetchone()[0] == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        log.close()
    page.close()
    assert worker.returncode == 0  # SIGTERM: the worker finished its work and stopped
