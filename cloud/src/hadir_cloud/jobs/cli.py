"""`hadir-cloud worker` and `hadir-cloud jobs …`: run the queue's worker, queue work, follow it."""

from __future__ import annotations

import contextlib
import getpass
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click
import psycopg

from . import progress


def _conninfo() -> str:
    from ..settings import CloudSettings, SettingsError

    try:
        return CloudSettings().require_database_url()
    except SettingsError as err:
        raise click.ClickException(str(err)) from err


def _connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1), default=1, show_default=True,
              help="Jobs run at once (each TPP run also uses its own --workers processes).")
@click.option("--graceful-timeout", type=float, default=None,
              help="On SIGTERM, wait this many seconds for running jobs, then abort them "
                   "(default: wait until they finish).")
def worker(concurrency: int, graceful_timeout: float | None) -> None:
    """Run the job worker (TPP runs, …) until SIGTERM or Ctrl-C."""
    from .app import create_app

    url = _conninfo()
    create_app(url).run_worker(concurrency=concurrency, shutdown_graceful_timeout=graceful_timeout,
                               additional_context={"conninfo": url}, name="hadir-worker")


@click.group()
def jobs() -> None:
    """Long work as jobs on the PostgreSQL queue: queue it, follow its progress."""


def _month(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..tpp.calendar import CalendarError, month_bounds

    try:
        month_bounds(value)
    except CalendarError as err:
        raise click.BadParameter(str(err)) from err
    return value


@jobs.command("tpp-run")
@click.option("--month", required=True, callback=_month, help="Bulan, format YYYY-MM.")
@click.option("--by", default=getpass.getuser, show_default="pengguna OS",
              help="Siapa yang menjalankan (dicatat).")
@click.option("--unit", default=None, help="Hanya satu OPD (id unit).")
@click.option("--reason", default="", help="Alasan; wajib untuk run ulang.")
@click.option("--final", is_flag=True, help="Langsung finalkan run ini.")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True,
              help="Jumlah proses penghitung.")
@click.option("--wait", is_flag=True, help="Tunggu sampai selesai dengan bilah kemajuan.")
def tpp_run(month: str, by: str, unit: str | None, reason: str, final: bool, workers: int,
            wait: bool) -> None:
    """Antrekan run TPP sebulan sebagai job; mencetak id job (`--wait` untuk mengikuti)."""
    from .app import create_app
    from .tasks import defer_tpp_run

    url = _conninfo()
    try:
        job_id = defer_tpp_run(create_app(url), url, month, by, unit, reason, workers, final)
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
    click.echo(job_id)
    if wait:
        with _connect(url) as conn:
            _follow(conn, job_id)


def _follow(conn: psycopg.Connection, job_id: int, interval: float = 0.5) -> None:
    """Poll a job's progress with a progress bar until it ends; fail as the job failed."""
    shown = 0
    with contextlib.ExitStack() as stack:
        bar: Any = None
        while True:
            p = progress.get(conn, job_id)
            if p is not None and p.total and bar is None:
                bar = stack.enter_context(click.progressbar(
                    length=p.total, label=p.label, show_pos=True,
                    file=sys.stderr))
            if p is not None and bar is not None and p.done > shown:
                bar.update(p.done - shown)
                shown = p.done
            if p is not None and (p.finished or p.stalled):
                break
            time.sleep(interval)
    if p.stalled:
        raise click.ClickException(f"job {job_id} macet: pekerjanya berhenti "
                                   f"(`hadir-cloud jobs retry {job_id}`)")
    if p.state is progress.JobState.FAILED:
        raise click.ClickException(f"job {job_id} gagal: {p.message}")
    click.echo(p.message)


@jobs.command("status")
@click.argument("job_id", type=int)
def status(job_id: int) -> None:
    """Show a job's state, progress and message (what the page polls)."""
    with _connect(_conninfo()) as conn:
        p = progress.get(conn, job_id)
    if p is None:
        raise click.ClickException(f"job {job_id} tidak ditemukan")
    done = f"{p.done}/{p.total}" if p.total is not None else f"{p.done}/?"
    click.echo(f"job {p.job_id} {p.label}: {p.text} ({done})"
               + (f" — {p.message}" if p.message else ""))


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Queue a failed or stalled (worker killed) job again with the same arguments."""
    from .app import create_app

    url = _conninfo()
    with _connect(url) as conn:
        p = progress.get(conn, job_id)
        if p is None:
            raise click.ClickException(f"job {job_id} tidak ditemukan")
        if not (p.stalled or p.queue_status == "failed"):
            raise click.ClickException(f"job {job_id} {p.text}: hanya job gagal atau macet "
                                       "yang dapat diulang")
        app = create_app(url)
        with app.open():
            app.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(UTC))
        progress.requeue(conn, job_id)
    click.echo(f"job {job_id} diantrekan ulang")


def register(main: click.Group) -> None:
    """Add `worker` and `jobs` to the `hadir-cloud` group."""
    main.add_command(worker)
    main.add_command(jobs)
