"""Notices and the daily digest as plain data (pure; the SQL is in `store`).

A notice says one thing once: its `dedupe` key names the event (a request waiting at a step
for a person, a decision, a missing LKH day), so collecting again finds nothing new. A person
gets at most one e-mail a day: the digest of the notices not yet sent, its Message-ID fixed by
person and day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

#: what a notice is about (notifications.kind)
WAITING_REQUEST, DECIDED_REQUEST = "permohonan_menunggu", "permohonan_diputuskan"
WAITING_LKH, MISSING_LKH = "lkh_menunggu", "lkh_kosong"
LETTER_TO_SIGN, LETTER_TO_INITIAL = "surat_ttd", "surat_paraf"
DISPOSITION_IN = "disposisi_masuk"
KIND_TEXT = {WAITING_REQUEST: "Permohonan menunggu keputusan Anda",
             DECIDED_REQUEST: "Permohonan Anda diputuskan",
             WAITING_LKH: "LKH bawahan menunggu persetujuan Anda",
             MISSING_LKH: "LKH yang belum diisi",
             LETTER_TO_SIGN: "Surat menunggu tanda tangan Anda",
             LETTER_TO_INITIAL: "Surat menunggu paraf Anda",
             DISPOSITION_IN: "Surat masuk dan disposisi untuk Anda"}


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person."""

    username: str
    kind: str
    dedupe: str
    title: str
    link: str = ""


def message_id(username: str, day: date, domain: str) -> str:
    """The digest's Message-ID: the same person and day give the same id (a mail server or
    client that sees it twice can drop the second)."""
    return f"<hadir-ringkasan-{username}-{day.isoformat()}@{domain}>"


def digest(username: str, to: str, sender: str, day: date, titles: list[tuple[str, str, str]],
           base_url: str, msg_id: str) -> EmailMessage:
    """One e-mail for one person and day: the notices (kind, title, link) grouped by kind."""
    msg = EmailMessage()
    msg["Subject"] = f"Hadir: {len(titles)} pemberitahuan ({day:%d-%m-%Y})"
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = msg_id
    lines = [f"Ringkasan harian Hadir untuk {username}, {day:%d-%m-%Y}.", ""]
    for kind in KIND_TEXT:
        mine = [(t, link) for k, t, link in titles if k == kind]
        if not mine:
            continue
        lines.append(f"{KIND_TEXT[kind]} ({len(mine)}):")
        lines += [f"- {t}" + (f"  {base_url.rstrip('/')}{link}" if link else "") for t, link in mine]
        lines.append("")
    lines.append("Pengaturan pemberitahuan: menu Pemberitahuan di portal Hadir.")
    msg.set_content("\n".join(lines))
    return msg
