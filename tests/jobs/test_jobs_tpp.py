"""The monthly TPP run as a job on a real PostgreSQL queue: same run as the CLI, progress, failure,
and a worker killed mid-job."""

from __future__ import annotations

import signal
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.jobs import progress
from hadir_cloud.jobs.app import create_app
from hadir_cloud.jobs.progress import JobState
from hadir_cloud.jobs.tasks import defer_tpp_run
from hadir_cloud.tpp import store
from jobs_support import wait_for
from test_tpp_store import DEWI, GURU, SARI, seed_october
from tpp_db import prepare

MONTH = "2026-10"


def run_worker_until_idle(url: str) -> None:
    """procrastinate's real worker, in this process, until the queue is empty."""
    create_app(url).run_worker(wait=False, install_signal_handlers=False,
                               additional_context={"conninfo": url})


def read(url: str, job_id: int) -> progress.Progress:
    with psycopg.connect(url) as conn:
        p = progress.get(conn, job_id)
    assert p is not None
    return p


def results(url: str, run_id: int) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        return store.run_results(conn, run_id)


def test_a_queued_tpp_run_stores_the_same_run_as_the_cli(fresh_db: str):
    """Sari 3.448.000 + Dewi 3.952.000 + the teacher 2.250.000 = 9.650.000, as `tpp run` gives."""
    seed_october(fresh_db)
    job_id = defer_tpp_run(create_app(fresh_db), fresh_db, MONTH, "admin", workers=1)
    queued = read(fresh_db, job_id)
    assert (queued.state, queued.queue_status, queued.label) == (JobState.QUEUED, "todo",
                                                                 "TPP 2026-10")

    run_worker_until_idle(fresh_db)

    p = read(fresh_db, job_id)
    assert p.state is JobState.DONE and p.queue_status == "succeeded", p
    assert p.done == p.total == 3
    assert p.result is not None and p.result["employees"] == 3
    assert p.result["total_net"] == "9650000" and "Rp 9.650.000" in p.message
    assert p.started_at is not None and p.finished_at is not None

    res = CliRunner().invoke(main, ["tpp", "--database-url", fresh_db, "run", "--month", MONTH,
                                    "--by", "admin", "--reason", "banding dengan CLI"])
    assert res.exit_code == 0 and "versi 2" in res.output, res.output
    with psycopg.connect(fresh_db) as conn:
        job_run = store.get_run(conn, p.result["run_id"])
        cli_run = store.latest_run(conn, MONTH)
    assert (job_run.version, job_run.created_by, job_run.status) == (1, "admin", "draf")
    assert cli_run.version == 2
    assert (job_run.employees, job_run.total_net) == (cli_run.employees, cli_run.total_net)
    assert p.result["total_net"] == str(cli_run.total_net)
    job_rows, cli_rows = results(fresh_db, job_run.id), results(fresh_db, cli_run.id)
    assert [r["nip"] for r in job_rows] == sorted([SARI, DEWI, GURU])
    assert job_rows == cli_rows  # every column of every employee: deductions, days, LKH


def test_a_month_without_employees_fails_with_its_message(fresh_db: str, monkeypatch):
    prepare(fresh_db)
    job_id = defer_tpp_run(create_app(fresh_db), fresh_db, MONTH, "admin", workers=1)
    run_worker_until_idle(fresh_db)

    p = read(fresh_db, job_id)
    assert p.state is JobState.FAILED and p.queue_status == "failed"
    assert p.message == "tidak ada pegawai aktif untuk 2026-10"
    assert p.finished_at is not None and p.result is None
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM tpp_runs").fetchone() == (0,)
        # no retries for TPP: one attempt, and nothing queued again
        assert conn.execute("SELECT attempts, status::text FROM procrastinate_jobs WHERE id = %s",
                            (job_id,)).fetchone() == (1, "failed")

    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "status", str(job_id)])
    assert res.exit_code == 0
    assert res.output.strip() == (f"job {job_id} TPP 2026-10: gagal (0/?) — "
                                  "tidak ada pegawai aktif untuk 2026-10")


def test_the_cli_queues_waits_with_progress_and_the_worker_stops_on_sigterm(
        fresh_db: str, worker_process, monkeypatch):
    """`hadir-cloud worker` in its own process; `jobs tpp-run --wait` follows it to the end."""
    seed_october(fresh_db)
    worker = worker_process()
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "tpp-run", "--month", MONTH, "--by", "admin",
                                    "--wait"])
    assert res.exit_code == 0, res.output
    job_id = int(res.output.splitlines()[0])
    assert "versi 1" in res.output and "3 pegawai" in res.output
    assert "Rp 9.650.000" in res.output
    assert read(fresh_db, job_id).done == 3

    res = CliRunner().invoke(main, ["jobs", "status", str(job_id)])
    assert res.output.startswith(f"job {job_id} TPP 2026-10: selesai (3/3) — run ")

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0


def test_a_worker_killed_mid_job_leaves_it_visible_then_retry_finishes_it(
        fresh_db: str, worker_process, monkeypatch):
    """SIGKILL while the run waits on tpp_runs: nothing half-stored, the job shows as running,
    then stalled once its worker's heartbeat is old; `jobs retry` and a new worker finish it."""
    seed_october(fresh_db)
    job_id = defer_tpp_run(create_app(fresh_db), fresh_db, MONTH, "admin", workers=1)
    with psycopg.connect(fresh_db) as locker:
        # hold the job inside write_run (its first statement reads tpp_runs)
        locker.execute("LOCK TABLE tpp_runs IN ACCESS EXCLUSIVE MODE")
        worker = worker_process()
        wait_for(lambda: read(fresh_db, job_id).state is JobState.RUNNING, what="job running")
        wait_for(lambda: locker.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").fetchone()[0], what="the job blocked on tpp_runs")
        worker.kill()
        assert worker.wait(10) == -signal.SIGKILL
    p = read(fresh_db, job_id)
    assert p.state is JobState.RUNNING and not p.finished
    assert p.queue_status == "doing" and p.done < 3
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM tpp_runs").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tpp_results").fetchone() == (0,)
        # time passes: the dead worker's last heartbeat is now older than the stall limit
        conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - "
                     "interval '1 hour'")
    stalled = read(fresh_db, job_id)
    assert stalled.stalled and stalled.text == "macet"

    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "status", str(job_id)])
    assert "macet" in res.output
    res = CliRunner().invoke(main, ["jobs", "retry", str(job_id)])
    assert res.exit_code == 0, res.output
    assert read(fresh_db, job_id).state is JobState.QUEUED

    run_worker_until_idle(fresh_db)
    p = read(fresh_db, job_id)
    assert p.state is JobState.DONE and p.done == p.total == 3
    assert p.result is not None and p.result["version"] == 1
    assert p.result["total_net"] == "9650000"


def test_retry_refuses_a_job_that_is_neither_failed_nor_stalled(fresh_db: str, monkeypatch):
    seed_october(fresh_db)
    job_id = defer_tpp_run(create_app(fresh_db), fresh_db, MONTH, "admin", workers=1)
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "retry", str(job_id)])
    assert res.exit_code == 1 and "menunggu" in res.output


@pytest.mark.parametrize("args", [["--month", "2026-13"], ["--month", "Oktober"]])
def test_a_bad_month_is_refused_before_queueing(fresh_db: str, monkeypatch, args):
    prepare(fresh_db)
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    res = CliRunner().invoke(main, ["jobs", "tpp-run", *args])
    assert res.exit_code == 2 and "bulan tidak valid" in res.output
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() == (0,)
