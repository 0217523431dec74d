"""Where messages go out: e-mail over SMTP and a webhook that a WhatsApp or Telegram gateway
sits behind. One port (`Channel.send`), one class per channel, built from settings in one place
(`from_settings`); a channel that cannot deliver raises `DeliveryError`."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from typing import Protocol

import requests

from ..settings import CloudSettings, SettingsError, from_file_or_env
from .domain import EMAIL, WEBHOOK, Outgoing, email, signature, webhook_body

logger = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """A channel could not deliver a message (server away, refused, or answered an error)."""


class Channel(Protocol):
    """A way to reach a person."""

    @property
    def name(self) -> str:
        """The channel's name (notification_prefs.channels)."""

    def send(self, out: Outgoing, to: str) -> None:
        """Deliver `out` to the address `to`, or raise DeliveryError."""


@dataclass(frozen=True)
class Smtp:
    """E-mail through an SMTP server."""

    host: str
    port: int
    sender: str
    name: str = EMAIL

    def send(self, out: Outgoing, to: str) -> None:
        """One e-mail; its Message-ID is fixed by the message key."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as server:
                server.send_message(email(out, to, self.sender))
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {err}") from err


@dataclass(frozen=True)
class Webhook:
    """An HTTP POST of JSON to a gateway, signed with a shared secret (docs/notifications.md)."""

    url: str
    secret: str
    timeout_s: float = 15.0
    name: str = WEBHOOK

    def send(self, out: Outgoing, to: str) -> None:
        """POST the message; any 2xx answer means the gateway took it."""
        body = webhook_body(out, to)
        try:
            resp = requests.post(self.url, data=body, timeout=self.timeout_s, headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": out.key,
                "X-Hadir-Signature": signature(self.secret, body)})
        except requests.RequestException as err:
            raise DeliveryError(f"webhook {self.url}: {err}") from err
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"webhook {self.url}: HTTP {resp.status_code}")


def from_settings(settings: CloudSettings) -> dict[str, Channel]:
    """The channels this deployment has: e-mail with HADIR_SMTP_HOST, the webhook with
    HADIR_NOTIFY_WEBHOOK_URL (and its secret, HADIR_NOTIFY_WEBHOOK_SECRET or …_FILE)."""
    out: dict[str, Channel] = {}
    if settings.smtp_host:
        out[EMAIL] = Smtp(settings.smtp_host, settings.smtp_port, settings.smtp_from)
    if settings.notify_webhook_url:
        secret = from_file_or_env("HADIR_NOTIFY_WEBHOOK_SECRET")
        if not secret or len(secret) < 16:
            raise SettingsError(
                "HADIR_NOTIFY_WEBHOOK_URL is set but HADIR_NOTIFY_WEBHOOK_SECRET (or "
                "HADIR_NOTIFY_WEBHOOK_SECRET_FILE) is missing or shorter than 16 characters: "
                "the gateway checks X-Hadir-Signature with it")
        out[WEBHOOK] = Webhook(settings.notify_webhook_url, secret)
    return out
