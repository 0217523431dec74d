"""Encoding and decoding of check-in payloads, with typed rejection reasons."""

from __future__ import annotations

import base64
import json
import os
import struct
import time
import uuid
from datetime import datetime, timedelta
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
from .reasons import Reason, Rejected
from .strict import check_jpeg, loads, printable


def encode(model: BaseModel | dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a model (by alias, no None fields) or a wire dict."""
    if isinstance(model, BaseModel):
        model = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def batch_payload(device_id: str, events: list[dict[str, Any]]) -> bytes:
    """One message carrying several signed events."""
    return encode({"schema": CHECKIN_BATCH_SCHEMA, "device_id": device_id, "events": events})


def batch_of_texts(device_id: str, texts: list[str]) -> bytes:
    """`batch_payload` of events kept as their JSON text (a draining kiosk sends what it
    committed without parsing and encoding every photo again)."""
    head = encode({"schema": CHECKIN_BATCH_SCHEMA, "device_id": device_id})
    return head[:-1] + b',"events":[' + ",".join(texts).encode("utf-8") + b"]}"


def split_checkin_payload(payload: bytes, topic_device: str) -> list[dict[str, Any]]:
    """The raw event dicts in a check-in message (single or batch), parsed strictly."""
    return decode_checkins(payload, topic_device)[0]


def decode_checkins(payload: bytes, topic_device: str) -> tuple[list[dict[str, Any]], bool]:
    """The raw event dicts in a check-in message, and whether it was a batch.

    Raises Rejected for the whole message: oversize, not UTF-8, not strict JSON
    (see `strict`), unknown schema, or a batch from another device than its topic.
    """
    obj = loads(payload, MAX_MESSAGE_BYTES)
    schema = obj.get("schema")
    if schema == CHECKIN_SCHEMA:
        return [obj], False
    if schema == CHECKIN_BATCH_SCHEMA:
        try:
            batch = CheckInBatch.model_validate(obj)
        except ValidationError as err:
            raise Rejected(Reason.INVALID, _short(err)) from err
        if batch.device_id != topic_device:
            raise Rejected(Reason.DEVICE_MISMATCH, f"batch of {batch.device_id} on {topic_device}")
        return list(batch.events), True
    raise Rejected(Reason.UNKNOWN_SCHEMA, f"schema {printable(str(schema))[:80]!r}")


def parse_checkin(raw: dict[str, Any], topic_device: str) -> CheckIn:
    """Validate one raw event against the model, its photo and its topic's device."""
    if not isinstance(raw, dict):
        raise Rejected(Reason.MALFORMED_JSON, "event is not a JSON object")
    event_id = _s(raw.get("event_id"))
    if raw.get("schema") != CHECKIN_SCHEMA:
        raise Rejected(Reason.UNKNOWN_SCHEMA, f"schema {printable(str(raw.get('schema')))[:80]!r}",
                       event_id)
    try:
        event = CheckIn.model_validate(raw)
    except ValidationError as err:
        raise Rejected(Reason.INVALID, _short(err), event_id) from err
    if event.device_id != topic_device:
        raise Rejected(
            Reason.DEVICE_MISMATCH, f"event of {event.device_id} on {topic_device}", event_id
        )
    if event.photo_jpeg_b64 is not None:
        try:
            check_jpeg(event.photo_jpeg_b64)
        except Rejected as rej:
            raise Rejected(rej.reason, rej.detail, str(event.event_id)) from rej
    return event


def check_time(event: CheckIn, now: datetime, max_ahead: timedelta, max_age: timedelta) -> None:
    """Rejected (FUTURE_TIME or TOO_OLD: quarantine) when `captured_at` is implausible at `now`."""
    if event.captured_at > now + max_ahead:
        raise Rejected(Reason.FUTURE_TIME, f"captured_at {event.captured_at.isoformat()} is "
                       f"{event.captured_at - now} ahead of the cloud's clock",
                       str(event.event_id))
    if event.captured_at < now - max_age:
        raise Rejected(Reason.TOO_OLD, f"captured_at {event.captured_at.isoformat()} is older "
                       f"than {max_age.days} days", str(event.event_id))


def _s(value: Any) -> str | None:
    return printable(value)[:64] if isinstance(value, str) else None


def _short(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"])
        parts.append(f"{loc}: {e['msg']}")
    return printable("; ".join(parts))[:500]


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
