"""`hadir-cloud`: migrations, offices, kiosks and the broker, users, the ingest, the portal, TPP."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
import psycopg

from .dashboards.cli import kinerja
from .devices.cli import register as register_fleet
from .jobs.cli import register as register_jobs
from .letters.cli import letters
from .org.cli import org
from .privacy.cli import privacy
from .punches.cli import punches
from .requests.cli import permohonan
from .settings import CloudSettings, SettingsError
from .tpp.cli import tpp

F = TypeVar("F", bound=Callable[..., object])


def _settings() -> CloudSettings:
    return CloudSettings()


def _conninfo() -> str:
    try:
        return _settings().require_database_url()
    except SettingsError as err:
        raise click.ClickException(str(err)) from err


def _connect() -> psycopg.Connection:
    try:
        return psycopg.connect(_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err


def _broker_files(required: bool) -> Callable[[F], F]:
    """The --mosquitto-passwd / --mosquitto-acl options."""
    def deco(f: F) -> F:
        f = click.option("--mosquitto-acl", type=click.Path(path_type=Path), required=required,
                         help="Mosquitto ACL file (acl_file).")(f)
        return click.option("--mosquitto-passwd", type=click.Path(path_type=Path),
                            required=required, help="Mosquitto password file (password_file).")(f)
    return deco


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """Hadir cloud: database, kiosks, ingest, portal and TPP."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.group()
def db() -> None:
    """Database schema (TimescaleDB where preloaded, plain PostgreSQL otherwise)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations to $HADIR_DATABASE_URL."""
    from .db.migrate import MigrationError, upgrade

    try:
        applied = upgrade(_conninfo())
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
    except MigrationError as err:
        raise click.ClickException(f"migrasi gagal: {err}") from err
    click.echo(f"{len(applied)} migrasi diterapkan" + (f": {', '.join(applied)}" if applied else ""))


@db.command("status")
def db_status() -> None:
    """Show the engine and which migrations are applied."""
    from .db.migrate import status

    try:
        engine, rows = status(_conninfo())
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
    click.echo(f"mesin: {'TimescaleDB' if engine.timescale else 'PostgreSQL'} ({engine.detail})")
    for name, eng in rows:
        click.echo(f"  {'✓' if eng else '·'} {name}" + (f" [{eng}]" if eng else " (belum)"))


@db.command("grafana-login")
@click.option("--password-file", required=True, type=click.File("r"),
              help="File (or - for stdin) holding grafana_reader's password (Grafana's "
              "data source reads the same file).")
def db_grafana_login(password_file: click.utils.LazyFile) -> None:
    """Let Grafana's role grafana_reader log in (SELECT on the boards' views only)."""
    from .db.roles import RoleError, grafana_login

    try:
        grafana_login(_conninfo(), password_file.read().strip())
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
    except RoleError as err:
        raise click.ClickException(str(err)) from err
    click.echo("grafana_reader dapat masuk dengan kata sandi dari berkas itu")


@main.group()
def office() -> None:
    """Offices (kantor) with their time zone and geofence."""


@office.command("add")
@click.option("--id", "office_id", required=True, help="Office id, e.g. setda-ogan-ilir.")
@click.option("--name", required=True, help="Office name.")
@click.option("--tz", required=True, type=click.Choice(["Asia/Jakarta", "Asia/Makassar",
                                                        "Asia/Jayapura"]), help="WIB/WITA/WIT.")
@click.option("--lat", required=True, type=float, help="Latitude of the office.")
@click.option("--lon", required=True, type=float, help="Longitude of the office.")
@click.option("--radius", default=50.0, show_default=True, type=float, help="Geofence, metres.")
def office_add(office_id: str, name: str, tz: str, lat: float, lon: float, radius: float) -> None:
    """Add or update an office."""
    from .devices import RegistrationError, add_office

    with _connect() as conn:
        try:
            add_office(conn, office_id, name, tz, lat, lon, radius)
        except RegistrationError as err:
            raise click.ClickException(str(err)) from err
    click.echo(f"kantor {office_id} tersimpan")


@main.group()
def device() -> None:
    """Kiosks: registration and broker credentials."""


@device.command("add")
@click.option("--id", "device_id", required=True, help="Kiosk id (its MQTT username).")
@click.option("--public-key", required=True, help="Base64 Ed25519 key from `hadir-edge pubkey`.")
@click.option("--office", "office_id", required=True, help="Office the kiosk stands in.")
@_broker_files(required=False)
@click.option("--password-file", type=click.Path(path_type=Path),
              help="Broker password for the kiosk (made and written here if missing).")
