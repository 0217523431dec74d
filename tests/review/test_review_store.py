"""The review against the real database: what counts as presence, decisions and their history,
and the recap's cache seeing a decision (migration 0840)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import pytest
from hadir_cloud.attendance import store as attendance_store
from hadir_cloud.attendance.cache import RecapCache
from hadir_cloud.db.migrate import upgrade
from hadir_cloud.devices.gallery import enroll, reference_jpeg
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.review import store
from hadir_cloud.review.domain import Decision, ReviewError, State
from hadir_cloud.tpp import store as tpp_store
from hadir_protocol.codec import pack_encoding
from PIL import Image
from review_db import DEWI, FACES, SARI, add_nip_checkin, face, seed_october

OCT8 = date(2026, 10, 8)  # Dewi: no face check-in, her DL refused: TK unless a NIP one counts
AFTER = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

#: a recorded consent to biometric enrolment (enrolment refuses without one)
CONSENT = Consent("FRM-UJI-1", "uji")


@pytest.fixture
def october(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        came = add_nip_checkin(conn, DEWI, OCT8, "07:25", "in", face_distance=0.62)
        left = add_nip_checkin(conn, DEWI, OCT8, "16:05", "out")
        yield conn, came, left


WIB = ZoneInfo("Asia/Jakarta")  # Dewi's office


def _oct8(conn: psycopg.Connection) -> list[str]:
    return sorted(p.kind for p in tpp_store.punches_of(conn, [DEWI], OCT8, OCT8).get(DEWI, [])
                  if p.at is not None and p.at.astimezone(WIB).date() == OCT8)


def _tk_days(conn: psycopg.Connection) -> list[date]:
    got = {r.nip: r for r in tpp_store.compute_month(conn, "2026-10")}
    return [d.day for d in got[DEWI].deductions if d.code == "TK"]


def test_pending_and_rejected_nip_check_ins_are_no_presence_accepted_ones_are(october):
    conn, came, left = october
    assert _oct8(conn) == []  # pending: left out
    assert _tk_days(conn) == [OCT8]
    assert store.record(conn, came, Decision.REJECTED, "bukan orangnya", "kaban") is not None
    assert store.record(conn, left, Decision.ACCEPTED, None, "kaban") is not None
    assert _oct8(conn) == ["out"]  # the rejected one stays out, the accepted one counts
    assert store.record(conn, came, Decision.ACCEPTED, "foto referensi lama; orangnya benar",
                        "bkpsdm") is not None
    assert _oct8(conn) == ["in", "out"]
    assert _tk_days(conn) == []  # present on time that day
    live = tpp_store.live_tpp(conn, "2026-10", DEWI)
    assert [d.day for d in live.deductions if d.code == "TK"] == []


def test_face_check_ins_and_nip_ones_not_flagged_for_review_count_as_before(october):
    conn, _came, _left = october
    other = date(2026, 10, 9)
    before = sorted(p.kind for p in tpp_store.punches_of(conn, [DEWI], other, other)[DEWI]
                    if p.at is not None and p.at.astimezone(WIB).date() == other)
    add_nip_checkin(conn, DEWI, other, "12:00", "out", method="face")  # a face one flagged
    add_nip_checkin(conn, DEWI, other, "12:05", "out", review_required=False)
    after = sorted(p.kind for p in tpp_store.punches_of(conn, [DEWI], other, other)[DEWI]
                   if p.at is not None and p.at.astimezone(WIB).date() == other)
    assert before == ["in", "out"] and after == ["in", "out", "out", "out"]


def test_a_double_submit_is_one_move_and_every_move_is_recorded(october):
    conn, came, _left = october
    assert store.target(conn, came).state is State.PENDING
    with pytest.raises(ReviewError):
        store.record(conn, came, Decision.REJECTED, "", "kaban")
    assert store.moves(conn, came) == []
    first = store.record(conn, came, Decision.REJECTED, "wajah lain", "kaban")
    again = store.record(conn, came, Decision.REJECTED, "wajah lain", "kaban")
    assert first is not None and again is None
    store.record(conn, came, Decision.ACCEPTED, "salah lihat", "bkpsdm")
    assert [(m[0], m[1], m[2], m[4]) for m in store.moves(conn, came)] == [
        ("pending", "rejected", "kaban", "wajah lain"),
        ("rejected", "accepted", "bkpsdm", "salah lihat")]
    assert store.target(conn, came).state is State.ACCEPTED
    assert conn.execute("SELECT count(*) FROM checkin_reviews").fetchone()[0] == 1
    with pytest.raises(LookupError):  # a face check-in is not reviewed
        face = conn.execute("SELECT event_id FROM checkins WHERE method = 'face' "
                            "LIMIT 1").fetchone()[0]
        store.record(conn, face, Decision.ACCEPTED, None, "kaban")


def test_the_queue_is_scoped_oldest_first_and_leaves_out_one_s_own(october):
    conn, came, left = october
    earlier = add_nip_checkin(conn, SARI, date(2026, 10, 6), "07:40")
    assert [r["event_id"] for r in store.pending(conn, None, None, "Asia/Jakarta")] == [earlier, came, left]
    assert [r["event_id"] for r in store.pending(conn, ["BKPSDM"], SARI, "Asia/Jakarta")] == [came, left]
    assert store.pending(conn, ["DISDIK"], None, "Asia/Jakarta") == []
    assert store.count_pending(conn, ["BKPSDM"], SARI) == 2
    store.record(conn, came, Decision.REJECTED, "bukan orangnya", "kaban")
    assert store.count_pending(conn, ["BKPSDM"], SARI) == 1
    decided = store.decided(conn, ["BKPSDM"], SARI, "Asia/Jakarta", Decision.REJECTED)
    assert [(r["event_id"], r["note"]) for r in decided] == [(came, "bukan orangnya")]
    assert store.decided(conn, ["BKPSDM"], SARI, "Asia/Jakarta", Decision.ACCEPTED) == []


def test_a_check_in_with_no_office_is_shown_in_the_regency_s_zone(october):
    conn, came, left = october
    assert store.item(conn, came, "Asia/Makassar")["tz"] == "Asia/Jakarta"  # its office's zone
    conn.execute("UPDATE checkins SET office_id = NULL WHERE event_id = %s", (came,))
    conn.execute("UPDATE devices SET office_id = NULL WHERE id = 'kiosk-1'")
    assert store.item(conn, came, "Asia/Makassar")["tz"] == "Asia/Makassar"
    zones = {r["event_id"]: r["tz"] for r in store.pending(conn, None, None, "Asia/Jayapura")}
    assert zones == {came: "Asia/Jayapura", left: "Asia/Jakarta"}  # left has its own office


def test_a_decision_bumps_the_data_versions_and_the_cached_recap_follows(october):
    """The recap cache keeps per-person verdicts while their inputs are the same: a decision
    must change them, or an accepted NIP check-in would stay TK until the process restarts."""
    conn, came, left = october
    cache = RecapCache()
    units = frozenset({"BKPSDM"})

    def dewi() -> str | None:
        rows = attendance_store.recap_day(conn, units, OCT8, AFTER, cache)
        return next(r.column for r in rows if r.employee.nip == DEWI)

    # received long ago: the cache trusts what it judged (a fresh check-in is always re-read)
    conn.execute("UPDATE checkins SET received_at = now() - interval '1 hour'")
    before = attendance_store.data_versions(conn)
    assert dewi() == "tk" and dewi() == "tk"
    assert cache.window_hits == 1  # the second read: the whole page reused
    store.record(conn, came, Decision.ACCEPTED, None, "kaban")
    store.record(conn, left, Decision.ACCEPTED, None, "kaban")
    assert attendance_store.data_versions(conn) != before
    assert "checkin_reviews:" in before
    assert dewi() == "hadir"
    store.record(conn, came, Decision.REJECTED, "ternyata bukan orangnya", "bkpsdm")
    # the check-out alone: late (TL4) instead of present
    assert dewi() == "terlambat"


def test_the_reference_photo_is_a_small_jpeg_kept_until_a_new_one(fresh_db: str):
    face("alex_lacamoire/alex2.png")  # skips where the shared faces are absent
    png = reference_jpeg(FACES / "alex_lacamoire" / "alex2.png")  # a PNG with alpha
    cut = reference_jpeg(FACES / "obama" / "obama1.jpg", (100, 300, 300, 100))
    assert png[:2] == b"\xff\xd8" and cut[:2] == b"\xff\xd8"
    # the face (200 px) and its size again around it, clipped at the edge: 500 px, made 480
    assert Image.open(io.BytesIO(cut)).size == (480, 480)
    assert Image.open(io.BytesIO(reference_jpeg(FACES / "obama" / "obama1.jpg"))).size != (480, 480)
    upgrade(fresh_db)
    enc = [pack_encoding(np.zeros(128, dtype=np.float32))]
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        enroll(conn, DEWI, "Dewi", enc, photo=png, consent=CONSENT)
        enroll(conn, DEWI, "Dewi", enc, consent=CONSENT)  # new encodings only: the reference stays
        assert store.reference_photo(conn, DEWI) == png
        enroll(conn, DEWI, "Dewi", enc, photo=cut, consent=CONSENT)
        assert store.reference_photo(conn, DEWI) == cut
        assert store.reference_photo(conn, SARI) is None
