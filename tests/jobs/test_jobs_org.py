"""The org import's apply as a job on a real queue: the upload outlives a worker killed mid-job,
and `jobs retry` finishes the import from it."""

from __future__ import annotations

import signal
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.jobs import progress
from hadir_cloud.jobs.app import create_app
from hadir_cloud.jobs.progress import JobState
from hadir_cloud.jobs.tasks import JobError, defer_org_import, every
from hadir_cloud.org import uploads
from jobs_support import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "org"))
from org_builders import regency_rows, with_acting, write_book  # noqa: E402


def read(url: str, job_id: int) -> progress.Progress:
    with psycopg.connect(url) as conn:
        p = progress.get(conn, job_id)
    assert p is not None
    return p


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_every_reports_in_steps_and_at_the_end():
    seen: list[int] = []
    report = every(200, seen.append)
    for done in range(1, 546):
        report(done, 545)
    assert seen == [200, 200, 145]


def test_a_worker_killed_mid_import_keeps_the_upload_and_retry_finishes_it(
        fresh_db: str, worker_process, monkeypatch, tmp_path: Path):
    upgrade(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO offices (id, name, tz) VALUES "
                     "('kantor-bupati', 'Kantor Bupati', 'Asia/Makassar')")
        data = write_book(with_acting(regency_rows()), tmp_path / "org.xlsx").read_bytes()
        token = uploads.save(conn, "org.xlsx", data, "hr")
    app = create_app(fresh_db)
    job_id = defer_org_import(app, fresh_db, token, "hr", False, date(2026, 10, 20))
    assert defer_org_import(app, fresh_db, token, "hr", False, date(2026, 10, 20)) == job_id
    with psycopg.connect(fresh_db) as locker:
        # hold the job inside the apply: positions and units are written, assignments wait
        locker.execute("LOCK TABLE assignments IN EXCLUSIVE MODE")
        worker = worker_process()
        wait_for(lambda: read(fresh_db, job_id).state is JobState.RUNNING, what="job running")
        wait_for(lambda: locker.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").fetchone()[0], what="the job blocked on assignments")
        worker.kill()
        assert worker.wait(10) == -signal.SIGKILL
    p = read(fresh_db, job_id)
    assert (p.state, p.queue_status, p.total) == (JobState.RUNNING, "doing", 245)
    assert count(fresh_db, "SELECT count(*) FROM units") == 0  # rolled back with the worker
    assert count(fresh_db, "SELECT count(*) FROM org_import_uploads WHERE job_id IS NOT NULL") == 1

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - "
                     "interval '1 hour'")
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "retry", str(job_id)])
    assert res.exit_code == 0, res.output
    create_app(fresh_db).run_worker(wait=False, install_signal_handlers=False,
                                    additional_context={"conninfo": fresh_db})
    p = read(fresh_db, job_id)
    assert p.state is JobState.DONE and p.done == p.total == 245
    assert p.result is not None and p.result["inserted"]["pegawai"] == 199
    assert p.result["inserted"]["plt"] == 2
    assert count(fresh_db, "SELECT count(*) FROM employees") == 199
    assert count(fresh_db, "SELECT count(*) FROM org_import_uploads") == 0
    res = CliRunner().invoke(main, ["jobs", "status", str(job_id)])
    assert res.output.startswith(f"job {job_id} Impor organisasi: org.xlsx: selesai (245/245)")
    # the upload is gone with the job: queueing it again is refused, not run twice
    with pytest.raises(JobError, match="kedaluwarsa"):
        defer_org_import(app, fresh_db, token, "hr", False, date(2026, 10, 20))
