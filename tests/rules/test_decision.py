"""The kiosk's one decision over plain data: quality, identity, liveness, the NIP fallback,
the geofence, in/out from the work schedules, the repeat window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from hadir_edge.decision import (
    FINAL,
    TEXT,
    Claim,
    Context,
    DutyApproval,
    Policy,
    QualityLimits,
    Sight,
    Status,
    check_quality,
    decide,
    geofence_allows,
    is_repeat,
    kind_for,
)
from hadir_edge.liveness.core import LivenessResult
from hadir_edge.tracking import sharpness
from hadir_protocol import fixtures
from hadir_protocol.models import Config, Kind, Method, ShiftHours, WorkSchedules

WIB = timezone(timedelta(hours=7))
NIP = "198503122010012003"
OTHER = "199001012015031001"
GOOD = Sight(faces=1, face_px=150, sharpness=120.0, employee_id=NIP, distance=0.31)
LIVE = LivenessResult("blink-dlib5", 0.6, True, "berkedip")
STILL = LivenessResult("blink-dlib5", 0.0, False, "gambar diam (foto atau layar)")
WORK = Config.model_validate(fixtures.load("config")).work_schedules  # kantor-2026 and guru
DAY = ShiftHours(checkin_open="06:00", start="07:30", end="16:00", checkout_close="23:00")


def at(h: int, m: int, day: date = date(2026, 10, 5)) -> datetime:
    """Local WIB wall time on a day (Monday 5 October 2026 by default), in UTC."""
    return datetime(day.year, day.month, day.day, h, m, tzinfo=WIB).astimezone(UTC)


def ctx(now: datetime, **kw) -> Context:  # type: ignore[no-untyped-def]
    return Context(**{"now_utc": now, "tz": "Asia/Jakarta", "inside_office": True,
                      "position": (-3.2, 104.6), "work": WORK, **kw})


DEFAULT_POLICY = Policy()


def run(sight: Sight = GOOD, now: datetime | None = None, live=LIVE, policy=DEFAULT_POLICY,  # type: ignore[no-untyped-def]
        **kw):
    context = kw.pop("context", None) or ctx(now or at(7, 28), **kw.pop("ctx", {}))
    return decide(sight, liveness=live, context=context, policy=policy, **kw)


@pytest.mark.parametrize(
    ("sight", "status"),
    [
        (Sight(0), Status.NO_FACE),
        (Sight(2, 150, 120.0), Status.MULTIPLE_FACES),
        (Sight(1, 40, 120.0), Status.FACE_TOO_SMALL),
        (Sight(1, 150, 5.0), Status.BLURRED),
        (GOOD, None),
    ],
)
def test_frame_quality(sight, status):
    assert check_quality(sight, QualityLimits()) is status


def test_every_status_has_its_words_and_the_final_ones_are_named():
    assert set(Status) <= set(TEXT)
    assert Status.RECORDED in FINAL and Status.CHECKING not in FINAL
    assert Status.FACE_TOO_SMALL not in FINAL  # the person may come closer


def test_the_rules_in_order_for_a_recognised_face():
    ok = run()
    assert ok.record and ok.kind is Kind.IN and ok.message == "Masuk 07:28, tercatat"
    assert ok.schedule_ref == "kantor-2026/normal" and ok.late_minutes is None
    assert run(Sight(1, 50, 120.0, NIP, 0.3)).status is Status.FACE_TOO_SMALL
    assert run(Sight(1, 150, 120.0, None, 0.62)).status is Status.UNKNOWN
    assert run(live=None).status is Status.CHECKING  # still watching for a blink
    assert run(live=STILL).status is Status.NOT_LIVE
    assert run(ctx={"inside_office": False}).status is Status.OUTSIDE_GEOFENCE
    assert run(decided=True).status is Status.DONE  # one decision per person
    rep = run(ctx={"events": [(at(7, 26), Kind.IN)]})
    assert rep.status is Status.REPEAT and rep.message == "sudah tercatat" and not rep.record
    assert run(ctx={"tz": "Asia/Makassar"}).message.startswith("Masuk 08:28, tercatat")
    # liveness off (a simulated kiosk fed stills): the face path does not wait for a blink
    assert run(live=None, policy=Policy(liveness=False)).record


def test_a_late_arrival_after_the_midpoint_is_still_in_until_the_person_checked_in():
    """Regression: someone arriving after the midpoint of the day was recorded as 'Pulang'."""
    late = run(now=at(10, 0))  # kantor: 07:30–16:00, midpoint 11:45
    assert late.kind is Kind.IN and late.late_minutes == 150
    assert late.message == "Masuk 10:00, tercatat (terlambat 150 menit)"
    after_midpoint = run(now=at(13, 0))
    assert after_midpoint.kind is Kind.IN and after_midpoint.late_minutes == 330
    came = {"checked_in_today": True}
    leaving = run(now=at(13, 0), ctx=came)
    assert leaving.kind is Kind.OUT and leaving.early_minutes == 180
    assert leaving.message == "Pulang 13:00, tercatat (180 menit lebih awal)"
    assert run(now=at(16, 5), ctx=came).message == "Pulang 16:05, tercatat"
    # no check-in all day and leaving after the end of the day: out
    assert run(now=at(16, 30)).kind is Kind.OUT


def test_friday_and_ramadan_hours_come_from_the_work_schedule():
    came = {"checked_in_today": True}
    friday = run(now=at(15, 30, date(2026, 10, 9)), ctx=came)
    assert friday.schedule_ref == "kantor-2026/friday" and friday.early_minutes == 60
    ramadan_friday = date(2026, 2, 20)
    out = run(now=at(15, 30, ramadan_friday), ctx=came)
    assert out.kind is Kind.OUT and out.early_minutes is None
    assert out.schedule_ref == "kantor-2026/ramadan_friday"
    assert out.message == "Pulang 15:30, tercatat"
    first = run(now=at(8, 0, ramadan_friday))  # Ramadan starts at 08:00: on time
    assert first.kind is Kind.IN and first.late_minutes is None
    # a teacher (guru group) on a Saturday: 07:00–12:00, midpoint 09:30
    teacher = Sight(1, 150, 120.0, OTHER, 0.3)
    sat = date(2026, 10, 10)
    assert run(teacher, now=at(9, 45, sat), ctx=came).kind is Kind.OUT


def test_kind_without_any_schedule_splits_at_noon():
    noon = datetime(2026, 10, 5, 12, 0, tzinfo=WIB)
    assert kind_for(noon - timedelta(minutes=1), None, False) is Kind.IN
    assert kind_for(noon, None, False) is Kind.OUT
    assert kind_for(datetime(2026, 10, 5, 11, 44, tzinfo=WIB), DAY, True) is Kind.IN
    assert kind_for(datetime(2026, 10, 5, 11, 45, tzinfo=WIB), DAY, True) is Kind.OUT
    empty = ctx(at(13, 0), work=WorkSchedules())
    assert decide(GOOD, liveness=LIVE, context=empty, policy=Policy()).kind is Kind.OUT


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
    assert not geofence_allows(False, OTHER, day, (-3.0, 104.7), [duty])


STRANGER = Sight(1, 150, 120.0, None, 0.55)  # nobody within the threshold


def claim(**kw) -> Claim:  # type: ignore[no-untyped-def]
    return Claim(**{"nip": NIP, "enrolled": True, "distance": 0.55,
                    "nearest_other": (OTHER, 0.71), **kw})


def test_the_nip_fallback_needs_a_live_face_close_to_the_person_claimed():
    ok = run(STRANGER, claim=claim())
    assert ok.record and ok.method is Method.NIP and ok.employee_id == NIP
    assert ok.distance == 0.55  # to the person claimed, not to whoever is nearest
    assert ok.message == ("Masuk 07:28, tercatat (NIP + foto: menunggu diperiksa atasan, "
                          "belum dihitung hadir)")
    # a photo held up to the keypad cannot blink; and liveness is never skipped for a NIP
    assert run(STRANGER, claim=claim(), live=STILL).status is Status.NOT_LIVE
    assert run(STRANGER, claim=claim(), live=None,
               policy=Policy(liveness=False)).status is Status.CHECKING
    # closer to someone else enrolled than to the NIP typed
    assert run(STRANGER, claim=claim(nearest_other=(OTHER, 0.48))).status \
        is Status.NIP_OTHER_PERSON
    # far from the photos of the NIP typed
    assert run(STRANGER, claim=claim(distance=0.83, nearest_other=(OTHER, 0.9))).status \
        is Status.NIP_MISMATCH
    # a NIP with no enrolled face: allowed for review unless the face is someone else's
    new = claim(enrolled=False, distance=None, nearest_other=(OTHER, 0.66))
    assert run(STRANGER, claim=new).record
    assert run(STRANGER, claim=claim(enrolled=False, distance=None,
                                     nearest_other=(OTHER, 0.4))).status \
        is Status.NIP_OTHER_PERSON
    bad = run(STRANGER, claim=claim(nip="12345", enrolled=False, distance=None))
    assert bad.status is Status.INVALID_NIP and bad.message == "NIP tidak valid: NIP harus 18 angka"
    two = run(Sight(2, 150, 120.0), claim=claim())
    assert two.status is Status.MULTIPLE_FACES and "foto bukti perlu satu wajah" in two.message


def test_nip_attempts_are_limited_per_kiosk_and_per_nip():
    assert run(STRANGER, claim=claim(kiosk_attempts=4)).record
    assert run(STRANGER, claim=claim(kiosk_attempts=5)).status is Status.NIP_RATE_LIMITED
    assert run(STRANGER, claim=claim(nip_attempts=2)).record
    assert run(STRANGER, claim=claim(nip_attempts=3)).status is Status.NIP_RATE_LIMITED


def test_sharpness_separates_sharp_from_blurred():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    sharp = (rng.random((120, 120)) * 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(sharp, (15, 15), 5)
    assert sharpness(sharp) > 40.0 > sharpness(blurred)
