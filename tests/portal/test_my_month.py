"""An employee's own month in the portal: statuses, check-in times, and the same TPP as the run."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
from click.testing import CliRunner
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.tpp.cli import tpp
from hadir_cloud.users import activate, invite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from test_tpp_store import SARI, seed_october  # noqa: E402

PW = "kata-sandi-rahasia"


def test_my_month_shows_the_days_and_the_tpp_the_engine_computes(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        activate(conn, SARI, invite(conn, SARI), PW)
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    resp = client.post("/masuk", data={"username": SARI, "password": PW})
    assert resp.headers["Location"].endswith("/bulan-saya")  # an employee lands on their month
    html = client.get("/bulan-saya?bulan=2026-10").get_data(as_text=True)
    assert "Oktober 2026" in html and SARI in html
    # the same days and amounts `hadir-cloud tpp explain` gives (tests/tpp: 6 Oct TK, 7 Oct TL4)
    assert 'data-day="2026-10-06"' in html
    day6 = html.split('data-day="2026-10-06"')[1].split("</td>")[0]
    day7 = html.split('data-day="2026-10-07"')[1].split("</td>")[0]
    assert ">TK<" in day6 and ">TL4<" in day7
    assert "Rp 3.448.000" in html and "Rp 480.000" in html
    explained = CliRunner().invoke(tpp, ["--database-url", fresh_db, "explain", "--month",
                                         "2026-10", "--employee", SARI]).output
    assert "TPP diterima: Rp 3.448.000" in explained
    # a check-in time links to its photo
    assert "/photo.jpg" in html
    # the month navigation and a month that has no data yet do not break the page
    assert client.get("/bulan-saya?bulan=2026-13").status_code == 200
