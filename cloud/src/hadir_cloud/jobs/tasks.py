"""Hadir's jobs: the monthly TPP run (the same code path as `hadir-cloud tpp run`) and the
organisation import's apply (the same `org.store.apply` as `hadir-cloud org import --apply`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
from procrastinate import App, JobContext, RetryStrategy

from ..org import imports as org_imports
from ..org import store as org_store
from ..org import uploads as org_uploads
from ..tpp import store
from ..tpp.calendar import CalendarError, month_bounds
from ..tpp.rules import NoRuleSetError, RuleSetError
from ..tpp.schedule import NoScheduleError, ScheduleError
from ..tpp.tpp import UnknownPositionClassError
from . import progress

if TYPE_CHECKING:
    from ..settings import CloudSettings

logger = logging.getLogger(__name__)

#: Errors whose message is written for a person (Bahasa); anything else is a bug and logged.
EXPECTED = (RuleSetError, NoRuleSetError, NoScheduleError, ScheduleError, CalendarError,
            UnknownPositionClassError, store.StoreError, store.UnknownEmployeeError,
            store.RunNotFoundError)
TPP_KIND = "tpp_run"
ORG_KIND = "org_import"
#: one org import at a time (two would upsert the same rows in two transactions)
ORG_LOCK = "org:import"
#: an org import reports progress every this many rows
ORG_CHUNK = 200
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


def org_label(filename: str) -> str:
    """What an org import job is called on a page."""
    return f"Impor organisasi: {filename}"


def every(n: int, advance: Callable[[int], None]) -> Callable[[int, int], None]:
    """A `progress(done, total)` that passes on progress in steps of `n` and at the end."""
    reported = 0

    def report(done: int, total: int) -> None:
        nonlocal reported
        if done - reported >= n or done == total:
            advance(done - reported)
            reported = done

    return report


def _problems_text(problems: list[org_imports.Problem], shown: int = 5) -> str:
    more = len(problems) - shown
    return (f"berkas bermasalah, tidak ada yang disimpan: {len(problems)} masalah — "
            + "; ".join(str(p) for p in problems[:shown]) + (f"; dan {more} lagi" if more > 0
                                                              else ""))


def run_org_import(url: str, job_id: int, token: str, by: str, mark_leavers: bool = False,
                   day: str | None = None) -> dict[str, Any]:
    """Apply a kept upload (`org.uploads`) in one transaction, reporting progress in
    job_progress[job_id] every ORG_CHUNK rows from a separate connection (the apply's own
    transaction holds the data until it commits). `mark_leavers`: the file is complete for its
    OPDs and whoever of theirs it leaves out leaves on `day` (ISO date).

    The upload is deleted when the job ends: with the data when it succeeds, after it when it
    fails (a failure stores nothing; the message, in Bahasa, is in job_progress).
    """
    with psycopg.connect(url, autocommit=True) as reporter:
        try:
            leavers_on = (date.fromisoformat(day) if day else date.today()) if mark_leavers \
                else None
            result = _run_org_import(url, reporter, job_id, token, by, leavers_on)
        except (JobError, org_store.OrgStoreError, org_imports.ImportProblems) as err:
            message = (_problems_text(err.problems)
                       if isinstance(err, org_imports.ImportProblems) else str(err))
            progress.fail(reporter, job_id, message)
            org_uploads.delete(reporter, token)
            raise JobError(message) from err
        except Exception as err:
            logger.exception("job %s (org import) failed", job_id)
            progress.fail(reporter, job_id, f"kesalahan tak terduga: {type(err).__name__}: {err}")
            org_uploads.delete(reporter, token)
            raise
        progress.finish(reporter, job_id, result, result["message"])
    return result


def _run_org_import(url: str, reporter: psycopg.Connection, job_id: int, token: str, by: str,
                    leavers_on: date | None) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        upload = org_uploads.get(conn, token)
        if upload is None:
            raise JobError("unggahan tidak ditemukan (sudah diterapkan atau kedaluwarsa); "
                           "unggah berkasnya lagi")
        try:
            book = org_imports.read_xlsx(io.BytesIO(upload.data))
        except (OSError, ValueError, KeyError) as err:
            raise JobError(f"berkas {upload.filename} tidak dapat dibaca: {err}") from err
        parsed = org_imports.parse(book, org_store.known(conn))  # the database may have moved on
        progress.start(reporter, job_id, ORG_KIND, org_label(upload.filename), parsed.total)
        with conn.transaction():
            applied = org_store.apply(conn, parsed, every(ORG_CHUNK, lambda n: progress.advance(
                reporter, job_id, n)), leavers_on=leavers_on)
            org_uploads.delete(conn, token)
    return {**applied.as_dict(), "by": by,
            "message": f"tersimpan ({upload.filename}, oleh {by}): {applied.summary()}"}


def org_import(context: JobContext, token: str, by: str, mark_leavers: bool = False,
               day: str | None = None) -> dict[str, Any]:
    """The org import's apply as a job; no retries: a failure stores nothing and is recorded."""
    assert context.job.id is not None  # a fetched job always has its id
    url = context.additional_context["conninfo"]
    return run_org_import(url, context.job.id, token, by, mark_leavers, day)


