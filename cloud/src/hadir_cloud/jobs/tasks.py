"""Hadir's jobs. First: the monthly TPP run, the same code path as `hadir-cloud tpp run`."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from procrastinate import App, JobContext

from ..tpp import store
from ..tpp.calendar import CalendarError, month_bounds
from ..tpp.rules import NoRuleSetError, RuleSetError
from ..tpp.schedule import NoScheduleError, ScheduleError
from ..tpp.tpp import UnknownPositionClassError
from . import progress

logger = logging.getLogger(__name__)

#: Errors whose message is written for a person (Bahasa); anything else is a bug and logged.
EXPECTED = (RuleSetError, NoRuleSetError, NoScheduleError, ScheduleError, CalendarError,
            UnknownPositionClassError, store.StoreError, store.UnknownEmployeeError,
            store.RunNotFoundError)
TPP_KIND = "tpp_run"
#: Namespace of our tasks: task names are "hadir:<name>".
NAMESPACE = "hadir"


class JobError(RuntimeError):
    """A job cannot do what it was asked; the message is for a person."""


def tpp_label(month: str, unit: str | None) -> str:
    """What a TPP job is called on a page."""
    return f"TPP {month}" + (f" ({unit})" if unit else "")


def lock_name(month: str, unit: str | None) -> str:
    """One TPP run of a month (and unit) at a time: versions are numbered by the writer."""
    return f"tpp:{month}:{unit or '*'}"


def run_tpp(url: str, job_id: int, month: str, by: str, unit: str | None = None,
            reason: str = "", workers: int = 2, final: bool = False) -> dict[str, Any]:
    """Compute and store a month's TPP run, reporting progress in job_progress[job_id].

    A failure is recorded with its message and raised again (procrastinate marks the job failed;
    the run's transaction is rolled back, so no partial run is ever stored).
    """
    label = tpp_label(month, unit)
    with psycopg.connect(url, autocommit=True) as reporter:
        try:
            result = _run_tpp(url, reporter, job_id, label, month, by, unit, reason, workers,
                              final)
        except EXPECTED as err:
            progress.fail(reporter, job_id, str(err))
            raise JobError(str(err)) from err
        except Exception as err:
            logger.exception("job %s (%s) failed", job_id, label)
            progress.fail(reporter, job_id, f"kesalahan tak terduga: {type(err).__name__}: {err}")
            raise
        progress.finish(reporter, job_id, result, result["message"])
    return result


def _run_tpp(url: str, reporter: psycopg.Connection, job_id: int, label: str, month: str,
             by: str, unit: str | None, reason: str, workers: int,
             final: bool) -> dict[str, Any]:
    info = store.run_month(url, month, unit, by, reason, workers, final,
                           started=lambda total: progress.start(reporter, job_id, TPP_KIND,
                                                                label, total),
                           progress=lambda n: progress.advance(reporter, job_id, n))
    message = store.run_summary(info, month)
    return {"run_id": info.id, "version": info.version, "status": info.status,
            "employees": info.employees, "total_net": str(info.total_net), "message": message}


def tpp_run(context: JobContext, month: str, by: str, unit: str | None = None,
            reason: str = "", workers: int = 2, final: bool = False) -> dict[str, Any]:
    """The monthly TPP run as a job; no retries: a run is versioned, a failure is recorded."""
    assert context.job.id is not None  # a fetched job always has its id
    url = context.additional_context["conninfo"]
    return run_tpp(url, context.job.id, month, by, unit, reason, workers, final)


def register(app: App) -> None:
    """Register every task on an App (each App gets its own Task objects: a procrastinate
    Blueprint can be added to one App only)."""
    app.task(name=f"{NAMESPACE}:{TPP_KIND}", pass_context=True, retry=False)(tpp_run)


def defer_tpp_run(app: App, url: str, month: str, by: str, unit: str | None = None,
                  reason: str = "", workers: int = 2, final: bool = False) -> int:
    """Queue a TPP run and its progress row in one transaction; returns the job id."""
    month_bounds(month)  # a bad month fails here, not in the worker
    task = app.tasks[f"{NAMESPACE}:{TPP_KIND}"]
    with psycopg.connect(url) as conn:
        job_id: int = task.configure(connection=conn, lock=lock_name(month, unit)).defer(
            month=month, by=by, unit=unit, reason=reason, workers=workers, final=final)
        progress.create(conn, job_id, TPP_KIND, tpp_label(month, unit))
    return job_id
