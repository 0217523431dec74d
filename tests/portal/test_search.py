"""Find a person by name or NIP (`/cari`, and the box in the header): within scope only."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_recap import DEWI, GURU, PW, SARI, app, login, recap_db  # noqa: F401 (fixtures)


def found(html: str) -> list[str]:
    """The NIPs of the result rows."""
    return [p.split('"', 1)[0] for p in html.split('data-nip="')[1:]]


def test_by_part_of_a_name_or_the_start_of_a_nip(app):  # noqa: F811
    client = login(app, "bkpsdm")
    with psycopg.connect(app.config["DATABASE_URL"]) as conn:
        sari_name, = conn.execute("SELECT name FROM employees WHERE nip = %s", (SARI,)).fetchone()
    part = sari_name.split()[0][1:4].lower()  # a few letters from inside the first name
    assert SARI in found(client.get(f"/cari?q={part}").get_data(as_text=True))
    assert found(client.get(f"/cari?q={DEWI[:8]}").get_data(as_text=True)) == [DEWI]
    html = client.get(f"/cari?q={SARI}").get_data(as_text=True)
    assert found(html) == [SARI] and f"/rekap/pegawai/{SARI}" in html  # opens their month
    # nothing found, too short, and LIKE's wildcards taken literally
    assert "Tidak ada pegawai yang cocok" in client.get("/cari?q=zzzz").get_data(as_text=True)
    assert "paling sedikit 2" in client.get("/cari?q=a").get_data(as_text=True)
    assert found(client.get("/cari?q=%25%25").get_data(as_text=True)) == []
    # the header offers the search to the roles that may use it
    assert 'action="/cari"' in client.get("/rekap").get_data(as_text=True)


def test_an_opd_admin_finds_only_its_own_people(app):  # noqa: F811
    client = login(app, "disdik")
    assert found(client.get(f"/cari?q={GURU[:6]}").get_data(as_text=True)) == [GURU]
    assert found(client.get(f"/cari?q={SARI}").get_data(as_text=True)) == []
    # an employee heading nothing neither sees the box nor may search
    employee = login(app, GURU)
    assert 'action="/cari"' not in employee.get("/bulan-saya").get_data(as_text=True)
    assert employee.get("/cari?q=ab").status_code == 403
