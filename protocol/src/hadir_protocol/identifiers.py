"""Employee identifiers: the 18-digit NIP of civil servants and other staff ids."""

from __future__ import annotations

import re
from datetime import date

EMPLOYEE_ID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{3,31}$")
NIP_RE = re.compile(r"^\d{18}$")


def nip_problem(nip: str) -> str | None:
    """Why `nip` is not a well-formed NIP, or None when it is.

    Layout: birth date YYYYMMDD, appointment YYYYMM, sex (1 man, 2 woman), sequence 3 digits.
    """
    if not NIP_RE.match(nip):
        return "NIP harus 18 angka"
    try:
        date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return "tanggal lahir dalam NIP tidak valid"
    year, month = int(nip[8:12]), int(nip[12:14])
    if not (1950 <= year <= 2100 and 1 <= month <= 12):
        return "TMT pengangkatan dalam NIP tidak valid"
    if nip[14] not in "12":
        return "digit jenis kelamin dalam NIP harus 1 atau 2"
    return None


def is_nip(value: str) -> bool:
    """True when `value` is a structurally valid 18-digit NIP."""
    return nip_problem(value) is None
