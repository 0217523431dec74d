"""Cloud settings from the environment; secrets from files (`*_FILE`) or the environment."""

from __future__ import annotations

import os
import socket
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from .privacy.keys import FileKeyService

#: The cloud's broker users, one role each: least privilege in the broker's ACL.
BrokerRole = Literal["ingest", "fleet", "cli"]
#: Indonesia's three zones: WIB, WITA, WIT.
Zone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
#: their short names, as Indonesians write a time: 07.30 WITA
ZONE_NAMES: dict[str, str] = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA",
                              "Asia/Jayapura": "WIT"}


class SettingsError(RuntimeError):
    """A required setting or secret is missing; the message says which and where."""


def from_file_or_env(name: str) -> str | None:
    """The setting `name` from the file named by `name`_FILE, else from `name` itself."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as err:
            raise SettingsError(f"{name}_FILE={path} cannot be read: {err}") from err
    return os.environ.get(name)


class CloudSettings(BaseSettings):
    """Everything the ingest, the portal and the CLI read from their environment."""

    model_config = SettingsConfigDict(env_prefix="HADIR_", extra="forbid")

    database_url: str | None = Field(None, description="PostgreSQL conninfo (HADIR_DATABASE_URL)")
    broker_host: str = Field("127.0.0.1", description="MQTT broker host")
    broker_port: int = Field(1883, description="MQTT broker port")
    broker_username: str | None = Field(
        None, description="MQTT username of this ingest worker (ingest-1, ingest-2, …: the broker "
        "uses the username as client id, so every worker needs its own); also the fleet "
        "monitor's and the CLI's where theirs is unset")
    broker_password_file: Path | None = Field(None, description="file holding the MQTT password")
    broker_tls: bool = Field(False, description="connect to the broker over TLS")
    ingest_client_id: str = Field(
        default_factory=lambda: f"hadir-ingest-{socket.gethostname()}",
        description="MQTT client id of this worker: stable across its restarts (the broker "
        "keeps its session and unacked messages) and different for every worker")
    ingest_batch_events: int = Field(2000, ge=1, description="flush after this many events")
    ingest_flush_ms: int = Field(50, ge=1, description="or after this many milliseconds")
    ingest_receive_maximum: int = Field(2000, ge=1, description="unacked messages in flight")
    key_grace_days: float = Field(7.0, ge=0, description="events signed with a rotated-out key "
                                  "still verify when made up to this long after the rotation")
    ingest_max_ahead_s: float = Field(300.0, ge=0, description="a check-in captured further "
                                      "ahead of the cloud's clock than this is quarantined")
    ingest_max_age_days: float = Field(35.0, gt=0, description="a check-in older than this is "
                                       "quarantined (a school offline for weeks still lands)")
    key_reload_s: float = Field(30.0, gt=0, description="reload kiosks' keys this often, so a "
                                "disable, revoke or new registration needs no restart")
    portal_secure_cookies: bool = Field(
        True, description="session cookies only over HTTPS (the portal sits behind TLS); "
        "off only for a plain-HTTP demo on a public address")
    portal_db_pool: int = Field(
        0, ge=0, description="database connections each portal process keeps open (a pool); "
        "0 opens one per request. `portal/wsgi.py` (gunicorn) uses 4 when this is 0")
    smtp_host: str | None = Field(None, description="SMTP server for the daily e-mail digests "
                                  "(none: notices stay in the portal only)")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_from: str = Field("Hadir <hadir@localhost>", description="the digests' sender")
    notify_webhook_url: str | None = Field(
        None, description="a WhatsApp/Telegram gateway that takes notices as signed JSON "
        "(docs/notifications.md); its secret from HADIR_NOTIFY_WEBHOOK_SECRET(_FILE)")
    ratelimit_storage_uri: str = Field(
        "memory://", description="Flask-Limiter storage for the login rate limit: "
        "redis://… in production, so every gunicorn worker counts together")
    login_rate_limit: str = Field("10 per minute", description="sign-in attempts per address")
    quadrant_rules_file: Path | None = Field(
        None, description="the rule that places a performance rating in a predicate and a "
        "quadrant of the leaders' board (default: rulesets/kuadran_permenpanrb_2022.toml)")
    mosquitto_passwd_file: Path | None = Field(
        None, description="Mosquitto's password_file: the portal's fleet console writes a "
        "registered kiosk's login there (as `device add --mosquitto-passwd`)")
    mosquitto_acl_file: Path | None = Field(
        None, description="Mosquitto's acl_file: the fleet console writes a kiosk's topics there")
    broker_reload_cmd: str | None = Field(
        None, description="command that makes Mosquitto re-read its files after the fleet "
        "console changed them, e.g. 'kill -HUP 1234' (unset: the page says to reload it)")
    cloud_key_file: Path | None = Field(
        None, description="the cloud's Ed25519 key that signs config, gallery and commands "
        "(kiosks pin its public half); `hadir-cloud cloud-key init --out FILE` makes one")
    fleet_client_id: str = Field(
        default_factory=lambda: f"hadir-fleet-{socket.gethostname()}",
        description="MQTT client id of the fleet monitor (telemetry, status, replies)")
    fleet_broker_username: str | None = Field(
        None, description="MQTT username of the fleet monitor (default: broker_username)")
    fleet_broker_password_file: Path | None = Field(
        None, description="file holding the fleet monitor's MQTT password")
    template_key_file: Path | None = Field(
        None, description="the key-encryption key of face templates at rest (64 hex "
        "characters; `hadir-cloud privacy template-key init --out FILE` makes one): needed to "
        "enrol faces, to send galleries and kiosks' gallery keys (docs/privacy.md)")
    template_key_old_file: Path | None = Field(
        None, description="after a rotation: the previous key-encryption key, to unwrap what "
        "`hadir-cloud privacy rewrap` has not rewrapped yet")
    cli_broker_username: str | None = Field(
        None, description="MQTT username of `hadir-cloud device config|command`, `gallery "
        "publish` (default: broker_username)")
    cli_broker_password_file: Path | None = Field(
        None, description="file holding the CLI's MQTT password")

    timezone: Zone = Field(
        "Asia/Jakarta", description="the regency's own zone (Asia/Jakarta WIB, Asia/Makassar "
        "WITA, Asia/Jayapura WIT): the portal's and the daily jobs' 'today', and the zone of times "
        "shown where no office's applies. Every working day stays local to its office")
    portal_base_url: str = Field(
        "http://127.0.0.1:8000", description="the portal's public address: printed in signed "
        "letters' QR codes (/verifikasi/<token>) and in the links of e-mails and gateway messages "
        "(e.g. https://hadir.example.go.id)")
    letters_signer: Literal["local", "pkcs12", "pkcs11"] = Field(
        "local", description="where officials' signing keys are: 'local' (the CA folder of "
        "`hadir-cloud letters ca init`), 'pkcs12' (a folder of <nip>.p12 files), 'pkcs11' (a "
        "token); see letters/signing.py")
    letters_ca_dir: Path | None = Field(
        None, description="the local CA folder (letters_signer 'local')")
    letters_keystore_dir: Path | None = Field(
        None, description="folder of <nip>.p12 files (letters_signer 'pkcs12')")
    letters_keystore_passphrase_file: Path | None = Field(
        None, description="file holding the PKCS#12 files' passphrase (letters_signer 'pkcs12')")
    letters_trust_roots: Path | None = Field(
        None, description="PEM file of the trusted root certificate(s) ('pkcs12', 'pkcs11')")
    letters_crl_dir: Path | None = Field(
        None, description="folder of *.crl files embedded in signatures ('pkcs12', 'pkcs11')")
    letters_pkcs11_module: Path | None = Field(
        None, description="the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so")
    letters_pkcs11_token: str | None = Field(None, description="the token's label")
    letters_pkcs11_pin_file: Path | None = Field(None, description="file holding the token's PIN")
    letters_rules_file: Path | None = Field(
        None, description="the regency's letter rules (numbering, classification, JRA); "
        "default: the shipped letters/aturan_surat.toml")

    def zone(self) -> ZoneInfo:
        """The regency's zone (HADIR_TIMEZONE)."""
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the regency's zone."""
        return datetime.now(self.zone()).date()

    def require_database_url(self) -> str:
        """The database URL, or a clear error naming the variable."""
        url = self.database_url or from_file_or_env("HADIR_DATABASE_URL")
        if not url:
            raise SettingsError(
                "HADIR_DATABASE_URL is not set: export HADIR_DATABASE_URL=postgresql://… "
                "or point HADIR_DATABASE_URL_FILE at a file holding it"
            )
        return url

    def broker_password(self) -> str | None:
        """The broker password from its file, if one is configured."""
        if self.broker_password_file is None:
            return None
        try:
            return self.broker_password_file.read_text().strip()
        except OSError as err:
            raise SettingsError(
                f"HADIR_BROKER_PASSWORD_FILE={self.broker_password_file} cannot be read: {err}"
            ) from err

    @staticmethod
    def secret_key() -> str:
        """The portal's session secret; never a default."""
        key = from_file_or_env("HADIR_SECRET_KEY")
        if not key or len(key) < 16:
            raise SettingsError(
                "HADIR_SECRET_KEY is missing (or shorter than 16 characters): set it, or put it "
                "in a file named by HADIR_SECRET_KEY_FILE (e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))' > /run/secrets/portal_secret_key`)"
            )
        return key