LETTER_KIND = "letter_sign"


def letter_label(letter_id: int) -> str:
    """What a signing job is called on a page."""
    return f"Tanda tangan surat #{letter_id}"


def run_letter_sign(url: str, job_id: int, letter_id: int, actor: str) -> dict[str, Any]:
    """Number, render, sign and store a letter (`letters.store.sign`) with the configured
    signer, at the signer's local time; a failure stores nothing, uses no number and is
    recorded with its Bahasa message."""
    from ..letters import store as letters_store
    from ..letters.domain import LetterError
    from ..letters.rules import RulesError, load_rules, shipped
    from ..letters.signing import SignerError, port_from_settings
    from ..requests import store as requests_store
    from ..requests.kinds import KindsError, load_kinds, shipped_path
    from ..settings import CloudSettings

    with psycopg.connect(url, autocommit=True) as reporter:
        progress.start(reporter, job_id, LETTER_KIND, letter_label(letter_id), 1)
        try:
            settings = CloudSettings()
            rules = (load_rules(settings.letters_rules_file) if settings.letters_rules_file
                     else shipped())
            with psycopg.connect(url, autocommit=True) as conn:
                at = datetime.now(requests_store.zone_of(conn, actor, settings.zone()))
                signed = letters_store.sign(conn, rules, port_from_settings(settings),
                                            load_kinds(shipped_path()), letter_id, actor, at,
                                            settings.portal_base_url)
        except (LetterError, SignerError, LookupError, RulesError, KindsError) as err:
            progress.fail(reporter, job_id, str(err))
            raise JobError(str(err)) from err
        except Exception as err:
            logger.exception("job %s (signing letter %s) failed", job_id, letter_id)
            progress.fail(reporter, job_id, f"kesalahan tak terduga: {type(err).__name__}: {err}")
            raise
        result = {"letter_id": letter_id, "number": signed.number,
                  "message": f"ditandatangani, nomor {signed.number}"}
        progress.finish(reporter, job_id, result, result["message"])
    return result


def letter_sign(context: JobContext, letter_id: int, actor: str) -> dict[str, Any]:
    """Signing a letter as a job; no retries: the signer clicks again after a failure."""
    assert context.job.id is not None
    return run_letter_sign(context.additional_context["conninfo"], context.job.id, letter_id,
                           actor)


def defer_letter_sign(app: App, url: str, letter_id: int, actor: str) -> int:
    """Queue the signing of a letter and its progress row in one transaction; the job id."""
    task = app.tasks[f"{NAMESPACE}:{LETTER_KIND}"]
    with psycopg.connect(url) as conn:
        job_id: int = task.configure(connection=conn, lock=f"letter:{letter_id}").defer(
            letter_id=letter_id, actor=actor)
        progress.create(conn, job_id, LETTER_KIND, letter_label(letter_id))
    return job_id


#: the hour of the day (the regency's zone) the daily digests go out
DIGEST_HOUR = 7


def _local_day(timestamp: int, settings: CloudSettings) -> date:
    """The job's day in the regency's zone (HADIR_TIMEZONE)."""
    return datetime.fromtimestamp(timestamp, settings.zone()).date()


def notify_collect(context: JobContext, timestamp: int) -> int:
    """Every 10 minutes: the notices the present state gives (notify/collect.py), each once;
    then urgent ones (a kiosk offline) go out at once on the channels this deployment has
    (a channel that fails is tried again 10 minutes later, nothing twice)."""
    from ..notify import channels, store
    from ..settings import CloudSettings

    settings = CloudSettings()
    now = datetime.fromtimestamp(timestamp, ZoneInfo("UTC"))
    with psycopg.connect(context.additional_context["conninfo"], autocommit=True) as conn:
        new = store.collect(conn, _local_day(timestamp, settings), now)
        ways = channels.from_settings(settings)
        if ways:
            try:
                store.send_urgent(conn, ways, now, settings.portal_base_url)
            except channels.DeliveryError as err:
                logger.warning("%s", err)
    return new


def notify_digest(context: JobContext, timestamp: int) -> int:
    """Every day at 07:00 in the regency's zone (WIB, WITA or WIT): one digest per person on
    each of their channels (e-mail, the webhook gateway), never twice, retried while a channel
    is away. Without HADIR_SMTP_HOST and HADIR_NOTIFY_WEBHOOK_URL the notices stay in the
    portal."""
    from ..notify import channels, store
    from ..settings import CloudSettings

    settings = CloudSettings()
    if datetime.fromtimestamp(timestamp, settings.zone()).hour != DIGEST_HOUR:
        return 0  # hourly: the digest goes in the regency's 07:00 hour (HADIR_TIMEZONE)
    ways = channels.from_settings(settings)
    if not ways:
        logger.info("no HADIR_SMTP_HOST or HADIR_NOTIFY_WEBHOOK_URL: digests stay in the portal")
        return 0
    with psycopg.connect(context.additional_context["conninfo"], autocommit=True) as conn:
        return store.send_digests(conn, ways, _local_day(timestamp, settings),
                                  settings.portal_base_url)


