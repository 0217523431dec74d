"""The kiosk's decision rules over plain data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from hadir_edge.rules import (
    DutyApproval,
    FrameQuality,
    Refusal,
    check_quality,
    decide,
    geofence_allows,
    is_repeat,
    kind_for,
    sharpness,
)
from hadir_protocol.models import Kind, ScheduleDay

WIB = timezone(timedelta(hours=7))
SCHEDULE = [ScheduleDay(weekday=d, start="07:30", end="16:00") for d in range(5)]
GOOD = FrameQuality(faces=1, face_px=150, sharpness=120.0)
NIP = "198503122010012003"


def at(h: int, m: int, day: int = 5) -> datetime:
    return datetime(2026, 10, day, h, m, tzinfo=WIB).astimezone(UTC)


@pytest.mark.parametrize(
    ("quality", "refusal"),
    [
        (FrameQuality(0), Refusal.NO_FACE),
        (FrameQuality(2, 150, 120.0), Refusal.MULTIPLE_FACES),
        (FrameQuality(1, 40, 120.0), Refusal.FACE_TOO_SMALL),
        (FrameQuality(1, 150, 5.0), Refusal.BLURRED),
        (GOOD, None),
    ],
)
def test_frame_quality(quality, refusal):
    assert check_quality(quality) is refusal


def test_in_and_out_split_at_the_schedule_midpoint():
    # Monday 5 Oct 2026: 07:30–16:00, midpoint 11:45 WIB
    assert kind_for(at(11, 44).astimezone(WIB), SCHEDULE) is Kind.IN
    assert kind_for(at(11, 45).astimezone(WIB), SCHEDULE) is Kind.OUT
    # Saturday has no schedule: noon
    assert kind_for(at(11, 59, day=10).astimezone(WIB), SCHEDULE) is Kind.IN


def test_repeat_window():
    now = at(7, 28)
    recent = [(now - timedelta(seconds=120), Kind.IN)]
    assert is_repeat(now, Kind.IN, recent, 300)
    assert not is_repeat(now, Kind.OUT, recent, 300)
    assert not is_repeat(now, Kind.IN, recent, 60)


def test_geofence_and_approved_duty():
    day = date(2026, 10, 5)
    duty = DutyApproval(NIP, day, -3.0, 104.7, 200.0)
    assert geofence_allows(True, NIP, day, (-3.2, 104.6))
    assert geofence_allows(None, NIP, day, None)  # no fix: recorded as such, reviewed
    assert not geofence_allows(False, NIP, day, (-3.0, 104.7))
    assert geofence_allows(False, NIP, day, (-3.0005, 104.7), [duty])
    assert not geofence_allows(False, NIP, day + timedelta(days=1), (-3.0, 104.7), [duty])
    assert not geofence_allows(False, "199001012015031001", day, (-3.0, 104.7), [duty])


def test_decide_in_order():
    base = dict(now_utc=at(7, 28), tz="Asia/Jakarta", employee_id=NIP, quality=GOOD, live=True,
                inside_office=True, position=(-3.2, 104.6), schedule=SCHEDULE)
    ok = decide(**base)
    assert ok.record and ok.kind is Kind.IN and ok.message == "Masuk 07:28"
    assert decide(**{**base, "employee_id": None}).refusal is Refusal.UNKNOWN_FACE
    assert decide(**{**base, "live": False}).refusal is Refusal.NOT_LIVE
    assert decide(**{**base, "inside_office": False}).refusal is Refusal.OUTSIDE_GEOFENCE
    rep = decide(**base, recent=[(at(7, 26), Kind.IN)])
    assert not rep.record and rep.message == "sudah tercatat"
    out = decide(**{**base, "now_utc": at(16, 2)})
    assert out.kind is Kind.OUT and out.message == "Pulang 16:02"
    wita = decide(**{**base, "tz": "Asia/Makassar"})
    assert wita.message == "Masuk 08:28"


def test_sharpness_separates_sharp_from_blurred():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    sharp = (rng.random((120, 120)) * 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(sharp, (15, 15), 5)
    assert sharpness(sharp) > 40.0 > sharpness(blurred)
