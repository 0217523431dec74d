"""The month page shows where each check-in came from: a fingerprint punch is marked."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import activate, invite

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tpp"))  # the seeded month
sys.path.insert(0, str(ROOT / "tests" / "portal"))  # the live portal fixture
from test_shell_browser import portal_url  # noqa: E402, F401 (a fixture)
from test_tpp_store import SARI, seed_october  # noqa: E402

PW = "kata-sandi-rahasia"


def seed_with_fingerprint(url: str, tmp_path: Path) -> None:
    """October of tests/tpp, and Sari's 6 October (TK from the kiosk) from the machine."""
    seed_october(url)
    peta = tmp_path / "peta.csv"
    peta.write_text(f"machine,user_id,nip\nBJ2C-0001,1,{SARI}\n")
    log = tmp_path / "BJ2C-0001_attlog.dat"
    log.write_text("     1\t2026-10-06 07:10:00\t1\t0\t0\t0\n"
                   "     1\t2026-10-06 16:05:00\t1\t1\t0\t0\n")
    for args in (["map", "import", str(peta)],
                 ["import", str(log), "--mesin", "BJ2C-0001", "--kantor", "kantor-bupati"]):
        res = CliRunner().invoke(main, ["punches", "--database-url", url, *args])
        assert res.exit_code == 0, res.output
    with psycopg.connect(url, autocommit=True) as conn:
        activate(conn, SARI, invite(conn, SARI), PW)


def day_cell(html: str, day: str) -> str:
    return html.split(f'data-day="{day}"')[1].split("</td>")[0]


def test_the_month_marks_fingerprint_punches_and_links_kiosk_photos(fresh_db: str,
                                                                    tmp_path: Path):
    seed_with_fingerprint(fresh_db, tmp_path)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    client.post("/masuk", data={"username": SARI, "password": PW})
    html = client.get("/bulan-saya?bulan=2026-10").get_data(as_text=True)
    six, five = day_cell(html, "2026-10-06"), day_cell(html, "2026-10-05")
    assert ">H<" in six and ">TK<" not in six
    assert six.count("sidik jari</span>") == 2 and "07:10" in six and "16:05" in six
    assert "photo.jpg" not in six  # a machine punch has no photo to open
    assert "sidik jari" not in five and "photo.jpg" in five  # a kiosk day as before


