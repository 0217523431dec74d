"""`hadir-cloud privacy …`: template keys, retention, consent, erasure, export, the audit trail."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg

from ..settings import SettingsError, database_url_or_none, from_environment, template_keys
from . import audit
from .domain import (
    AUDIT_TEXT,
    DEFAULT_REGENCY,
    ERASED_PLACES,
    KIOSK_STATE_TEXT,
    RETENTION_TEXT,
    AuditAction,
    Consent,
    ConsentError,
    RetentionKind,
)
from .keys import KeyService


@contextmanager
def _connect() -> Iterator[psycopg.Connection]:
    url = database_url_or_none()
    if not url:
        raise click.ClickException("HADIR_DATABASE_URL belum diatur")
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
    with conn:
        yield conn


def _keys() -> KeyService:
    try:
        return template_keys(from_environment())
    except SettingsError as err:
        raise click.ClickException(str(err)) from err


by_option = click.option("--by", help="Who does it (default: cli:<OS user>); kept in the audit "
                         "trail.")


@click.group()
def privacy() -> None:
    """Personal data (UU 27/2022): retention, consent, erasure, export, the audit trail."""


@privacy.group("template-key")
def template_key() -> None:
    """The key-encryption key of face templates at rest (HADIR_TEMPLATE_KEY_FILE)."""


@template_key.command("init")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new key (mode 0600; never overwritten).")
def template_key_init(out: Path) -> None:
    """Make a new key file; point HADIR_TEMPLATE_KEY_FILE at it and keep a copy off the server."""
    from .keys import TemplateKeyError, write_key_file

    try:
        key_id = write_key_file(out)
    except TemplateKeyError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"kunci {key_id} ditulis ke {out}")


@privacy.command("seal-templates")
@by_option
def seal_templates(by: str | None) -> None:
    """Seal face templates still stored in the clear (enrolled before templates were sealed)."""
    from ..devices.gallery import seal_plain

    keys = _keys()
    with _connect() as conn:
        n = seal_plain(conn, keys, audit.cli_actor(by), audit.cli_origin())
    click.echo(f"{n} templat dienkripsi dengan kunci {keys.key_id}")


@privacy.command("rewrap")
@by_option
def rewrap_templates(by: str | None) -> None:
    """After a key rotation: wrap every template's data key (and every kiosk's gallery key)
    with HADIR_TEMPLATE_KEY_FILE; the old key comes from HADIR_TEMPLATE_KEY_OLD_FILE."""
    from .keys import Sealed, TemplateKeyError, rewrap

    keys = _keys()
    n = 0
    try:
        with _connect() as conn, conn.transaction():
            for emp, sealed, dek, kid in conn.execute(
                    "SELECT employee_id, sealed, data_key, key_id FROM face_templates WHERE "
                    "sealed IS NOT NULL AND key_id <> %s FOR UPDATE", (keys.key_id,)).fetchall():
                s = rewrap(keys, Sealed(bytes(sealed), bytes(dek), kid))
                conn.execute("UPDATE face_templates SET data_key = %s, key_id = %s WHERE "
                             "employee_id = %s", (s.data_key, s.key_id, emp))
                n += 1
            for dev, wrapped, kid in conn.execute(
                    "SELECT device_id, wrapped, key_id FROM device_gallery_keys WHERE key_id <> %s "
                    "FOR UPDATE", (keys.key_id,)).fetchall():
                conn.execute("UPDATE device_gallery_keys SET wrapped = %s, key_id = %s WHERE "
                             "device_id = %s", (keys.wrap(keys.unwrap(bytes(wrapped), kid)),
                                                keys.key_id, dev))
                n += 1
            if n:
                audit.record(conn, audit.cli_actor(by), AuditAction.TEMPLATES_SEALED, None,
                             {"dibungkus_ulang": n, "kunci": keys.key_id}, audit.cli_origin())
    except TemplateKeyError as err:
        raise click.ClickException(f"{err}; tidak ada yang diubah") from err
    click.echo(f"{n} kunci data dibungkus ulang dengan kunci {keys.key_id}")


@privacy.group()
def retention() -> None:
    """How long selfies, rejected payloads, telemetry and audit entries are kept, per regency."""


@retention.command("show")
def retention_show() -> None:
    """Every retention: the default (*) and each regency's own."""
    from .store import policies

    with _connect() as conn:
        for p in policies(conn):
            who = "bawaan" if p.regency == DEFAULT_REGENCY else p.regency
            click.echo(f"{who:<20} {p.kind:<15} {p.days:>6} hari  ({RETENTION_TEXT[p.kind]}; "
                       f"diubah oleh {p.changed_by})")


@retention.command("set")
@click.option("--kind", required=True, type=click.Choice([k.value for k in RetentionKind]),
              help="What is kept.")
@click.option("--days", type=int, help="How many days (omit with --reset).")
@click.option("--regency", default=DEFAULT_REGENCY, show_default=True,
              help="A regency (units.regency), or * for the default.")
@click.option("--reset", is_flag=True, help="The regency follows the default again.")
@by_option
def retention_set(kind: str, days: int | None, regency: str, reset: bool, by: str | None) -> None:
    """Set how long a kind of data is kept (audited)."""
    from .store import RetentionError, set_retention

    if (days is None) != reset:
        raise click.ClickException("beri --days, atau --reset untuk kembali ke bawaan")
    try:
        with _connect() as conn:
            set_retention(conn, regency, kind, days, audit.cli_actor(by), audit.cli_origin())
    except RetentionError as err:
        raise click.ClickException(f"--{err.field}: {err}") from err
    click.echo(f"{regency} {kind}: " + (f"{days} hari" if days else "mengikuti bawaan"))


