"""Message models of the v1 wire contract (pydantic 2).

Every payload carries a `schema` string naming its type and version. The cloud
ignores unknown fields (`extra="ignore"`), so a kiosk may add fields without a
new version; a breaking change is v2 on new topics.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .identifiers import EMPLOYEE_ID_RE
from .schedules import VARIANTS, variant_order
from .topics import DEVICE_ID_RE

CHECKIN_SCHEMA = "hadir.checkin/1"
CHECKIN_BATCH_SCHEMA = "hadir.checkin-batch/1"
ACK_SCHEMA = "hadir.ack/1"
STATUS_SCHEMA = "hadir.status/1"
TELEMETRY_SCHEMA = "hadir.telemetry/1"
CONFIG_SCHEMA = "hadir.config/1"
GALLERY_SCHEMA = "hadir.gallery/1"
COMMAND_SCHEMA = "hadir.cmd/1"
REPLY_SCHEMA = "hadir.reply/1"

#: Largest MQTT payload the ingest accepts (a batch of events with small photos).
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
#: Largest photo (base64 text) inside one event.
MAX_PHOTO_B64 = 96 * 1024
#: Most events in one batch message.
MAX_BATCH_EVENTS = 200


#: Years a wire timestamp may fall in; the calendar's edges (year 1, 9999 with an offset)
#: overflow on conversion and are never a real check-in.
YEARS = (2000, 2200)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (UTC)")
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"timestamp outside the years {YEARS[0]}–{YEARS[1]}")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as err:
        raise ValueError(f"timestamp cannot be converted to UTC: {err}") from err


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
DeviceId = Annotated[str, Field(pattern=DEVICE_ID_RE.pattern, description="kiosk id")]
EmployeeId = Annotated[
    str, Field(pattern=EMPLOYEE_ID_RE.pattern, description="NIP (18 digits) or other staff id")
]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Kind(StrEnum):
    """Check-in direction."""

    IN = "in"
    OUT = "out"


class ClockSource(StrEnum):
    """Where the kiosk's time came from when the event was made."""

    NTP = "ntp"
    GPS = "gps"
    LOCAL = "local"  # only the kiosk's own clock: an auditor should look twice


class Method(StrEnum):
    """How the person was identified."""

    FACE = "face"
    NIP = "nip"  # typed NIP + photo, flagged for review


class GpsFix(_Msg):
    """A GPS fix as gpsd reported it, or an explicit 'no fix'."""

    fix: bool = Field(description="False means no fix: every other field is None")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="horizontal error")
    hdop: float | None = Field(None, ge=0, le=100)
    satellites: int | None = Field(None, ge=0, le=200)
    mode: int | None = Field(None, ge=0, le=3, description="gpsd fix mode: 2 = 2D, 3 = 3D")
    gps_time: UtcDatetime | None = None
    age_s: float | None = Field(None, ge=0, description="age of the fix when the event was made")

    @model_validator(mode="after")
    def _consistent(self) -> GpsFix:
        if self.fix and (self.lat is None or self.lon is None):
            raise ValueError("a fix needs lat and lon")
        if not self.fix and (self.lat is not None or self.lon is not None):
            raise ValueError("'no fix' must not carry a position")
        return self


class Geofence(_Msg):
    """Distance to the kiosk's office and the verdict (None when there is no fix)."""

    office_id: str
    radius_m: float = Field(gt=0, le=100_000)
    distance_m: float | None = Field(None, ge=0)
    inside: bool | None = None


class FaceVerdict(_Msg):
    """Why the face matched: distance against the threshold, model and liveness."""

    distance: float | None = Field(None, ge=0, le=10)
    threshold: float = Field(gt=0, le=10)
    model: str
    liveness_method: str = "none"
    liveness_score: float | None = None
    liveness_passed: bool | None = None


