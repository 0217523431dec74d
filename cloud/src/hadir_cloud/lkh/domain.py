"""LKH filing and review as plain data: an activity's checks, the filing deadline, and the
moves a report may make (pure; the SQL is in `store`).

A report belongs to one person and one working day. Its owner writes it as a draft and
submits it (`diajukan`) until the deadline: `deadline_working_days` working days of their
office after the day (the rule set's `[lkh]`). The direct atasan approves it (`disetujui`,
final: the TPP engine counts it) or returns it with a note (`dikembalikan`); a returned
report may be fixed and submitted again after the deadline, since the delay was not the
owner's. Nobody reviews their own report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

#: a report's states (lkh_reports.status); `ditolak` is kept for reports from older imports
DRAFT, SUBMITTED, RETURNED, APPROVED = "draf", "diajukan", "dikembalikan", "disetujui"
STATE_TEXT = {DRAFT: "draf", SUBMITTED: "menunggu persetujuan", RETURNED: "dikembalikan",
              APPROVED: "disetujui", "ditolak": "ditolak"}
#: activities on one report at most
MAX_ACTIVITIES = 12
_LINK = re.compile(r"https?://\S{3,}", re.IGNORECASE)


class LkhError(ValueError):
    """A move the report may not make, in Bahasa Indonesia."""


@dataclass(frozen=True)
class Activity:
    """One line of a day's report."""

    activity: str
    output: str
    quantity: Decimal
    unit: str
    minutes: int
    link: str = ""


def parse_activities(rows: list[Mapping[str, str]]) -> tuple[list[Activity], dict[str, str]]:
    """Form rows (`kegiatan`, `hasil`, `jumlah`, `satuan`, `menit`, `tautan`) as activities, and
    the problems by field name `baris-N-kolom`; a row left wholly empty is skipped."""
    out: list[Activity] = []
    problems: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        v = {k: (row.get(k) or "").strip() for k in ("kegiatan", "hasil", "jumlah", "satuan",
                                                     "menit", "tautan")}
        if not any(v.values()):
            continue
        bad = len(problems)

        for key, limit, what in (("kegiatan", 500, "kegiatan"), ("hasil", 200, "hasil kerja"),
                                 ("satuan", 40, "satuan")):
            if not v[key]:
                problems[f"baris-{n}-{key}"] = f"{what} wajib diisi"
            elif len(v[key]) > limit:
                problems[f"baris-{n}-{key}"] = f"{what} paling panjang {limit} huruf"
        activity, output, unit = v["kegiatan"], v["hasil"], v["satuan"]
        try:
            qty = Decimal(v["jumlah"].replace(",", "."))
            if not qty.is_finite() or qty <= 0 or qty >= Decimal("1e8"):
                raise InvalidOperation
        except InvalidOperation:
            problems[f"baris-{n}-jumlah"] = "jumlah harus angka lebih dari 0"
            qty = Decimal(0)
        try:
            minutes = int(v["menit"])
            if not 1 <= minutes <= 720:
                raise ValueError
        except ValueError:
            problems[f"baris-{n}-menit"] = "waktu harus 1 sampai 720 menit"
            minutes = 0
        if v["tautan"] and not _LINK.fullmatch(v["tautan"]):
            problems[f"baris-{n}-tautan"] = "tautan harus diawali http:// atau https://"
        if len(problems) == bad:
            out.append(Activity(activity, output, qty, unit, minutes, v["tautan"]))
    if len(out) > MAX_ACTIVITIES:
        problems["kegiatan"] = f"paling banyak {MAX_ACTIVITIES} kegiatan sehari"
    return out, problems


def deadline(day: date, working_days: int, is_working: Callable[[date], bool]) -> date:
    """The last day a report for `day` may be submitted: `working_days` working days later."""
    d, left = day, working_days
    while left > 0:
        d += timedelta(days=1)
        if is_working(d):
            left -= 1
    return d


def check_save(state: str | None, day: date, today: date, last_day: date,
               submit: bool) -> None:
    """Whether the owner may write (and submit) the report now; LkhError says why not."""
    if day > today:
        raise LkhError("LKH hanya untuk hari ini atau hari yang sudah lewat")
    if state in (SUBMITTED, APPROVED, "ditolak"):
        raise LkhError(f"LKH tanggal {day:%d-%m-%Y} sudah {STATE_TEXT[state]}; tidak dapat "
                       "diubah lagi")
    if state != RETURNED and today > last_day:
        raise LkhError(f"batas pengisian LKH tanggal {day:%d-%m-%Y} sudah lewat "
                       f"({last_day:%d-%m-%Y})")
    del submit  # a draft and a submission have the same window


def check_review(state: str | None, owner: str, reviewer_nip: str | None,
                 atasan_nip: str | None, approve: bool, note: str) -> str:
    """The new state of a review by `reviewer_nip`; LkhError when it may not happen."""
    if reviewer_nip is not None and reviewer_nip == owner:
        raise LkhError("LKH sendiri tidak dapat disetujui sendiri")
    if atasan_nip is None or reviewer_nip != atasan_nip:
        raise LkhError("hanya atasan langsung yang dapat memeriksa LKH ini")
    if state != SUBMITTED:
        raise LkhError(f"LKH ini {STATE_TEXT.get(state or '', 'belum diisi')}, bukan menunggu "
                       "persetujuan")
    if not approve and not note.strip():
        raise LkhError("tulis alasan pengembalian agar pegawai tahu apa yang diperbaiki")
    return APPROVED if approve else RETURNED
