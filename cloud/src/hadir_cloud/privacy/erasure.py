"""Erasing a person's biometric data (UU 27/2022 right to erasure), and its report.

In one transaction: the cloud template is destroyed (sealed encodings, wrapped data key, name
and reference photo: the row stays as a removal tombstone with the next gallery version, so
every kiosk gets a removal delta); the photos of their check-ins (and quarantined ones), the
rejected raw payloads that name them, and their unexpired exports are purged; their consent is
marked withdrawn; every registered kiosk is listed with the version it held; the erasure is
written to the audit trail with what was erased where.

Afterwards the fleet monitor, for every heartbeat it stores, sends the kiosk the removal it
lacks and stamps its confirmation (`confirm`) once a heartbeat sent after the erasure reports
the removal's version or later; the hourly retention job clears the photos that reach the
cloud after the erasure (`sweep`: a kiosk's offline backlog, a face recognised by a kiosk that
had not applied the removal yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from . import audit
from . import store as privacy_store
from .domain import AuditAction, KioskState, confirms, erasure_complete, kiosk_state

#: how long after an erasure late photos (a kiosk's backlog) are still looked for
SWEEP_FOR = timedelta(days=60)


class ErasureError(ValueError):
    """An erasure that cannot be made (Bahasa)."""


def erase(conn: psycopg.Connection, employee_id: str, reason: str, by: str,
          origin: str | None = None) -> int:
    """Erase a person's biometric data now; returns the erasure's id (its report)."""
    reason = reason.strip()
    if not reason:
        raise ErasureError("alasan penghapusan wajib diisi (mis. permintaan pegawai, pensiun)")
    if len(reason) > 500:
        raise ErasureError("alasan paling panjang 500 karakter")
    needle = f'"{employee_id}"'
    with conn.transaction():
        face = conn.execute(
            "SELECT sealed IS NOT NULL OR cardinality(encodings) > 0, photo IS NOT NULL "
            "FROM face_templates WHERE employee_id = %s FOR UPDATE", (employee_id,)).fetchone()
        version: int | None = None
        if face is not None:
            stamped = conn.execute(
                "UPDATE face_templates SET encodings = '{}', sealed = NULL, data_key = NULL, "
                "key_id = NULL, name = '', photo = NULL, removed = true, erased_at = now(), "
                "version = nextval('gallery_version_seq'), updated_at = now() "
                "WHERE employee_id = %s RETURNING version", (employee_id,)).fetchone()
            assert stamped is not None  # the row is locked above
            version = int(stamped[0])
        erased: dict[str, int] = {
            "templat_wajah": int(bool(face and face[0])),
            "foto_referensi": int(bool(face and face[1])),
            "foto_presensi": conn.execute(
                "UPDATE checkins SET photo = NULL WHERE employee_id = %s AND photo IS NOT NULL",
                (employee_id,)).rowcount,
            "foto_karantina": conn.execute(
                "UPDATE checkin_quarantine SET photo = NULL WHERE employee_id = %s "
                "AND photo IS NOT NULL", (employee_id,)).rowcount,
            # a refused event is kept raw (photo included): those naming the person go
            "pesan_ditolak": conn.execute(
                "DELETE FROM rejected_messages WHERE position(convert_to(%s, 'UTF8') IN raw) > 0",
                (needle,)).rowcount,
            "ekspor": conn.execute("DELETE FROM subject_exports WHERE employee_id = %s",
                                   (employee_id,)).rowcount,
            "persetujuan": privacy_store.withdraw_consents(conn, employee_id, by, origin),
        }
        row = conn.execute(
            "INSERT INTO erasures (employee_id, reason, requested_by, origin, gallery_version, "
            "erased) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (employee_id, reason, by, origin, version, Jsonb(erased))).fetchone()
        assert row is not None
        erasure_id = int(row[0])
        kiosks = 0
        if version is not None:
            kiosks = conn.execute(
                "INSERT INTO erasure_kiosks (erasure_id, device_id, held_version, disabled) "
                "SELECT %s, d.id, s.gallery_version, d.disabled FROM devices d "
                "LEFT JOIN device_state s ON s.device_id = d.id", (erasure_id,)).rowcount
        audit.record(conn, by, AuditAction.ERASURE, employee_id,
                     {"penghapusan": erasure_id, "alasan": reason, "versi_galeri": version,
                      "kiosk": kiosks, **erased}, origin)
    return erasure_id


def confirm(conn: psycopg.Connection, device_id: str | None = None) -> int:
    """Stamp the kiosks (one, or all) whose last heartbeat confirms a pending removal
    (`domain.confirms`); how many were confirmed now. The fleet monitor calls it after every
    heartbeat it stores (a kiosk has a handful of pending rows at most)."""
    pending = conn.execute(
        "SELECT k.erasure_id, k.device_id, e.gallery_version, s.gallery_version, "
        "s.last_telemetry_at, e.erased_at FROM erasure_kiosks k "
        "JOIN erasures e ON e.id = k.erasure_id JOIN device_state s ON s.device_id = k.device_id "
        "WHERE k.confirmed_at IS NULL AND (%(dev)s::text IS NULL OR k.device_id = %(dev)s)",
        {"dev": device_id}).fetchall()
    n = 0
    for erasure_id, dev, required, reported, reported_at, erased_at in pending:
        if confirms(required, reported, reported_at, erased_at):
            n += conn.execute("UPDATE erasure_kiosks SET confirmed_at = now(), "
                              "confirmed_version = %s WHERE erasure_id = %s AND device_id = %s "
                              "AND confirmed_at IS NULL", (reported, erasure_id, dev)).rowcount
    return n


#: a photo the sweep clears: made before the erasure (a kiosk's backlog), or a face
#: recognised by a kiosk that had not applied the removal yet while the person stays erased
#: (a NIP check-in after the erasure keeps its photo: it is evidence the person gave)
_LATE = ("employee_id = %(nip)s AND photo IS NOT NULL AND (captured_at <= %(at)s OR ({method} = "
         "'face' AND EXISTS (SELECT 1 FROM face_templates f WHERE f.employee_id = %(nip)s "
         "AND f.erased_at IS NOT NULL)))")


def sweep(conn: psycopg.Connection) -> int:
    """Clear the photos of an erased person's check-ins that reached the cloud after the
    erasure (`_LATE`); how many. The hourly retention job calls it."""
    swept = 0
    recent = conn.execute("SELECT id, employee_id, erased_at FROM erasures WHERE erased_at > "
                          "now() - %s", (SWEEP_FOR,)).fetchall()
    for erasure_id, employee_id, erased_at in recent:
        args = {"nip": employee_id, "at": erased_at}
        with conn.transaction():
            n = conn.execute("UPDATE checkins SET photo = NULL WHERE "
                             + _LATE.format(method="method"), args).rowcount
            n += conn.execute("UPDATE checkin_quarantine SET photo = NULL WHERE "
                              + _LATE.format(method="payload->>'method'"), args).rowcount
            if n:
                conn.execute("UPDATE erasures SET swept_photos = swept_photos + %s WHERE id = %s",
                             (n, erasure_id))
        swept += n
    return swept


@dataclass(frozen=True)
class KioskLine:
    """One kiosk in an erasure's report."""

    device_id: str
    office: str | None
    held_version: int | None
    state: KioskState
    confirmed_at: datetime | None
    confirmed_version: int | None
    last_seen: datetime | None
    reported_version: int | None


