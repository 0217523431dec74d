"""The leaders' board in the portal (`/dasbor`): presence by OPD now, each office in its own
zone; the month's TL/PSW/TK and LKH as the TPP engine counts them; the performance quadrants
from the rule file; drill-down OPD → unit → person; ratings imported from CSV/XLSX (all rows
or none)."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import add_user, grant
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dashboards"))
import board_seed as S  # noqa: E402

PW = "kata-sandi-rahasia"


@pytest.fixture(scope="module")
def board_app(postgres):  # type: ignore[no-untyped-def]
    url = postgres.create_database()
    S.seed_all(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for name, role in (("pimpinan", "pimpinan"), ("bkpsdm", "admin_bkpsdm"),
                           ("ti", "operator_ti")):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, None, "tes")
    app = create_app(CloudSettings(database_url=url), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    yield app, url
    postgres.drop_database(url)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def cells(html: str, table: str) -> dict[str, list[str]]:
    """data-key → the text of its cells, from one table of the page."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    out = {}
    for key, row in re.findall(r'<tr data-(?:key|nip)="([^"]+)">(.*?)</tr>', body, re.S):
        out[key] = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return out


def test_the_regency_by_opd_now_and_in_november(board_app):
    app, _url = board_app
    html = login(app, "pimpinan").get("/dasbor/?bulan=2026-11").get_data(as_text=True)
    assert "<title>Dasbor pimpinan — Hadir</title>" in html
    now = cells(html, "now-table")
    # expected, present, %, late, leave, not yet in, TK (each office in its own zone today)
    assert now == {"opd-b": ["Dinas Kesehatan", "3", "2", "66.7", "2", "1", "0", "0"],
                   "opd-c": ["Dinas Kominfo", "1", "1", "100.0", "1", "0", "0", "0"],
                   "opd-a": ["Dinas Pendidikan", "3", "2", "66.7", "1", "0", "1", "0"]}
    month = cells(html, "month-table")
    # Dinas Kesehatan in November (20 working days; the 17th a holiday): B3 late every day, B1
    # every day but the two of Ramadan (start 08:00), B2 on cuti 4 days; no LKH approved
    assert month["opd-b"] == ["Dinas Kesehatan", "60", "93.3", "38", "0", "0", "4", "0.0 %"]
    assert month["opd-a"][0] == "Dinas Pendidikan" and month["opd-a"][5] == "2"  # A3's 2 TK
    assert 'id="chart-now"' in html and 'id="chart-trend"' in html and "boards.js" in html
    assert "Belum ada penilaian kinerja" in html  # no ratings yet: what to do next


def test_drill_down_opd_unit_person(board_app):
    app, _url = board_app
    client = login(app, "pimpinan")
    opd = client.get("/dasbor/opd/opd-a?bulan=2026-11").get_data(as_text=True)
    assert set(cells(opd, "now-table")) == {"bidang-a", "sdn-1"}
    assert 'href="/dasbor/unit/bidang-a?bulan=2026-11"' in opd
    unit = client.get("/dasbor/unit/bidang-a?bulan=2026-11").get_data(as_text=True)
    people = cells(unit, "people")
    a2 = people[S.PEOPLE["A2"].nip]
    assert a2[0].startswith("Pegawai A2") and a2[1] == "Hadir TL2" and a2[2] == "08:05"
    # A2 in November: leaves early on the 11 even working days (the 'masuk' Saturday too) and
    # on two odd Fridays (16:05 before 16:30); TL4 on the 24th (a NIP check-in not yet
    # accepted); izin on the 9th and 10th
    assert a2[4:8] == ["1", "13", "0", "2"]
    assert f'href="/rekap/pegawai/{S.PEOPLE["A2"].nip}?bulan=2026-11"' in unit
    person = client.get(f"/rekap/pegawai/{S.PEOPLE['A2'].nip}?bulan=2026-11")
    assert person.status_code == 200
    assert client.get("/dasbor/unit/tidak-ada").status_code == 404
    assert client.get("/dasbor/opd/tidak-ada").status_code == 404
    assert client.get("/dasbor/?bulan=2026-13").status_code == 400


def _csv(rows: list[tuple[str, ...]]) -> bytes:
    return ("NIP;Periode;Hasil kerja;Perilaku kerja\n"
            + "\n".join(";".join(r) for r in rows)).encode()