def device_add(device_id: str, public_key: str, office_id: str, mosquitto_passwd: Path | None,
               mosquitto_acl: Path | None, password_file: Path | None) -> None:
    """Register a kiosk's public key (and its broker credentials)."""
    from .devices import RegistrationError
    from .devices.registration import BrokerFiles, register

    with _connect() as conn:
        try:
            files = password = None
            if mosquitto_passwd or mosquitto_acl:
                if not (mosquitto_passwd and mosquitto_acl):
                    raise RegistrationError("--mosquitto-passwd dan --mosquitto-acl harus bersama")
                files = BrokerFiles(mosquitto_passwd, mosquitto_acl)
                if password_file and password_file.exists():
                    password = password_file.read_text().strip()
            made = register(conn, device_id, public_key, office_id, files, password)
        except RegistrationError as err:
            raise click.ClickException(str(err)) from err
    if made and password_file:
        password_file.write_text(made)
        password_file.chmod(0o600)
    elif made:
        click.echo(f"kata sandi broker: {made}")
    click.echo(f"kiosk {device_id} terdaftar di {office_id}")


@device.command("disable")
@click.option("--id", "device_id", required=True, help="Kiosk id.")
def device_disable(device_id: str) -> None:
    """Stop accepting a kiosk's check-ins (held, not stored); `device add` enables it again."""
    from .devices import RegistrationError, disable_device

    with _connect() as conn:
        try:
            disable_device(conn, device_id)
        except RegistrationError as err:
            raise click.ClickException(str(err)) from err
    click.echo(f"kiosk {device_id} dinonaktifkan; peristiwanya ditahan oleh ingest")


@device.command("revoke")
@click.option("--id", "device_id", required=True, help="Kiosk id (its MQTT username).")
@_broker_files(required=True)
@click.option("--broker-pid", type=int, help="Send SIGHUP to this Mosquitto process.")
@click.option("--reload-cmd", help="Or run this to reload the broker, e.g. "
              "'docker compose kill -s SIGHUP mosquitto'.")
def device_revoke(device_id: str, mosquitto_passwd: Path, mosquitto_acl: Path,
                  broker_pid: int | None, reload_cmd: str | None) -> None:
    """Disable a kiosk and remove its broker login and ACL; on reload the broker cuts it off."""
    import shlex

    from .devices import RegistrationError
    from .devices.registration import BrokerFiles, revoke

    if broker_pid is not None and reload_cmd:
        raise click.UsageError("pilih salah satu: --broker-pid atau --reload-cmd")
    files = BrokerFiles(mosquitto_passwd, mosquitto_acl, broker_pid,
                        tuple(shlex.split(reload_cmd)) if reload_cmd else ())
    with _connect() as conn:
        try:
            removed = revoke(conn, device_id, files)
        except RegistrationError as err:
            raise click.ClickException(str(err)) from err
    click.echo(f"kiosk {device_id} dicabut: nonaktif; dihapus dari broker: "
               f"{', '.join(removed) or 'tidak ada (sudah dicabut)'}")
    if broker_pid is None and not reload_cmd:
        click.echo("muat ulang broker agar kiosk terputus sekarang: kill -HUP <pid mosquitto> "
                   "(atau: systemctl reload mosquitto / docker compose kill -s SIGHUP mosquitto)")
    else:
        click.echo("broker dimuat ulang: sambungan kiosk diputus dan ditolak")


@device.command("list")
def device_list() -> None:
    """List registered kiosks with their last check-in."""
    with _connect() as conn:
        rows = conn.execute(
            "SELECT d.id, d.office_id, d.disabled, max(c.captured_at), max(c.seq) FROM devices d "
            "LEFT JOIN checkins c ON c.device_id = d.id GROUP BY 1, 2, 3 ORDER BY 1"
        ).fetchall()
    for dev, off, disabled, last, seq in rows:
        click.echo(f"{dev}\t{off}\t{'nonaktif' if disabled else 'aktif'}\t{last or '-'}\t{seq or '-'}")


@main.group()
def broker() -> None:
    """The MQTT broker's users and ACL, generated from the wire contract."""


@broker.command("acl")
@click.option("--ingest", "ingest_users", multiple=True, help="Broker user of an ingest worker "
              "(one per worker; repeatable). Default: ingest-1, ingest-2.")
@click.option("--fleet", "fleet_user", default="fleet", show_default=True,
              help="Broker user of the fleet monitor.")
@click.option("--cli", "cli_user", default="cli", show_default=True,
              help="Broker user of this CLI (device config|command, gallery publish).")
