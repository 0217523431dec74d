"""Retention removes exactly what is past its regency's time, on plain PostgreSQL (for real) and on
TimescaleDB (where the extension is installed: chunk drops first, then the rest row by row)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from hadir_cloud.privacy import audit, retention
from hadir_cloud.privacy.domain import AuditAction
from hadir_cloud.privacy.store import RetentionError, set_retention
from privacy_db import BUDI, RINA, checkin, seed

HOUR = timedelta(hours=1)


@pytest.fixture(params=["postgresql", pytest.param("timescaledb", marks=pytest.mark.timescale)])
def engine_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """A seeded database on each engine."""
    url = request.getfixturevalue("fresh_db" if request.param == "postgresql" else "timescale_db")
    seed(url)
    yield url


def _now(conn: psycopg.Connection):  # type: ignore[no-untyped-def]
    return conn.execute("SELECT now()").fetchone()[0]


def _backdated_audit(conn: psycopg.Connection, subject: str, at) -> int:  # type: ignore[no-untyped-def]
    """An audit entry written `at` (the stamp trigger is bypassed as a restore would be)."""
    conn.execute("SET session_replication_role = replica")
    try:
        row = conn.execute("INSERT INTO audit_log (at, actor, action, subject, regency) VALUES "
                           "(%s, 'uji', 'foto.lihat', %s, (SELECT u.regency FROM employees e "
                           "JOIN units u ON u.id = e.unit_id WHERE e.nip = %s)) RETURNING id",
                           (at, subject, subject)).fetchone()
    finally:
        conn.execute("SET session_replication_role = DEFAULT")
    return int(row[0])


def test_retention_removes_exactly_what_is_past_its_regency_s_time(engine_db: str):
    with psycopg.connect(engine_db, autocommit=True) as conn:
        # Buton Tengah keeps selfies 30 days, telemetry 7, refusals 14, the audit trail 400;
        # Ogan Ilir keeps the defaults (90, 90, 90, 1825)
        for kind, days in (("foto_presensi", 30), ("telemetri", 7), ("pesan_ditolak", 14),
                           ("log_audit", 400)):
            set_retention(conn, "buton-tengah", kind, days, "admin-bkpsdm")
        now = _now(conn)
        d = timedelta(days=1)
        photos = {
            "rina_past": checkin(conn, RINA, now - 90 * d - HOUR),
            "rina_kept": checkin(conn, RINA, now - 90 * d + HOUR),
            "budi_past": checkin(conn, BUDI, now - 30 * d - HOUR, "kiosk-bt"),
            "budi_kept": checkin(conn, BUDI, now - 30 * d + HOUR, "kiosk-bt"),
            "budi_old": checkin(conn, BUDI, now - 200 * d, "kiosk-bt"),
            "stranger_past": checkin(conn, "000000000000000009", now - 91 * d),
            "stranger_kept": checkin(conn, "000000000000000009", now - 89 * d),
        }
        for nip, age in ((RINA, 90 * d + HOUR), (RINA, 90 * d - HOUR), (BUDI, 30 * d + HOUR),
                         (BUDI, 30 * d - HOUR)):
            conn.execute("INSERT INTO checkin_quarantine (event_id, device_id, employee_id, "
                         "captured_at, reason, payload, photo, received_at) VALUES "
                         "(gen_random_uuid(), 'kiosk-oi', %s, %s, 'future', '{}', '\\xffd8', %s)",
                         (nip, now, now - age))
        for i, (device, age) in enumerate((("kiosk-oi", 90 * d + HOUR), ("kiosk-oi", 90 * d - HOUR),
                                           ("kiosk-bt", 14 * d + HOUR), ("kiosk-bt", 14 * d - HOUR),
                                           (None, 90 * d + HOUR), (None, 90 * d - HOUR))):
            conn.execute("INSERT INTO rejected_messages (topic, device_id, reason, raw, raw_sha256, "
                         "received_at, last_seen_at) VALUES ('t', %s, 'invalid', %s, %s, %s, %s)",
                         (device, b"x%d" % i, b"%032d" % i, now - age, now - age))
        for device, age in (("kiosk-oi", 90 * d + HOUR), ("kiosk-oi", 90 * d - HOUR),
                            ("kiosk-bt", 7 * d + HOUR), ("kiosk-bt", 7 * d - HOUR),
                            ("kiosk-bt", 300 * d)):
            conn.execute("INSERT INTO device_telemetry (device_id, sent_at, received_at, "
                         "outbox_depth, payload) VALUES (%s, %s, %s, 0, '{}')",
                         (device, now - age, now - age))
        entries = {
            "rina_past": _backdated_audit(conn, RINA, now - 1825 * d - HOUR),
            "rina_kept": _backdated_audit(conn, RINA, now - 1825 * d + HOUR),
            "budi_past": _backdated_audit(conn, BUDI, now - 400 * d - HOUR),
            "budi_kept": _backdated_audit(conn, BUDI, now - 400 * d + HOUR),
            "budi_very_old": _backdated_audit(conn, BUDI, now - 2000 * d),
        }
        fresh_entries = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]

        done = retention.run(conn, batch=2)  # small batches: the loop runs several times

        with_photo = {eid for (eid,) in conn.execute(
            "SELECT event_id::text FROM checkins WHERE photo IS NOT NULL")}
        assert with_photo == {photos["rina_kept"], photos["budi_kept"], photos["stranger_kept"]}
        assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 7  # records stay
        quarantine = conn.execute("SELECT employee_id, photo IS NOT NULL FROM checkin_quarantine "
                                  "ORDER BY received_at").fetchall()
        assert quarantine == [(RINA, False), (RINA, True), (BUDI, False), (BUDI, True)]
        refused = conn.execute("SELECT raw FROM rejected_messages ORDER BY raw").fetchall()
        assert [bytes(r[0]) for r in refused] == [b"x1", b"x3", b"x5"]
        telemetry = conn.execute("SELECT device_id, round(extract(epoch FROM now() - received_at) "
                                 "/ 3600) FROM device_telemetry ORDER BY 2").fetchall()
        assert [(dev, int(h)) for dev, h in telemetry] == [("kiosk-bt", 7 * 24 - 1),
                                                           ("kiosk-oi", 90 * 24 - 1)]
        kept = {i for (i,) in conn.execute("SELECT id FROM audit_log")}
        assert entries["rina_kept"] in kept and entries["budi_kept"] in kept
        assert not kept & {entries["rina_past"], entries["budi_past"], entries["budi_very_old"]}
        assert done == {"foto_presensi": 4, "foto_karantina": 2, "pesan_ditolak": 3,
                        "telemetri": 3, "log_audit": 3, "ekspor_kedaluwarsa": 0}
        # the run itself is in the trail, with what it removed
        (detail,) = conn.execute("SELECT detail FROM audit_log WHERE action = 'retensi.jalan'"
                                 ).fetchone()
        assert detail["foto_presensi"] == 4
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == fresh_entries - 3 + 1
        # a second run finds nothing more (and records nothing)
        assert not any(retention.run(conn).values())


def test_a_shorter_retention_applies_to_what_is_already_kept(fresh_db: str):
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        now = _now(conn)
        eid = checkin(conn, RINA, now - timedelta(days=40))
        assert retention.run(conn)["foto_presensi"] == 0
        set_retention(conn, "*", "foto_presensi", 30, "admin-bkpsdm")
        assert retention.run(conn)["foto_presensi"] == 1
        assert conn.execute("SELECT photo FROM checkins WHERE event_id = %s",
                            (eid,)).fetchone()[0] is None
        # the change is in the trail: who, before, after
        (actor, detail) = conn.execute("SELECT actor, detail FROM audit_log WHERE action = "
                                       "'retensi.ubah'").fetchone()
        assert actor == "admin-bkpsdm" and detail["sebelum"] == 90 and detail["sesudah"] == 30


def test_retention_refuses_what_the_law_and_the_trail_do_not_allow(fresh_db: str):
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        with pytest.raises(RetentionError, match="365") as err:
            set_retention(conn, "*", "log_audit", 30, "x")
        assert err.value.field == "days"
        with pytest.raises(RetentionError, match="bawaan tidak dapat dihapus"):
            set_retention(conn, "*", "foto_presensi", None, "x")
        with pytest.raises(RetentionError, match="tidak dikenal"):
            set_retention(conn, "*", "sidik_jari", 10, "x")
        # the database holds the same floor, whoever writes
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE retention_policies SET days = 30 WHERE kind = 'log_audit'")
        # back to the default for a regency: its own row goes
        set_retention(conn, "buton-tengah", "foto_presensi", 10, "x")
        set_retention(conn, "buton-tengah", "foto_presensi", None, "x")
        assert conn.execute("SELECT retention_days('foto_presensi', 'buton-tengah')"
                            ).fetchone()[0] == 90


def test_the_audit_table_refuses_updates_and_deletes(fresh_db: str):
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        audit.record(conn, "admin", AuditAction.PHOTO_VIEW, RINA, {"event_id": "e1"}, "10.0.0.1")
        for sql in ("UPDATE audit_log SET actor = 'orang lain'",
                    "UPDATE audit_log SET detail = '{}' WHERE subject = %s",
                    "DELETE FROM audit_log",
                    "DELETE FROM audit_log WHERE subject = %s",
                    "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="hanya dapat ditambah"):
                conn.execute(sql, (RINA,) if "%s" in sql else None)
        # not even the retention job's switch lets a fresh entry go
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET LOCAL hadir.retensi = 'on'")
            conn.execute("DELETE FROM audit_log")
        # an entry cannot be backdated or given another regency by its writer
        conn.execute("INSERT INTO audit_log (at, actor, action, subject, regency) VALUES "
                     "(now() - interval '10 years', 'pemalsu', 'foto.lihat', %s, 'lain')", (RINA,))
        row = conn.execute("SELECT now() - at < interval '1 minute', regency FROM audit_log "
                           "WHERE actor = 'pemalsu'").fetchone()
        assert row == (True, "ogan-ilir")
        (actor, action, subject, detail, origin) = conn.execute(
            "SELECT actor, action, subject, detail, origin FROM audit_log WHERE actor = 'admin'"
        ).fetchone()
        assert (actor, action, subject, detail, origin) == ("admin", "foto.lihat", RINA,
                                                            {"event_id": "e1"}, "10.0.0.1")
