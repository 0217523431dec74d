"""Message models of the v1 wire contract (pydantic 2).

Every payload carries a `schema` string naming its type and version. The cloud
ignores unknown fields (`extra="ignore"`), so a kiosk may add fields without a
new version; a breaking change is v2 on new topics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .identifiers import EMPLOYEE_ID_RE
from .topics import DEVICE_ID_RE

CHECKIN_SCHEMA = "hadir.checkin/1"
CHECKIN_BATCH_SCHEMA = "hadir.checkin-batch/1"
ACK_SCHEMA = "hadir.ack/1"
STATUS_SCHEMA = "hadir.status/1"
TELEMETRY_SCHEMA = "hadir.telemetry/1"
CONFIG_SCHEMA = "hadir.config/1"

#: Largest MQTT payload the ingest accepts (a batch of events with small photos).
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
#: Largest photo (base64 text) inside one event.
MAX_PHOTO_B64 = 96 * 1024
#: Most events in one batch message.
MAX_BATCH_EVENTS = 200


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (UTC)")
    return value.astimezone(UTC)


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
        """The JSON-ready dict that is signed and sent."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


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
    REJECTED = "rejected"


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
    version: str

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Office(_Msg):
    """The office a kiosk stands in."""

    id: str
    name: str
    tz: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=100_000)


class ScheduleDay(_Msg):
    """Local times (HH:MM) that split a working day into check-in and check-out."""

    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")


class Thresholds(_Msg):
    """Tunable limits of the kiosk's decision."""

    face_distance: float = Field(0.5, gt=0, le=1)
    repeat_window_s: int = Field(300, ge=0)
    min_face_px: int = Field(80, ge=20)


class Config(_Msg):
    """Retained, versioned configuration for one kiosk."""

    schema_: Literal["hadir.config/1"] = Field(CONFIG_SCHEMA, alias="schema")
    version: int = Field(ge=1)
    device_id: DeviceId
    office: Office
    schedule: list[ScheduleDay] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
