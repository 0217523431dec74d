"""Notices and their messages as plain data (pure; the SQL is in `store` and `collect`, the
sending in `channels`).

A notice says one thing once: its `dedupe` key names the event (a request waiting at a step
for a person, a decision, a missing LKH day, a PP 94/2021 threshold near, a kiosk outage), so
collecting again finds nothing new. A person gets at most one digest a day per channel, its
key (and Message-ID) fixed by person and day; an urgent notice (a kiosk offline) goes out at
once, one message per notice and channel, when the person wants urgent notices at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage


def N_(text: str) -> str:  # noqa: N802 - the catalog's marker (`pybabel extract -k N_`)
    """Mark a msgid for the catalog; the portal translates it where it is shown."""
    return text


#: what a notice is about (notifications.kind)
WAITING_REQUEST, DECIDED_REQUEST = "permohonan_menunggu", "permohonan_diputuskan"
WAITING_LKH, MISSING_LKH = "lkh_menunggu", "lkh_kosong"
NEAR_SANCTION = "disiplin_mendekati_ambang"
KIOSK_OFFLINE = "kiosk_luring"
LETTER_TO_SIGN, LETTER_TO_INITIAL = "surat_ttd", "surat_paraf"
DISPOSITION_IN = "disposisi_masuk"
KIND_TEXT = {WAITING_REQUEST: N_("Permohonan menunggu keputusan Anda"),
             DECIDED_REQUEST: N_("Permohonan Anda diputuskan"),
             WAITING_LKH: N_("LKH bawahan menunggu persetujuan Anda"),
             MISSING_LKH: N_("LKH yang belum diisi"),
             NEAR_SANCTION: N_("Pegawai mendekati ambang hukuman disiplin (PP 94/2021)"),
             KIOSK_OFFLINE: N_("Kiosk tidak terhubung"),
             LETTER_TO_SIGN: N_("Surat menunggu tanda tangan Anda"),
             LETTER_TO_INITIAL: N_("Surat menunggu paraf Anda"),
             DISPOSITION_IN: N_("Surat masuk dan disposisi untuk Anda")}
#: kinds that cannot wait for tomorrow's digest
URGENT_KINDS = frozenset({KIOSK_OFFLINE})

EMAIL, WEBHOOK = "email", "webhook"
CHANNELS = (EMAIL, WEBHOOK)
CHANNEL_TEXT = {EMAIL: N_("Email"), WEBHOOK: N_("WhatsApp/Telegram (gateway)")}


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person."""

    username: str
    kind: str
    dedupe: str
    title: str
    link: str = ""


@dataclass(frozen=True)
class Prefs:
    """Where and when a person hears of their notices (the portal's inbox always has them)."""

    email: str = ""
    phone: str = ""
    channels: frozenset[str] = field(default_factory=lambda: frozenset({EMAIL}))
    daily_digest: bool = True
    urgent_now: bool = True

    def address(self, channel: str) -> str:
        """The address on `channel` ('' when none is set)."""
        return self.email if channel == EMAIL else self.phone

    def reachable(self) -> list[str]:
        """The chosen channels that have an address, in a fixed order."""
        return [c for c in CHANNELS if c in self.channels and self.address(c)]


@dataclass(frozen=True)
class Outgoing:
    """One message to one person: a day's digest or one urgent notice."""

    key: str
    username: str
    subject: str
    text: str
    #: (kind, title, link) of every notice it carries
    notices: tuple[tuple[str, str, str], ...]


def digest_key(username: str, day: date) -> str:
    """The key of a person's digest of a day (one per day, whatever the retries)."""
    return f"ringkasan:{username}:{day.isoformat()}"


def urgent_key(notification_id: int) -> str:
    """The key of one urgent notice's message."""
    return f"segera:{notification_id}"


def message_id(key: str, domain: str) -> str:
    """The e-mail Message-ID of a message key: the same key gives the same id (a mail server or
    client that sees it twice can drop the second)."""
    return f"<hadir-{key.replace(':', '-')}@{domain}>"


def _line(title: str, link: str, base_url: str) -> str:
    return f"- {title}" + (f"  {base_url.rstrip('/')}{link}" if link else "")


def digest(username: str, day: date, notices: list[tuple[str, str, str]],
           base_url: str = "") -> Outgoing:
    """A person's digest of a day: the notices (kind, title, link) grouped by kind."""
    lines = [f"Ringkasan harian Hadir untuk {username}, {day:%d-%m-%Y}.", ""]
    known = list(KIND_TEXT) + sorted({k for k, _t, _l in notices} - set(KIND_TEXT))
    for kind in known:
        mine = [(t, link) for k, t, link in notices if k == kind]
        if not mine:
            continue
        lines.append(f"{KIND_TEXT.get(kind, kind)} ({len(mine)}):")
        lines += [_line(t, link, base_url) for t, link in mine]
        lines.append("")
    lines.append("Pengaturan pemberitahuan: menu Pemberitahuan di portal Hadir.")
    return Outgoing(digest_key(username, day), username,
                    f"Hadir: {len(notices)} pemberitahuan ({day:%d-%m-%Y})", "\n".join(lines),
                    tuple(notices))


def urgent(notification_id: int, username: str, kind: str, title: str, link: str,
           base_url: str = "") -> Outgoing:
    """One urgent notice as its own message."""
    text = "\n".join([f"{KIND_TEXT.get(kind, kind)}:", _line(title, link, base_url), "",
                      "Pengaturan pemberitahuan: menu Pemberitahuan di portal Hadir."])
    return Outgoing(urgent_key(notification_id), username, f"Hadir: {title}", text,
                    ((kind, title, link),))


def email(out: Outgoing, to: str, sender: str) -> EmailMessage:
    """The message as an e-mail from `sender` to `to`."""
    msg = EmailMessage()
    msg["Subject"] = out.subject
    msg["From"] = sender
    msg["To"] = to
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "hadir"
    msg["Message-ID"] = message_id(out.key, domain)
    msg.set_content(out.text)
    return msg


def webhook_body(out: Outgoing, to: str) -> bytes:
    """The JSON a WhatsApp/Telegram gateway receives (docs/notifications.md): the recipient's
    number or chat id, the text to send and the notices it carries; `id` is the same on a
    retry, so a gateway can drop a repeat."""
    return json.dumps({
        "id": out.key, "to": to, "username": out.username, "subject": out.subject,
        "text": out.text,
        "notices": [{"kind": k, "title": t, "link": link} for k, t, link in out.notices],
    }, ensure_ascii=False, sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the body with the shared secret (X-Hadir-Signature)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
