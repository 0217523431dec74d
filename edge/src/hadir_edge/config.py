"""Kiosk settings: a TOML file plus `HADIR_EDGE_…` environment overrides (pydantic-settings).

Hardware backends are discriminated unions on `type` (camera: picamera2 | v4l2
| files; gps: gpsd | fixed | none), so a typo fails at start with its field path.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from hadir_protocol.models import Office, WorkSchedules
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_ENV = "HADIR_EDGE_CONFIG"


class ConfigError(ValueError):
    """The configuration is missing or invalid; the message lists fields by path."""


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrokerConfig(_Cfg):
    """Where the kiosk publishes."""

    host: str = Field("127.0.0.1", description="MQTT broker host")
    port: int = Field(1883, description="MQTT broker port")
    username: str | None = Field(None, description="MQTT username (the device id)")
    password_file: Path | None = Field(
        None, description="file with the MQTT password; a relative name is looked up in "
        "$CREDENTIALS_DIRECTORY (systemd LoadCredential)")
    tls: bool = Field(False, description="connect over TLS")
    keepalive: int = Field(30, ge=5, description="MQTT keepalive, seconds")

    def password(self) -> str | None:
        """The password from its file (or the systemd credential of that name)."""
        if self.password_file is None:
            return None
        path = self.password_file
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        if not path.is_absolute() and creds:
            path = Path(creds) / path
        try:
            return path.read_text().strip()
        except OSError as err:
            raise ConfigError(f"broker.password_file {path} cannot be read: {err}") from err


class FilesCamera(_Cfg):
    """Image files as the camera: demos, tests, simulated kiosks."""

    type: Literal["files"] = "files"
    paths: list[Path] = Field(description="image files (JPEG/PNG) or directories of them, "
                              "shown in turn")
    loop: bool = Field(True, description="start again after the last file")
    fps: float = Field(15.0, ge=0, description="frames per second at most, like a camera "
                       "(0: as fast as asked)")


class V4l2Camera(_Cfg):
    """A USB/V4L2 webcam through OpenCV."""

    type: Literal["v4l2"] = "v4l2"
    device: int | str = Field(0, description="index or /dev/videoN")
    width: int = Field(640, description="frame width")
    height: int = Field(480, description="frame height")


class Picamera2Camera(_Cfg):
    """The Raspberry Pi camera through picamera2 (only on a Pi)."""

    type: Literal["picamera2"] = "picamera2"
    width: int = Field(640, description="frame width")
    height: int = Field(480, description="frame height")


CameraConfig = Annotated[FilesCamera | V4l2Camera | Picamera2Camera, Field(discriminator="type")]


class GpsdConfig(_Cfg):
    """A real GPS receiver through gpsd."""

    type: Literal["gpsd"] = "gpsd"
    host: str = Field("127.0.0.1", description="gpsd host")
    port: int = Field(2947, description="gpsd port")


class FixedGps(_Cfg):
    """A simulated kiosk's GPS: this fix, recorded as given (for demos and tests only)."""

    type: Literal["fixed"] = "fixed"
    lat: float = Field(ge=-90, le=90, description="latitude")
    lon: float = Field(ge=-180, le=180, description="longitude")
    accuracy_m: float = Field(5.0, ge=0, description="horizontal accuracy")
    satellites: int = Field(8, ge=0, description="satellites used")


class NoGps(_Cfg):
    """No receiver: every event says 'no fix'."""

    type: Literal["none"] = "none"


GpsConfig = Annotated[GpsdConfig | FixedGps | NoGps, Field(discriminator="type")]


class FaceConfig(_Cfg):
    """Face engine settings."""

    upsample: int = Field(0, ge=0, le=2, description="HOG upsampling (0: faces ≥ 80 px)")
    threshold: float = Field(0.5, gt=0, le=1, description="largest distance that matches")
    num_jitters: int = Field(1, ge=1, le=10, description="encoding jitters")
    gallery_key: Literal["credential", "cloud"] = Field(
        "credential", description="where the gallery's AES key comes from: `credential` "
        "(gallery_key_file: a systemd credential, sealed by the TPM with "
        "LoadCredentialEncrypted= where the board has one), or `cloud`: asked for at every "
        "boot and kept in memory only, for boards without a TPM (firmware_config/README.md)")
    gallery_key_file: Path = Field(
        Path("gallery-key"), description="the gallery's AES key (64 hex chars); a relative name "
        "is the systemd credential of that name, else a file in data_dir made on first boot")
    min_face_px: int = Field(80, ge=20, description="refuse smaller faces (ask to come closer)")
    min_sharpness: float = Field(40.0, ge=0, description="refuse blurrier faces (Laplacian var.)")


class LivenessConfig(_Cfg):
    """Liveness on the live camera path."""

    mode: Literal["blink", "off"] = Field(
        "blink", description="blink: a blink over the frame window, else a random challenge; "
        "off: no liveness (simulated kiosks fed still photos only; events say 'none')")
    backend: Literal["dlib5", "dlib68"] = Field(
        "dlib5", description="landmarks; dlib68 is for non-commercial use only")
    window: int = Field(10, ge=5, le=60, description="frames looked at before deciding")
    challenge_frames: int = Field(30, ge=5, le=200, description="frames allowed for a challenge")


