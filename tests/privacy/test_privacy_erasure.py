"""Erasure in the database: the template destroyed, photos purged, a removal for every kiosk,
each kiosk's confirmation from a heartbeat after the erasure, late photos swept, consent gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
from hadir_cloud.devices.gallery import deltas_for, enroll
from hadir_cloud.privacy import erasure
from hadir_cloud.privacy.domain import Consent, ConsentError, KioskState
from hadir_protocol.codec import pack_encoding
from privacy_db import BUDI, RINA, checkin, rows_holding, seed


def _enc(i: int) -> list[str]:
    return [pack_encoding(np.random.default_rng(i).normal(0, 0.1, 128)) for _ in range(2)]


@pytest.fixture
def regency(fresh_db: str):  # type: ignore[no-untyped-def]
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO devices (id, public_key, office_id, disabled) VALUES "
                     "('kiosk-lama', 'x', 'setda-oi', true)")
        for i, nip in enumerate((RINA, BUDI), 1):
            enroll(conn, nip, f"Nama {nip}", _enc(i), consent=Consent(f"FRM-{i}", "hr"),
                   photo=b"\xff\xd8\xffREF" + nip.encode())
        version = conn.execute("SELECT max(version) FROM face_templates").fetchone()[0]
        for dev in ("kiosk-oi", "kiosk-bt", "kiosk-lama"):
            conn.execute("INSERT INTO device_state (device_id, gallery_version, "
                         "last_telemetry_at) VALUES (%s, %s, now())", (dev, version))
        yield conn, version


def test_erasure_destroys_the_template_purges_photos_and_lists_every_kiosk(regency):
    conn, held = regency
    now = datetime.now(UTC)
    mine = [checkin(conn, RINA, now - timedelta(days=d), photo=b"\xff\xd8\xffRINA%d" % d)
            for d in range(3)]
    checkin(conn, BUDI, now, photo=b"\xff\xd8\xffBUDI")
    conn.execute("INSERT INTO checkin_quarantine (event_id, device_id, employee_id, captured_at, "
                 "reason, payload, photo) VALUES (gen_random_uuid(), 'kiosk-oi', %s, now(), "
                 "'future', '{}', '\\xffd8ff51')", (RINA,))
    conn.execute("INSERT INTO rejected_messages (topic, device_id, reason, raw, raw_sha256) VALUES "
                 "('t', 'kiosk-oi', 'bad_signature', %s, 'a'), ('t', 'kiosk-oi', 'invalid', "
                 "%s, 'b')", (f'{{"employee_id": "{RINA}", "photo_jpeg_b64": "/9j/"}}'.encode(),
                              f'{{"employee_id": "{BUDI}"}}'.encode()))
    conn.execute("INSERT INTO subject_exports (job_id, employee_id, requested_by, data) VALUES "
                 "(1, %s, %s, 'PK')", (RINA, RINA))
    rina_enc = conn.execute("SELECT sealed FROM face_templates WHERE employee_id = %s",
                            (RINA,)).fetchone()[0]
    assert rina_enc is not None
    # before: her template is sealed (never in the clear), her photos are there
    assert [rows_holding(conn, enc[:40]) for enc in _enc(1)] == [[], []]
    assert rows_holding(conn, bytes(rina_enc)[:24].hex()) == ["face_templates"]
    assert set(rows_holding(conn, (b"RINA").hex())) == {"checkins"}

    eid = erasure.erase(conn, RINA, "permintaan pegawai", "hr-bkpsdm", "10.1.2.3")

    face = conn.execute("SELECT encodings, sealed, data_key, key_id, name, photo, removed, "
                        "erased_at IS NOT NULL FROM face_templates WHERE employee_id = %s",
                        (RINA,)).fetchone()
    assert face == ([], None, None, None, "", None, True, True)
    for enc in _enc(1):  # no row of any table holds her template in the clear
        assert rows_holding(conn, enc[:40]) == []
    assert rows_holding(conn, bytes(rina_enc)[:24].hex()) == []  # nor its sealed form
    assert conn.execute("SELECT count(*) FROM checkins WHERE employee_id = %s AND photo IS NOT "
                        "NULL", (RINA,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM checkins WHERE employee_id = %s",
                        (RINA,)).fetchone()[0] == len(mine)  # attendance records stay
    assert conn.execute("SELECT photo FROM checkins WHERE employee_id = %s",
                        (BUDI,)).fetchone()[0] is not None
    assert rows_holding(conn, (b"RINA").hex()) == []  # no photo of hers anywhere
    assert rows_holding(conn, (b"REF" + RINA.encode()).hex()) == []
    assert [r[0] for r in conn.execute("SELECT reason FROM rejected_messages")] == ["invalid"]
    r = erasure.report(conn, eid)
    assert r is not None and r.gallery_version > held
    assert r.erased == {"templat_wajah": 1, "foto_referensi": 1, "foto_presensi": 3,
                        "foto_karantina": 1, "pesan_ditolak": 1, "ekspor": 1, "persetujuan": 1}
    assert {k.device_id: k.state for k in r.kiosks} == {
        "kiosk-oi": KioskState.WAITING, "kiosk-bt": KioskState.WAITING,
        "kiosk-lama": KioskState.DISABLED}
    assert not r.complete and r.waiting == 2
    # every kiosk that held the old version gets the removal (in scope or not)
    for dev in ("kiosk-oi", "kiosk-bt"):
        (delta,) = deltas_for(conn, dev, held)
        assert delta.removals == [RINA] and delta.upserts == []
    # the trail: who, why, what, from where
    (actor, detail, origin) = conn.execute(
        "SELECT actor, detail, origin FROM audit_log WHERE action = 'biometrik.hapus'").fetchone()
    assert (actor, origin) == ("hr-bkpsdm", "10.1.2.3")
    assert detail["foto_presensi"] == 3 and detail["kiosk"] == 3 and detail["alasan"]


def test_a_kiosk_confirms_only_with_a_heartbeat_after_the_erasure(regency):
    conn, _held = regency
    eid = erasure.erase(conn, RINA, "pensiun", "hr")
    v = erasure.report(conn, eid).gallery_version  # type: ignore[union-attr]
    # a heartbeat from before the erasure with a high version proves nothing
    conn.execute("UPDATE device_state SET gallery_version = %s, last_telemetry_at = now() - "
                 "interval '1 minute' WHERE device_id = 'kiosk-oi'", (v + 5,))
    # a heartbeat after it, still at the old version: not yet
    conn.execute("UPDATE device_state SET last_telemetry_at = now() + interval '1 second' "
                 "WHERE device_id = 'kiosk-bt'")
    assert erasure.confirm(conn) == 0
    conn.execute("UPDATE device_state SET gallery_version = %s, last_telemetry_at = now() + "
                 "interval '1 second' WHERE device_id IN ('kiosk-oi', 'kiosk-bt')", (v,))
    assert erasure.confirm(conn, "kiosk-oi") == 1
    assert erasure.report(conn, eid).waiting == 1  # type: ignore[union-attr]
    assert erasure.confirm(conn) == 1
    r = erasure.report(conn, eid)
    assert r is not None and r.complete
    assert {k.device_id: k.confirmed_version for k in r.kiosks} == {
        "kiosk-oi": v, "kiosk-bt": v, "kiosk-lama": None}


def test_late_photos_are_swept_and_re_enrolment_needs_new_consent(regency):
    conn, _held = regency
    erasure.erase(conn, RINA, "permintaan pegawai", "hr")
    erased_at = conn.execute("SELECT erased_at FROM erasures").fetchone()[0]
    # a kiosk's backlog (made before the erasure, arrived after it); her face recognised by a
    # kiosk that had not applied the removal yet; her NIP typed after the erasure (evidence)
    before = checkin(conn, RINA, erased_at - timedelta(minutes=5), photo=b"\xff\xd8\xffLATE")
    stale = checkin(conn, RINA, erased_at + timedelta(minutes=1), photo=b"\xff\xd8\xffOLD")
    typed = checkin(conn, RINA, erased_at + timedelta(minutes=5), photo=b"\xff\xd8\xffNEW",
                    method="nip")
    assert erasure.sweep(conn) == 2
    kept = dict(conn.execute("SELECT event_id::text, photo IS NOT NULL FROM checkins "
                             "WHERE employee_id = %s", (RINA,)).fetchall())
    assert kept == {before: False, stale: False, typed: True}
    assert conn.execute("SELECT swept_photos FROM erasures").fetchone()[0] == 2
    assert erasure.sweep(conn) == 0  # nothing twice
    with pytest.raises(ConsentError, match="persetujuan biometrik"):
        enroll(conn, RINA, "Rina", _enc(9))  # her consent was withdrawn with the erasure
    enroll(conn, RINA, "Rina", _enc(9), consent=Consent("FRM-BARU", "hr"))
    assert conn.execute("SELECT removed, erased_at FROM face_templates WHERE employee_id = %s",
                        (RINA,)).fetchone() == (False, None)


def test_an_erasure_needs_a_reason_and_a_person_never_enrolled_has_no_kiosk_to_wait_for(regency):
    conn, _held = regency
    with pytest.raises(erasure.ErasureError, match="alasan"):
        erasure.erase(conn, RINA, "  ", "hr")
    eid = erasure.erase(conn, "000000000000000042", "data lama", "hr")
    r = erasure.report(conn, eid)
    assert r is not None and r.gallery_version is None and r.kiosks == [] and r.complete
