"""The kiosk's decision rules (pure): may this frame become a check-in, and which kind?

Inputs are plain data: the face verdict, image quality measures, the geofence,
the office schedule from the config topic, the person's recent events and any
approved duty elsewhere (dinas luar). The output says what the screen shows
and whether an event is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hadir_protocol.models import Kind, ScheduleDay

from .gps import haversine_m


class Refusal(StrEnum):
    """Why no event is written; the value is what the screen says."""

    NO_FACE = "wajah tidak terlihat"
    MULTIPLE_FACES = "lebih dari satu wajah"
    FACE_TOO_SMALL = "wajah terlalu kecil, silakan mendekat"
    BLURRED = "gambar buram, silakan diam sejenak"
    UNKNOWN_FACE = "wajah tidak dikenali"
    NOT_LIVE = "verifikasi wajah hidup gagal"
    OUTSIDE_GEOFENCE = "di luar area kantor"
    REPEAT = "sudah tercatat"


@dataclass(frozen=True)
class FrameQuality:
    """What the camera frame allows: face count, the face's height in pixels, sharpness."""

    faces: int
    face_px: int = 0
    sharpness: float = 0.0  # variance of the Laplacian over the face


@dataclass(frozen=True)
class QualityLimits:
    """Refuse smaller or blurrier faces than these."""

    min_face_px: int = 80
    min_sharpness: float = 40.0


@dataclass(frozen=True)
class DutyApproval:
    """An approved duty elsewhere (dinas luar): check-ins allowed near that place that day."""

    employee_id: str
    day: date
    lat: float
    lon: float
    radius_m: float


def check_quality(q: FrameQuality, limits: QualityLimits = QualityLimits()) -> Refusal | None:
    """Refuse frames with no face, several faces, a small face or a blurred one."""
    if q.faces == 0:
        return Refusal.NO_FACE
    if q.faces > 1:
        return Refusal.MULTIPLE_FACES
    if q.face_px < limits.min_face_px:
        return Refusal.FACE_TOO_SMALL
    if q.sharpness < limits.min_sharpness:
        return Refusal.BLURRED
    return None


def sharpness(grey_face: object) -> float:
    """Variance of the Laplacian of a grey face crop (OpenCV), the usual blur measure."""
    import cv2  # imported here: the rules stay importable without OpenCV

    return float(cv2.Laplacian(grey_face, cv2.CV_64F).var())


def _hhmm(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


def kind_for(local: datetime, schedule: Sequence[ScheduleDay]) -> Kind:
    """In before the midpoint of the day's schedule, out after it (noon without a schedule)."""
    day = next((d for d in schedule if d.weekday == local.weekday()), None)
    if day is None:
        return Kind.IN if local.time() < time(12, 0) else Kind.OUT
    start = datetime.combine(local.date(), _hhmm(day.start), local.tzinfo)
    end = datetime.combine(local.date(), _hhmm(day.end), local.tzinfo)
    return Kind.IN if local < start + (end - start) / 2 else Kind.OUT


def is_repeat(
    now: datetime, kind: Kind, recent: Sequence[tuple[datetime, Kind]], window_s: int
) -> bool:
    """True when the same person made the same kind of event within the window."""
    horizon = now - timedelta(seconds=window_s)
    return any(k is kind and horizon <= at <= now for at, k in recent)


def geofence_allows(
    inside_office: bool | None,
    employee_id: str,
    local_day: date,
    position: tuple[float, float] | None,
    duties: Sequence[DutyApproval] = (),
) -> bool:
    """Inside the office radius, or near an approved duty place today.

    Without a fix (`inside_office` None) the event is allowed and recorded as
    "no fix" for review: a kiosk in a blind spot must still work.
    """
    if inside_office is None or inside_office:
        return True
    if position is None:
        return False
    return any(
        d.employee_id == employee_id and d.day == local_day
        and haversine_m(position[0], position[1], d.lat, d.lon) <= d.radius_m
        for d in duties
    )


@dataclass(frozen=True)
class Decision:
    """What the kiosk does: write an event (with its kind) or show a refusal."""

    record: bool
    kind: Kind | None
    message: str
    refusal: Refusal | None = None


def decide(
    *,
    now_utc: datetime,
    tz: str,
    employee_id: str | None,
    quality: FrameQuality,
    live: bool,
    inside_office: bool | None,
    position: tuple[float, float] | None,
    schedule: Sequence[ScheduleDay] = (),
    recent: Sequence[tuple[datetime, Kind]] = (),
    repeat_window_s: int = 300,
    duties: Sequence[DutyApproval] = (),
    limits: QualityLimits = QualityLimits(),
    forced_kind: Kind | None = None,
) -> Decision:
    """All rules in order: quality, identity, liveness, geofence, repeat; then in/out."""
    refusal = check_quality(quality, limits)
    if refusal is None and employee_id is None:
        refusal = Refusal.UNKNOWN_FACE
    if refusal is None and not live:
        refusal = Refusal.NOT_LIVE
    local = now_utc.astimezone(ZoneInfo(tz))
    if refusal is None and employee_id is not None and not geofence_allows(
        inside_office, employee_id, local.date(), position, duties
    ):
        refusal = Refusal.OUTSIDE_GEOFENCE
    if refusal is not None:
        return Decision(False, None, refusal.value, refusal)
    kind = forced_kind or kind_for(local, schedule)
    if is_repeat(now_utc, kind, recent, repeat_window_s):
        return Decision(False, kind, Refusal.REPEAT.value, Refusal.REPEAT)
    label = "Masuk" if kind is Kind.IN else "Pulang"
    return Decision(True, kind, f"{label} {local:%H:%M}")
