"""The attendance recap (`/rekap`): scope by role, the TPP engine's statuses, the XLSX export."""

from __future__ import annotations

import io
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hadir_cloud.attendance import store
from hadir_cloud.attendance.cache import RecapCache
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.users import activate, add_user, grant, invite
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from test_tpp_store import DEWI, GURU, SARI, seed_october  # noqa: E402

PW = "kata-sandi-rahasia"


@pytest.fixture(scope="module")
def recap_db(postgres):
    """October 2026 seeded; Sari heads BKPSDM (atasan of Dewi); an OPD admin of DISDIK."""
    url = postgres.create_database()
    seed_october(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO positions (id, name, kind, eselon, unit_id, heads_unit) VALUES "
                     "('kaban', 'Kepala Badan', 'struktural', 'II.b', 'BKPSDM', true)")
        conn.execute("INSERT INTO assignments (nip, position_id, start_date) VALUES "
                     "(%s, 'kaban', '2020-01-01')", (SARI,))
        activate(conn, SARI, invite(conn, SARI), PW)
        activate(conn, GURU, invite(conn, GURU), PW)  # an employee who heads nothing
        for name, role, unit in (("bkpsdm", "admin_bkpsdm", None), ("disdik", "admin_opd",
                                                                     "DISDIK"),
                                 ("pimpinan", "pimpinan", None), ("auditor", "auditor", None)):
            add_user(conn, name, PW, "staf")
            grant(conn, name, role, unit, "tes")
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="module")
def app(recap_db: str):
    return create_app(CloudSettings(database_url=recap_db), SECRET_KEY="x" * 32,
                      WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def rows(html: str) -> dict[str, str]:
    """NIP → the day column of each table row."""
    out = {}
    for part in html.split('data-nip="')[1:]:
        nip, rest = part.split('"', 1)
        out[nip] = rest.split('data-column="', 1)[1].split('"', 1)[0] if "data-column" in \
            rest.split("</tr>")[0] else ""
    return out


def overview(html: str) -> dict[str, list[str]]:
    """Unit id → the cells of its line on the regency overview."""
    table = html.split('id="overview"')[1].split("</table>")[0]
    return {part.split('"', 1)[0]: [c.split(">", 1)[1].split("<", 1)[0].strip()
                                    for c in part.split("</tr>")[0].split("<td")[2:]]
            for part in table.split('data-unit="')[1:]}


def test_a_regency_wide_role_sees_every_unit_on_a_day(app):
    """6 Oct 2026: Sari TK, Dewi on approved izin, the teacher present (tests/tpp)."""
    client = login(app, "bkpsdm")
    html = client.get("/rekap?tanggal=2026-10-06").get_data(as_text=True)
    # the regency opens on one line per OPD: people, then the day columns in order
    assert rows(html) == {}
    lines = overview(html)
    assert lines["BKPSDM"][:7] == ["2", "0", "0", "0", "1", "1", "0"]  # 2 people: 1 TK, 1 izin
    assert lines["DISDIK"][:3] == ["1", "1", "0"]  # 1 person, present
    assert "unit=BKPSDM" in html.split('data-unit="BKPSDM"')[1].split("</td>")[0]
    html = client.get("/rekap?tanggal=2026-10-06&unit=BKPSDM").get_data(as_text=True) + \
        client.get("/rekap?tanggal=2026-10-06&unit=DISDIK").get_data(as_text=True)
    assert rows(html) == {SARI: "tk", DEWI: "izin", GURU: "hadir"}
    html = client.get("/rekap?tanggal=2026-10-06&unit=BKPSDM").get_data(as_text=True)
    counts = html.split('id="counts"')[1].split("</div>")[0]
    for column, n in (("hadir", 0), ("tk", 1), ("izin", 1), ("terlambat", 0), ("belum", 0)):
        assert f'data-column="{column}"' in counts
        assert counts.split(f'data-column="{column}"')[1].split("</strong>")[0].endswith(
            f">{n}"), column
    # the name links to the person's month
    assert f'/rekap/pegawai/{SARI}?bulan=2026-10' in html
    # 7 Oct: Sari has only a check-out → TL4: late
    html = login(app, "pimpinan").get("/rekap?tanggal=2026-10-07&unit=BKPSDM").get_data(
        as_text=True)
    assert rows(html)[SARI] == "terlambat" and "TL4" in html


def test_an_opd_admin_sees_only_its_subtree(app):
    client = login(app, "disdik")
    html = client.get("/rekap?tanggal=2026-10-06").get_data(as_text=True)
    assert rows(html) == {GURU: "hadir"}
    assert "Badan Kepegawaian" not in html  # the picker offers its own OPD only
    assert client.get("/rekap?unit=BKPSDM").status_code == 403
    assert client.get(f"/rekap/pegawai/{SARI}?bulan=2026-10").status_code == 403
    assert client.get("/rekap.xlsx?unit=BKPSDM").status_code == 403
    page = client.get(f"/rekap/pegawai/{GURU}?bulan=2026-10")
    assert page.status_code == 200 and 'data-day="2026-10-06"' in page.get_data(as_text=True)
    assert client.get("/rekap/pegawai/000").status_code == 404


def test_an_atasan_sees_the_units_it_heads_and_not_the_money(app):
    client = login(app, SARI)
    html = client.get("/rekap?bulan=2026-10").get_data(as_text=True)
    assert set(rows(html)) == {SARI, DEWI}
    person = client.get(f"/rekap/pegawai/{DEWI}?bulan=2026-10").get_data(as_text=True)
    assert ">IZIN<" in person.split('data-day="2026-10-06"')[1].split("</td>")[0]
    assert "Perkiraan TPP" not in person  # an atasan sees days, not a subordinate's TPP
    assert client.get(f"/rekap/pegawai/{GURU}").status_code == 403
    # an employee heading nothing, and roles outside the recap, are refused
    assert login(app, GURU).get("/rekap").status_code == 403
    assert login(app, "auditor").get("/rekap").status_code == 403


def test_month_counts_match_the_tpp_engine(app, recap_db: str):
    """Per person the recap's month counts equal the engine's statuses for the same days."""
    client = login(app, "bkpsdm")
    html = "".join(client.get(f"/rekap?bulan=2026-10&unit={u}").get_data(as_text=True)
                   for u in ("BKPSDM", "DISDIK"))

    def shown(nip: str) -> dict[str, int]:
        row = html.split(f'data-nip="{nip}"')[1].split("</tr>")[0]
        return {p.split('"', 1)[0]: int(p.split(">", 1)[1].split("<", 1)[0])
                for p in row.split('data-col="')[1:]}

    with psycopg.connect(recap_db) as conn:
        engine = {r.nip: r for r in tpp_store.compute_month(conn, "2026-10")}
    for nip, r in engine.items():
        codes = [s.codes for s in r.statuses if s.working]
        expected = {
            "hari_kerja": len(codes), "TK": sum("TK" in c for c in codes),
            "IZIN": sum("IZIN" in c for c in codes),
            "H": sum(not ({"TK", "IZIN", "SAKIT", "CUTI", "DL"} & set(c)) for c in codes),
            "TL": sum(any(x.startswith("TL") for x in c) for c in codes),
            "PSW": sum(any(x.startswith("PSW") for x in c) for c in codes),
            "SAKIT": 0, "CUTI": 0, "DL": 0}
        assert shown(nip) == expected, nip
    # the hand-checked days of tests/tpp: Sari 1 TK + 1 TL4, Dewi izin 6 Oct + TK 8 Oct
    assert (shown(SARI)["TK"], shown(SARI)["TL"]) == (1, 1)
    assert (shown(DEWI)["IZIN"], shown(DEWI)["TK"]) == (1, 1)
    assert shown(GURU)["hari_kerja"] == shown(GURU)["H"] == 27


def test_before_the_schedule_ends_no_check_in_is_not_yet_in(recap_db: str):
    """Today before 16:00 a person without a check-in is 'belum masuk'; after it, TK."""
    day = date(2026, 10, 6)
    wib = ZoneInfo("Asia/Jakarta")
    cache = RecapCache()  # the same cache at 10:00 and 16:30: the end of the day shows
    with psycopg.connect(recap_db) as conn:
        for at, want in ((datetime(2026, 10, 6, 10, 0, tzinfo=wib), True),
                         (datetime(2026, 10, 6, 16, 30, tzinfo=wib), False)):
            people = {p.employee.nip: p for p in store.recap_day(
                conn, frozenset({"BKPSDM"}), day, at, cache)}
            assert set(people) == {SARI, DEWI}
            assert people[SARI].status is not None and people[SARI].status.codes == ["TK"]
            assert people[SARI].pending is want
        # and the month recap does not count a pending day
        month = {p.employee.nip: p for p in store.recap_month(
            conn, frozenset({"BKPSDM"}), date(2026, 10, 1), date(2026, 10, 31),
            datetime(2026, 10, 6, 10, 0, tzinfo=wib))}
        assert month[SARI].counts is not None and month[SARI].counts["TK"] == 0
        after = store.recap_month(conn, frozenset({"BKPSDM"}), date(2026, 10, 1),
                                  date(2026, 10, 31), datetime(2026, 11, 1, tzinfo=wib))
        assert next(p for p in after if p.employee.nip == SARI).counts["TK"] == 1  # type: ignore[index]


def test_the_cache_judges_again_only_what_changed(postgres):
    """A second recap re-judges nobody; a new check-in, an approved absence and a calendar
    change each show at once; the verdicts equal an uncached recap's."""
    url = postgres.create_database()
    try:
        seed_october(url)
        cache = RecapCache()
        wib = ZoneInfo("Asia/Jakarta")
        now = datetime(2026, 11, 2, 9, 0, tzinfo=wib)
        units = frozenset({"BKPSDM", "DISDIK"})
        first, last = date(2026, 10, 1), date(2026, 10, 31)
        with psycopg.connect(url, autocommit=True) as conn:
            # the seeded check-ins arrived an hour ago (a row received in the last
            # COMMIT_MARGIN is judged again on every recap, by design)
            conn.execute("UPDATE checkins SET received_at = now() - interval '1 hour'")

            def month() -> dict[str, dict[str, int] | None]:
                got = {p.employee.nip: p.counts for p in store.recap_month(
                    conn, units, first, last, now, cache)}
                assert got == {p.employee.nip: p.counts for p in store.recap_month(
                    conn, units, first, last, now)}  # cached or not, the same verdicts
                return got

            before = month()
            assert (cache.misses, cache.hits, cache.window_hits) == (3, 0, 0)
            # nothing changed: the whole page again, without even looking at each person
            assert month() == before and (cache.misses, cache.window_hits) == (3, 1)
            # Sari's TK day (6 Oct) gets a check-in arriving late from an offline kiosk
            conn.execute(
                "INSERT INTO checkins (event_id, device_id, seq, employee_id, kind, captured_at,"
                " clock_source, payload, signature) SELECT gen_random_uuid(), device_id, 9999,"
                " employee_id, 'in', '2026-10-06 07:20+07', clock_source, payload, signature"
                " FROM checkins WHERE employee_id = %s LIMIT 1", (SARI,))
            after = month()
            assert after[SARI]["TK"] == before[SARI]["TK"] - 1  # type: ignore[index]
            # the page is judged again, but only Sari: the others' verdicts are reused
            assert after[DEWI] == before[DEWI] and (cache.hits, cache.misses) == (2, 4)
            # an absence approved for Dewi's TK day (8 Oct)
            conn.execute("INSERT INTO absences (ref, nip, kind, start_date, end_date, status) "
                         "VALUES ('S-1', %s, 'sakit', '2026-10-08', '2026-10-08', 'disetujui')",
                         (DEWI,))
            assert month()[DEWI]["SAKIT"] == 1  # type: ignore[index]
            # 13 Oct becomes a regional holiday: one working day fewer for everyone
            conn.execute("INSERT INTO calendar_days (office_id, day, kind, name) VALUES "
                         "(NULL, '2026-10-13', 'libur_daerah', 'Hari jadi')")
            again = month()
            assert all(again[n]["hari_kerja"] == after[n]["hari_kerja"] - 1  # type: ignore[index]
                       for n in again)
    finally:
        postgres.drop_database(url)


def test_the_xlsx_has_the_unit_the_period_and_the_rows(app):
    client = login(app, "bkpsdm")
    resp = client.get("/rekap.xlsx?bulan=2026-10&unit=BKPSDM")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][:2] == ("Unit", "Badan Kepegawaian")
    assert values[2][:2] == ("Periode", "Oktober 2026")
    header = values[4]
    assert header[:3] == ("Nama", "NIP", "Unit") and "TK" in header
    by_nip = {r[1]: dict(zip(header, r, strict=True)) for r in values[5:]
              if r[1] in (SARI, DEWI, GURU)}
    assert set(by_nip) == {SARI, DEWI}
    assert by_nip[SARI]["TK"] == 1 and by_nip[DEWI]["Izin"] == 1
    day = load_workbook(io.BytesIO(client.get("/rekap.xlsx?tanggal=2026-10-06").data)).active
    day_rows = {r[1]: r for r in day.iter_rows(values_only=True) if r[1] in (SARI, DEWI, GURU)}
    assert day_rows[SARI][3] == "Tanpa keterangan" and day_rows[DEWI][3].startswith("Izin")
    assert day_rows[GURU][5] == "07:00"


def test_an_empty_unit_says_what_to_do(app, recap_db: str):
    with psycopg.connect(recap_db, autocommit=True) as conn:
        conn.execute("INSERT INTO units (id, name, regency, parent_id) VALUES "
                     "('KOSONG', 'Bagian Kosong', 'Buton Tengah', 'DISDIK') ON CONFLICT DO NOTHING")
    html = login(app, "disdik").get("/rekap?unit=KOSONG").get_data(as_text=True)
    assert "Belum ada pegawai di unit ini." in html and "mengimpor data pegawai" in html
    assert login(app, "disdik").get("/rekap?bulan=2026-99").status_code == 400
