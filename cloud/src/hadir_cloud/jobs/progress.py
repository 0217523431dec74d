"""Progress of a job in `job_progress`, written by the task and polled by a page or the CLI."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


class JobState(enum.StrEnum):
    """Where a job stands, as stored in job_progress.state."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: The Bahasa text of every state (one table; pages and the CLI show these).
STATE_TEXT: dict[JobState, str] = {
    JobState.QUEUED: "menunggu",
    JobState.RUNNING: "berjalan",
    JobState.DONE: "selesai",
    JobState.FAILED: "gagal",
}

#: A `doing` job whose worker sent no heartbeat for this long is stalled (procrastinate's
#: default for get_stalled_jobs; a worker beats every 10 s).
STALLED_AFTER_S = 30


@dataclass(frozen=True)
class Progress:
    """One job's progress, with the queue's own view of it."""

    job_id: int
    kind: str
    label: str
    state: JobState
    done: int
    total: int | None
    message: str
    result: dict[str, Any] | None
    started_at: datetime | None
    finished_at: datetime | None
    queue_status: str | None
    """procrastinate_jobs.status (todo, doing, succeeded, failed, …); None once deleted."""
    stalled: bool
    """Running, but its worker is gone (no heartbeat): it will not finish by itself."""

    @property
    def finished(self) -> bool:
        """Done or failed: polling can stop."""
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def text(self) -> str:
        """The state in Bahasa, `macet` for a stalled job."""
        return "macet" if self.stalled else STATE_TEXT[self.state]


def create(conn: psycopg.Connection, job_id: int, kind: str, label: str) -> None:
    """Record a job as queued (in the caller's transaction, beside the defer)."""
    conn.execute("INSERT INTO job_progress (job_id, kind, label) VALUES (%s, %s, %s) "
                 "ON CONFLICT (job_id) DO NOTHING", (job_id, kind, label))


def start(conn: psycopg.Connection, job_id: int, kind: str, label: str,
          total: int | None) -> None:
    """Mark a job running with its total (creating its row if the defer did not)."""
    conn.execute(
        "INSERT INTO job_progress (job_id, kind, label, state, total, started_at) "
        "VALUES (%s, %s, %s, 'running', %s, now()) ON CONFLICT (job_id) DO UPDATE SET "
        "state = 'running', total = excluded.total, done = 0, message = '', result = NULL, "
        "started_at = now(), finished_at = NULL, updated_at = now()",
        (job_id, kind, label, total))


def advance(conn: psycopg.Connection, job_id: int, n: int) -> None:
    """Count n more items done."""
    conn.execute("UPDATE job_progress SET done = done + %s, updated_at = now() WHERE job_id = %s",
                 (n, job_id))


def finish(conn: psycopg.Connection, job_id: int, result: dict[str, Any], message: str) -> None:
    """Mark a job done with its result."""
    conn.execute("UPDATE job_progress SET state = 'done', done = coalesce(total, done), "
                 "result = %s, message = %s, finished_at = now(), updated_at = now() "
                 "WHERE job_id = %s", (Jsonb(result), message, job_id))


def fail(conn: psycopg.Connection, job_id: int, message: str) -> None:
    """Mark a job failed with the message a person reads."""
    conn.execute("UPDATE job_progress SET state = 'failed', message = %s, finished_at = now(), "
                 "updated_at = now() WHERE job_id = %s", (message, job_id))


def requeue(conn: psycopg.Connection, job_id: int) -> None:
    """Mark a job queued again (after procrastinate's retry)."""
    conn.execute("UPDATE job_progress SET state = 'queued', finished_at = NULL, updated_at = now() "
                 "WHERE job_id = %s", (job_id,))


def workers_alive(conn: psycopg.Connection) -> int:
    """Workers whose heartbeat is fresh: 0 means a queued job waits for someone to start one."""
    row = conn.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= "
                       "now() - make_interval(secs => %s)", (STALLED_AFTER_S,)).fetchone()
    return int(row[0]) if row else 0


def get(conn: psycopg.Connection, job_id: int, kind: str | None = None) -> Progress | None:
    """One job's progress, or None when no such job (of that kind) was recorded."""
    row = conn.execute(
        "SELECT p.job_id, p.kind, p.label, p.state, p.done, p.total, p.message, p.result, "
        "p.started_at, p.finished_at, j.status::text, "
        "coalesce(j.status = 'doing' AND (j.worker_id IS NULL OR w.last_heartbeat < "
        "now() - make_interval(secs => %s)), false) "
        "FROM job_progress p LEFT JOIN procrastinate_jobs j ON j.id = p.job_id "
        "LEFT JOIN procrastinate_workers w ON w.id = j.worker_id WHERE p.job_id = %s",
        (STALLED_AFTER_S, job_id)).fetchone()
    if row is None or (kind is not None and row[1] != kind):
        return None
    return Progress(row[0], row[1], row[2], JobState(row[3]), *row[4:])