@dataclass(frozen=True)
class Report:
    """What an erasure erased where, and where each kiosk stands."""

    id: int
    employee_id: str
    name: str | None
    reason: str
    requested_by: str
    erased_at: datetime
    gallery_version: int | None
    erased: dict[str, Any]
    swept_photos: int
    kiosks: list[KioskLine]

    @property
    def complete(self) -> bool:
        """Every reachable kiosk confirmed."""
        return erasure_complete([k.state for k in self.kiosks])

    @property
    def waiting(self) -> int:
        """Kiosks still to confirm."""
        return sum(k.state is KioskState.WAITING for k in self.kiosks)


def report(conn: psycopg.Connection, erasure_id: int) -> Report | None:
    """An erasure's report, or None."""
    row = conn.execute(
        "SELECT x.id, x.employee_id, e.name, x.reason, x.requested_by, x.erased_at, "
        "x.gallery_version, x.erased, x.swept_photos FROM erasures x "
        "LEFT JOIN employees e ON e.nip = x.employee_id WHERE x.id = %s",
        (erasure_id,)).fetchone()
    if row is None:
        return None
    kiosks = [KioskLine(dev, office, held, kiosk_state(disabled, at), at, ver, seen, now)
              for dev, office, held, disabled, at, ver, seen, now in conn.execute(
                  "SELECT k.device_id, o.name, k.held_version, k.disabled, k.confirmed_at, "
                  "k.confirmed_version, s.last_telemetry_at, s.gallery_version "
                  "FROM erasure_kiosks k JOIN devices d ON d.id = k.device_id "
                  "LEFT JOIN offices o ON o.id = d.office_id "
                  "LEFT JOIN device_state s ON s.device_id = k.device_id "
                  "WHERE k.erasure_id = %s ORDER BY k.disabled, k.device_id", (erasure_id,))]
    (eid, employee_id, name, reason, by, at, version, erased, swept) = row
    return Report(eid, employee_id, name, reason, by, at, version, erased, swept, kiosks)


@dataclass(frozen=True)
class ErasureRow:
    """An erasure in HR's list."""

    id: int
    employee_id: str
    name: str | None
    erased_at: datetime
    requested_by: str
    kiosks: int
    waiting: int


def recent(conn: psycopg.Connection, limit: int = 50) -> list[ErasureRow]:
    """The latest erasures with how many kiosks still have to confirm."""
    return [ErasureRow(*r) for r in conn.execute(
        "SELECT x.id, x.employee_id, e.name, x.erased_at, x.requested_by, count(k.device_id), "
        "count(k.device_id) FILTER (WHERE k.confirmed_at IS NULL AND NOT k.disabled) "
        "FROM erasures x LEFT JOIN employees e ON e.nip = x.employee_id "
        "LEFT JOIN erasure_kiosks k ON k.erasure_id = x.id "
        "GROUP BY x.id, e.name ORDER BY x.erased_at DESC LIMIT %s", (limit,))]
