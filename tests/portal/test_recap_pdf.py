"""The recap as a PDF (`/rekap.pdf`): letterhead, scope, A4, pages, signature, no network.

The seeded October of tests/tpp (Buton Tengah) under a Pemkab unit, with letterheads, a
Kepala Dinas, a Plt Kepala Badan and a bidang of 70 people; the PDF is read back with
poppler (`pdftotext -layout`, `pdfinfo`, `pdfimages`) and page 1 rendered with `pdftoppm`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.attendance.pdf import STATIC, LocalFetcher, RefusedURLError, css_string
from hadir_cloud.org import store as org_store
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import activate, add_user, grant, invite
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from test_tpp_store import DEWI, GURU, SARI, seed_october  # noqa: E402
from tpp_db import add_employee  # noqa: E402

PW = "kata-sandi-rahasia"
KADIS = "197003151995031002"
NO_SCHEDULE = "198101012006041001"  # a BKPSDM employee whose schedule group has no hours
#: the big bidang: 70 people, so the month's table runs over several pages
BIG = [f"19900101201501{i:04d}" for i in range(1, 71)]
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdftoppm", "pdfimages"))
pytestmark = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed "
                                "(scripts/system-deps.sh installs it)")


def _logo() -> bytes:
    """A small PNG emblem (a green shield with a gold disc)."""
    img = Image.new("RGB", (120, 140), "white")
    from PIL import ImageDraw

    d = ImageDraw.Draw(img)
    d.polygon([(10, 5), (110, 5), (110, 80), (60, 135), (10, 80)], fill="#1b6e3a",
              outline="#0b3d1f")
    d.ellipse((38, 30, 82, 74), fill="#e8b923")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def pdf_db(postgres):
    """October 2026 of tests/tpp under a Pemkab, with letterheads, heads and a big bidang."""
    url = postgres.create_database()
    seed_october(url)
    today = date.today()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, parent_id, kind) VALUES "
                     "('PEMKAB', 'Pemerintah Kabupaten Buton Tengah', 'Buton Tengah', NULL, "
                     "'pemkab')")
        conn.execute("UPDATE units SET parent_id = 'PEMKAB' WHERE id IN ('BKPSDM', 'DISDIK')")
        conn.execute("INSERT INTO units (id, name, regency, parent_id, kind) VALUES "
                     "('DISDIK-BIG', 'Bidang Pembinaan Ketenagaan', 'Buton Tengah', 'DISDIK', "
                     "'bidang'), ('KOSONG', 'Seksi Kosong', 'Buton Tengah', 'DISDIK', 'seksi')")
        add_employee(conn, KADIS, unit="DISDIK")
        conn.execute("UPDATE employees SET name = 'Drs. La Ode Kadis, M.Pd.' WHERE nip = %s",
                     (KADIS,))
        for nip in BIG:
            add_employee(conn, nip, unit="DISDIK-BIG")
        add_employee(conn, NO_SCHEDULE, group="shift-malam")
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan Kepegawaian', 'struktural', 'II.b', 'BKPSDM', "
                     "true), ('kadis', 'Kepala Dinas Pendidikan', 'struktural', 'II.b', "
                     "'DISDIK', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01'), (%s, 'kadis', '2021-01-04')", (SARI, KADIS))
        # Sari is away: Dewi holds the Kepala Badan's powers as Plt around today
        conn.execute("INSERT INTO acting_assignments (nip, position_id, kind, start_date, "
                     "end_date) VALUES (%s, 'kaban', 'plt', %s, %s)",
                     (DEWI, today - timedelta(days=3), today + timedelta(days=30)))
        org_store.save_letterhead(conn, "PEMKAB", {
            "address": "Jl. Poros Labungkari, Kompleks Perkantoran Bupati", "place": "Labungkari",
            "logo": _logo(), "logo_mime": "image/png"})
        org_store.save_letterhead(conn, "DISDIK", {
            "address": "Jl. Pendidikan No. 1, Labungkari 93795", "phone": "(0402) 2821234",
            "email": "disdik@butontengahkab.go.id", "website": "disdik.butontengahkab.go.id"})
        for user, role, unit in (("bkpsdm", "admin_bkpsdm", None),
                                 ("disdik", "admin_opd", "DISDIK")):
            add_user(conn, user, PW, "staf")
            grant(conn, user, role, unit, "tes")
        activate(conn, SARI, invite(conn, SARI), PW)
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="module")
def app(pdf_db: str):
    return create_app(CloudSettings(database_url=pdf_db), SECRET_KEY="x" * 32,
                      WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def get_pdf(client, query: str, tmp_path: Path, name: str = "rekap.pdf") -> Path:  # type: ignore[no-untyped-def]
    resp = client.get(f"/rekap.pdf?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF-")
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    path = tmp_path / name
    path.write_bytes(resp.data)
    return path


def text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines()
                                              if ":" in line)}


def a4(pdf: Path) -> str:
    """'landscape' or 'portrait' when pdfinfo says the pages are A4 (else an AssertionError)."""
    size = info(pdf)["Page size"]
    assert size.endswith("pts (A4)"), size
    w, h = (float(x) for x in size.split(" pts")[0].split(" x "))
    assert sorted((round(w), round(h))) == [595, 842], size
    return "landscape" if w > h else "portrait"


def test_a_unit_s_month_under_its_opd_s_letterhead(app, tmp_path: Path):
    """DISDIK's month: the Dinas letterhead (with the Pemkab's logo), its people only, the
    Kepala Dinas signs in Labungkari; A4 landscape, pages numbered 'Halaman X dari Y'."""
    pdf = get_pdf(login(app, "bkpsdm"), "bulan=2026-10&unit=DISDIK", tmp_path)
    assert a4(pdf) == "landscape"
    pages = int(info(pdf)["Pages"])
    assert pages > 1  # 72 people
    first = text(pdf, 1)
    lines = [line.strip() for line in first.splitlines() if line.strip()]
    assert lines[:4] == ["PEMERINTAH KABUPATEN BUTON TENGAH", "DINAS PENDIDIKAN",
                         "Jl. Pendidikan No. 1, Labungkari 93795",
                         "Telepon (0402) 2821234 · Pos-el disdik@butontengahkab.go.id · "
                         "Laman disdik.butontengahkab.go.id"]
    assert "REKAPITULASI KEHADIRAN PEGAWAI" in first
    assert ": Dinas Pendidikan" in first and ": Oktober 2026" in first
    assert f"Halaman 1 dari {pages}" in first and "Dicetak" in first
    # the header row repeats on every page; each person once, with the NIP
    everything = text(pdf)
    for p in range(2, pages + 1):
        page = text(pdf, p)
        assert f"Halaman {p} dari {pages}" in page
        assert "Nama" in page and "NIP" in page and "Hari kerja" in page and "TK" in page
    for nip in [GURU, *BIG]:
        assert everything.count(nip) == 1, nip
    assert everything.count(KADIS) == 2  # a row, and under the signature
    assert f"Pegawai {GURU[-4:]}" in everything and "Bidang Pembinaan Ketenagaan" in everything
    for outside in (SARI, DEWI):
        assert outside not in everything
    # totals, then the signature: place, date, the head's position, name and NIP
    last = text(pdf, pages)
    assert "Jumlah" in last
    assert "Labungkari, " in last and "Kepala Dinas Pendidikan," in last
    assert "Drs. La Ode Kadis, M.Pd." in last and f"NIP. {KADIS}" in last
    # the logo is the Pemkab's, inherited by the Dinas: one image on page 1, none after
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    assert [row.split()[0] for row in images] == ["1"]
    # page 1 as an image for a person to look at
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


def test_a_day_with_an_acting_head_signing(app, tmp_path: Path):
    """BKPSDM on 6 Oct: A4 upright, Sari TK and Dewi on izin; Dewi signs as Plt."""
    pdf = get_pdf(login(app, "bkpsdm"), "tanggal=2026-10-06&unit=BKPSDM", tmp_path)
    assert a4(pdf) == "portrait"
    out = text(pdf)
    assert "BADAN KEPEGAWAIAN" in out and ": 6 Oktober 2026" in out
    sari = next(line for line in out.splitlines() if SARI in line)
    dewi = next(line for line in out.splitlines() if DEWI in line)
    assert "Tanpa keterangan" in sari and "TK" in sari
    assert "Izin" in dewi
    # a person the engine cannot judge is listed with the reason, as on the page
    unjudged = out.split(NO_SCHEDULE)[1].split("\n\n")[0]
    assert "Belum dapat dinilai:" in unjudged and "shift-malam" in unjudged
    assert GURU not in out and KADIS not in out
    # no letterhead of its own: the Pemkab's place; the Plt holds the powers today
    assert "Labungkari, " in out
    assert "Plt. Kepala Badan Kepegawaian," in out
    assert f"Pegawai {DEWI[-4:]}" in out.split("Plt. Kepala Badan")[1]
    assert f"NIP. {DEWI}" in out
    assert "Halaman 1 dari 1" in out
    # English second: the page counter's word order comes from the catalog
    english = text(get_pdf(login(app, "bkpsdm"), "tanggal=2026-10-06&unit=BKPSDM&lang=en",
                           tmp_path, "en.pdf"))
    assert "EMPLOYEE ATTENDANCE RECAP" in english and "Page 1 of 1" in english
    assert "Printed on " in english and " from Hadir" in english


def test_the_regency_wide_recap_carries_the_pemkab_letterhead(app, tmp_path: Path):
    pdf = get_pdf(login(app, "bkpsdm"), "tanggal=2026-10-06", tmp_path)
    out = text(pdf)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert lines[0] == "PEMERINTAH KABUPATEN BUTON TENGAH"
    assert lines[1] == "Jl. Poros Labungkari, Kompleks Perkantoran Bupati"
    assert "DINAS PENDIDIKAN" not in out and "BADAN KEPEGAWAIAN" not in out
    assert ": Semua unit" in out
    for nip in (SARI, DEWI, GURU, KADIS, NO_SCHEDULE):
        assert nip in out
    # nobody heads the Pemkab unit here: blank lines to sign on
    assert "NIP. ....." in out


def test_an_opd_admin_gets_its_own_people_and_403_elsewhere(app, tmp_path: Path):
    client = login(app, "disdik")
    assert client.get("/rekap.pdf?unit=BKPSDM").status_code == 403
    assert client.get("/rekap.pdf?unit=BKPSDM&bulan=2026-10").status_code == 403
    assert client.get("/rekap.pdf?unit=TIDAK-ADA").status_code == 403
    pdf = get_pdf(client, "tanggal=2026-10-06", tmp_path)
    out = text(pdf)
    assert "DINAS PENDIDIKAN" in out.splitlines()[1]
    assert GURU in out and KADIS in out and BIG[0] in out
    assert SARI not in out and DEWI not in out
    # an atasan: the units it heads (Sari still heads BKPSDM definitively; Dewi is Plt)
    assert login(app, SARI).get("/rekap.pdf?unit=DISDIK").status_code == 403


def test_an_empty_unit_says_nobody_is_there(app, tmp_path: Path):
    pdf = get_pdf(login(app, "disdik"), "bulan=2026-10&unit=KOSONG", tmp_path)
    out = text(pdf)
    assert "Belum ada pegawai di unit ini." in out
    assert ": Seksi Kosong" in out and "Jumlah pegawai" in out
    assert "DINAS PENDIDIKAN" in out  # a seksi prints its Dinas
    assert int(info(pdf)["Pages"]) == 1
    # a bad month is refused as on the page, not a 500
    assert login(app, "disdik").get("/rekap.pdf?bulan=2026-13").status_code == 400


def test_a_recap_too_long_for_one_request_says_so(app, monkeypatch):
    """Past MAX_ROWS the PDF is not rendered in the request: back to the page with a message."""
    import hadir_cloud.attendance.pdf as pdf

    monkeypatch.setattr(pdf, "MAX_ROWS", 50)
    client = login(app, "bkpsdm")
    resp = client.get("/rekap.pdf?bulan=2026-10&unit=DISDIK")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/rekap?bulan=2026-10&unit=DISDIK"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "PDF dibuat untuk rekap sampai 50 pegawai; rekap ini memuat 72." in html
    assert client.get("/rekap.pdf?bulan=2026-10&unit=BKPSDM").status_code == 200


def test_the_recap_page_links_the_pdf(app):
    html = login(app, "bkpsdm").get("/rekap?bulan=2026-10&unit=DISDIK").get_data(as_text=True)
    link = html.split('id="recap-pdf"')[0].rsplit("<a ", 1)[1]
    assert "/rekap.pdf?" in link and "bulan=2026-10" in link and "unit=DISDIK" in link


def test_weasyprint_fetches_nothing_outside_the_static_folder(tmp_path: Path):
    fetcher = LocalFetcher()
    css = fetcher.fetch((STATIC / "print" / "recap.css").as_uri())
    assert css.content_type == "text/css" and b"@page" in css.read()
    assert fetcher.fetch("data:text/plain;base64,SGFkaXI=").read() == b"Hadir"
    secret = tmp_path / "rahasia.css"
    secret.write_text("body { color: red }")
    for url in ("https://cdn.example.com/x.css", "http://127.0.0.1:9/x.png",
                secret.as_uri(), (STATIC / ".." / "rbac.py").as_uri(),
                "file://evil.example.com/etc/passwd", "ftp://example.com/logo.png"):
        with pytest.raises(RefusedURLError):
            fetcher.fetch(url)
    # and a document asking for one stops rendering instead of quietly leaving it out
    from weasyprint import HTML

    html = '<link rel="stylesheet" href="https://cdn.example.com/x.css"><p>x</p>'
    with pytest.raises(RefusedURLError):
        HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher).write_pdf()


def test_css_strings_cannot_leave_the_style_element():
    assert css_string('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert "</style>" not in css_string("</style><script>")
