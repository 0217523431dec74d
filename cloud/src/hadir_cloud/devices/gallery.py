"""The face gallery: versioned changes in `face_templates`, sent to kiosks as signed deltas.

Templates are sealed at rest (privacy/keys.py: a data key per person, wrapped by the key in
HADIR_TEMPLATE_KEY_FILE); enrolment needs the person's recorded consent and, like a removal,
is written to the audit trail in the same transaction.

Every change takes the next value of `gallery_version_seq`, so a kiosk holding version
v needs exactly the rows with version > v. Deltas go out in chunks (at most `CHUNK`
people and about `CHUNK_BYTES`, under the broker's message limit), each chunk's version
being the highest it covers, so a kiosk that gets only part of them still holds a
consistent version and asks for the rest by its next heartbeat.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import IO

import psycopg
from hadir_protocol import topics
from hadir_protocol.models import GalleryDelta, GalleryPerson

from ..privacy import audit
from ..privacy import store as privacy_store
from ..privacy.domain import MISSING_CONSENT, AuditAction, Consent, ConsentError
from ..privacy.keys import KeyService, Sealed, open_sealed, seal
from .domain import CHUNK, CHUNK_BYTES, FleetError, plan_deltas
from .outbound import Outbound

logger = logging.getLogger(__name__)


def enroll(conn: psycopg.Connection, employee_id: str, name: str, encodings: list[str],
           office_id: str | None = None, photo: bytes | None = None, *,
           consent: Consent | None = None, by: str | None = None, origin: str | None = None,
           keys: KeyService | None = None) -> int:
    """Add or replace a person's face encodings (base64 float32 ×128); returns the version.

    The face goes to the kiosks of `office_id`, else of the office the employee record
    names, else (no record) to every kiosk. `photo` (a JPEG, `reference_jpeg`) is kept as
    the reference a reviewer of the person's NIP check-ins compares with; without one the
    earlier reference stays.

    `consent` (UU 27/2022): the person's consent, recorded with the enrolment; without it a
    consent already recorded for the person and not withdrawn is used; with neither,
    ConsentError (Bahasa) and nothing is stored. `by`/`origin` name who enrols from where
    for the audit trail. `keys` seals the encodings (default: HADIR_TEMPLATE_KEY_FILE).
    """
    person = GalleryPerson(employee_id=employee_id, name=name, encodings_b64=encodings)
    if office_id is None:
        row = conn.execute("SELECT office_id FROM employees WHERE nip = %s",
                           (employee_id,)).fetchone()
        office_id = row[0] if row else None
    elif conn.execute("SELECT 1 FROM offices WHERE id = %s", (office_id,)).fetchone() is None:
        raise FleetError(f"kantor {office_id!r} belum terdaftar")
    sealed = seal(keys or privacy_store.template_keys(), person.employee_id, person.encodings_b64)
    actor = by or (consent.recorded_by if consent else audit.cli_actor())
    with conn.transaction():
        if consent is not None:
            consent_id = privacy_store.record_consent(conn, person.employee_id, consent, origin)
        else:
            consent_id = privacy_store.live_consent(conn, person.employee_id)
            if consent_id is None:
                raise ConsentError(MISSING_CONSENT.format(who=person.employee_id))
        version = int(conn.execute(
            "INSERT INTO face_templates (employee_id, name, encodings, office_id, photo, sealed, "
            "data_key, key_id, consent_id) VALUES (%s, %s, '{}', %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (employee_id) DO UPDATE SET name = EXCLUDED.name, encodings = '{}', "
            "sealed = EXCLUDED.sealed, data_key = EXCLUDED.data_key, key_id = EXCLUDED.key_id, "
            "consent_id = EXCLUDED.consent_id, office_id = EXCLUDED.office_id, "
            "photo = coalesce(EXCLUDED.photo, face_templates.photo), removed = false, "
            "erased_at = NULL, version = nextval('gallery_version_seq'), updated_at = now() "
            "RETURNING version",
            (person.employee_id, person.name, office_id, photo, sealed.sealed, sealed.data_key,
             sealed.key_id, consent_id)).fetchone()[0])
        audit.record(conn, actor, AuditAction.GALLERY_ENROLL, person.employee_id,
                     {"versi": version, "foto": len(encodings), "kantor": office_id,
                      "persetujuan": consent_id}, origin)
    return version


#: the longest side of a reference photo (enough to compare faces side by side, ~30 kB)
REFERENCE_PX = 480


def reference_jpeg(path: Path | IO[bytes],
                   face: tuple[int, int, int, int] | None = None) -> bytes:
    """An enrolment photo as the small JPEG kept for reviewers (any format Pillow reads);
    with `face` (top, right, bottom, left, as face_recognition finds it) cut to the face and
    a margin around it, as a kiosk's photo is.

    Raises OSError when the file is no readable image.
    """
    from PIL import Image  # the CLI's machine has it (face_recognition needs it)

    # as the face engine reads it (no EXIF turn), so `face` lands where it was found
    with Image.open(path) as img:
        small = img.convert("RGB")
    if face is not None:
        top, right, bottom, left = face
        margin = max(bottom - top, right - left)  # the face's size again on every side
        small = small.crop((max(0, left - margin), max(0, top - margin),
                            min(small.width, right + margin),
                            min(small.height, bottom + margin)))
    small.thumbnail((REFERENCE_PX, REFERENCE_PX))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=85)
    return out.getvalue()


def touch(conn: psycopg.Connection, employee_ids: list[str]) -> None:
    """Give these people's faces the next versions (their scope changed: a new duty)."""
    if employee_ids:
        conn.execute("UPDATE face_templates SET version = nextval('gallery_version_seq'), "
                     "updated_at = now() WHERE employee_id = ANY(%s) AND NOT removed",
                     (employee_ids,))