@click.option("--portal", "portal_user", default="portal", show_default=True,
              help="Broker user of the portal's fleet console (HADIR_CLI_BROKER_USERNAME there).")
@click.option("--example", is_flag=True,
              help="Print deploy/mosquitto/acl.example instead (default users, one kiosk).")
def broker_acl(ingest_users: tuple[str, ...], fleet_user: str, cli_user: str, portal_user: str,
               example: bool) -> None:
    """Print the cloud users' ACL: start the broker's acl_file with it."""
    from .devices import CLOUD_USERS, cloud_acl, example_acl

    if example:
        click.echo(example_acl(), nl=False)
        return
    click.echo(cloud_acl({"ingest": ingest_users or CLOUD_USERS["ingest"], "fleet": fleet_user,
                          "cli": tuple(u for u in (cli_user, portal_user) if u)}), nl=False)


@main.group("cloud-key")
def cloud_key() -> None:
    """The cloud's signing key: kiosks pin its public half and obey only what it signs."""


@cloud_key.command("init")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the private key (PEM, mode 0600): HADIR_CLOUD_KEY_FILE.")
def cloud_key_init(out: Path) -> None:
    """Make the cloud key once (kept if it exists) and print its public half."""
    from hadir_protocol.signing import load_or_create_private_key, public_key_b64

    existed = out.exists()
    key = load_or_create_private_key(out)
    click.echo(f"kunci cloud {'sudah ada' if existed else 'dibuat'}: {out}", err=True)
    click.echo(public_key_b64(key))


@cloud_key.command("show")
def cloud_key_show() -> None:
    """Print the public key kiosks pin at provisioning (`cloud_public_key`)."""
    from hadir_protocol.signing import public_key_b64

    from .devices.outbound import load_cloud_key

    try:
        key = load_cloud_key(_settings())
    except SettingsError as err:
        raise click.ClickException(str(err)) from err
    if key is None:
        raise click.ClickException("HADIR_CLOUD_KEY_FILE belum diatur (hadir-cloud cloud-key init)")
    click.echo(public_key_b64(key))


@main.group()
def user() -> None:
    """Portal users and API tokens."""


@user.command("add")
@click.option("--username", required=True, help="Login name.")
@click.option("--password-file", required=True, type=click.File("r"),
              help="File (or - for stdin) holding the password.")
@click.option("--role", default="admin", show_default=True, help="Role.")
def user_add(username: str, password_file: click.utils.LazyFile, role: str) -> None:
    """Create or reset a portal user."""
    from .privacy.audit import cli_origin
    from .users import add_user

    with _connect() as conn:
        try:
            add_user(conn, username, password_file.read().strip(), role,
                     origin=cli_origin())
        except ValueError as err:
            raise click.ClickException(str(err)) from err
    click.echo(f"pengguna {username} tersimpan")


def _create_token(name: str, scopes: tuple[str, ...] = ("checkins:read",),
                  days: float | None = None) -> None:
    """Create a token named `name` and print it once."""
    from .users import AccountError, create_token

    with _connect() as conn:
        try:
            click.echo(create_token(conn, name, scopes, days, by="cli"))
        except AccountError as err:
            raise click.ClickException(str(err)) from err


@main.group("token", invoke_without_command=True)
@click.option("--name", help="What the token is for (short form of `token create --name`).")
@click.pass_context
def token(ctx: click.Context, name: str | None) -> None:
    """API tokens for `Authorization: Bearer …` (`token create --name N`)."""
    if ctx.invoked_subcommand is None:
        if not name:
            raise click.UsageError("--name wajib diisi (atau pakai `token create --name`).")
        _create_token(name)


@token.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, default=("checkins:read",), show_default=True,
              help="What the token may do; repeatable.")
@click.option("--days", type=float, help="Expires after this many days (default: never).")
def token_create(name: str, scopes: tuple[str, ...], days: float | None) -> None:
    """Create an API token (printed once) for `Authorization: Bearer …`."""
    _create_token(name, scopes, days)


@token.command("revoke")
@click.option("--name", required=True, help="The token's name: every live token of it stops.")
def token_revoke(name: str) -> None:
    """Revoke tokens by name (they stop working at once)."""
    from .users import revoke_token

    with _connect() as conn:
        n = revoke_token(conn, name)
    if not n:
        raise click.ClickException(f"tidak ada token aktif bernama {name!r}")
    click.echo(f"{n} token dicabut")


@main.group()
def account() -> None:
    """Employees' portal accounts and the roles of HR, IT and leaders."""