FACE_KIND = "face_enrol"


def face_label(name: str, employee_id: str) -> str:
    """What a face enrolment job is called on a page."""
    return f"Pendaftaran wajah: {name} ({employee_id})"


def run_face_enrol(url: str, job_id: int, upload_id: int) -> dict[str, Any]:
    """Encode a kept upload's photos and enrol the person (devices/faces.py), reporting each
    photo in job_progress[job_id]; a refused photo fails the job with its reason (nothing is
    enrolled) and the photos are deleted either way."""
    from ..devices.faces import FaceError, enrol_upload
    from ..privacy.domain import ConsentError
    from ..settings import SettingsError

    with psycopg.connect(url, autocommit=True) as reporter, \
            psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT employee_id, name, cardinality(photos) FROM "
                           "face_enrolment_uploads WHERE id = %s", (upload_id,)).fetchone()
        label = face_label(row[1], row[0]) if row else f"Pendaftaran wajah #{upload_id}"
        progress.start(reporter, job_id, FACE_KIND, label, row[2] if row else None)
        try:
            result = enrol_upload(conn, upload_id,
                                  lambda n: progress.advance(reporter, job_id, n))
        except (FaceError, ConsentError, SettingsError) as err:
            progress.fail(reporter, job_id, str(err))
            raise JobError(str(err)) from err
        except Exception as err:
            logger.exception("job %s (face enrolment) failed", job_id)
            progress.fail(reporter, job_id, f"kesalahan tak terduga: {type(err).__name__}: {err}")
            raise
        progress.finish(reporter, job_id, result, result["message"])
    return result


def face_enrol(context: JobContext, upload_id: int) -> dict[str, Any]:
    """A face enrolment from the portal as a job; no retries: a refused photo is final."""
    assert context.job.id is not None  # a fetched job always has its id
    return run_face_enrol(context.additional_context["conninfo"], context.job.id, upload_id)


def defer_face_enrol(app: App, url: str, upload_id: int, label: str) -> int:
    """Queue the encoding of a kept upload and its progress row in one transaction."""
    task = app.tasks[f"{NAMESPACE}:{FACE_KIND}"]
    with psycopg.connect(url) as conn:
        job_id: int = task.configure(connection=conn).defer(upload_id=upload_id)
        progress.create(conn, job_id, FACE_KIND, label)
        conn.execute("UPDATE face_enrolment_uploads SET job_id = %s WHERE id = %s",
                     (job_id, upload_id))
    return job_id


def register(app: App) -> None:
    """Register every task on an App (each App gets its own Task objects: a procrastinate
    Blueprint can be added to one App only)."""
    app.task(name=f"{NAMESPACE}:{TPP_KIND}", pass_context=True, retry=False)(tpp_run)
    app.task(name=f"{NAMESPACE}:{ORG_KIND}", pass_context=True, retry=False)(org_import)
    app.task(name=f"{NAMESPACE}:{LETTER_KIND}", pass_context=True, retry=False)(letter_sign)
    app.task(name=f"{NAMESPACE}:{FACE_KIND}", pass_context=True, retry=False)(face_enrol)
    app.periodic(cron="*/10 * * * *", periodic_id="notify-collect")(
        app.task(name=f"{NAMESPACE}:notify_collect", pass_context=True, retry=False)(
            notify_collect))
    # hourly, sending in the regency's 07:00 hour only (00:00 UTC for WIB, 23:00 for WITA,
    # 22:00 for WIT); retried for an hour while the mail server is away
    app.periodic(cron="0 * * * *", periodic_id="notify-digest")(
        app.task(name=f"{NAMESPACE}:notify_digest", pass_context=True,
                 retry=RetryStrategy(max_attempts=12, wait=300))(notify_digest))
    # subject exports, hourly retention, erasures' kiosk confirmations (privacy/jobs.py)
    from ..privacy.jobs import register as register_privacy

    register_privacy(app)


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


def defer_org_import(app: App, url: str, token: str, by: str, mark_leavers: bool,
                     day: date) -> int:
    """Queue the apply of a kept upload and its progress row in one transaction; returns the job
    id (the same job again when the upload's apply is already queued)."""
    task = app.tasks[f"{NAMESPACE}:{ORG_KIND}"]
    with psycopg.connect(url) as conn:
        kept = org_uploads.claim(conn, token)
        if kept is None:
            raise JobError("unggahan sudah kedaluwarsa; unggah berkasnya lagi")
        filename, queued = kept
        if queued is not None:
            return queued
        job_id: int = task.configure(connection=conn, lock=ORG_LOCK).defer(
            token=token, by=by, mark_leavers=mark_leavers, day=day.isoformat())
        progress.create(conn, job_id, ORG_KIND, org_label(filename))
        org_uploads.attach_job(conn, token, job_id)
    return job_id
