"""The kiosk's composition root: every adapter is chosen from the settings here, and only here.

`make_kiosk` builds what one check-in needs (camera, face engine, GPS, outbox, the cloud's
config, the device key) for the CLI's commands; `build_service` builds the whole kiosk
service of `hadir-edge run` around it (publisher, device life, the live loop and its
screen), and `Service.serve` runs it until stopped. A backend that is configured but cannot
run here fails now, loudly, never later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .camera.base import Camera
from .camera.factory import make_camera
from .config import EdgeSettings
from .device import DeviceAgent
from .face import FaceEngine, Gallery, GalleryError, open_gallery
from .gps import make_gps
from .identity import DeviceIdentity
from .kiosk import Kiosk, utc_now
from .outbox import Outbox
from .publisher import Publisher
from .runtime import RuntimeConfig
from .screen.app import ScreenServer, create_screen_app
from .screen.live import LiveLoop
from .sdnotify import Notifier
from .tracking import Encoder, dlib_encoder

logger = logging.getLogger(__name__)


def open_gallery_or_start_empty(settings: EdgeSettings) -> Gallery:
    """The gallery; an unreadable one is kept aside and the kiosk starts empty (the cloud
    sends it again: the heartbeat says version 0)."""
    try:
        return open_gallery(settings)
    except GalleryError as err:
        bad = settings.data_dir / f"gallery.enc.bad-{int(time.time())}"
        (settings.data_dir / "gallery.enc").replace(bad)
        logger.error("%s; kept as %s, starting with an empty gallery", err, bad)
        return open_gallery(settings)


def make_engine(settings: EdgeSettings, gallery: Gallery, threshold: float | None = None
                ) -> FaceEngine:
    """The face engine over a gallery (dlib through face_recognition)."""
    return FaceEngine(gallery, settings.face.threshold if threshold is None else threshold,
                      settings.face.upsample, settings.face.num_jitters)


def make_kiosk(settings: EdgeSettings, *, camera: Camera | None = None,
               gallery: Gallery | None = None, outbox: Outbox | None = None,
               runtime: RuntimeConfig | None = None, identity: DeviceIdentity | None = None,
               now: Callable[[], datetime] = utc_now) -> Kiosk:
    """Camera, face engine, GPS, outbox, config and key of one kiosk, from its settings."""
    # `is None`, never `or`: an empty gallery or outbox is falsy (len 0), and a second one
    # would leave the kiosk blind to the faces the device agent applies to the first
    runtime = RuntimeConfig(settings) if runtime is None else runtime
    gallery = open_gallery(settings) if gallery is None else gallery
    return Kiosk(settings, make_camera(settings.camera) if camera is None else camera,
                 make_engine(settings, gallery, runtime.face_distance), make_gps(settings.gps),
                 Outbox(settings.data_dir / "outbox.sqlite") if outbox is None else outbox,
                 runtime, DeviceIdentity(settings.data_dir) if identity is None else identity,
                 now=now)


@dataclass
class Service:
    """The kiosk service: outbox drain and device life, and (unless headless) the kiosk."""

    settings: EdgeSettings
    outbox: Outbox
    publisher: Publisher
    agent: DeviceAgent
    kiosk: Kiosk | None = None
    loop: LiveLoop | None = None
    screen: ScreenServer | None = None

    def serve(self, stop: threading.Event, tick: Callable[[], float] | None = None,
              beat_every_s: float | None = None) -> None:
        """Run until `stop`: heartbeats, the drain's wake-ups, systemd's watchdog and status;
        `tick` (the simulator's) is called again after the seconds it returns."""
        notify = Notifier()
        self.publisher.start()
        if self.loop and self.screen:
            self.loop.start()
            self.screen.start()
        notify.ready(f"antrean {self.outbox.depth()}")
        period = min(notify.watchdog_interval_s() or 5.0, 5.0)
        beat_every = beat_every_s or self.settings.telemetry_interval_s
        next_beat = next_tick = 0.0
        while not stop.is_set():
            mono = time.monotonic()
            if tick is not None and mono >= next_tick:
                next_tick = mono + tick()
            if mono >= next_beat:
                self.agent.heartbeat()
                next_beat = mono + beat_every
            self.publisher.wake.set()
            if (self.loop is None or self.loop.alive()) and self.publisher.alive():
                notify.watchdog()  # a hung camera or MQTT loop lets the watchdog lapse: restart
            else:
                logger.error("the %s is stuck; not feeding the watchdog",
                             "MQTT loop" if not self.publisher.alive() else "camera loop")
            online = self.publisher.connected.is_set()
            notify.status(f"antrean {self.outbox.depth()}, "
                          f"{'terhubung' if online else 'jaringan terputus'}")
            wake_at = min(next_beat, next_tick) if tick is not None else next_beat
            stop.wait(max(0.0, min(period, wake_at - time.monotonic())))
        notify.stopping()
        self.close()

    def close(self) -> None:
        """Stop the screen, the loop and the publisher; release the camera and the outbox."""
        if self.screen:
            self.screen.stop()
        if self.loop:
            self.loop.stop()
        self.publisher.stop()
        if self.kiosk:
            self.kiosk.camera.close()
        self.outbox.close()


def build_service(settings: EdgeSettings, *, headless: bool = False, screen: bool = True,
                  now: Callable[[], datetime] = utc_now,
                  encoder: Encoder = dlib_encoder) -> Service:
    """Every adapter of the kiosk service from its settings. `headless`: no camera and no
    screen (drain and device life only); `screen` False: the kiosk without its screen (the
    simulator drives it)."""
    identity = DeviceIdentity(settings.data_dir)
    outbox = Outbox(settings.data_dir / "outbox.sqlite")
    runtime = RuntimeConfig(settings)
    gallery = open_gallery_or_start_empty(settings)
    publisher = Publisher(settings.device_id, outbox, settings.broker, settings.publisher)
    kiosk = loop = server = None
    if not headless:
        kiosk = make_kiosk(settings, gallery=gallery, outbox=outbox, runtime=runtime,
                           identity=identity, now=now)
        if screen:
            loop = LiveLoop(kiosk, settings.liveness, settings.screen.result_hold_s,
                            publisher.connected, encoder)
            server = ScreenServer(create_screen_app(kiosk, loop, publisher.connected),
                                  settings.screen.host, settings.screen.port)
    live = loop
    agent = DeviceAgent(settings, publisher, outbox, gallery, runtime, identity,
                        gps_fix=kiosk.fix if kiosk else (lambda: None),
                        camera_state=(lambda: live.camera_state) if live else (lambda: None))
    return Service(settings, outbox, publisher, agent, kiosk, loop, server)
