"""The ingest pipeline against a real PostgreSQL: isolation, quarantine, held events, key rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.ingest import Pipeline
from hadir_cloud.keys import DeviceKeys
from hadir_protocol import topics
from hadir_protocol.codec import batch_payload, encode, uuid7
from hadir_protocol.models import CheckIn, FaceVerdict, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign

DEV = "kiosk-uji-01"
NIP = "198503122010012003"
REFUSED_NIP = "199001012015031001"


@dataclass
class Msg:
    topic: str
    payload: bytes


def event(key, *, at: datetime | None = None, nip: str = NIP) -> dict:
    ev = CheckIn(event_id=uuid7(), device_id=DEV, seq=1, employee_id=nip, kind=Kind.IN,
                 captured_at=at or datetime.now(UTC), clock_source="ntp", gps=GpsFix(fix=False),
                 method=Method.FACE, face=FaceVerdict(distance=0.3, threshold=0.5, model="m"))
    return sign(ev.to_wire(), key)


@pytest.fixture
def db(fresh_db: str):
    upgrade(fresh_db)
    key = generate_key()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        add_office(conn, "setda-uji", "Setda", "Asia/Jakarta", -3.2, 104.6, 50)
        add_device(conn, DEV, public_key_b64(key), "setda-uji")
        Pipeline.prepare(conn)
        yield conn, key


def statuses(result) -> dict[str, tuple[str, str | None]]:
    return {str(i.event_id): (i.status.value, i.reason) for i in result.acks[DEV]}


def test_a_row_the_database_refuses_fails_only_itself(db):
    """One bad member never fails the rest of a batch, even when it is the database that says no."""
    conn, key = db
    conn.execute(f"ALTER TABLE checkins ADD CONSTRAINT uji_refuse CHECK (employee_id <> '{REFUSED_NIP}')")
    good1, bad, good2 = event(key), event(key, nip=REFUSED_NIP), event(key)
    result = Pipeline(DeviceKeys()).process(conn, [
        Msg(topics.checkin(DEV), batch_payload(DEV, [good1, bad])),
        Msg(topics.checkin(DEV), encode(good2))])
    got = statuses(result)
    assert got[good1["event_id"]] == ("stored", None) and got[good2["event_id"]] == ("stored", None)
    assert got[bad["event_id"]] == ("held", "database_refused")  # the kiosk keeps it
    assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 2
    assert conn.execute("SELECT reason FROM rejected_messages WHERE event_id = %s",
                        (bad["event_id"],)).fetchone()[0] == "database_refused"


def test_implausible_times_are_quarantined_not_stored(db):
    conn, key = db
    future = event(key, at=datetime.now(UTC) + timedelta(hours=2))
    old = event(key, at=datetime.now(UTC) - timedelta(days=90))
    pipe = Pipeline(DeviceKeys(), max_ahead=timedelta(minutes=5), max_age=timedelta(days=35))
    for _ in range(2):  # sent again: still one row each
        result = pipe.process(conn, [Msg(topics.checkin(DEV), encode(future)),
                                     Msg(topics.checkin(DEV), encode(old))])
    assert statuses(result) == {future["event_id"]: ("quarantined", "future_time"),
                                old["event_id"]: ("quarantined", "too_old")}
    assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0
    rows = conn.execute("SELECT event_id::text, reason, payload->>'employee_id' FROM "
                        "checkin_quarantine ORDER BY reason").fetchall()
    assert rows == [(future["event_id"], "future_time", NIP), (old["event_id"], "too_old", NIP)]


def test_the_same_bad_bytes_are_kept_once_with_a_count(db):
    conn, _key = db
    pipe = Pipeline(DeviceKeys())
    for _ in range(5):
        pipe.process(conn, [Msg(topics.checkin(DEV), b'{"a":NaN}')])
    assert conn.execute("SELECT reason, seen_count FROM rejected_messages").fetchall() == [
        ("non_finite_number", 5)]


def test_retired_keys_verify_only_what_was_made_before_and_only_within_the_grace(db):
    conn, old_key = db
    new_key = generate_key()
    now = datetime.now(UTC)
    keys = DeviceKeys(grace=timedelta(days=7), margin=timedelta(minutes=5))
    pipe = Pipeline(keys, max_age=timedelta(days=35))
    # the cloud registered the next key; the kiosk has not switched yet: the old one still counts
    conn.execute("INSERT INTO device_keys (device_id, public_key, retired_at) VALUES (%s, %s, NULL)",
                 (DEV, public_key_b64(old_key)))
    conn.execute("UPDATE devices SET public_key = %s WHERE id = %s", (public_key_b64(new_key), DEV))
    keys.load(conn)
    pending = event(old_key)
    assert statuses(pipe.process(conn, [Msg(topics.checkin(DEV), encode(pending))])) == {
        pending["event_id"]: ("stored", None)}
    # activated an hour ago: before that, fine; after it, an old-key signature is not believed
    conn.execute("UPDATE device_keys SET retired_at = %s", (now - timedelta(hours=1),))
    keys.load(conn)
    before = event(old_key, at=now - timedelta(hours=2))
    after = event(old_key, at=now - timedelta(minutes=10))
    fresh = event(new_key)
    got = statuses(pipe.process(conn, [Msg(topics.checkin(DEV), encode(e))
                                       for e in (before, after, fresh)]))
    assert got == {before["event_id"]: ("stored", None),
                   after["event_id"]: ("held", "bad_signature"),
                   fresh["event_id"]: ("stored", None)}
    # the grace is over: even an event made before the rotation is not believed any more
    conn.execute("UPDATE device_keys SET retired_at = %s", (now - timedelta(days=8),))
    keys.load(conn)
    late = event(old_key, at=now - timedelta(days=9))
    assert statuses(pipe.process(conn, [Msg(topics.checkin(DEV), encode(late))])) == {
        late["event_id"]: ("held", "bad_signature")}


def test_a_disabled_kiosk_is_held_and_lands_when_enabled_without_a_restart(db):
    conn, key = db
    keys = DeviceKeys(reload_s=0.05)
    pipe = Pipeline(keys)
    ev = event(key)
    conn.execute("UPDATE devices SET disabled = true")
    assert statuses(pipe.process(conn, [Msg(topics.checkin(DEV), encode(ev))])) == {
        ev["event_id"]: ("held", "disabled_device")}
    conn.execute("UPDATE devices SET disabled = false")
    import time

    time.sleep(0.1)  # the timer reload notices
    assert statuses(pipe.process(conn, [Msg(topics.checkin(DEV), encode(ev))])) == {
        ev["event_id"]: ("stored", None)}


def test_refused_messages_past_their_retention_are_pruned(db):
    """Refusals go by the retention job (privacy/retention.py), no longer by the ingest."""
    from hadir_cloud.privacy import retention

    conn, _key = db
    pipe = Pipeline(DeviceKeys())
    pipe.process(conn, [Msg(topics.checkin(DEV), b'{"a":NaN}'), Msg(topics.checkin(DEV), b"[1]")])
    conn.execute("UPDATE rejected_messages SET last_seen_at = now() - interval '100 days' "
                 "WHERE reason = 'non_finite_number'")
    assert retention.run(conn, batch=1)["pesan_ditolak"] == 1
    assert [r[0] for r in conn.execute("SELECT reason FROM rejected_messages")] == ["malformed_json"]


def test_a_quarantined_checkin_is_released_once_by_a_person(db):
    from hadir_cloud.ingest.quarantine import QuarantineError, pending, release

    conn, key = db
    future = event(key, at=datetime.now(UTC) + timedelta(hours=3))
    Pipeline(DeviceKeys()).process(conn, [Msg(topics.checkin(DEV), encode(future))])
    (held,) = pending(conn)
    assert held.event_id == future["event_id"] and held.reason == "future_time"
    assert release(conn, held.event_id, "198001012005011001") is True
    assert release(conn, held.event_id, "198001012005011001") is False  # twice: nothing new
    row = conn.execute("SELECT captured_at, signature FROM checkins WHERE event_id = %s",
                       (held.event_id,)).fetchone()
    assert row[1] == future["signature"] and row[0].isoformat().startswith(future["captured_at"][:19])
    assert pending(conn) == [] and pending(conn, include_released=True)[0].released_at
    with pytest.raises(QuarantineError):
        release(conn, "01934f2a-7c00-7a3b-8f00-0000000000ff", "x")