@account.command("invite")
@click.option("--nip", required=True, help="The employee's NIP (must be in the personnel data).")
def account_invite(nip: str) -> None:
    """Make (or renew) an employee's one-time activation code; also resets a forgotten password."""
    from .users import ACTIVATION_VALID, AccountError, invite

    try:
        with _connect() as conn:
            code = invite(conn, nip)
    except AccountError as err:
        raise click.ClickException(str(err)) from err
    hours = int(ACTIVATION_VALID.total_seconds() // 3600)
    click.echo(f"kode aktivasi untuk {nip} (berlaku {hours} jam, sekali pakai): {code}")
    click.echo("pegawai membuka /aktivasi di portal, mengisi NIP, kode ini dan kata sandi baru")


@account.command("grant")
@click.option("--username", required=True, help="The account (a NIP for employees).")
@click.option("--role", required=True, help="admin_opd, admin_bkpsdm, operator_ti, pimpinan, "
              "auditor, verifikator or tu.")
@click.option("--unit", "unit_id", help="The OPD (unit) an admin_opd looks after.")
@click.option("--by", default=getpass.getuser, show_default="OS user", help="Who grants (kept).")
def account_grant(username: str, role: str, unit_id: str | None, by: str) -> None:
    """Give an account a role (scoped to a unit's subtree for admin_opd)."""
    from .privacy.audit import cli_origin
    from .users import AccountError, grant

    try:
        with _connect() as conn:
            grant(conn, username, role, unit_id, by, cli_origin())
    except AccountError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{username}: peran {role}" + (f" untuk unit {unit_id}" if unit_id else ""))


@account.command("revoke")
@click.option("--username", required=True, help="The account.")
@click.option("--role", required=True, help="The granted role to take away.")
@click.option("--unit", "unit_id", help="For admin_opd: the unit of the grant.")
@click.option("--by", default=getpass.getuser, show_default="OS user", help="Who revokes (kept).")
def account_revoke(username: str, role: str, unit_id: str | None, by: str) -> None:
    """Take a role away from an account (its sessions end; written to the audit trail)."""
    from .privacy.audit import cli_origin
    from .users import AccountError, revoke

    try:
        with _connect() as conn:
            revoke(conn, username, role, unit_id, by, cli_origin())
    except AccountError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{username}: peran {role} dicabut" + (f" (unit {unit_id})" if unit_id else ""))


@main.command("ingest")
def ingest() -> None:
    """Run an ingest worker (MQTT → database → acks) until stopped."""
    from .ingest import run_ingest

    try:
        run_ingest(_settings())
    except SettingsError as err:
        raise click.ClickException(str(err)) from err


@main.group()
def quarantine() -> None:
    """Verified check-ins whose time was implausible (future or too old), kept for review."""


@quarantine.command("list")
@click.option("--all", "include_released", is_flag=True, help="Also those already released.")
def quarantine_list(include_released: bool) -> None:
    """List quarantined check-ins with their reason."""
    from hadir_protocol.reasons import text_id

    from .ingest.quarantine import pending

    with _connect() as conn:
        held = pending(conn, include_released)
    if not held:
        click.echo("tidak ada presensi di karantina")
    for h in held:
        state = f"dilepas {h.released_at:%Y-%m-%d %H:%M}" if h.released_at else "menunggu"
        click.echo(f"{h.event_id}  {h.device_id}  {h.employee_id}  {h.captured_at.isoformat()}  "
                   f"{text_id(h.reason)}  ({state})")


@quarantine.command("release")
@click.argument("event_id")
@click.option("--by", required=True, help="Who reviewed it and lets it count (name or NIP).")
def quarantine_release(event_id: str, by: str) -> None:
    """Store a quarantined check-in as it was signed, recording who released it."""
    from .ingest.quarantine import QuarantineError, release

    try:
        with _connect() as conn:
            stored = release(conn, event_id, by)
    except QuarantineError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{event_id}: {'disimpan' if stored else 'sudah tersimpan sebelumnya'}")


@main.command("portal")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
def portal(host: str, port: int) -> None:
    """Run the portal (Flask's threaded server; put a reverse proxy in front in production)."""
    from .portal import create_app

    try:
        app = create_app(_settings())
    except SettingsError as err:
        raise click.ClickException(str(err)) from err
    app.run(host=host, port=port, threaded=True)


main.add_command(tpp)
main.add_command(org)
main.add_command(permohonan)
main.add_command(punches)
main.add_command(letters)
main.add_command(kinerja)
main.add_command(privacy)
register_fleet(main, device, _connect)
register_jobs(main)
