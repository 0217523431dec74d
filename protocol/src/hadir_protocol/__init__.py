"""Hadir wire contract v1: topics, message models, canonical bytes, signatures."""

from . import topics
from .codec import (
    Reason,
    Rejected,
    batch_payload,
    encode,
    parse_checkin,
    split_checkin_payload,
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
    Config,
    FaceVerdict,
    Geofence,
    GpsFix,
    Kind,
    Method,
    Office,
    Status,
    Telemetry,
    Thresholds,
)
from .signing import SignatureError, canonical_bytes, sign, verify

__all__ = [
    "Ack", "AckItem", "AckStatus", "CheckIn", "CheckInBatch", "ClockSource", "Config",
    "FaceVerdict", "Geofence", "GpsFix", "Kind", "Method", "Office", "Reason", "Rejected",
    "SignatureError", "Status", "Telemetry", "Thresholds", "batch_payload", "canonical_bytes",
    "encode", "is_nip", "nip_problem", "parse_checkin", "sign", "split_checkin_payload",
    "topics", "uuid7", "verify",
]