class CheckIn(_Msg):
    """One signed check-in event, made on the kiosk."""

    schema_: Literal["hadir.checkin/1"] = Field(CHECKIN_SCHEMA, alias="schema")
    event_id: UUID = Field(description="UUIDv7 made on the kiosk; the idempotency key")
    device_id: DeviceId
    seq: int = Field(ge=1, le=2**62, description="per-device sequence, shows gaps")
    employee_id: EmployeeId
    kind: Kind
    captured_at: UtcDatetime
    clock_source: ClockSource
    clock_drift_s: float | None = Field(None, description="GPS minus system clock, if known")
    gps: GpsFix
    geofence: Geofence | None = None
    face: FaceVerdict | None = None
    method: Method
    review_required: bool = False
    photo_jpeg_b64: str | None = Field(None, max_length=MAX_PHOTO_B64)
    signature: str | None = Field(None, description="Ed25519 over canonical bytes, base64")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> CheckIn:
        if self.method is Method.FACE and self.face is None:
            raise ValueError("a face check-in needs its face verdict")
        if self.method is Method.NIP and not self.review_required:
            raise ValueError("a NIP check-in must be flagged for review")
        return self

    def to_wire(self) -> dict:
        """The JSON-ready dict that is signed and sent (no -0.0: see `_plain_zero`)."""
        return _plain_zero(self.model_dump(mode="json", by_alias=True, exclude_none=True))


def _plain_zero(value: Any) -> Any:
    """-0.0 becomes 0.0. The cloud keeps the event as jsonb, which stores -0.0 as 0; a signed
    -0.0 (a rounded clock drift, say) would then no longer verify from the stored evidence."""
    if isinstance(value, float):
        return 0.0 if value == 0 else value
    if isinstance(value, dict):
        return {k: _plain_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_zero(v) for v in value]
    return value


class CheckInBatch(_Msg):
    """Several events in one message, sent while draining a backlog."""

    schema_: Literal["hadir.checkin-batch/1"] = Field(CHECKIN_BATCH_SCHEMA, alias="schema")
    device_id: DeviceId
    events: list[dict] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class AckStatus(StrEnum):
    """What the cloud did with one event."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # never storable: the kiosk keeps it in its own `rejected` table
    HELD = "held"  # not verifiable now (unknown or re-keyed kiosk): keep it, resend later
    QUARANTINED = "quarantined"  # kept by the cloud for review (implausible time)


class AckItem(_Msg):
    """The cloud's answer for one event_id."""

    event_id: UUID
    status: AckStatus
    reason: str | None = None


class Ack(_Msg):
    """Application ack: sent only after the database commit."""

    schema_: Literal["hadir.ack/1"] = Field(ACK_SCHEMA, alias="schema")
    results: list[AckItem]

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Status(_Msg):
    """Retained online/offline state; 'offline' is the last will."""

    schema_: Literal["hadir.status/1"] = Field(STATUS_SCHEMA, alias="schema")
    device_id: DeviceId
    state: Literal["online", "offline"]
    at: UtcDatetime | None = None
    version: str | None = None

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Telemetry(_Msg):
    """Heartbeat of a kiosk."""

    schema_: Literal["hadir.telemetry/1"] = Field(TELEMETRY_SCHEMA, alias="schema")
    device_id: DeviceId
    sent_at: UtcDatetime
    outbox_depth: int = Field(ge=0)
    oldest_unacked_at: UtcDatetime | None = None
    last_ack_at: UtcDatetime | None = None
    gps_mode: int | None = None
    gps_satellites: int | None = None
    camera_ok: bool | None = None
    disk_free_mb: float | None = None
    temperature_c: float | None = None
    clock_source: ClockSource | None = None
    gps_fix: bool | None = None
    camera_state: str | None = Field(None, description="ok, or the camera's last error")
    config_version: int | None = Field(None, ge=0, description="config applied (0: none)")
    gallery_version: int | None = Field(None, ge=0, description="gallery applied (0: empty)")
    gallery_size: int | None = Field(None, ge=0)
    rejected_count: int | None = Field(None, ge=0, description="events the cloud refused")
    held_count: int | None = Field(None, ge=0, description="events the cloud could not verify "
                                   "yet, kept on the kiosk and retried")
    ack_errors: int | None = Field(None, ge=0, description="acks the kiosk failed to apply")
    disk_full: bool | None = Field(None, description="the outbox's disk is (nearly) full")
    rss_mb: float | None = Field(None, ge=0, description="the kiosk service's memory")
    uptime_s: float | None = Field(None, ge=0)
    version: str
    gallery_key_request: str | None = Field(
        None, max_length=64, description="a kiosk that keeps its gallery key in memory only "
        "asks for it: its one-time X25519 public key (base64); the cloud answers with the "
        "`gallery-key` command (hadir_protocol.gallery_key)")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Office(_Msg):
    """The office a kiosk stands in."""

    id: str
    name: str
    tz: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=100_000)


HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="local HH:MM")]


class ShiftHours(_Msg):
    """One variant's hours: earliest counted check-in, start, end, latest counted check-out."""

    checkin_open: HHMM
    start: HHMM
    end: HHMM
    checkout_close: HHMM

    @model_validator(mode="after")
    def _order(self) -> ShiftHours:
        if not (self.checkin_open <= self.start < self.end <= self.checkout_close):
            raise ValueError("jam harus urut: checkin_open ≤ start < end ≤ checkout_close")
        return self

    def minutes(self, which: str) -> int:
        """Minutes after local midnight of `start`, `end`, `checkin_open` or `checkout_close`."""
        h, m = getattr(self, which).split(":")
        return int(h) * 60 + int(m)


class WorkSchedule(_Msg):
    """A schedule group's hours from a date (the TPP engine's `work_schedules` row)."""

    id: str = Field(min_length=1, max_length=64)
    group: str = Field(min_length=1, max_length=64)
    effective_from: date
    effective_to: date | None = None
    hours: dict[str, ShiftHours] = Field(description="variant → hours; `normal` is required")

    @model_validator(mode="after")
    def _variants(self) -> WorkSchedule:
        unknown = set(self.hours) - set(VARIANTS)
        if unknown:
            raise ValueError(f"varian jadwal tidak dikenal: {sorted(unknown)}")
        if "normal" not in self.hours:
            raise ValueError(f"jadwal {self.id} tidak punya jam 'normal'")
        return self

    def in_force(self, day: date) -> bool:
        """Whether the schedule applies on this day."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class RamadanPeriod(_Msg):
    """The dates of a Ramadan (inclusive), from the regency's calendar."""

    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> RamadanPeriod:
        if self.end < self.start:
            raise ValueError("akhir Ramadan sebelum awalnya")
        return self


class WorkSchedules(_Msg):
    """The work schedules a kiosk decides in/out from: the TPP schedules of its office's people,
    each person's schedule group, and the Ramadan dates ahead."""

    schedules: list[WorkSchedule] = Field(default_factory=list)
    groups: dict[EmployeeId, str] = Field(default_factory=dict,
                                          description="employee → schedule group")
    default_group: str | None = Field(None, description="the group of anyone not in `groups`")
    ramadan: list[RamadanPeriod] = Field(default_factory=list)

    def is_ramadan(self, day: date) -> bool:
        """Whether the day falls in a Ramadan period."""
        return any(p.start <= day <= p.end for p in self.ramadan)

    def hours_for(self, employee_id: str | None, day: date) -> tuple[str, ShiftHours] | None:
        """The person's hours on a local day and their reference 'schedule id/variant', or None
        when no schedule applies (the latest `effective_from` in force wins, as in TPP)."""
        group = self.groups.get(employee_id or "", self.default_group)
        found = [s for s in self.schedules if s.group == group and s.in_force(day)]
        if not found:
            return None
        s = max(found, key=lambda x: x.effective_from)
        variant = next(v for v in variant_order(day.weekday(), self.is_ramadan(day))
                       if v in s.hours)
        return f"{s.id}/{variant}", s.hours[variant]


class Thresholds(_Msg):
    """Tunable limits of the kiosk's decision."""

    face_distance: float = Field(0.5, gt=0, le=1)
    repeat_window_s: int = Field(300, ge=0)
    min_face_px: int = Field(80, ge=20)


