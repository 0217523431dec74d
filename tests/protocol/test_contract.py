"""The wire contract: golden fixtures, canonical bytes, signatures, rejections."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from hadir_protocol import (
    Ack,
    CheckIn,
    Config,
    Method,
    Reason,
    Rejected,
    SignatureError,
    Status,
    Telemetry,
    WorkSchedule,
    canonical_bytes,
    fixtures,
    is_nip,
    nip_problem,
    parse_checkin,
    sign,
    split_checkin_payload,
    topics,
    uuid7,
    verify,
)
from hadir_protocol.codec import encode
from hadir_protocol.signing import generate_key, load_public_key, public_key_b64

DEV = fixtures.FIXTURE_DEVICE_ID


def fixture_pub():
    key = serialization.load_pem_private_key(fixtures.fixture_key_pem(), password=None)
    return key.public_key()


def test_golden_checkins_verify_with_fixture_key():
    for name in ("checkin_face", "checkin_nip_nofix"):
        raw = fixtures.load(name)
        verify(raw, fixture_pub())
        event = parse_checkin(raw, DEV)
        assert event.device_id == DEV


def test_canonical_bytes_are_stable():
    raw = fixtures.load("checkin_face")
    golden = (fixtures_dir() / "canonical_checkin_face.txt").read_bytes()
    assert canonical_bytes(raw) == golden
    # the model round trip yields the same bytes: the kiosk signs what it sends
    event = CheckIn.model_validate(raw)
    assert canonical_bytes(event.to_wire()) == golden


def fixtures_dir():
    from importlib import resources
    return resources.files("hadir_protocol").joinpath("fixtures")


def test_unknown_field_is_ignored_but_still_signed():
    raw = fixtures.load("checkin_nip_nofix")
    assert "future_field" in raw
    event = parse_checkin(raw, DEV)
    assert event.method is Method.NIP and event.review_required
    assert event.gps.fix is False and event.gps.lat is None
    tampered = {**raw, "future_field": "changed"}
    with pytest.raises(SignatureError):
        verify(tampered, fixture_pub())


def test_tampered_value_fails_verification():
    raw = fixtures.load("checkin_face")
    with pytest.raises(SignatureError):
        verify({**raw, "employee_id": "199001012015031001"}, fixture_pub())
    with pytest.raises(SignatureError):
        verify({k: v for k, v in raw.items() if k != "signature"}, fixture_pub())


def test_sign_and_verify_with_a_new_key():
    key = generate_key()
    raw = sign({**fixtures.load("checkin_face"), "seq": 1}, key)
    verify(raw, load_public_key(public_key_b64(key)))
    with pytest.raises(SignatureError):
        verify(raw, fixture_pub())


def test_other_fixtures_parse():
    Ack.model_validate(fixtures.load("ack"))
    Status.model_validate(fixtures.load("status_offline"))
    Telemetry.model_validate(fixtures.load("telemetry"))
    cfg = Config.model_validate(fixtures.load("config"))
    assert cfg.office.radius_m == 50
    assert cfg.work_schedules.groups["199001012015031001"] == "guru"


def test_the_config_of_the_previous_release_still_parses():
    """A retained config of the weekday-only schedule (before the work schedules) is read, its
    `schedule` ignored like any unknown field: the kiosk then has no work schedules."""
    old = {**fixtures.load("config"), "schedule": [{"weekday": 0, "start": "07:30",
                                                    "end": "16:00"}]}
    del old["work_schedules"]
    cfg = Config.model_validate(old)
    assert cfg.work_schedules.schedules == [] and cfg.work_schedules.hours_for("x", date.today()) \
        is None


def test_the_hours_of_a_day_come_from_the_persons_group_and_the_ramadan_dates():
    work = Config.model_validate(fixtures.load("config")).work_schedules
    rina, budi = "198503122010012003", "199001012015031001"
    monday, friday = date(2026, 10, 5), date(2026, 10, 9)
    ramadan_friday, ramadan_monday = date(2026, 2, 20), date(2026, 2, 23)
    assert work.hours_for(rina, monday)[0] == "kantor-2026/normal"
    ref, hours = work.hours_for(rina, friday)
    assert ref == "kantor-2026/friday" and hours.end == "16:30"
    ref, hours = work.hours_for(rina, ramadan_friday)
    assert ref == "kantor-2026/ramadan_friday" and (hours.start, hours.end) == ("08:00", "15:30")
    assert work.hours_for(rina, ramadan_monday)[0] == "kantor-2026/ramadan"
    # a teacher: no Ramadan variant in the guru schedule, Saturday hours of their own
    assert work.hours_for(budi, ramadan_friday)[0] == "guru-2026/normal"
    assert work.hours_for(budi, date(2026, 10, 10))[0] == "guru-2026/saturday"
    # someone not listed takes the office's default group; before any schedule: none
    assert work.hours_for("197001011990031001", monday)[0] == "kantor-2026/normal"
    assert work.hours_for(rina, date(2025, 12, 31)) is None
    assert hours.minutes("end") == 15 * 60 + 30


@pytest.mark.parametrize("hours", [
    {"checkin_open": "06:00", "start": "16:00", "end": "07:30", "checkout_close": "23:00"},
    {"checkin_open": "06:00", "start": "7:30", "end": "16:00", "checkout_close": "23:00"},
    {"checkin_open": "06:00", "start": "07:30", "end": "24:00", "checkout_close": "23:00"},
])
def test_hours_out_of_order_or_malformed_are_refused(hours):
    with pytest.raises(ValueError):
        WorkSchedule(id="x", group="kantor", effective_from=date(2026, 1, 1),
                     hours={"normal": hours})


def test_an_unknown_variant_is_refused():
    hours = {"checkin_open": "06:00", "start": "07:30", "end": "16:00", "checkout_close": "23:00"}
    with pytest.raises(ValueError, match="tidak dikenal"):
        WorkSchedule(id="x", group="kantor", effective_from=date(2026, 1, 1),
                     hours={"normal": hours, "minggu": hours})


def test_batch_split_and_device_mismatch():
    payload = encode(fixtures.load("checkin_batch"))
    events = split_checkin_payload(payload, DEV)
    assert [e["seq"] for e in events] == [41, 42]
    with pytest.raises(Rejected) as exc:
        split_checkin_payload(payload, "kiosk-other")
    assert exc.value.reason is Reason.DEVICE_MISMATCH


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", Reason.MALFORMED_JSON),
        (b"\xff\xfe", Reason.NOT_UTF8),
        (b"[1,2]", Reason.MALFORMED_JSON),
        (b'{"schema":"hadir.checkin/9"}', Reason.UNKNOWN_SCHEMA),
        (b"{" + b" " * (3 * 1024 * 1024) + b"}", Reason.OVERSIZE),
    ],
)
def test_bad_messages_rejected_with_reason(payload, reason):
    with pytest.raises(Rejected) as exc:
        split_checkin_payload(payload, DEV)
    assert exc.value.reason is reason


@pytest.mark.parametrize(
    "patch",
    [
        {"seq": 0},
        {"kind": "sideways"},
        {"captured_at": "2026-10-05T00:28:07"},  # naive time
        {"gps": {"fix": True, "lat": 123.0, "lon": 10.0}},
        {"gps": {"fix": False, "lat": 1.0, "lon": 1.0}},
        {"employee_id": "x"},
        {"method": "face", "face": None},
    ],
)
def test_impossible_values_are_invalid(patch):
    raw = {k: v for k, v in {**fixtures.load("checkin_face"), **patch}.items() if v is not None}
    with pytest.raises(Rejected) as exc:
        parse_checkin(raw, DEV)
    assert exc.value.reason is Reason.INVALID
    assert exc.value.event_id == raw["event_id"]


def test_topics_round_trip():
    assert topics.checkin("kiosk-a1") == "hadir/v1/kiosk-a1/checkin"
    assert topics.parse("hadir/v1/kiosk-a1/ack").kind == "ack"
    assert topics.parse("hadir/v1/kiosk-a1/cmd/resync").name == "resync"
    assert topics.shared_subscription("checkin") == "$share/hadir-ingest/hadir/v1/+/checkin"
    for bad in ("hadir/v2/x1/checkin", "hadir/v1/UPPER/checkin", "hadir/v1/k1/nope"):
        with pytest.raises(ValueError):
            topics.parse(bad)


def test_uuid7_is_version_7_and_time_ordered():
    ids = [uuid7() for _ in range(50)]
    assert all(u.version == 7 for u in ids)
    assert len(set(ids)) == 50
    assert [u.int >> 80 for u in ids] == sorted(u.int >> 80 for u in ids)


def test_nip_structure():
    assert is_nip("198503122010012003")
    assert nip_problem("19850312201001200") == "NIP harus 18 angka"
    assert nip_problem("198513122010012003") is not None  # month 13
    assert nip_problem("198503122010013003") is not None  # sex digit 3


def test_fixture_json_is_what_encode_produces():
    raw = fixtures.load("checkin_face")
    assert json.loads(encode(raw)) == raw
