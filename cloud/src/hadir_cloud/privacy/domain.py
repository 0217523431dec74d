"""Personal data under UU 27/2022 (PDP), as plain data: what is kept how long, what the audit
trail records, what a consent must hold, and where an erasure stands on each kiosk.

Pure: no psycopg, Flask or paho. Bahasa texts live in one table per enum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# the notice's version a consent is given against, and the form number's rule: shared with the
# kiosk's own enrolment (re-exported here for the pages, the notice and the tests)
from hadir_protocol.consent import NOTICE_VERSION as NOTICE_VERSION
from hadir_protocol.consent import reference_problem

#: the regency key of the deployment's default retention
DEFAULT_REGENCY = "*"


class RetentionKind(StrEnum):
    """Kinds of data kept for a limited time."""

    SELFIES = "foto_presensi"
    REJECTED = "pesan_ditolak"
    TELEMETRY = "telemetri"
    AUDIT = "log_audit"


#: what each kind is, in Bahasa (pages, the CLI and the privacy notice show these)
RETENTION_TEXT: dict[RetentionKind, str] = {
    RetentionKind.SELFIES: "Foto swafoto check-in (foto presensi dan foto di karantina)",
    RetentionKind.REJECTED: "Pesan kiosk yang ditolak (isi mentah, termasuk fotonya)",
    RetentionKind.TELEMETRY: "Laporan kesehatan kiosk (telemetri)",
    RetentionKind.AUDIT: "Log audit (siapa melihat, mengekspor, menghapus apa)",
}
#: what happens when the time is up
RETENTION_EFFECT: dict[RetentionKind, str] = {
    RetentionKind.SELFIES: "fotonya dihapus; catatan presensinya tetap",
    RetentionKind.REJECTED: "pesannya dihapus",
    RetentionKind.TELEMETRY: "laporannya dihapus",
    RetentionKind.AUDIT: "entrinya dihapus oleh tugas retensi (tidak dapat diubah sebelumnya)",
}
#: the deployment's defaults (migration 1400 seeds these)
DEFAULT_DAYS: dict[RetentionKind, int] = {
    RetentionKind.SELFIES: 90, RetentionKind.REJECTED: 90, RetentionKind.TELEMETRY: 90,
    RetentionKind.AUDIT: 1825,
}
#: the shortest a kind may be kept (the audit trail outlives what it accounts for)
MIN_DAYS: dict[RetentionKind, int] = {
    RetentionKind.SELFIES: 1, RetentionKind.REJECTED: 1, RetentionKind.TELEMETRY: 1,
    RetentionKind.AUDIT: 365,
}
MAX_DAYS = 36500
_REGENCY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}$")


@dataclass(frozen=True)
class Retention:
    """How long one kind is kept in one regency (DEFAULT_REGENCY: the deployment's default)."""

    regency: str
    kind: RetentionKind
    days: int
    changed_by: str
    changed_at: datetime | None = None


def retention_problem(regency: str, kind: str, days: int) -> tuple[str, str] | None:
    """(field, what is wrong, in Bahasa) for a retention a person typed, or None when fine."""
    if regency != DEFAULT_REGENCY and not _REGENCY_RE.match(regency):
        return "regency", "nama kabupaten/kota tidak valid"
    try:
        k = RetentionKind(kind)
    except ValueError:
        return "kind", f"jenis data {kind!r} tidak dikenal"
    if not MIN_DAYS[k] <= days <= MAX_DAYS:
        return "days", f"masa simpan harus {MIN_DAYS[k]} sampai {MAX_DAYS} hari"
    return None


def effective_days(policies: list[Retention], kind: RetentionKind, regency: str | None) -> int:
    """The days `kind` is kept for a regency: its own row, else the default, else DEFAULT_DAYS."""
    own = {(p.regency, p.kind): p.days for p in policies}
    return own.get((regency or DEFAULT_REGENCY, kind),
                   own.get((DEFAULT_REGENCY, kind), DEFAULT_DAYS[kind]))


class AuditAction(StrEnum):
    """What the audit trail records (`area.verb`)."""

    PHOTO_VIEW = "foto.lihat"
    FILE_VIEW = "berkas.lihat"
    EXPORT_REQUEST = "ekspor.minta"
    EXPORT_DOWNLOAD = "ekspor.unduh"
    GALLERY_ENROLL = "galeri.daftar"
    GALLERY_REMOVE = "galeri.keluarkan"
    ERASURE = "biometrik.hapus"
    ROLE_GRANT = "peran.beri"
    ROLE_REVOKE = "peran.cabut"
    RETENTION_CHANGE = "retensi.ubah"
    RETENTION_RUN = "retensi.jalan"
    CONSENT_GIVEN = "persetujuan.catat"
    CONSENT_WITHDRAWN = "persetujuan.tarik"
    KIOSK_KEY_SENT = "kunci_galeri.kirim"
    TEMPLATES_SEALED = "templat.segel"


#: the Bahasa text of every action (the audit page and the CLI show these)
AUDIT_TEXT: dict[AuditAction, str] = {
    AuditAction.PHOTO_VIEW: "melihat foto",
    AuditAction.FILE_VIEW: "membuka berkas bukti",
    AuditAction.EXPORT_REQUEST: "meminta ekspor data pribadi",
    AuditAction.EXPORT_DOWNLOAD: "mengunduh ekspor data pribadi",
    AuditAction.GALLERY_ENROLL: "mendaftarkan wajah",
    AuditAction.GALLERY_REMOVE: "mengeluarkan wajah dari galeri",
    AuditAction.ERASURE: "menghapus data biometrik",
    AuditAction.ROLE_GRANT: "memberi peran",
    AuditAction.ROLE_REVOKE: "mencabut peran",
    AuditAction.RETENTION_CHANGE: "mengubah masa simpan",
    AuditAction.RETENTION_RUN: "menjalankan retensi",
    AuditAction.CONSENT_GIVEN: "mencatat persetujuan biometrik",
    AuditAction.CONSENT_WITHDRAWN: "mencatat penarikan persetujuan",
    AuditAction.KIOSK_KEY_SENT: "mengirim kunci galeri ke kiosk",
    AuditAction.TEMPLATES_SEALED: "mengenkripsi ulang templat wajah",
}


class ConsentMethod(StrEnum):
    """How a consent was given."""

    FORM = "formulir"  # a signed paper or scanned form; `reference` is its number
    PORTAL = "portal"  # the person ticked it in the portal after reading the notice


class ConsentError(ValueError):
    """Enrolment without a recorded consent, or a consent that cannot be recorded (Bahasa)."""


@dataclass(frozen=True)
class Consent:
    """A consent to biometric enrolment, as a caller of `gallery.enroll(consent=…)` gives it.

    `reference`: the signed form's number (or 'portal'); `recorded_by`: who records it (the
    HR or IT account, or the person); `notice_version`: the notice the person was shown.
    """

    reference: str
    recorded_by: str
    method: ConsentMethod = ConsentMethod.FORM
    notice_version: str = NOTICE_VERSION


def consent_problem(c: Consent) -> str | None:
    """What is wrong with a consent about to be recorded, in Bahasa, or None."""
    if (problem := reference_problem(c.reference)):
        return problem
    if not c.recorded_by.strip():
        return "pencatat persetujuan wajib diisi"
    if not c.notice_version.strip():
        return "versi pemberitahuan privasi wajib diisi"
    return None


MISSING_CONSENT = ("pendaftaran wajah ditolak: belum ada persetujuan biometrik yang tercatat "
                   "untuk {who}. Catat persetujuannya (formulir yang ditandatangani: "
                   "--consent-ref NOMOR, atau pegawai menyetujui di portal /privasi/data-saya) "
                   "lalu daftarkan lagi (UU 27/2022 pasal 20)")


class KioskState(StrEnum):
    """Where an erasure stands on one kiosk."""

    CONFIRMED = "terkonfirmasi"  # its heartbeat reports the removal's version or later
    WAITING = "menunggu"  # not yet: it is offline, or the delta is on its way
    DISABLED = "nonaktif"  # disabled: it receives nothing; wipe or re-image its card


KIOSK_STATE_TEXT: dict[KioskState, str] = {
    KioskState.CONFIRMED: "terkonfirmasi",
    KioskState.WAITING: "menunggu konfirmasi",
    KioskState.DISABLED: "kiosk nonaktif — tidak menerima perubahan; kosongkan kartunya",
}


def kiosk_state(disabled: bool, confirmed_at: datetime | None) -> KioskState:
    """One kiosk's state in an erasure."""
    if confirmed_at is not None:
        return KioskState.CONFIRMED
    return KioskState.DISABLED if disabled else KioskState.WAITING


def confirms(required_version: int | None, reported_version: int | None,
             reported_at: datetime | None, erased_at: datetime) -> bool:
    """Does a heartbeat confirm a removal? Only one sent after the erasure that reports the
    removal's version or later (a kiosk applies deltas in order; 0 is a resync, never enough)."""
    if required_version is None:
        return True  # nothing was in the gallery: no kiosk can hold it
    return (reported_version is not None and reported_version >= required_version
            and reported_at is not None and reported_at > erased_at)


#: the places an erasure clears, in report order, with their Bahasa names
ERASED_PLACES: dict[str, str] = {
    "templat_wajah": "templat wajah di cloud (dihancurkan beserta kunci datanya)",
    "foto_referensi": "foto referensi pendaftaran",
    "foto_presensi": "foto check-in",
    "foto_karantina": "foto check-in di karantina",
    "pesan_ditolak": "pesan kiosk yang ditolak yang memuat datanya",
    "ekspor": "berkas ekspor data pribadi yang belum kedaluwarsa",
    "persetujuan": "persetujuan biometrik (ditandai ditarik)",
}


def erasure_complete(states: list[KioskState]) -> bool:
    """Every kiosk that can still be reached has confirmed."""
    return all(s is not KioskState.WAITING for s in states)
