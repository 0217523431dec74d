"""Hadir wire contract v1: topics, message models, canonical bytes, signatures."""

from . import topics
from .codec import (
    batch_payload,
    check_time,
    encode,
    pack_encoding,
    parse_checkin,
    split_checkin_payload,
    unpack_encoding,
    uuid7,
)
from .identifiers import is_nip, nip_problem
from .models import (
    Ack,
    AckItem,
    AckStatus,
    CheckIn,
    CheckInBatch,
    ClockSource,
    Command,
    CommandName,
    Config,
    Duty,
    FaceVerdict,
    GalleryDelta,
    GalleryPerson,
    Geofence,
    GpsFix,
    Kind,
    Method,
    Office,
    RamadanPeriod,
    Reply,
    ShiftHours,
    Status,
    Telemetry,
    Thresholds,
    WorkSchedule,
    WorkSchedules,
)
from .reasons import Disposition, Reason, Rejected, disposition
from .signing import SignatureError, canonical_bytes, sign, verify

__all__ = [
    "Ack", "AckItem", "AckStatus", "batch_payload", "canonical_bytes", "check_time", "CheckIn",
    "Disposition", "disposition",
    "CheckInBatch", "ClockSource", "Command", "CommandName", "Config", "Duty", "encode", "FaceVerdict",
    "GalleryDelta", "GalleryPerson", "Geofence", "GpsFix", "is_nip", "Kind", "Method",
    "nip_problem", "Office", "pack_encoding", "parse_checkin", "RamadanPeriod", "Reason", "Rejected", "Reply",
    "ShiftHours", "sign", "SignatureError", "split_checkin_payload", "Status", "Telemetry", "Thresholds",
    "topics", "unpack_encoding", "uuid7", "verify", "WorkSchedule", "WorkSchedules",
]
