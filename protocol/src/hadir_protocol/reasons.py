"""Why the cloud did not store a message or an event: one enum, its Bahasa text and its fate.

Every reason has a disposition that decides what the kiosk is told:

- `REJECTED`: the event itself is bad and will never be good; the kiosk moves it
  to its own `rejected` table (kept for inspection) and the cloud keeps the raw
  bytes in `rejected_messages`.
- `HELD`: the cloud could not verify or write it *now* (unknown, disabled or
  re-keyed kiosk, a signature that does not verify with the keys the cloud
  knows, an internal error): the kiosk keeps the event and sends it again
  later with back-off. Nothing that could not be verified is ever lost.
- `QUARANTINED`: verified, but implausible (its time is in the future or too
  old): the cloud keeps it in `checkin_quarantine` for a person to release;
  the kiosk may forget it.
"""

from __future__ import annotations

from enum import StrEnum


class Disposition(StrEnum):
    """What happens to an event refused for a reason."""

    REJECTED = "rejected"
    HELD = "held"
    QUARANTINED = "quarantined"


class Reason(StrEnum):
    """Why the cloud refused a message or an event (stored with its raw bytes)."""

    OVERSIZE = "oversize"
    NOT_UTF8 = "not_utf8"
    MALFORMED_JSON = "malformed_json"
    DUPLICATE_KEY = "duplicate_key"
    NON_FINITE = "non_finite_number"
    NUMBER_TOO_LARGE = "number_too_large"
    TOO_DEEP = "too_deep"
    BAD_STRING = "bad_string"
    STRING_TOO_LONG = "string_too_long"
    BAD_PHOTO = "bad_photo"
    UNKNOWN_SCHEMA = "unknown_schema"
    DEVICE_MISMATCH = "device_mismatch"
    INVALID = "invalid"
    UNKNOWN_DEVICE = "unknown_device"
    DISABLED_DEVICE = "disabled_device"
    BAD_SIGNATURE = "bad_signature"
    FUTURE_TIME = "future_time"
    TOO_OLD = "too_old"
    INTERNAL_ERROR = "internal_error"
    DATABASE_REFUSED = "database_refused"
    BAD_TOPIC = "bad_topic"


#: (disposition, Bahasa Indonesia text for people: IT staff, the kiosk's corner, the portal)
REASONS: dict[Reason, tuple[Disposition, str]] = {
    Reason.OVERSIZE: (Disposition.REJECTED, "pesan terlalu besar"),
    Reason.NOT_UTF8: (Disposition.REJECTED, "bukan teks UTF-8"),
    Reason.MALFORMED_JSON: (Disposition.REJECTED, "bukan JSON yang sah"),
    Reason.DUPLICATE_KEY: (Disposition.REJECTED, "kunci JSON ganda"),
    Reason.NON_FINITE: (Disposition.REJECTED, "angka NaN/Infinity tidak diterima"),
    Reason.NUMBER_TOO_LARGE: (Disposition.REJECTED, "angka terlalu panjang"),
    Reason.TOO_DEEP: (Disposition.REJECTED, "JSON bersarang terlalu dalam"),
    Reason.BAD_STRING: (Disposition.REJECTED, "teks berisi NUL atau surrogate tunggal"),
    Reason.STRING_TOO_LONG: (Disposition.REJECTED, "teks terlalu panjang"),
    Reason.BAD_PHOTO: (Disposition.REJECTED, "foto bukan JPEG yang sah"),
    Reason.UNKNOWN_SCHEMA: (Disposition.REJECTED, "skema pesan tidak dikenal"),
    Reason.DEVICE_MISMATCH: (Disposition.REJECTED, "kiosk di pesan berbeda dengan topiknya"),
    Reason.INVALID: (Disposition.REJECTED, "isi peristiwa tidak sah"),
    Reason.UNKNOWN_DEVICE: (Disposition.HELD, "kiosk belum terdaftar: ditahan di kiosk"),
    Reason.DISABLED_DEVICE: (Disposition.HELD, "kiosk dinonaktifkan: ditahan di kiosk"),
    Reason.BAD_SIGNATURE: (Disposition.HELD, "tanda tangan belum dapat diverifikasi: "
                                             "ditahan di kiosk"),
    Reason.FUTURE_TIME: (Disposition.QUARANTINED, "waktu di masa depan: dikarantina"),
    Reason.TOO_OLD: (Disposition.QUARANTINED, "waktu terlalu lama: dikarantina"),
    Reason.INTERNAL_ERROR: (Disposition.HELD, "galat internal: ditahan di kiosk"),
    Reason.DATABASE_REFUSED: (Disposition.HELD, "ditolak basis data: ditahan di kiosk"),
    Reason.BAD_TOPIC: (Disposition.REJECTED, "topik MQTT tidak sah"),
}


def disposition(reason: Reason) -> Disposition:
    """What a refusal for `reason` means for the event."""
    return REASONS[reason][0]


def text_id(reason: str) -> str:
    """The Bahasa text of a reason code (the code itself when it is not one of ours)."""
    try:
        return REASONS[Reason(reason)][1]
    except ValueError:
        return reason


class Rejected(ValueError):
    """A message or event the cloud will not store now; `reason` is a Reason code."""

    def __init__(self, reason: Reason, detail: str, event_id: str | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.event_id = event_id
