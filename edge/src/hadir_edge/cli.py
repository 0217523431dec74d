"""`hadir-edge`: the kiosk service and the commands IT staff use on a kiosk."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

import click
from hadir_protocol.identifiers import EMPLOYEE_ID_RE
from hadir_protocol.models import Kind
from hadir_protocol.signing import load_private_key, public_key_b64

from .config import ConfigError, EdgeSettings, load

logger = logging.getLogger(__name__)

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
    envvar="HADIR_EDGE_CONFIG", help="Kiosk TOML configuration (or $HADIR_EDGE_CONFIG).")


def _settings(config_path: Path | None) -> EdgeSettings:
    try:
        return load(config_path)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err


def _engine(settings: EdgeSettings):  # type: ignore[no-untyped-def]
    from .bootstrap import make_engine
    from .face import GalleryError, open_gallery

    try:
        return make_engine(settings, open_gallery(settings))
    except GalleryError as err:
        raise click.ClickException(str(err)) from err


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """Hadir kiosk: recognise, record offline, publish to the cloud."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Validate the configuration; errors are listed by field path."""
    s = _settings(config_path)
    click.echo(f"konfigurasi valid: kiosk {s.device_id}, kamera {s.camera.type}, "
               f"GPS {s.gps.type}, kantor {s.office.id}")


@main.command()
@config_option
def keygen(config_path: Path | None) -> None:
    """Make the kiosk's Ed25519 key on first boot (kept if it exists; mode 0600)."""
    from .identity import DeviceIdentity, IdentityError

    s = _settings(config_path)
    path = s.data_dir / "device_key.pem"
    existed = path.exists()
    try:  # through the identity: it repairs a cut rotation and never mints over an old key
        DeviceIdentity(s.data_dir)
    except IdentityError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"kunci {'sudah ada' if existed else 'dibuat'}: {path}")


@main.command()
@config_option
def pubkey(config_path: Path | None) -> None:
    """Print the public key for `hadir-cloud device add --public-key`."""
    s = _settings(config_path)
    path = s.data_dir / "device_key.pem"
    if not path.exists():
        raise click.ClickException(f"belum ada kunci di {path}: jalankan `hadir-edge keygen`")
    click.echo(public_key_b64(load_private_key(path)))


@main.command()
@config_option
@click.option("--employee", required=True, help="NIP (or other staff id) of the person.")
@click.option("--name", help="Name shown on the screen.")
@click.option("--consent-ref", "--persetujuan", "consent_ref",
              help="Nomor formulir persetujuan biometrik yang ditandatangani pegawai (UU 27/2022); "
              "wajib, dicatat di consents.json kiosk.")
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def enroll(config_path: Path | None, employee: str, name: str | None, consent_ref: str | None,
           photos: tuple[Path, ...]) -> None:
    """Enroll a person from photos with exactly one face each, with their recorded consent
    (the kiosk's own gallery; the cloud's is `hadir-cloud gallery enroll`)."""
    from .camera.base import CameraError
    from .camera.files import load_rgb
    from .consent import ConsentLog

    if not EMPLOYEE_ID_RE.match(employee):
        raise click.ClickException(f"id pegawai tidak valid: {employee!r}")
    settings = _settings(config_path)
    consents = ConsentLog(settings.data_dir / "consents.json")
    problem = consents.problem(consent_ref)
    if problem:
        raise click.ClickException(f"{problem}; wajah tidak didaftarkan")
    engine = _engine(settings)
    encodings = []  # every photo checked before anything is kept
    for photo in photos:
        try:
            enc, faces = engine.encode_single(load_rgb(photo))
        except CameraError as err:
            raise click.ClickException(str(err)) from err
        if enc is None:
            what = "tidak ada wajah" if faces == 0 else f"{faces} wajah (harus tepat satu)"
            raise click.ClickException(f"{photo}: {what}; foto tidak didaftarkan")
        encodings.append(enc)
    assert consent_ref is not None
    consents.record(employee, consent_ref)  # before the face: never a face without its consent
    for enc in encodings:
        engine.gallery.add(employee, enc, name)
    click.echo(f"{employee}: {len(encodings)} foto didaftarkan (galeri {len(engine.gallery)} "
               f"wajah; persetujuan {consent_ref.strip()})")