def from_environment() -> CloudSettings:
    """The settings of this process (its environment and `*_FILE` secrets)."""
    return CloudSettings()  # type: ignore[call-arg]  # every field has a default or env value


def template_keys(settings: CloudSettings) -> FileKeyService:
    """The key service of face templates (the key file's adapter), or a clear error."""
    from .privacy.keys import FileKeyService, TemplateKeyError

    if settings.template_key_file is None:
        raise SettingsError(
            "HADIR_TEMPLATE_KEY_FILE is not set: face templates are encrypted at rest with it. "
            "Make one with `hadir-cloud privacy template-key init --out /run/secrets/"
            "template_key` and point HADIR_TEMPLATE_KEY_FILE at it (keep a copy off the server: "
            "without it no template can be opened)")
    old = (settings.template_key_old_file,) if settings.template_key_old_file else ()
    try:
        return FileKeyService.from_files(settings.template_key_file, old)
    except TemplateKeyError as err:
        raise SettingsError(f"HADIR_TEMPLATE_KEY_FILE: {err}") from err


def database_url_or_none(given: str | None = None) -> str | None:
    """`given`, else HADIR_DATABASE_URL or HADIR_DATABASE_URL_FILE, else None (for CLI groups)."""
    return given or from_file_or_env("HADIR_DATABASE_URL")