def test_ratings_import_all_or_nothing_and_the_quadrants(board_app):
    app, url = board_app
    hr = login(app, "bkpsdm")
    p = S.PEOPLE
    bad = _csv([(p["A1"].nip, "2026", "di atas ekspektasi", "di atas ekspektasi"),
                ("123", "2026", "sesuai", "sesuai"),
                (p["A2"].nip, "2026-13", "sesuai", "sesuai"),
                (p["A3"].nip, "2026", "luar biasa", "sesuai"),
                (p["A1"].nip, "2026", "sesuai", "sesuai")])
    resp = hr.post("/dasbor/penilaian", data={"berkas": (io.BytesIO(bad), "nilai.csv")},
                   content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "4 baris bermasalah" in html
    for text in ("baris 3: NIP 123 tidak ada", "baris 4: periode 2026-13 tidak valid",
                 "baris 5: nilai luar biasa tidak dikenal", "sudah dinilai untuk 2026 di baris 2"):
        assert text in html
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM performance_ratings").fetchone() == (0,)

    def xlsx(c1_as_number: bool) -> io.BytesIO:
        wb = Workbook()
        ws = wb.active
        ws.append(["NIP", "Periode", "Hasil Kerja", "Perilaku Kerja"])
        for key, r, b in (("A1", "Di Atas Ekspektasi", "Di Atas Ekspektasi"),
                          ("A2", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"),
                          ("A3", "Sesuai Ekspektasi", "Sesuai Ekspektasi"),
                          ("B1", "Di Bawah Ekspektasi", "Sesuai Ekspektasi"),
                          ("B3", "Di Bawah Ekspektasi", "Di Bawah Ekspektasi"),
                          ("C1", "Di Atas Ekspektasi", "Sesuai Ekspektasi")):
            nip = float(p[key].nip) if key == "C1" and c1_as_number else p[key].nip
            ws.append([nip, 2026, r, b])
        data = io.BytesIO()
        wb.save(data)
        data.seek(0)
        return data

    # an 18-digit NIP typed as a number has lost its last digits in the spreadsheet
    resp = hr.post("/dasbor/penilaian", data={"berkas": (xlsx(True), "nilai.xlsx")},
                   content_type="multipart/form-data")
    assert resp.status_code == 400 and "tersimpan sebagai angka" in resp.get_data(as_text=True)
    resp = hr.post("/dasbor/penilaian", data={"berkas": (xlsx(False), "nilai.xlsx")},
                   content_type="multipart/form-data")
    assert resp.status_code == 302
    listing = hr.get("/dasbor/penilaian").get_data(as_text=True)
    assert "6 penilaian dari nilai.xlsx tersimpan" in listing and "<td>2026</td><td>6</td>" in listing
    board = login(app, "pimpinan").get("/dasbor/?bulan=2026-11").get_data(as_text=True)
    quads = cells(board, "quadrants")
    # A1 Sangat Baik (A); A2 Butuh Perbaikan (C); A3 Baik (B); B1 Kurang (D); B3 Sangat
    # Kurang (D); C1 Baik (B)
    assert quads == {"opd-a": ["Dinas Pendidikan", "1", "1", "1", "0"],
                     "opd-b": ["Dinas Kesehatan", "0", "0", "0", "2"],
                     "opd-c": ["Dinas Kominfo", "0", "1", "0", "0"]}
    matrix = dict(re.findall(r'data-cell="([a-z_]+-[a-z_]+)"><strong>(\d+)</strong>', board))
    assert matrix["di_atas-di_atas"] == "1" and matrix["di_bawah-di_bawah"] == "1"
    assert matrix["sesuai-di_bawah"] == "1" and sum(map(int, matrix.values())) == 6
    unit = login(app, "pimpinan").get("/dasbor/unit/bidang-a?bulan=2026-11").get_data(
        as_text=True)
    people = cells(unit, "people")
    assert people[p["A1"].nip][-2:] == ["Sangat Baik", "A"]
    assert people[p["A2"].nip][-2:] == ["Butuh Perbaikan", "C"]


def test_who_may_open_the_board(board_app):
    app, _url = board_app
    assert login(app, "ti").get("/dasbor/").status_code == 403
    assert login(app, "pimpinan").get("/dasbor/penilaian").status_code == 403
    assert login(app, "bkpsdm").get("/dasbor/").status_code == 200
