"""HR's page of employees' accounts (`/akun`): state, search, a one-time code that activates
or resets an account, scope per OPD."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
from hadir_cloud.users import activate, check_password

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_recap import DEWI, GURU, PW, SARI, app, login, recap_db  # noqa: E402, F401 (fixtures)


def states(html: str) -> dict[str, str]:
    """NIP → the account state of each row."""
    return {p.split('"', 1)[0]: p.split('data-state="', 1)[1].split('"', 1)[0]
            for p in html.split('data-nip="')[1:]}


def code_of(html: str) -> str:
    return html.split('class="code"', 1)[1].split("<strong>", 1)[1].split("<", 1)[0]


def test_hr_issues_a_code_that_activates_the_account(app, recap_db: str):  # noqa: F811
    hr = login(app, "bkpsdm")
    page = hr.get("/akun").get_data(as_text=True)
    got = states(page)
    assert got[SARI] == "aktif" and got[GURU] == "aktif" and got[DEWI] == "tidak_ada"
    assert states(hr.get(f"/akun?q={DEWI[:10]}").get_data(as_text=True)) == {DEWI: "tidak_ada"}
    slip = hr.post(f"/akun/{DEWI}/kode").get_data(as_text=True)
    code = code_of(slip)
    assert len(code) == 11 and "sekali pakai" in slip
    assert states(hr.get(f"/akun?q={DEWI}").get_data(as_text=True))[DEWI] == "menunggu"
    with psycopg.connect(recap_db, autocommit=True) as conn:
        assert activate(conn, DEWI, code, "kata-sandi-dewi-baru") == DEWI
    assert states(hr.get(f"/akun?q={DEWI}").get_data(as_text=True))[DEWI] == "aktif"


def test_a_reset_with_lock_stops_the_old_password_at_once(app, recap_db: str):  # noqa: F811
    with psycopg.connect(recap_db, autocommit=True) as conn:
        assert check_password(conn, GURU, PW) == GURU
    hr = login(app, "bkpsdm")
    employee = login(app, GURU)
    assert employee.get("/bulan-saya").status_code == 200
    hr.post(f"/akun/{GURU}/kode", data={"kunci": "ya"})
    assert employee.get("/bulan-saya").status_code == 302  # the session ended
    with psycopg.connect(recap_db, autocommit=True) as conn:
        assert check_password(conn, GURU, PW) is None
        activate(conn, GURU, code_of(hr.post(f"/akun/{GURU}/kode").get_data(as_text=True)), PW)
        assert check_password(conn, GURU, PW) == GURU


def test_an_opd_admin_manages_only_its_own_people(app):  # noqa: F811
    opd = login(app, "disdik")
    assert set(states(opd.get("/akun").get_data(as_text=True))) == {GURU}
    assert opd.post(f"/akun/{SARI}/kode").status_code == 403
    assert opd.post("/akun/000000000000000000/kode").status_code == 404
    assert login(app, GURU).get("/akun").status_code == 403  # an employee
    assert login(app, "pimpinan").get("/akun").status_code == 403
