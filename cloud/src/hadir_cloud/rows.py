"""From a validated check-in event to a row of the `checkins` table."""

from __future__ import annotations

import base64
import json
from typing import Any

from hadir_protocol.models import CheckIn

COLUMNS = (
    "event_id", "device_id", "seq", "employee_id", "kind", "captured_at", "clock_source",
    "clock_drift_s", "gps_fix", "lat", "lon", "accuracy_m", "hdop", "satellites", "fix_mode",
    "gps_time", "fix_age_s", "office_id", "distance_m", "radius_m", "geofence_inside",
    "face_distance", "face_threshold", "face_model", "liveness_method", "liveness_score",
    "liveness_passed", "method", "review_required", "photo", "signature", "payload",
)


def photo_bytes(event: CheckIn) -> bytes | None:
    """The photo's JPEG bytes (the codec has already checked it is strict base64 of a JPEG)."""
    return base64.b64decode(event.photo_jpeg_b64, validate=True) if event.photo_jpeg_b64 else None


def checkin_row(event: CheckIn, raw: dict[str, Any]) -> tuple[Any, ...]:
    """The row for `event`; `payload` keeps the raw event (minus its photo) as received."""
    g, f, fence = event.gps, event.face, event.geofence
    photo = photo_bytes(event)
    payload = {k: v for k, v in raw.items() if k != "photo_jpeg_b64"}
    return (
        event.event_id, event.device_id, event.seq, event.employee_id, event.kind.value,
        event.captured_at, event.clock_source.value, event.clock_drift_s,
        g.fix, g.lat, g.lon, g.accuracy_m, g.hdop, g.satellites, g.mode, g.gps_time, g.age_s,
        fence.office_id if fence else None, fence.distance_m if fence else None,
        fence.radius_m if fence else None, fence.inside if fence else None,
        f.distance if f else None, f.threshold if f else None, f.model if f else None,
        f.liveness_method if f else None, f.liveness_score if f else None,
        f.liveness_passed if f else None,
        event.method.value, event.review_required, photo, event.signature,
        json.dumps(payload, ensure_ascii=False),
    )