@main.command()
@config_option
@click.argument("photo", type=click.Path(exists=True, path_type=Path))
def identify(config_path: Path | None, photo: Path) -> None:
    """Say who is in the photo; exits non-zero when nobody is matched."""
    from .camera.base import CameraError
    from .camera.files import load_rgb
    from .face import FaceStatus

    engine = _engine(_settings(config_path))
    try:
        verdict = engine.identify(load_rgb(photo))
    except CameraError as err:
        raise click.ClickException(str(err)) from err
    if verdict.status is FaceStatus.MATCHED:
        click.echo(f"{verdict.employee_id}\tjarak {verdict.distance:.3f} "
                   f"(batas {verdict.threshold})")
        return
    text = {FaceStatus.NO_FACE: "tidak ada wajah", FaceStatus.MULTIPLE_FACES:
            f"{verdict.faces} wajah: tidak ditebak", FaceStatus.UNKNOWN: "tidak dikenali"}
    extra = f" (jarak terdekat {verdict.distance:.3f})" if verdict.distance is not None else ""
    click.echo(f"{text[verdict.status]}{extra}")
    sys.exit(1)


@main.command()
@config_option
@click.option("--kind", type=click.Choice(["in", "out"]), help="Force in or out.")
def checkin(config_path: Path | None, kind: str | None) -> None:
    """One check-in from the configured camera, decided like at the screen (quality, face,
    liveness over the frames, geofence, schedule) and committed to the outbox (JSON line out)."""
    from itertools import repeat

    from .bootstrap import make_kiosk
    from .face import GalleryError
    from .session import Session

    s = _settings(config_path)
    try:
        kiosk = make_kiosk(s)
    except GalleryError as err:
        raise click.ClickException(str(err)) from err
    try:
        session = Session(kiosk, s.liveness)
        frames = (kiosk.camera.capture() for _ in repeat(None))
        result = session.until_final(frames, session.frames_for_one_attempt(),
                                     Kind(kind) if kind else None)
    finally:
        kiosk.close()
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    if not result.recorded:
        sys.exit(1)


@main.command()
@config_option
def status(config_path: Path | None) -> None:
    """Outbox depth, oldest unacked event, last ack."""
    from .outbox import Outbox

    s = _settings(config_path)
    box = Outbox(s.data_dir / "outbox.sqlite")
    click.echo(f"antrean: {box.depth()}")
    click.echo(f"tertua belum dikonfirmasi: {box.oldest_unacked() or '-'}")
    click.echo(f"konfirmasi terakhir: {box.last_ack() or '-'}")
    click.echo(f"seq terakhir: {box.last_seq()}; ditolak cloud: {box.rejected_count()}")
    held = box.held_reasons()
    click.echo(f"ditahan cloud (belum dapat diverifikasi, dikirim ulang): {sum(held.values())}"
               + "".join(f"\n  {reason}: {n}" for reason, n in sorted(held.items())))
    if box.disk_full():
        click.echo(f"PERINGATAN: penyimpanan hampir penuh ({box.disk_free_mb()} MB tersisa)")
    box.close()
    from .runtime import RuntimeConfig

    runtime = RuntimeConfig(s)
    click.echo(f"konfigurasi: v{runtime.version} ({runtime.office.name})")
    gallery = _engine(s).gallery
    click.echo(f"galeri: v{gallery.version}, {len(gallery.employees())} orang")


def _log_to_file(path: Path) -> None:
    """Also log to a rotating file: what `send-logs` sends to the cloud."""
    from logging.handlers import RotatingFileHandler

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=2 * 2**20, backupCount=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


@main.command()
@config_option
@click.option("--headless", is_flag=True,
              help="No camera and no screen: drain the outbox and keep the device life only.")
def run(config_path: Path | None, headless: bool) -> None:
    """The kiosk service: camera loop and screen, outbox drain, telemetry, config, commands."""
    from .bootstrap import build_service

    s = _settings(config_path)
    _log_to_file(s.log_path())
    service = build_service(s, headless=headless)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service.serve(stop)


@main.command()
@config_option
@click.option("--every", type=float, default=20.0, show_default=True,
              help="Real seconds between simulated walk-ups.")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Kiosk time runs this many times faster than real time (0: only --step).")
@click.option("--step", "step_s", type=float, default=0.0, show_default=True,
              help="Kiosk time jumps this many seconds at every walk-up.")
@click.option("--start", "sim_start", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]),
              help="Kiosk time starts here (ISO with offset; default: now).")
@click.option("--until", "sim_until", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]),
              help="No more walk-ups after this kiosk time (the service goes on draining).")
@click.option("--count", type=int, help="No more walk-ups after this many check-ins.")
def simulate(config_path: Path | None, every: float, time_scale: float, step_s: float,
             sim_start: datetime | None, sim_until: datetime | None, count: int | None) -> None:
    """A simulated kiosk (demos, tests): the service without a screen, someone walking up to
    its camera every few seconds, each decided like at a real kiosk."""
    from . import simulator

    s = _settings(config_path)
    _log_to_file(s.log_path())
    simulator.run(s, every, time_scale, sim_start, sim_until, count, step_s)
