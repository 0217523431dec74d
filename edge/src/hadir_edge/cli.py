"""`hadir-edge`: the kiosk service and the commands IT staff use on a kiosk."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
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
    from .face import FaceEngine, GalleryError, open_gallery

    try:
        gallery = open_gallery(settings)
    except GalleryError as err:
        raise click.ClickException(str(err)) from err
    return FaceEngine(gallery, settings.face.threshold, settings.face.upsample,
                      settings.face.num_jitters)


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
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def enroll(config_path: Path | None, employee: str, name: str | None,
           photos: tuple[Path, ...]) -> None:
    """Enroll a person from photos with exactly one face each."""
    from .camera.base import CameraError
    from .camera.files import load_rgb

    if not EMPLOYEE_ID_RE.match(employee):
        raise click.ClickException(f"id pegawai tidak valid: {employee!r}")
    engine = _engine(_settings(config_path))
    added = 0
    for photo in photos:
        try:
            enc, faces = engine.encode_single(load_rgb(photo))
        except CameraError as err:
            raise click.ClickException(str(err)) from err
        if enc is None:
            what = "tidak ada wajah" if faces == 0 else f"{faces} wajah (harus tepat satu)"
            raise click.ClickException(f"{photo}: {what}; foto tidak didaftarkan")
        engine.gallery.add(employee, enc, name)
        added += 1
    click.echo(f"{employee}: {added} foto didaftarkan (galeri {len(engine.gallery)} wajah)")


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
    """One check-in from the configured camera, committed to the outbox (JSON line out)."""
    from .kiosk import Kiosk

    kiosk = Kiosk.from_settings(_settings(config_path))
    try:
        result = kiosk.check_in(Kind(kind) if kind else None)
    finally:
        kiosk.close()
    click.echo(json.dumps(result.__dict__, ensure_ascii=False))
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


def _open_gallery_or_start_empty(settings: EdgeSettings):  # type: ignore[no-untyped-def]
    """The gallery; an unreadable one is kept aside and the kiosk starts empty (cloud resends)."""
    from .face import GalleryError, open_gallery

    try:
        return open_gallery(settings)
    except GalleryError as err:
        bad = settings.data_dir / f"gallery.enc.bad-{int(__import__('time').time())}"
        (settings.data_dir / "gallery.enc").replace(bad)
        logger.error("%s; kept as %s, starting with an empty gallery", err, bad)
        return open_gallery(settings)


@main.command()
@config_option
@click.option("--headless", is_flag=True,
              help="No camera and no screen: drain the outbox and keep the device life only.")
@click.option("--simulate-every", type=float, default=0.0,
              help="No screen; check in from the camera every N seconds (simulated kiosks).")
@click.option("--time-scale", type=float, default=1.0, hidden=True,
              help="Simulation: kiosk time runs this many times faster than real time.")
@click.option("--sim-start", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), hidden=True,
              help="Simulation: kiosk time starts here (ISO with offset).")
@click.option("--sim-until", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), hidden=True,
              help="Simulation: no more simulated check-ins after this kiosk time.")
def run(config_path: Path | None, headless: bool, simulate_every: float, time_scale: float,
        sim_start: datetime | None, sim_until: datetime | None) -> None:
    """The kiosk service: camera loop and screen, outbox drain, telemetry, config, commands."""
    import time

    from .device import DeviceAgent
    from .face import FaceEngine
    from .identity import DeviceIdentity
    from .outbox import Outbox
    from .publisher import Publisher
    from .runtime import RuntimeConfig
    from .sdnotify import Notifier

    s = _settings(config_path)
    _log_to_file(s.log_path())
    identity = DeviceIdentity(s.data_dir)
    outbox = Outbox(s.data_dir / "outbox.sqlite")
    runtime = RuntimeConfig(s)
    gallery = _open_gallery_or_start_empty(s)
    pub = Publisher(s.device_id, outbox, s.broker, s.publisher)
    t0, real0 = time.monotonic(), datetime.now(UTC)
    start = sim_start.astimezone(UTC) if sim_start else real0

    def now() -> datetime:
        return start + timedelta(seconds=(time.monotonic() - t0) * time_scale)

    kiosk = loop = screen = None
    if not headless:
        from .camera.factory import make_camera
        from .gps import make_gps
        from .kiosk import Kiosk

        engine = FaceEngine(gallery, runtime.face_distance, s.face.upsample, s.face.num_jitters)
        kiosk = Kiosk(s, make_camera(s.camera), engine, make_gps(s.gps), outbox, runtime,
                      identity, now=now)
        if simulate_every <= 0:
            from .screen.app import ScreenServer, create_screen_app
            from .screen.live import LiveLoop

            loop = LiveLoop(kiosk, s.liveness, s.screen.result_hold_s, pub.connected)
            screen = ScreenServer(create_screen_app(kiosk, loop, pub.connected),
                                  s.screen.host, s.screen.port)
    gps = kiosk.gps if kiosk else None
    agent = DeviceAgent(s, pub, outbox, gallery, runtime, identity,
                        gps_fix=(lambda: gps.fix()) if gps else (lambda: None),
                        camera_state=(lambda: loop.camera_state) if loop else (lambda: None))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    notify = Notifier()
    pub.start()
    if loop and screen:
        loop.start()
        screen.start()
    notify.ready(f"antrean {outbox.depth()}")
    tick = min(notify.watchdog_interval_s() or 5.0, 5.0)
    if simulate_every > 0:
        tick = min(tick, simulate_every)
    beat_every = s.telemetry_interval_s / time_scale
    next_checkin = next_beat = 0.0
    while not stop.is_set():
        mono = time.monotonic()
        if kiosk is not None and simulate_every > 0 and mono >= next_checkin:
            if sim_until is not None and now() >= sim_until:
                logger.info("simulation over at %s; draining only", now().isoformat())
                simulate_every = float("inf")  # no more check-ins; the service goes on
            else:
                result = kiosk.check_in()
                logger.info("simulated check-in: %s %s", result.status, result.message)
            next_checkin = mono + simulate_every
        if mono >= next_beat:
            agent.heartbeat()
            next_beat = mono + beat_every
        pub.wake.set()
        if (loop is None or loop.alive()) and pub.alive():
            notify.watchdog()  # a hung camera or MQTT loop lets the watchdog lapse: restart
        else:
            logger.error("the %s is stuck; not feeding the watchdog",
                         "MQTT loop" if not pub.alive() else "camera loop")
        notify.status(f"antrean {outbox.depth()}, "
                      f"{'terhubung' if pub.connected.is_set() else 'jaringan terputus'}")
        stop.wait(max(0.0, min(tick, next_beat - time.monotonic(),
                               (next_checkin - time.monotonic()) if simulate_every > 0 else tick)))
    notify.stopping()
    if loop and screen:
        screen.stop()
        loop.stop()
    pub.stop()
    if kiosk:
        kiosk.camera.close()
    outbox.close()
