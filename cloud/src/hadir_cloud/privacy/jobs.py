"""The privacy area's jobs: a person's export (with progress), and the hourly retention (with
the late photos of erased people)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import psycopg
from procrastinate import App, JobContext

from ..jobs import progress
from ..settings import SettingsError, from_environment
from . import audit, erasure, export, retention
from . import store as privacy_store
from .domain import AuditAction

logger = logging.getLogger(__name__)

EXPORT_KIND = "ekspor_data"
NAMESPACE = "hadir"


class ExportError(RuntimeError):
    """An export that cannot be made; the message is for a person."""


def export_label(nip: str) -> str:
    """What an export job is called on a page."""
    return f"Ekspor data pribadi {nip}"


def run_export(url: str, job_id: int, nip: str) -> dict[str, Any]:
    """Build the person's ZIP into subject_exports[job_id], reporting progress."""
    with psycopg.connect(url, autocommit=True) as reporter:
        try:
            result = _run_export(url, reporter, job_id, nip)
        except Exception as err:
            logger.exception("export job %s failed", job_id)
            progress.fail(reporter, job_id, f"ekspor gagal: {type(err).__name__}; coba lagi "
                                            "atau hubungi admin")
            raise
        progress.finish(reporter, job_id, result, result["message"])
    return result


def _run_export(url: str, reporter: psycopg.Connection, job_id: int, nip: str
                ) -> dict[str, Any]:
    try:
        keys = privacy_store.template_keys()
    except SettingsError:
        keys = None  # the ZIP says the template is sealed and could not be opened here
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM subject_exports WHERE job_id = %s",
                        (job_id,)).fetchone() is None:
            raise ExportError("permintaan ekspor tidak ditemukan")
        with conn.transaction():  # one snapshot of the person's data
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            filename, data = export.build(
                conn, nip, keys, from_environment().zone(),
                started=lambda total: progress.start(reporter, job_id, EXPORT_KIND,
                                                     export_label(nip), total),
                advanced=lambda n: progress.advance(reporter, job_id, n))
        digest = hashlib.sha256(data).hexdigest()
        conn.execute("UPDATE subject_exports SET filename = %s, data = %s, size_bytes = %s, "
                     "sha256 = %s WHERE job_id = %s", (filename, data, len(data), digest, job_id))
    return {"filename": filename, "size_bytes": len(data), "sha256": digest,
            "message": f"{filename} siap diunduh ({len(data) / 1048576:.1f} MB)"}


def export_task(context: JobContext, nip: str) -> dict[str, Any]:
    """A person's export as a job; no retries (the page offers to ask again)."""
    assert context.job.id is not None
    return run_export(context.additional_context["conninfo"], context.job.id, nip)


def retention_task(context: JobContext, timestamp: int) -> dict[str, int]:
    """Hourly: retention (privacy/retention.py), then photos of erased people's events that
    arrived after their erasure (privacy/erasure.py `sweep`)."""
    with psycopg.connect(context.additional_context["conninfo"], autocommit=True) as conn:
        done = retention.run(conn)
        done["foto_setelah_penghapusan"] = erasure.sweep(conn)
        return done


def register(app: App) -> None:
    """The privacy tasks and their schedules, on a procrastinate App."""
    app.task(name=f"{NAMESPACE}:{EXPORT_KIND}", pass_context=True, retry=False)(export_task)
    app.periodic(cron="7 * * * *", periodic_id="privacy-retention")(
        app.task(name=f"{NAMESPACE}:privacy_retention", pass_context=True, retry=False)(
            retention_task))


def defer_export(app: App, url: str, nip: str, by: str, origin: str | None) -> int:
    """Queue a person's export, its progress row, its row and its audit entry in one
    transaction; returns the job id (one export per person at a time: a procrastinate lock)."""
    task = app.tasks[f"{NAMESPACE}:{EXPORT_KIND}"]
    with psycopg.connect(url) as conn:
        job_id: int = task.configure(connection=conn, lock=f"ekspor:{nip}").defer(nip=nip)
        progress.create(conn, job_id, EXPORT_KIND, export_label(nip))
        conn.execute("INSERT INTO subject_exports (job_id, employee_id, requested_by) "
                     "VALUES (%s, %s, %s)", (job_id, nip, by))
        audit.record(conn, by, AuditAction.EXPORT_REQUEST, nip, {"tugas": job_id}, origin)
    return job_id