@pytest.mark.browser
@pytest.mark.slow
def test_the_marker_in_a_browser(portal_url: str, fresh_db: str, browser,  # noqa: F811
                                 tmp_path: Path):
    seed_with_fingerprint(fresh_db, tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(SARI)
    page.get_by_label("Kata sandi").fill(PW)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/bulan-saya")
    page.goto(f"{portal_url}/bulan-saya?bulan=2026-10")
    cell = page.locator('td[data-day="2026-10-06"]')
    assert cell.locator(".source").count() == 2
    assert cell.locator(".source").first.get_attribute("title") == "Dari mesin sidik jari lama"
    page.screenshot(path=str(tmp_path / "punches-month-fingerprint-id.png"), full_page=True)
    print(tmp_path / "punches-month-fingerprint-id.png")
    # the regency's admin (made by the fixture, same password) reads that day's check-ins
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID").new_page()
    admin.goto(f"{portal_url}/masuk")
    admin.get_by_label("NIP atau nama pengguna").fill("admin")
    admin.get_by_label("Kata sandi").fill(PW)
    admin.get_by_role("button", name="Masuk").click()
    admin.wait_for_url(f"{portal_url}/")
    admin.goto(f"{portal_url}/?date=2026-10-06")
    assert admin.get_by_text("Sidik jari (mesin lama)").count() == 2
    admin.screenshot(path=str(tmp_path / "punches-checkins-fingerprint-id.png"), full_page=True)
    print(tmp_path / "punches-checkins-fingerprint-id.png")
    # the upload page: check a log with a bad line and an unmapped id, then import it
    log = tmp_path / "BJ2C-0001_attlog_nov.dat"
    log.write_text("     1\t2026-10-07 07:20:00\t1\t0\t0\t0\n"
                   "     1\t2026-10-07 31:00:00\t1\t1\t0\t0\n"
                   "    44\t2026-10-07 07:25:00\t1\t0\t0\t0\n")
    admin.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Mesin sidik jari").click()
    admin.wait_for_url(f"{portal_url}/absen-mesin/")
    admin.locator('input[name="berkas"]').set_input_files(str(log))
    admin.get_by_label("Mesin (nama atau nomor seri)").fill("BJ2C-0001")
    admin.get_by_label("Kantor tempat mesin").select_option("kantor-bupati")
    admin.get_by_role("button", name="Periksa (tidak disimpan)").click()
    admin.wait_for_selector("#result")
    assert admin.locator('[data-count="problems"]').inner_text() == "1"
    admin.screenshot(path=str(tmp_path / "punches-upload-checked-id.png"), full_page=True)
    admin.locator('input[name="berkas"]').set_input_files(str(log))
    admin.get_by_role("button", name="Impor", exact=True).click()
    admin.wait_for_selector("#waiting")
    assert admin.locator('[data-count="stored"]').inner_text() == "1"
    assert "BJ2C-0001" in admin.locator("#waiting").inner_text()
    admin.screenshot(path=str(tmp_path / "punches-upload-imported-id.png"), full_page=True)


def test_the_day_list_and_the_api_name_the_fingerprint_source(fresh_db: str, tmp_path: Path):
    from hadir_cloud.users import add_user, create_token

    seed_with_fingerprint(fresh_db, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_user(conn, "admin", PW)
        token = create_token(conn, "rekap")
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    client.post("/masuk", data={"username": "admin", "password": PW})
    html = client.get("/?date=2026-10-06").get_data(as_text=True)
    rows = [r for r in html.split("<tr data-event-id=")[1:] if "legacy:BJ2C-0001" in r]
    assert len(rows) == 2
    assert all("Sidik jari (mesin lama)" in r and "#None" not in r and "tanpa fix GPS" not in r
               for r in rows)
    api = client.get("/api/checkins?date=2026-10-06",
                     headers={"Authorization": f"Bearer {token}"}).json
    sources = {c["device_id"]: c["source"] for c in api["checkins"]}
    assert sources["legacy:BJ2C-0001"] == "fingerprint" and sources["kiosk-1"] == "kiosk"


def _admin_client(url: str):  # type: ignore[no-untyped-def]
    from hadir_cloud.users import add_user

    with psycopg.connect(url, autocommit=True) as conn:
        add_user(conn, "admin", PW)
    app = create_app(CloudSettings(database_url=url), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    client.post("/masuk", data={"username": "admin", "password": PW})
    return client


def _upload(client, text: str, name: str = "BJ2C-0009_attlog.dat", **form):  # type: ignore[no-untyped-def]
    import io

    data = {"mesin": "BJ2C-0009", "kantor": "kantor-bupati", "status": "otomatis",
            "aksi": "impor", **form, "berkas": (io.BytesIO(text.encode()), name)}
    return client.post("/absen-mesin/", data=data, content_type="multipart/form-data")


def test_hr_checks_then_imports_a_log_and_maps_the_waiting_ids_in_the_browser_flow(
        fresh_db: str):
    import io

    seed_october(fresh_db)
    client = _admin_client(fresh_db)
    assert "Tidak ada absen yang menunggu NIP." in client.get("/absen-mesin/").get_data(
        as_text=True)
    log = ("     3\t2026-10-06 07:05:00\t1\t0\t0\t0\n"
           "oops\n"
           "     3\t2026-10-06 16:20:00\t1\t1\t0\t0\n")
    html = _upload(client, log, aksi="periksa").get_data(as_text=True)
    assert "Hanya diperiksa: tidak ada yang disimpan." in html
    assert 'data-count="unmapped">2<' in html and 'data-count="problems">1<' in html
    assert "<td>2</td><td>kurang kolom: perlu ID pengguna dan waktu</td>" in html
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM legacy_punches_unmapped").fetchone()[0] == 0
    html = _upload(client, log).get_data(as_text=True)
    assert "Hasil impor" in html and "ID pengguna mesin tanpa NIP (1): 3." in html
    assert "<td>BJ2C-0009</td><td>3</td><td>2</td>" in html  # waiting for a NIP
    peta = f"machine,user_id,nip\nBJ2C-0009,3,{SARI}\nBJ2C-0009,4,123\n".encode()
    resp = client.post("/absen-mesin/peta", data={"peta": (io.BytesIO(peta), "peta.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "baris 3: NIP &#39;123&#39; tidak sah" in html
    assert "Peta: 1 baru, 0 diubah, 0 tetap. 2 absen yang menunggu dimasukkan; 0 masih" in html
    assert "Tidak ada absen yang menunggu NIP." in html
    again = _upload(client, log).get_data(as_text=True)
    assert 'data-count="stored">0<' in again and 'data-count="duplicates">2<' in again
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM checkins WHERE source = 'fingerprint' AND "
                            "employee_id = %s", (SARI,)).fetchone()[0] == 2


def test_the_upload_form_says_what_is_missing_next_to_each_field(fresh_db: str):
    import io

    seed_october(fresh_db)
    client = _admin_client(fresh_db)
    resp = client.post("/absen-mesin/", data={"mesin": " ", "kantor": "nowhere", "aksi": "impor"},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for field, text in (("berkas", "Pilih berkas log"), ("mesin", "Isi nama atau nomor seri"),
                        ("kantor", "Pilih kantor tempat mesin")):
        assert f'id="{field}-error" class="bad">{text}' in html
    resp = _upload(client, "Nama,Jam\nRina,07:00\n", name="log.csv")
    assert resp.status_code == 400
    assert "Berkas tidak dapat dibaca: kolom tidak ditemukan: ID pengguna" in resp.get_data(
        as_text=True)
    resp = _upload(client, "x", name="log.xls")
    assert resp.status_code == 400 and ".xls (Excel lama)" in resp.get_data(as_text=True)
    resp = client.post("/absen-mesin/peta", data={"peta": (io.BytesIO(b"\x00\x01"), "p.xlsx")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and "Berkas peta tidak dapat dibaca" in resp.get_data(
        as_text=True)