class Duty(_Msg):
    """An approved duty elsewhere (dinas luar): check-ins near this place allowed on this day."""

    employee_id: EmployeeId
    day: date
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=100_000)


class Config(_Msg):
    """Retained, versioned configuration for one kiosk."""

    schema_: Literal["hadir.config/1"] = Field(CONFIG_SCHEMA, alias="schema")
    version: int = Field(ge=1)
    device_id: DeviceId
    office: Office
    work_schedules: WorkSchedules = Field(
        default_factory=WorkSchedules,
        description="the TPP work schedules of the office's people (in/out is decided from them)")
    thresholds: Thresholds = Field(default_factory=Thresholds)
    duties: list[Duty] = Field(default_factory=list, description="approved duties elsewhere")
    signature: str | None = Field(None, description="Ed25519 by the cloud key the kiosk pinned "
                                  "at provisioning, over canonical bytes")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


#: Size of one face encoding (dlib's 128-D float32, base64 of 512 bytes).
ENCODING_DIM = 128


class GalleryPerson(_Msg):
    """One enrolled person in a gallery delta: id, display name and face encodings."""

    employee_id: EmployeeId
    name: str = Field(min_length=1, max_length=120)
    encodings_b64: list[str] = Field(
        min_length=1, max_length=20,
        description="each a base64 little-endian float32 vector of 128 values")

    @model_validator(mode="after")
    def _sizes(self) -> GalleryPerson:
        import base64
        import binascii

        for enc in self.encodings_b64:
            try:
                raw = base64.b64decode(enc, validate=True)
            except binascii.Error as err:
                raise ValueError(f"encoding is not base64: {err}") from err
            if len(raw) != ENCODING_DIM * 4:
                raise ValueError(f"an encoding must be {ENCODING_DIM} float32 values")
        return self


class GalleryDelta(_Msg):
    """Cloud → kiosk face gallery change, from `base_version` to `version`.

    `base_version` 0 is a full snapshot that replaces the kiosk's gallery. A
    kiosk applies a delta only on top of the version it holds; otherwise it
    ignores it and its telemetry shows the version it has, so the cloud sends
    what it lacks (or a snapshot).
    """

    schema_: Literal["hadir.gallery/1"] = Field(GALLERY_SCHEMA, alias="schema")
    device_id: DeviceId
    base_version: int = Field(ge=0)
    version: int = Field(ge=1)
    upserts: list[GalleryPerson] = Field(default_factory=list)
    removals: list[EmployeeId] = Field(default_factory=list)
    signature: str | None = Field(None, description="Ed25519 by the cloud key the kiosk pinned "
                                  "at provisioning, over canonical bytes")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> GalleryDelta:
        if self.version <= self.base_version:
            raise ValueError("version must be greater than base_version")
        return self


class CommandName(StrEnum):
    """What the cloud may ask a kiosk to do."""

    RESYNC_GALLERY = "resync-gallery"
    SEND_LOGS = "send-logs"
    ROTATE_CREDENTIALS = "rotate-credentials"
    GALLERY_KEY = "gallery-key"


class Command(_Msg):
    """Cloud → kiosk request on `cmd/{name}`; the reply carries the same correlation id."""

    schema_: Literal["hadir.cmd/1"] = Field(COMMAND_SCHEMA, alias="schema")
    correlation_id: str = Field(min_length=1, max_length=64)
    issued_at: UtcDatetime
    args: dict[str, str | int | float | bool] = Field(default_factory=dict)
    signature: str | None = Field(None, description="Ed25519 by the cloud key the kiosk pinned "
                                  "at provisioning, over canonical bytes")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Reply(_Msg):
    """Kiosk → cloud answer on `reply/{name}`."""

    schema_: Literal["hadir.reply/1"] = Field(REPLY_SCHEMA, alias="schema")
    correlation_id: str = Field(min_length=1, max_length=64)
    device_id: DeviceId
    ok: bool
    error: str | None = None
    result: dict = Field(default_factory=dict)
    signature: str | None = Field(None, description="Ed25519 by the device key, over canonical bytes")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
