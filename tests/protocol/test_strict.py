"""The strict wire codec: every refusal has its reason, and what an honest kiosk sends passes."""

from __future__ import annotations

import base64
import io
import json

import pytest
from hadir_protocol import fixtures
from hadir_protocol.codec import encode, parse_checkin, split_checkin_payload
from hadir_protocol.reasons import REASONS, Disposition, Reason, Rejected
from hadir_protocol.strict import check_jpeg, loads, printable
from PIL import Image

DEV = fixtures.FIXTURE_DEVICE_ID
LIMIT = 2 * 1024 * 1024


@pytest.mark.parametrize(("payload", "reason"), [
    (b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", Reason.TOO_DEEP),
    (b'{"a":' + b"[" * 17 + b"]" * 17 + b"}", Reason.TOO_DEEP),
    (b'{"a":' + b"9" * 5000 + b"}", Reason.NUMBER_TOO_LARGE),
    (b'{"a":' + b"9" * 21 + b"}", Reason.NUMBER_TOO_LARGE),
    (b'{"a":NaN}', Reason.NON_FINITE),
    (b'{"a":-Infinity}', Reason.NON_FINITE),
    (b'{"a":[1e999]}', Reason.NON_FINITE),
    (b'{"a":"\\ud800"}', Reason.BAD_STRING),
    (b'{"a":"x\\udfffy"}', Reason.BAD_STRING),
    (b'{"a":"x\\u0000"}', Reason.BAD_STRING),
    (b'{"a\\u0000b":1}', Reason.BAD_STRING),
    (b'\xef\xbb\xbf{}', Reason.NOT_UTF8),
    ('{"a":1}'.encode("utf-16"), Reason.NOT_UTF8),
    (b'{"a":"\xed\xa0\x80"}', Reason.NOT_UTF8),  # a surrogate encoded in UTF-8
    (b'{"a":"\xc0\xaf"}', Reason.NOT_UTF8),  # an overlong encoding
    (b'{"a":1,"a":2}', Reason.DUPLICATE_KEY),
    (b'{"b":{"a":1,"a":1}}', Reason.DUPLICATE_KEY),
    (b'{"a":"' + b"x" * 2049 + b'"}', Reason.STRING_TOO_LONG),
    (b'{"signature":"' + b"x" * 129 + b'"}', Reason.STRING_TOO_LONG),
    (b'{"' + b"k" * 65 + b'":1}', Reason.STRING_TOO_LONG),
    (b"[1]", Reason.MALFORMED_JSON),
    (b'{"a":"\x01"}', Reason.MALFORMED_JSON),  # a raw control character
    (b"{} x", Reason.MALFORMED_JSON),
    (b"{" + b" " * LIMIT + b"}", Reason.OVERSIZE),
])
def test_refusals_have_their_reason(payload: bytes, reason: Reason):
    with pytest.raises(Rejected) as exc:
        loads(payload, LIMIT)
    assert exc.value.reason is reason
    assert "\x00" not in exc.value.detail and printable(exc.value.detail) == exc.value.detail


@pytest.mark.parametrize("payload", [
    b'{"a":"\\ud83d\\ude00 \\u00e9 \\\\u0000"}',  # a surrogate pair, an escaped backslash
    b'{"a":[' + b"[" * 14 + b"]" * 14 + b"]}",  # 16 deep
    b'{"a":' + b"9" * 20 + b',"b":-1.5e308,"c":5e-324,"d":-0.0}',
    '{"nama":"Rina Kartika Sari — Dinas Pendidikan"}'.encode(),
])
def test_what_an_honest_kiosk_may_send_passes(payload: bytes):
    assert isinstance(loads(payload, LIMIT), dict)


def test_every_golden_checkin_passes_the_strict_path():
    for name in ("checkin_face", "checkin_nip_nofix"):
        ev = fixtures.load(name)
        (raw,) = split_checkin_payload(encode(ev), DEV)
        assert parse_checkin(raw, DEV).event_id


def _jpeg(w: int, h: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 20, 30)).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize(("photo", "ok"), [
    (_jpeg(320, 240), True),
    (_jpeg(2000, 100), False),  # a side over 1280 px
    ("!!!!", False),
    ("QUJD\n", False),  # not strict base64
    (base64.b64encode(b"GIF89a" + bytes(64)).decode(), False),
    (base64.b64encode(b"\xff\xd8\xff" + bytes(64) + b"\xff\xd9").decode(), False),  # markers only
    (_jpeg(320, 240)[:-12], False),  # cut short
])
def test_photos_are_real_jpegs_within_limits(photo: str, ok: bool):
    if ok:
        assert check_jpeg(photo)[:2] == b"\xff\xd8"
    else:
        with pytest.raises(Rejected) as exc:
            check_jpeg(photo)
        assert exc.value.reason is Reason.BAD_PHOTO


@pytest.mark.parametrize("captured_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                         "1970-01-01T00:00:00Z", "2026-10-05T00:28:07"])
def test_timestamps_at_the_calendar_edge_are_invalid_not_a_crash(captured_at: str):
    ev = {**fixtures.load("checkin_face"), "captured_at": captured_at}
    with pytest.raises(Rejected) as exc:
        parse_checkin(json.loads(encode(ev)), DEV)
    assert exc.value.reason is Reason.INVALID


def test_every_reason_has_a_disposition_and_bahasa_text():
    assert set(REASONS) == set(Reason)
    assert {d for d, _ in REASONS.values()} == set(Disposition)
    assert all(text for _, text in REASONS.values())


def test_a_signed_event_still_verifies_from_the_stored_jsonb(fresh_db: str):
    """Regression: a kiosk signing clock_drift_s = -0.0 left evidence that no longer verified
    once PostgreSQL's jsonb had stored it as 0."""
    import psycopg
    from hadir_protocol.models import CheckIn
    from hadir_protocol.signing import generate_key, sign, verify
    from psycopg.types.json import Jsonb

    key = generate_key()
    ev = {**fixtures.load("checkin_face"), "clock_drift_s": -0.0, "signature": None}
    wire = sign(CheckIn.model_validate({k: v for k, v in ev.items() if v is not None}).to_wire(),
                key)
    with psycopg.connect(fresh_db) as conn:
        stored = conn.execute("SELECT %s::jsonb", (Jsonb(wire),)).fetchone()[0]
    verify(stored, key.public_key())
