"""Faces enrolled from photos: encoded with the face engine (dlib via face_recognition, imported
only here), exactly one face a photo; the first photo's face kept small as the reference a
reviewer of NIP check-ins sees. The one path of `hadir-cloud gallery enroll` and of the
portal's enrolment job (photos kept in face_enrolment_uploads until the job ends)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from ..privacy.domain import Consent
from .domain import FleetError
from .gallery import enroll, reference_jpeg

#: at most this many photos in one enrolment (the table's check says the same)
MAX_PHOTOS = 10


class FaceError(FleetError):
    """A photo cannot be enrolled (unreadable, no face, several faces); nothing was stored."""


@dataclass(frozen=True)
class Encoded:
    """What the engine made of a person's photos."""

    encodings: list[str]
    reference: bytes


def encode_photos(photos: Sequence[tuple[str, bytes]],
                  progress: Callable[[int], None] | None = None) -> Encoded:
    """Each photo's one face as a packed encoding, and the first photo's face as the reference
    JPEG; FaceError names the photo that has no face, several, or is no image."""
    try:
        with warnings.catch_warnings():  # face_recognition_models' pkg_resources import
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                                    category=UserWarning)
            import face_recognition  # type: ignore[import-untyped]
    except ImportError as err:
        raise FaceError("face_recognition belum terpasang di mesin ini") from err
    from hadir_protocol.codec import pack_encoding

    if not photos:
        raise FaceError("tidak ada foto")
    encodings: list[str] = []
    first_face: tuple[int, int, int, int] | None = None
    for name, data in photos:
        try:
            img = face_recognition.load_image_file(io.BytesIO(data))
        except (OSError, ValueError) as err:
            raise FaceError(f"{name}: bukan gambar yang dapat dibaca") from err
        boxes = face_recognition.face_locations(img, 1)
        if len(boxes) != 1:
            raise FaceError(f"{name}: {len(boxes)} wajah (harus tepat satu); tidak didaftarkan")
        encodings.append(pack_encoding(face_recognition.face_encodings(img, boxes)[0]))
        first_face = first_face or boxes[0]
        if progress is not None:
            progress(1)
    return Encoded(encodings, reference_jpeg(io.BytesIO(photos[0][1]), first_face))


def keep_upload(conn: psycopg.Connection, employee_id: str, name: str, office_id: str | None,
                photos: Sequence[tuple[str, bytes]], by: str,
                consent_ref: str | None = None) -> int:
    """Keep uploaded photos (and the consent form's number given with them, if any) for the
    enrolment job; returns the upload's id."""
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise FaceError(f"unggah 1 sampai {MAX_PHOTOS} foto")
    row = conn.execute(
        "INSERT INTO face_enrolment_uploads (employee_id, name, office_id, filenames, photos, "
        "uploaded_by, consent_ref) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (employee_id, name, office_id, [n for n, _d in photos], [d for _n, d in photos],
         by, consent_ref)).fetchone()
    assert row is not None  # RETURNING always gives the row
    return int(row[0])


def enrol_upload(conn: psycopg.Connection, upload_id: int,
                 progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Encode a kept upload and enrol the person (a new gallery version the fleet monitor sends
    to the kiosks); the photos are deleted afterwards, also when the photos are refused."""
    row = conn.execute("SELECT employee_id, name, office_id, filenames, photos, uploaded_by, "
                       "consent_ref FROM face_enrolment_uploads WHERE id = %s",
                       (upload_id,)).fetchone()
    if row is None:
        raise FaceError("unggahan foto tidak ditemukan (sudah diproses?)")
    employee_id, name, office_id, filenames, photos, by, consent_ref = row
    consent = Consent(consent_ref, by) if consent_ref else None
    try:
        encoded = encode_photos(list(zip(filenames, (bytes(p) for p in photos), strict=True)),
                                progress)
        version = enroll(conn, employee_id, name, encoded.encodings, office_id,
                         encoded.reference, consent=consent, by=by, origin="portal")
    finally:
        conn.execute("DELETE FROM face_enrolment_uploads WHERE id = %s", (upload_id,))
    return {"employee_id": employee_id, "name": name, "photos": len(encoded.encodings),
            "version": version,
            "message": f"{name} ({employee_id}): {len(encoded.encodings)} foto, "
                       f"galeri versi {version}"}
