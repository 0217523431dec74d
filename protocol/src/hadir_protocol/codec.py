"""Encoding and decoding of check-in payloads, with typed rejection reasons."""

from __future__ import annotations

import base64
import json
import os
import struct
import time
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from .models import (
    CHECKIN_BATCH_SCHEMA,
    CHECKIN_SCHEMA,
    ENCODING_DIM,
    MAX_MESSAGE_BYTES,
    CheckIn,
    CheckInBatch,
)


class Reason(StrEnum):
    """Why the cloud rejected a message or an event (stored with its raw bytes)."""

    OVERSIZE = "oversize"
    MALFORMED_JSON = "malformed_json"
    UNKNOWN_SCHEMA = "unknown_schema"
    DEVICE_MISMATCH = "device_mismatch"
    INVALID = "invalid"
    UNKNOWN_DEVICE = "unknown_device"
    BAD_SIGNATURE = "bad_signature"


class Rejected(ValueError):
    """A message or event the cloud will not store; `reason` is a Reason code."""

    def __init__(self, reason: Reason, detail: str, event_id: str | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.event_id = event_id


def encode(model: BaseModel | dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a model (by alias, no None fields) or a wire dict."""
    if isinstance(model, BaseModel):
        model = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def batch_payload(device_id: str, events: list[dict[str, Any]]) -> bytes:
    """One message carrying several signed events."""
    return encode({"schema": CHECKIN_BATCH_SCHEMA, "device_id": device_id, "events": events})


def split_checkin_payload(payload: bytes, topic_device: str) -> list[dict[str, Any]]:
    """The raw event dicts in a check-in message (single or batch).

    Raises Rejected for the whole message: oversize, not JSON, unknown schema,
    or a batch from another device than its topic.
    """
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Rejected(Reason.OVERSIZE, f"{len(payload)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise Rejected(Reason.MALFORMED_JSON, str(err)[:200]) from err
    if not isinstance(obj, dict):
        raise Rejected(Reason.MALFORMED_JSON, "payload is not a JSON object")
    schema = obj.get("schema")
    if schema == CHECKIN_SCHEMA:
        return [obj]
    if schema == CHECKIN_BATCH_SCHEMA:
        try:
            batch = CheckInBatch.model_validate(obj)
        except ValidationError as err:
            raise Rejected(Reason.INVALID, _short(err)) from err
        if batch.device_id != topic_device:
            raise Rejected(Reason.DEVICE_MISMATCH, f"batch of {batch.device_id} on {topic_device}")
        return list(batch.events)
    raise Rejected(Reason.UNKNOWN_SCHEMA, f"schema {schema!r}")


def parse_checkin(raw: dict[str, Any], topic_device: str) -> CheckIn:
    """Validate one raw event against the model and its topic's device."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    if not isinstance(raw, dict):
        raise Rejected(Reason.MALFORMED_JSON, "event is not a JSON object")
    if raw.get("schema") != CHECKIN_SCHEMA:
        raise Rejected(Reason.UNKNOWN_SCHEMA, f"schema {raw.get('schema')!r}", _s(event_id))
    try:
        event = CheckIn.model_validate(raw)
    except ValidationError as err:
        raise Rejected(Reason.INVALID, _short(err), _s(event_id)) from err
    if event.device_id != topic_device:
        raise Rejected(
            Reason.DEVICE_MISMATCH, f"event of {event.device_id} on {topic_device}", _s(event_id)
        )
    return event


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _short(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"])
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)[:500]


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix ms time, then random bits; sorts by time."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


_ENC = struct.Struct(f"<{ENCODING_DIM}f")


def pack_encoding(values: Any) -> str:
    """A 128-D face encoding as base64 of little-endian float32 (the gallery's wire form)."""
    return base64.b64encode(_ENC.pack(*[float(v) for v in values])).decode()


def unpack_encoding(text: str) -> tuple[float, ...]:
    """The inverse of `pack_encoding`."""
    return _ENC.unpack(base64.b64decode(text))