@retention.command("run")
def retention_run() -> None:
    """Apply every retention now (the worker does it hourly)."""
    from . import erasure
    from . import retention as job

    with _connect() as conn:
        done = job.run(conn, origin=audit.cli_origin())
        done["foto_setelah_penghapusan"] = erasure.sweep(conn)
    for place, n in done.items():
        click.echo(f"{place}: {n}")


@privacy.group()
def consent() -> None:
    """Consent to biometric enrolment (UU 27/2022)."""


@consent.command("record")
@click.option("--employee", required=True, help="NIP.")
@click.option("--ref", "reference", required=True, help="The signed form's number.")
@by_option
def consent_record(employee: str, reference: str, by: str | None) -> None:
    """Record a signed consent form (the person may then be enrolled)."""
    from .store import record_consent

    actor = audit.cli_actor(by)
    try:
        with _connect() as conn, conn.transaction():
            cid = record_consent(conn, employee, Consent(reference, actor), audit.cli_origin())
    except ConsentError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"persetujuan {cid} tercatat untuk {employee}")


@privacy.command("erase")
@click.option("--employee", required=True, help="NIP.")
@click.option("--reason", required=True, help="Why (kept with the erasure).")
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for every kiosk's confirmation (the fleet monitor stores "
              "them).")
@by_option
def erase(employee: str, reason: str, wait: float, by: str | None) -> None:
    """Erase a person's biometric data: cloud template destroyed, a removal to every kiosk,
    photos purged; prints the report."""
    from .erasure import ErasureError
    from .erasure import erase as do_erase

    try:
        with _connect() as conn:
            erasure_id = do_erase(conn, employee, reason, audit.cli_actor(by), audit.cli_origin())
    except ErasureError as err:
        raise click.ClickException(str(err)) from err
    _print_report(erasure_id, wait)


@privacy.command("erasure-report")
@click.argument("erasure_id", type=int)
@click.option("--wait", type=float, default=0.0, help="Seconds to wait for confirmations.")
def erasure_report(erasure_id: int, wait: float) -> None:
    """An erasure's report: what was erased where, and each kiosk's confirmation."""
    _print_report(erasure_id, wait)


def _print_report(erasure_id: int, wait: float) -> None:
    from .erasure import report

    deadline = time.monotonic() + wait
    with _connect() as conn:
        r = report(conn, erasure_id)
        while r is not None and not r.complete and time.monotonic() < deadline:
            time.sleep(1)
            r = report(conn, erasure_id)
    if r is None:
        raise click.ClickException(f"penghapusan {erasure_id} tidak ada")
    click.echo(f"penghapusan {r.id}: {r.employee_id} ({r.name or '-'}) oleh {r.requested_by}, "
               f"{r.erased_at:%Y-%m-%d %H:%M %Z}; alasan: {r.reason}")
    for key, label in ERASED_PLACES.items():
        click.echo(f"  {label}: {r.erased.get(key, 0)}")
    if r.swept_photos:
        click.echo(f"  foto check-in yang tiba setelah penghapusan: {r.swept_photos}")
    if r.gallery_version is None:
        click.echo("  galeri kiosk: orang ini tidak terdaftar di galeri")
    for k in r.kiosks:
        click.echo(f"  kiosk {k.device_id}: {KIOSK_STATE_TEXT[k.state]}"
                   + (f" (versi {k.confirmed_version}, {k.confirmed_at:%Y-%m-%d %H:%M})"
                      if k.confirmed_at else f" (perlu versi {r.gallery_version} atau lebih)"))
    click.echo("selesai: semua kiosk mengonfirmasi" if r.complete
               else f"menunggu {r.waiting} kiosk")


@privacy.command("export")
@click.option("--employee", required=True, help="NIP.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The ZIP to write.")
@by_option
def export_cmd(employee: str, out: Path, by: str | None) -> None:
    """A person's own data as a ZIP (for a request made on paper; the portal's 'Data saya'
    makes the same file)."""
    from .export import build

    try:
        keys = template_keys(from_environment())
    except SettingsError:
        keys = None
    with _connect() as conn:
        filename, data = build(conn, employee, keys, from_environment().zone())
        audit.record(conn, audit.cli_actor(by), AuditAction.EXPORT_DOWNLOAD, employee,
                     {"berkas": filename, "ukuran": len(data)}, audit.cli_origin())
    out.write_bytes(data)
    click.echo(f"{out}: {len(data)} byte")


@privacy.command("audit")
@click.option("--subject", help="A person (NIP) or thing.")
@click.option("--actor", help="Who did it.")
@click.option("--action", type=click.Choice([a.value for a in AuditAction]), help="What.")
@click.option("--limit", type=int, default=50, show_default=True, help="Newest entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_list(subject: str | None, actor: str | None, action: str | None, limit: int,
               as_json: bool) -> None:
    """The audit trail, newest first."""
    with _connect() as conn:
        rows = audit.entries(conn, actor=actor, action=action, subject=subject, limit=limit)
    for e in rows:
        if as_json:
            click.echo(json.dumps({"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                                   "subject": e.subject, "detail": e.detail,
                                   "origin": e.origin}, ensure_ascii=False))
        else:
            text = AUDIT_TEXT.get(AuditAction(e.action), e.action)
            click.echo(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor}  {text}  {e.subject or '-'}  "
                       f"{e.origin or '-'}  {json.dumps(e.detail, ensure_ascii=False)}")
