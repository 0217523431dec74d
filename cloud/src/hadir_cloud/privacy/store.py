"""SQL of the privacy area: retention policies, consents, and what is held about a person."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import psycopg

from . import audit
from .domain import (
    DEFAULT_REGENCY,
    AuditAction,
    Consent,
    ConsentError,
    ConsentMethod,
    Retention,
    RetentionKind,
    consent_problem,
    retention_problem,
)
from .keys import KeyService


@functools.cache
def template_keys() -> KeyService:
    """The template key service this process was configured with (HADIR_TEMPLATE_KEY_FILE);
    SettingsError when there is none."""
    from ..settings import from_environment
    from ..settings import template_keys as from_settings

    return from_settings(from_environment())


# --- retention ---------------------------------------------------------------------------
def policies(conn: psycopg.Connection) -> list[Retention]:
    """Every retention row: the default first, then the regencies'."""
    return [Retention(r[0], RetentionKind(r[1]), r[2], r[3], r[4]) for r in conn.execute(
        "SELECT regency, kind, days, changed_by, changed_at FROM retention_policies "
        "ORDER BY regency <> '*', regency, kind")]


def regencies(conn: psycopg.Connection) -> list[str]:
    """The regencies the organisation names (units.regency)."""
    return [r[0] for r in conn.execute("SELECT DISTINCT regency FROM units ORDER BY 1")]


class RetentionError(ValueError):
    """A retention that cannot be set; `field` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def set_retention(conn: psycopg.Connection, regency: str, kind: str, days: int | None,
                  by: str, origin: str | None = None) -> None:
    """Set how long `kind` is kept in `regency` (`days` None: back to the default), audited."""
    if days is None:
        if regency == DEFAULT_REGENCY:
            raise RetentionError("days", "masa simpan bawaan tidak dapat dihapus")
        problem = retention_problem(regency, kind, MIN_SAFE_DAYS)
    else:
        problem = retention_problem(regency, kind, days)
    if problem:
        raise RetentionError(*problem)
    with conn.transaction():
        before = conn.execute("SELECT days FROM retention_policies WHERE regency = %s AND "
                              "kind = %s FOR UPDATE", (regency, kind)).fetchone()
        if days is None:
            conn.execute("DELETE FROM retention_policies WHERE regency = %s AND kind = %s",
                         (regency, kind))
        else:
            conn.execute("INSERT INTO retention_policies (regency, kind, days, changed_by) "
                         "VALUES (%s, %s, %s, %s) ON CONFLICT (regency, kind) DO UPDATE SET "
                         "days = EXCLUDED.days, changed_by = EXCLUDED.changed_by, "
                         "changed_at = now()", (regency, kind, days, by))
        audit.record(conn, by, AuditAction.RETENTION_CHANGE, None,
                     {"kabupaten": regency, "jenis": kind, "sebelum": before[0] if before else None,
                      "sesudah": days}, origin)


#: any valid number of days, to check the other fields of a reset
MIN_SAFE_DAYS = 365


# --- consent -----------------------------------------------------------------------------
def record_consent(conn: psycopg.Connection, employee_id: str, c: Consent,
                   origin: str | None = None) -> int:
    """Record a consent to biometric enrolment (audited); returns its id. ConsentError (Bahasa)
    when it lacks what it must hold."""
    problem = consent_problem(c)
    if problem:
        raise ConsentError(problem)
    row = conn.execute(
        "INSERT INTO biometric_consents (employee_id, notice_version, method, reference, "
        "recorded_by) VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (employee_id, c.notice_version, str(ConsentMethod(c.method)), c.reference.strip(),
         c.recorded_by)).fetchone()
    assert row is not None
    audit.record(conn, c.recorded_by, AuditAction.CONSENT_GIVEN, employee_id,
                 {"persetujuan": row[0], "cara": str(c.method), "rujukan": c.reference.strip(),
                  "versi_pemberitahuan": c.notice_version}, origin)
    return int(row[0])


def live_consent(conn: psycopg.Connection, employee_id: str) -> int | None:
    """The person's latest consent that was not withdrawn, or None."""
    row = conn.execute("SELECT id FROM biometric_consents WHERE employee_id = %s AND "
                       "withdrawn_at IS NULL ORDER BY given_at DESC, id DESC LIMIT 1",
                       (employee_id,)).fetchone()
    return int(row[0]) if row else None


def withdraw_consents(conn: psycopg.Connection, employee_id: str, by: str,
                      origin: str | None = None) -> int:
    """Mark every live consent of the person withdrawn (audited); returns how many."""
    n = conn.execute("UPDATE biometric_consents SET withdrawn_at = now(), withdrawn_by = %s "
                     "WHERE employee_id = %s AND withdrawn_at IS NULL",
                     (by, employee_id)).rowcount
    if n:
        audit.record(conn, by, AuditAction.CONSENT_WITHDRAWN, employee_id, {"persetujuan": n},
                     origin)
    return n


@dataclass(frozen=True)
class ConsentRow:
    """A consent as the person's page shows it."""

    id: int
    notice_version: str
    method: str
    reference: str
    recorded_by: str
    given_at: datetime
    withdrawn_at: datetime | None


def consents(conn: psycopg.Connection, employee_id: str) -> list[ConsentRow]:
    """The person's consents, newest first."""
    return [ConsentRow(*r) for r in conn.execute(
        "SELECT id, notice_version, method, reference, recorded_by, given_at, withdrawn_at "
        "FROM biometric_consents WHERE employee_id = %s ORDER BY given_at DESC, id DESC",
        (employee_id,))]


# --- what is held about a person ---------------------------------------------------------
@dataclass(frozen=True)
class Held:
    """What the cloud holds about a person's face and photos (counts, never the data)."""

    employee_id: str
    name: str | None
    enrolled: bool
    removed: bool
    erased_at: datetime | None
    has_template: bool
    has_reference: bool
    gallery_version: int | None
    office_id: str | None
    checkins: int
    photos: int
    quarantine_photos: int
    kiosks_holding: int


def held(conn: psycopg.Connection, employee_id: str) -> Held:
    """Counts of what is held about a person (for their page and HR's erasure page)."""
    face = conn.execute(
        "SELECT NOT removed, removed, erased_at, sealed IS NOT NULL OR cardinality(encodings) > 0, "
        "photo IS NOT NULL, version, office_id FROM face_templates WHERE employee_id = %s",
        (employee_id,)).fetchone()
    counts = conn.execute(
        "SELECT (SELECT name FROM employees WHERE nip = %(n)s), "
        "(SELECT count(*) FROM checkins WHERE employee_id = %(n)s), "
        "(SELECT count(*) FROM checkins WHERE employee_id = %(n)s AND photo IS NOT NULL), "
        "(SELECT count(*) FROM checkin_quarantine WHERE employee_id = %(n)s "
        " AND photo IS NOT NULL)", {"n": employee_id}).fetchone()
    assert counts is not None
    kiosks = 0
    if face is not None and face[0]:
        # kiosks whose heartbeat holds the person's current version or later
        row = conn.execute("SELECT count(*) FROM device_state s JOIN devices d ON d.id = "
                           "s.device_id WHERE NOT d.disabled AND s.gallery_version >= %s",
                           (face[5],)).fetchone()
        kiosks = int(row[0]) if row else 0
    return Held(employee_id, counts[0], face is not None and bool(face[0]),
                bool(face and face[1]), face[2] if face else None, bool(face and face[3]),
                bool(face and face[4]), int(face[5]) if face else None,
                face[6] if face else None, int(counts[1]), int(counts[2]), int(counts[3]), kiosks)
