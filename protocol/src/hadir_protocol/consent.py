"""Consent to biometric enrolment (UU 27/2022), the rule the cloud and a kiosk share.

The cloud records consents in its database (`hadir_cloud.privacy`); a kiosk enrolled by hand
keeps them in its `consents.json` (`hadir_edge.consent`). Both name the same notice and refuse
the same references.
"""

from __future__ import annotations

#: the privacy notice a person is shown before consenting (a new text is a new version)
NOTICE_VERSION = "2026-1"
#: the longest form number kept
MAX_REFERENCE = 200


def reference_problem(reference: str | None) -> str | None:
    """What is wrong with a consent form's number, in Bahasa, or None."""
    if reference is None or not reference.strip():
        return ("nomor formulir persetujuan wajib diisi (formulir persetujuan biometrik yang "
                "ditandatangani pegawai)")
    if len(reference) > MAX_REFERENCE:
        return f"nomor formulir persetujuan paling panjang {MAX_REFERENCE} karakter"
    return None
