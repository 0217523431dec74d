"""TPP in the browser: a run as a job with its progress, the run, one explanation, finalize,
export — the same numbers as `hadir-cloud tpp`."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import psycopg
from hadir_cloud.jobs import progress
from hadir_cloud.jobs.tasks import run_tpp
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from hadir_cloud.users import add_user, grant

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tpp"))  # the seeded month
from test_tpp_store import SARI, seed_october  # noqa: E402

PW = "kata-sandi-rahasia"


def test_hr_runs_a_month_watches_it_opens_explains_finalizes_and_exports(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for user, role in (("hr", "admin_bkpsdm"), ("bupati", "pimpinan")):
            add_user(conn, user, PW, "staf")
            grant(conn, user, role, None, "uji")
    app = create_app(CloudSettings(database_url=fresh_db), SECRET_KEY="x" * 32,
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    hr = app.test_client()
    hr.post("/masuk", data={"username": "hr", "password": PW})
    assert "Belum ada run TPP" in hr.get("/tpp/").get_data(as_text=True)

    resp = hr.post("/tpp/jalankan", data={"month": "2026-10"})
    assert resp.status_code == 302 and "/tpp/job/" in resp.headers["Location"]
    job_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = hr.get(f"/tpp/job/{job_id}").get_data(as_text=True)
    assert "menunggu" in page and 'hx-trigger="every 1s"' in page  # polled until it ends
    run_tpp(fresh_db, job_id, "2026-10", "hr")  # what the worker runs for this job
    with psycopg.connect(fresh_db) as conn:
        p = progress.get(conn, job_id)
    assert p is not None and p.state == "done" and p.done == p.total == 3
    fragment = hr.get(f"/tpp/job/{job_id}/kemajuan").get_data(as_text=True)
    assert "selesai" in fragment and "hx-trigger" not in fragment  # polling stops
    run_id = p.result["run_id"]  # type: ignore[index]
    assert f"/tpp/run/{run_id}" in fragment

    run_page = hr.get(f"/tpp/run/{run_id}").get_data(as_text=True)
    assert "Rp 9.650.000" in run_page and SARI in run_page  # as `hadir-cloud tpp run` says
    explained = hr.get(f"/tpp/run/{run_id}/pegawai/{SARI}").get_data(as_text=True)
    assert "Rp 3.448.000" in explained and "TK" in explained and "Rp 480.000" in explained

    leader = app.test_client()
    leader.post("/masuk", data={"username": "bupati", "password": PW})
    assert leader.get(f"/tpp/run/{run_id}").status_code == 200  # leaders read
    assert leader.post(f"/tpp/run/{run_id}/final").status_code == 403  # only HR finalizes
    assert hr.post(f"/tpp/run/{run_id}/final").status_code == 302
    assert "final" in hr.get(f"/tpp/run/{run_id}").get_data(as_text=True)

    export = hr.get(f"/tpp/run/{run_id}/ekspor.zip")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(export.data)).namelist())
    assert names == ["TPP-BKPSDM-2026-10-v1.xlsx", "TPP-DISDIK-2026-10-v1.xlsx"]

    assert "bulan harus" in hr.post("/tpp/jalankan", data={"month": "2026-13"},
                                    follow_redirects=True).get_data(as_text=True).lower()