def remove(conn: psycopg.Connection, employee_id: str, *, by: str | None = None,
           origin: str | None = None) -> int:
    """Take a person out of every kiosk's gallery (a tombstone with the next version); the
    template stays sealed in the cloud until erased (privacy/erasure.py)."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE face_templates SET removed = true, version = nextval('gallery_version_seq'), "
            "updated_at = now() WHERE employee_id = %s AND NOT removed RETURNING version",
            (employee_id,)).fetchone()
        if row is None:
            raise FleetError(f"{employee_id} tidak ada di galeri")
        audit.record(conn, by or audit.cli_actor(), AuditAction.GALLERY_REMOVE, employee_id,
                     {"versi": int(row[0])}, origin)
    return int(row[0])


def current_version(conn: psycopg.Connection) -> int:
    """The gallery's version: the last change's."""
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM face_templates").fetchone()[0])


def _scope(conn: psycopg.Connection, device_id: str) -> tuple[str | None, set[str]]:
    """The kiosk's office and the people on approved duty there (its latest config's)."""
    office = conn.execute("SELECT office_id FROM devices WHERE id = %s", (device_id,)).fetchone()
    cfg = conn.execute("SELECT payload FROM device_configs WHERE device_id = %s "
                       "ORDER BY version DESC LIMIT 1", (device_id,)).fetchone()
    duties = {str(d["employee_id"]) for d in (cfg[0].get("duties") or [])} if cfg else set()
    return (office[0] if office else None), duties


def deltas_for(conn: psycopg.Connection, device_id: str, base_version: int,
               chunk: int = CHUNK, max_bytes: int = CHUNK_BYTES,
               keys: KeyService | None = None) -> list[GalleryDelta]:
    """What a kiosk at `base_version` needs, in chunks (base 0: a full snapshot). [] if nothing.

    Only faces in the kiosk's scope (its office's, every office's, those on duty there) are
    sent; a changed face out of its scope goes as a removal (it may have been in scope).
    Sealed templates are opened with `keys` (default: HADIR_TEMPLATE_KEY_FILE).
    """
    now = current_version(conn)
    if base_version >= now and base_version != 0:
        return []
    office, duties = _scope(conn, device_id)
    rows = conn.execute("SELECT employee_id, name, encodings, removed, version, office_id, "
                        "sealed, data_key, key_id FROM face_templates WHERE version > %s "
                        "AND (%s > 0 OR NOT removed) ORDER BY version",
                        (base_version, base_version)).fetchall()
    scoped = []
    for emp, name, encodings, removed, version, face_office, *sealed in rows:
        inside = face_office is None or face_office == office or emp in duties
        if inside or base_version > 0:
            gone = removed or not inside
            if not gone and sealed[0] is not None:
                keys = keys or privacy_store.template_keys()
                encodings = open_sealed(keys, emp, Sealed(bytes(sealed[0]), bytes(sealed[1]),
                                                          sealed[2]))
            scoped.append((emp, name, [] if gone else encodings, gone, version))
    if not scoped and base_version == 0 and now == 0:
        return []
    return plan_deltas(device_id, scoped, base_version, now, chunk, max_bytes)


def publish_gallery(conn: psycopg.Connection, out: Outbound, device_id: str,
                    base_version: int, keys: KeyService | None = None) -> int:
    """Send a kiosk what it lacks; returns how many messages went out."""
    deltas = deltas_for(conn, device_id, base_version, keys=keys)
    for d in deltas:
        out.send(topics.gallery(device_id), d)
    sent = deltas[-1].version if deltas else None
    conn.execute("INSERT INTO device_state (device_id, gallery_sent_at, gallery_sent_version) "
                 "VALUES (%s, now(), %s) ON CONFLICT (device_id) DO UPDATE SET "
                 "gallery_sent_at = now(), gallery_sent_version = EXCLUDED.gallery_sent_version",
                 (device_id, sent))
    conn.commit()
    if deltas:
        logger.info("gallery %d→%d sent to %s in %d message(s)", base_version,
                    deltas[-1].version, device_id, len(deltas))
    return len(deltas)


def seal_plain(conn: psycopg.Connection, keys: KeyService, by: str,
               origin: str | None = None) -> int:
    """Seal templates still stored in the clear (enrolled before migration 1400); returns how
    many. Their versions stay: kiosks hold the same faces."""
    n = 0
    with conn.transaction():
        for emp, encodings in conn.execute(
                "SELECT employee_id, encodings FROM face_templates WHERE sealed IS NULL "
                "AND cardinality(encodings) > 0 FOR UPDATE").fetchall():
            s = seal(keys, emp, list(encodings))
            conn.execute("UPDATE face_templates SET encodings = '{}', sealed = %s, data_key = %s, "
                         "key_id = %s WHERE employee_id = %s", (s.sealed, s.data_key, s.key_id,
                                                                emp))
            n += 1
        if n:
            audit.record(conn, by, AuditAction.TEMPLATES_SEALED, None,
                         {"templat": n, "kunci": keys.key_id}, origin)
    return n
