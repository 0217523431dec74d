"""HR's TPP reference data pages on a real database: rule sets checked by field and saved,
the calendar and Ramadan edited (and the live TPP following), work weeks, schedules."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp import store
from hadir_cloud.tpp.rules import read_ruleset, shipped_dir
from hadir_cloud.users import activate, add_user, grant, invite
from test_tpp_store import GURU, SARI, seed_october

PW = "kata-sandi-rahasia"
OI = (shipped_dir() / "ogan_ilir_asn.toml").read_text(encoding="utf-8")
#: one upload, six problems: a missing version, an unknown staff kind, a date that is not one,
#: a word for a number, a cut over 100% and a misspelt field
BAD = (OI.replace("version = 1\n", "")
       .replace('staff_kinds = ["ASN"]', 'staff_kinds = ["PNS"]')
       .replace("effective_from = 2026-01-01", 'effective_from = "2026-02-30"')
       .replace('min_to = 90, pct = 1.25 }', 'min_to = 90, pct = "banyak" }', 1)
       .replace("tk = 6", "tk = 150\ntk_persen = 6"))
#: the next Perbup: version 2, from 2090 (far enough ahead to stay 'upcoming'), TK 5%
NEXT = (OI.replace("version = 1", "version = 2")
        .replace("effective_from = 2026-01-01", "effective_from = 2090-01-01")
        .replace("tk = 6", "tk = 5"))


@pytest.fixture
def site(fresh_db: str):
    """October 2026 seeded; HR, a leader, an atasan (Sari heads BKPSDM) and a pegawai (Guru)."""
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        activate(conn, SARI, invite(conn, SARI), PW)
        activate(conn, GURU, invite(conn, GURU), PW)
        for name, role in (("hr", "admin_bkpsdm"), ("bupati", "pimpinan")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, None, "uji")
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    return app, fresh_db


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def upload(client, text: str | bytes, name: str = "aturan.toml",  # type: ignore[no-untyped-def]
           lang: str = "id"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/tpp/aturan/periksa?lang={lang}",
                       data={"berkas": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def count(url: str, sql: str, *args: object) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def live(url: str, nip: str = SARI):  # type: ignore[no-untyped-def]
    with psycopg.connect(url) as conn:
        return store.live_tpp(conn, "2026-10", nip)


def test_a_bad_rule_file_shows_each_field_s_problem_in_bahasa_and_stores_nothing(site):
    app, url = site
    hr = login(app, "hr")
    before = count(url, "SELECT count(*) FROM tpp_rulesets")
    resp = upload(hr, BAD, "salah.toml")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "6 masalah di salah.toml" in html
    for path, message in (
        ("ruleset.version", "wajib diisi"),
        ("ruleset.staff_kinds[0]", "harus salah satu dari &#39;ASN&#39;, &#39;PPPK&#39; atau "
                                   "&#39;honorer&#39;, bukan &#34;PNS&#34;"),
        ("ruleset.effective_from", "harus tanggal TTTT-BB-HH (misalnya 2026-01-01)"),
        ("late.tiers[2].pct", "harus angka, bukan &#34;banyak&#34;"),
        ("absence_pct.tk", "di luar rentang: paling besar 100, bukan 150"),
        ("absence_pct.tk_persen", "kolom tidak dikenal (salah ketik?); yang dikenal: tk, izin"),
    ):
        row = html.split(f"<code>{path}</code>", 1)
        assert len(row) == 2, path
        assert message in row[1].split("</tr>", 1)[0], (path, message)
    assert ">Simpan</button>" not in html
    english = upload(hr, BAD, "salah.toml", lang="en").get_data(as_text=True)
    assert "6 problems in salah.toml" in english
    assert "out of range: at most 100, not 150" in english and "required" in english

    syntax = upload(hr, OI.replace("[rounding]", "[rounding"), "rusak.toml")
    text = syntax.get_data(as_text=True)
    assert syntax.status_code == 400
    assert "baris 15, kolom 10" in text and "nama bagian harus ditutup dengan" in text
    # tiers that leave a gap: the model's own check, by the table it belongs to
    gap = upload(hr, OI.replace("min_from = 31", "min_from = 32")).get_data(as_text=True)
    assert "<code>late</code>" in gap and "jenjang TL2 mulai menit 32, seharusnya 31" in gap

    assert "bukan teks UTF-8" in upload(hr, "tk = 6 ‰".encode("cp1252")).get_data(as_text=True)
    empty = hr.post("/tpp/aturan/periksa", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "Pilih berkas aturan" in empty.get_data(as_text=True)
    saved = hr.post("/tpp/aturan/simpan", data={"isi": BAD, "berkas": "salah.toml"})
    assert saved.status_code == 400 and "ruleset.version" in saved.get_data(as_text=True)
    huge = hr.post("/tpp/aturan/simpan", data={"isi": "#" * (256 * 1024 + 1), "berkas": "x"})
    assert huge.status_code == 400 and "Berkas terlalu besar" in huge.get_data(as_text=True)
    assert count(url, "SELECT count(*) FROM tpp_rulesets") == before


def test_a_good_rule_file_is_summarised_saved_listed_and_downloaded(site):
    app, url = site
    hr = login(app, "hr")
    resp = upload(hr, NEXT, "oi-2090.toml")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Berkas oi-2090.toml valid" in html
    summary = html.split('class="summary"', 1)[1].split("</dl>", 1)[0]
    for shown in ("TPP ASN Kabupaten Ogan Ilir", "ogan-ilir-asn@v2", "Ogan Ilir", "ASN",
                  "mulai 2090-01-01", "<dd>2</dd>", "TK 5% per hari", "ogan-ilir-asn@v1"):
        assert shown in summary, shown
    assert 'name="isi"' in html and ">Simpan</button>" in html

    saved = hr.post("/tpp/aturan/simpan", data={"isi": NEXT, "berkas": "oi-2090.toml"})
    assert saved.status_code == 302
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT loaded_by, source, effective_from FROM tpp_rulesets "
                           "WHERE id = 'ogan-ilir-asn' AND version = 2").fetchone()
    assert row == ("hr", "portal:oi-2090.toml", date(2090, 1, 1))
    page = hr.get("/tpp/aturan").get_data(as_text=True)
    assert "Aturan ogan-ilir-asn@v2 disimpan" in page
    stored = page.split('data-key="ogan-ilir-asn@v2"', 1)[1].split("</tr>", 1)[0]
    assert "akan berlaku" in stored and "hr," in stored
    in_force = page.split('id="in-force"', 1)[1].split("</table>", 1)[0]
    oi_asn = [r for r in in_force.split("<tr>") if "Ogan Ilir" in r and "<td>ASN</td>" in r][0]
    assert "ogan-ilir-asn@v1" in oi_asn and "ogan-ilir-asn@v2</code> mulai 2090-01-01" in oi_asn

    again = upload(hr, NEXT).get_data(as_text=True)
    assert "sudah tersimpan dengan isi yang sama" in again and ">Simpan</button>" not in again
    changed = NEXT.replace("tk = 5", "tk = 4")
    clash = upload(hr, changed).get_data(as_text=True)
    assert "sudah tersimpan dengan isi berbeda" in clash and ">Simpan</button>" not in clash
    refused = hr.post("/tpp/aturan/simpan", data={"isi": changed, "berkas": "x.toml"})
    assert refused.status_code == 409
    assert count(url, "SELECT count(*) FROM tpp_rulesets WHERE id = 'ogan-ilir-asn'") == 2

    down = hr.get("/tpp/aturan/ogan-ilir-asn/v2.toml")
    assert down.status_code == 200 and 'filename="ogan-ilir-asn-v2.toml"' in \
        down.headers["Content-Disposition"]
    assert read_ruleset(down.get_data(as_text=True), "unduhan") == read_ruleset(NEXT, "asli")
    assert hr.get("/tpp/aturan/tidak-ada/v1.toml").status_code == 404


def test_only_regency_hr_reaches_the_pages_and_the_menu(site):
    app, _url = site
    hr = login(app, "hr")
    for path in ("/tpp/aturan", "/tpp/kalender", "/tpp/jadwal", "/tpp/jadwal/baru",
                 "/tpp/jadwal/kantor-2026"):
        assert hr.get(path).status_code == 200, path
    menu = hr.get("/tpp/").get_data(as_text=True)
    for label in ("Aturan TPP", "Kalender kerja", "Jadwal kerja"):
        assert label in menu.split('id="settings-links"', 1)[1].split("</p>", 1)[0]
        assert label in menu.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    for user in (SARI, GURU, "bupati"):  # an atasan, a pegawai, a leader who reads TPP
        other = login(app, user)
        for path in ("/tpp/aturan", "/tpp/kalender", "/tpp/jadwal", "/tpp/jadwal/kantor-2026",
                     "/tpp/aturan/ogan-ilir-asn/v1.toml"):
            assert other.get(path).status_code == 403, (user, path)
        for path in ("/tpp/aturan/simpan", "/tpp/kalender/hari", "/tpp/kalender/isi",
                     "/tpp/kalender/pekan-kerja", "/tpp/jadwal/kantor-2026"):
            assert other.post(path, data={}).status_code == 403, (user, path)
    leader = login(app, "bupati").get("/tpp/").get_data(as_text=True)
    assert "settings-links" not in leader and "Kalender kerja" not in leader


def test_a_holiday_added_and_removed_changes_the_calendar_and_the_live_tpp(site):
    """Sari was absent without notice on Tuesday 6 October: a regional holiday that day takes
    the TK cut away (and a working day), for her office; a school's holiday does not."""
    app, url = site
    hr = login(app, "hr")
    before = live(url)
    assert [d.code for d in before.deductions] == ["TK", "TL4", "LKH"]
    assert before.net == Decimal(3448000) and before.working_days == 22

    school = hr.post("/tpp/kalender/hari?tahun=2026", data={
        "tanggal": "2026-10-06", "jenis": "libur_daerah", "nama": "Hari Jadi Sekolah",
        "kantor": ["sdn-1"]})
    assert school.status_code == 302
    assert count(url, "SELECT count(*) FROM calendar_days WHERE day = '2026-10-06' "
                      "AND office_id = 'sdn-1'") == 1
    assert live(url).net == before.net  # Sari works at the regent's office
    assert live(url, GURU).working_days == 26  # the teacher lost a day

    resp = hr.post("/tpp/kalender/hari?tahun=2026", data={
        "tanggal": "2026-10-06", "jenis": "libur_daerah", "nama": "Hari Jadi Kabupaten"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tpp/kalender?tahun=2026")
    with psycopg.connect(url) as conn:
        day_id, office, kind = conn.execute(
            "SELECT id, office_id, kind FROM calendar_days WHERE day = '2026-10-06' "
            "AND name = 'Hari Jadi Kabupaten'").fetchone()
    assert (office, kind) == (None, "libur_daerah")
    page = hr.get("/tpp/kalender?tahun=2026").get_data(as_text=True)
    assert "2026-10-06 ditambahkan: Hari Jadi Kabupaten (Libur daerah)" in page
    row = page.split('data-day="2026-10-06" data-kind="libur_daerah"', 1)[1].split("</tr>")[0]
    assert "Selasa, 2026-10-06" in row and "semua kantor" in row
    after = live(url)
    assert "TK" not in [d.code for d in after.deductions]
    assert after.working_days == 21 and after.net > before.net

    gone = hr.post(f"/tpp/kalender/hari/{day_id}/hapus?tahun=2026")
    assert gone.status_code == 302
    assert count(url, "SELECT count(*) FROM calendar_days WHERE id = %s", day_id) == 0
    assert live(url).net == before.net
    again = hr.post(f"/tpp/kalender/hari/{day_id}/hapus?tahun=2026", follow_redirects=True)
    assert again.status_code == 200 and "sudah tidak ada" in again.get_data(as_text=True)


def test_calendar_inputs_are_checked_with_bahasa_errors_next_to_the_field(site):
    app, url = site
    hr = login(app, "hr")
    rows = count(url, "SELECT count(*) FROM calendar_days")

    def add(**form: object) -> str:
        resp = hr.post("/tpp/kalender/hari?tahun=2026", data={
            "tanggal": "2026-08-10", "jenis": "libur_daerah", "nama": "Libur", **form})
        assert resp.status_code == 400, form
        return resp.get_data(as_text=True)

    def near(html: str, field: str) -> str:
        """The messages shown under a field of the add form."""
        return " ".join(p.split(">", 1)[1].split("<", 1)[0] for p in
                        html.split(f'id="{field}-error"')[1:])

    html = add(tanggal="2027-01-05")
    assert "tanggal harus di tahun 2026" in near(html, "tanggal")
    assert 'value="2027-01-05"' in html  # what was typed stays in the form
    assert "tanggal tidak valid: 2026-02-30" in near(add(tanggal="2026-02-30"), "tanggal")
    assert "wajib diisi" in near(add(nama="  "), "nama")
    assert "pilih jenis hari" in near(add(jenis="libur_besar"), "jenis")
    assert "kantor tidak dikenal: kantor-x" in near(add(kantor=["kantor-x"]), "kantor")
    dup = near(add(tanggal="2026-01-01", nama="Tahun Baru lagi"), "tanggal")
    assert "2026-01-01 sudah tercatat untuk semua kantor" in dup and "hapus dulu" in dup
    assert count(url, "SELECT count(*) FROM calendar_days") == rows

    def ramadan(start: str, end: str) -> str:
        resp = hr.post("/tpp/kalender/ramadan?tahun=2026", data={"mulai": start, "sampai": end})
        assert resp.status_code == 400
        return resp.get_data(as_text=True)

    assert "akhir Ramadan harus sesudah awalnya" in near(ramadan("2026-03-10", "2026-03-01"),
                                                         "ramadan-sampai")
    assert "bertumpang tindih dengan Ramadan 2026-02-18–2026-03-19" in near(
        ramadan("2026-03-01", "2026-03-25"), "ramadan-mulai")
    assert "paling lama 30 hari, bukan 61" in ramadan("2026-09-01", "2026-10-31")
    assert "tanggal harus di tahun 2026" in ramadan("2025-03-01", "2025-03-30")

    week = hr.post("/tpp/kalender/pekan-kerja?tahun=2026", data={"kantor": "kantor-bupati",
                                                                 "hari_kerja": "7"})
    assert week.status_code == 400 and "pilih 5 atau 6 hari kerja" in week.get_data(as_text=True)
    assert hr.post("/tpp/kalender/pekan-kerja", data={"kantor": "x", "hari_kerja": "5"}
                   ).status_code == 400
    assert hr.get("/tpp/kalender?tahun=abc").status_code == 400
    assert hr.get("/tpp/kalender?tahun=1900").status_code == 400
    assert hr.post("/tpp/kalender/ramadan/bukan-tanggal/hapus").status_code == 404


def test_ramadan_work_week_and_seeding_are_stored(site):
    app, url = site
    hr = login(app, "hr")
    assert hr.post("/tpp/kalender/ramadan/2026-02-18/hapus").status_code == 302
    assert count(url, "SELECT count(*) FROM ramadan_periods") == 0
    assert hr.post("/tpp/kalender/ramadan?tahun=2026", data={
        "mulai": "2026-02-19", "sampai": "2026-03-20"}).status_code == 302
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT start_date, end_date FROM ramadan_periods").fetchall() == [
            (date(2026, 2, 19), date(2026, 3, 20))]
    page = hr.get("/tpp/kalender?tahun=2026").get_data(as_text=True)
    assert "Kamis, 2026-02-19" in page and "30 hari" in page

    # the regent's office goes to a 6-day week: October's five Saturdays become working days
    assert hr.post("/tpp/kalender/pekan-kerja?tahun=2026", data={
        "kantor": "kantor-bupati", "hari_kerja": "6"}).status_code == 302
    assert count(url, "SELECT workweek FROM office_calendars WHERE office_id = "
                      "'kantor-bupati'") == 6
    assert live(url).working_days == 22 + 5

    resp = hr.post("/tpp/kalender/isi?tahun=2027", follow_redirects=True)
    html = resp.get_data(as_text=True)
    added = count(url, "SELECT count(*) FROM calendar_days WHERE day BETWEEN '2027-01-01' "
                       "AND '2027-12-31' AND kind = 'libur_nasional'")
    assert added >= 10 and f"{added} hari libur/cuti bersama ditambahkan untuk 2027" in html
    assert "Tidak ada berkas cuti bersama dan Ramadan untuk tahun ini" in html
    again = hr.post("/tpp/kalender/isi?tahun=2026", follow_redirects=True).get_data(as_text=True)
    assert "0 hari libur/cuti bersama ditambahkan untuk 2026" in again


def test_schedules_are_listed_and_edited_field_by_field(site):
    app, url = site
    hr = login(app, "hr")
    page = hr.get("/tpp/jadwal").get_data(as_text=True)
    row = page.split('data-id="kantor-2026"', 1)[1].split("</tr>", 1)[0]
    assert "07:30–16:00" in row and "08:00–15:00" in row and "2 pegawai" in row
    assert "grace_minutes" in page and "buton-tengah-asn@v1</code> 0 menit" in page
    form = hr.get("/tpp/jadwal/kantor-2026").get_data(as_text=True)
    assert 'name="ramadan.start" value="08:00"' in form and "readonly" in form

    good = {"grup": "kantor", "mulai": "2026-01-01", "sampai": "",
            "normal.checkin_open": "06:00", "normal.start": "07:30", "normal.end": "16:30",
            "normal.checkout_close": "23:00",
            "friday.checkin_open": "06:00", "friday.start": "07:30", "friday.end": "16:30",
            "friday.checkout_close": "23:00",
            "ramadan.checkin_open": "06:00", "ramadan.start": "08:00", "ramadan.end": "15:00",
            "ramadan.checkout_close": "23:00"}
    bad = {**good, "normal.start": "7.30", "saturday.start": "07:00",
           "ramadan.start": "16:00", "sampai": "2025-12-31"}
    resp = hr.post("/tpp/jadwal/kantor-2026", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for field, message in (
        ("normal-start", "jam harus JJ:MM, misalnya 07:30, bukan 7.30"),
        ("saturday-end", "isi keempat jam varian ini, atau kosongkan semuanya"),
        ("ramadan", "urutan jam harus: absen masuk dibuka ≤ jam masuk &lt; jam pulang"),
        ("sampai", "harus sama dengan atau sesudah tanggal mulai"),
    ):
        assert message in html.split(f'id="{field}-error"', 1)[1].split("</small>", 1)[0], field
    assert 'name="normal.start" value="7.30"' in html
    with psycopg.connect(url) as conn:
        assert next(s for s in store.schedules(conn) if s.id == "kantor-2026").normal.end \
            .strftime("%H:%M") == "16:00"

    # the day now ends at 16:30: Sari, who leaves at 16:00 Monday–Thursday, leaves early (PSW1)
    assert hr.post("/tpp/jadwal/kantor-2026", data=good).status_code == 302
    with psycopg.connect(url) as conn:
        saved = next(s for s in store.schedules(conn) if s.id == "kantor-2026")
    assert saved.hours_data()["normal"]["end"] == "16:30" and saved.ramadan_friday is None
    assert "PSW1" in [d.code for d in live(url).deductions]

    new = {**good, "id": "kantor-2027", "mulai": "2027-01-01"}
    assert hr.post("/tpp/jadwal/baru", data=new).status_code == 302
    clash = hr.post("/tpp/jadwal/baru", data={**new, "mulai": "2027-01-01"})
    text = clash.get_data(as_text=True)
    assert clash.status_code == 400 and "sudah ada jadwal dengan id ini" in text
    assert "grup kantor sudah punya jadwal kantor-2027 yang mulai pada tanggal ini" in text
    assert hr.get("/tpp/jadwal/tidak-ada").status_code == 404
    assert 'value="kantor"' in hr.get("/tpp/jadwal/baru?dari=kantor-2026").get_data(as_text=True)