class NipConfig(_Cfg):
    """The NIP fallback for a face the kiosk does not recognise (always with liveness)."""

    kiosk_attempts: int = Field(5, ge=1, description="NIP attempts allowed on this kiosk "
                                "within kiosk_window_s; more are refused")
    kiosk_window_s: int = Field(60, ge=1, description="the kiosk-wide attempts' window")
    attempts: int = Field(3, ge=1, description="attempts allowed for one NIP within window_s")
    window_s: int = Field(900, ge=1, description="one NIP's attempts' window")
    max_distance: float = Field(0.7, gt=0, le=2, description="refuse a face farther than this "
                                "from the photos enrolled for the NIP typed")


class ScreenConfig(_Cfg):
    """The kiosk's local web screen (Chromium in kiosk mode shows it)."""

    host: str = Field("127.0.0.1", description="listen address (loopback only on a kiosk)")
    port: int = Field(8080, ge=1, le=65535, description="listen port")
    result_hold_s: float = Field(4.0, gt=0, description="how long a result stays on screen")


class PublisherConfig(_Cfg):
    """How the outbox drains."""

    ack_timeout_s: float = Field(20.0, gt=0, description="resend what is unacked after this")
    batch_max: int = Field(100, ge=1, le=200, description="events per message when draining")
    window: int = Field(10, ge=1, description="messages in flight awaiting acks")
    held_retry_s: float = Field(30.0, gt=0, description="an event the cloud holds (it cannot "
                                "verify it yet) is sent again after this, doubling each time")
    held_retry_max_s: float = Field(900.0, gt=0, description="longest wait between resends "
                                    "of a held event")
    reconnect_max_s: float = Field(2.0, ge=0.5, le=120, description="longest wait between "
                                   "attempts to reach the broker (the drain starts within this "
                                   "of the link returning)")


class EdgeSettings(BaseSettings):
    """All kiosk settings."""

    model_config = SettingsConfigDict(env_prefix="HADIR_EDGE_", env_nested_delimiter="__",
                                      extra="forbid")

    device_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="kiosk id")
    data_dir: Path = Field(Path("/var/lib/hadir"), description="outbox, key and gallery")
    broker: BrokerConfig = Field(default_factory=BrokerConfig, description="MQTT broker")
    camera: CameraConfig = Field(description="camera backend")
    gps: GpsConfig = Field(default_factory=NoGps, description="GPS backend")
    face: FaceConfig = Field(default_factory=FaceConfig, description="face engine")
    office: Office = Field(description="the office this kiosk stands in")
    work_schedules: WorkSchedules = Field(
        default_factory=WorkSchedules, description="work schedules until the cloud sends its "
        "own (the same shape as the config topic's); without any: in before noon, out after")
    publisher: PublisherConfig = Field(default_factory=PublisherConfig, description="drain")
    repeat_window_s: int = Field(300, ge=0, description="a second event of the same kind "
                                 "within this many seconds is 'sudah tercatat' (0: off)")
    liveness: LivenessConfig = Field(default_factory=LivenessConfig, description="liveness")
    nip: NipConfig = Field(default_factory=NipConfig, description="the NIP fallback")
    screen: ScreenConfig = Field(default_factory=ScreenConfig, description="kiosk screen")
    telemetry_interval_s: float = Field(60.0, gt=0, description="heartbeat period")
    cloud_public_key: str | None = Field(
        None, description="the cloud's Ed25519 public key (base64), pinned at provisioning: "
        "config, gallery and commands must carry its signature (`hadir-cloud cloud-key show`)")
    log_file: Path | None = Field(None, description="kiosk log for `send-logs` "
                                  "(default: data_dir/logs/kiosk.log)")

    def credential(self, name: Path) -> Path:
        """A relative name: the systemd credential if present, else a file in data_dir."""
        if name.is_absolute():
            return name
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        if creds and (Path(creds) / name).exists():
            return Path(creds) / name
        return self.data_dir / name

    def log_path(self) -> Path:
        """Where the kiosk service writes its log."""
        return self.log_file or self.data_dir / "logs" / "kiosk.log"

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment overrides the file (passed as init values)."""
        return (env_settings, init_settings)


def format_errors(err: ValidationError, source: str) -> str:
    """One line per problem: `field.path: message`."""
    lines = [f"{source}: konfigurasi tidak valid"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(root)"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def load(path: Path | None = None) -> EdgeSettings:
    """Read the TOML file (argument or $HADIR_EDGE_CONFIG) and environment overrides."""
    path = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if path is None:
        raise ConfigError(f"no configuration: pass --config or set {CONFIG_ENV}")
    try:
        data = tomllib.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    try:
        return EdgeSettings(**data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, str(path))) from err
