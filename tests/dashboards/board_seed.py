"""A small regency for the boards' tests: three offices (WIB, WITA, WIT), three OPDs, seven
people, a month of check-ins (November 2026) with every case the views must get right, today's
check-ins in each office's own zone, a fleet of kiosks and the ingest's traffic.

Offices and people:
  kantor-wib (Asia/Jakarta)   opd-a Dinas Pendidikan: A1, A2 in bidang-a, A3 in sdn-1
  kantor-wita (Asia/Makassar) opd-b Dinas Kesehatan: B1, B2, and B3 on the night shift
                              ("sif": counted from 00:00, starts 00:30: a WITA-midnight day)
  kantor-wit (Asia/Jayapura)  opd-c Dinas Kominfo: C1
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.tpp import store
from hadir_cloud.tpp.rules import load_dir, shipped_dir
from hadir_cloud.tpp.schedule import Schedule

MONTH = "2026-11"
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
REGENCY = "Ogan Ilir"  # the shipped rule set ogan-ilir-asn: grace 0, TL1–4 / PSW1–4
OFFICES = {
    "kantor-wib": ("Kantor Bupati", "Asia/Jakarta", -3.2452, 104.6513),
    "kantor-wita": ("Kantor Dinkes", "Asia/Makassar", -5.1477, 119.4327),
    "kantor-wit": ("Kantor Kominfo", "Asia/Jayapura", -2.5337, 140.7181),
}
UNITS = (  # id, name, parent, kind
    ("pemkab", "Pemerintah Kabupaten", None, "pemkab"),
    ("opd-a", "Dinas Pendidikan", "pemkab", "opd"),
    ("bidang-a", "Bidang SD", "opd-a", "bidang"),
    ("sdn-1", "SD Negeri 1", "opd-a", "sekolah"),
    ("opd-b", "Dinas Kesehatan", "pemkab", "opd"),
    ("opd-c", "Dinas Kominfo", "pemkab", "opd"),
)


@dataclass(frozen=True)
class Person:
    """One seeded employee."""

    key: str
    nip: str
    unit: str
    office: str
    group: str = "kantor"


PEOPLE = {p.key: p for p in (
    Person("A1", "198001012005011001", "bidang-a", "kantor-wib"),
    Person("A2", "198002022005011002", "bidang-a", "kantor-wib"),
    Person("A3", "198003032005011003", "sdn-1", "kantor-wib"),
    Person("B1", "198004042005011004", "opd-b", "kantor-wita"),
    Person("B2", "198005052005011005", "opd-b", "kantor-wita"),
    Person("B3", "198006062005011006", "opd-b", "kantor-wita", "sif"),
    Person("C1", "198007072005011007", "opd-c", "kantor-wit"),
)}
KANTOR = {"checkin_open": "06:00", "start": "07:30", "end": "16:00", "checkout_close": "23:59:59"}
SCHEDULES = [
    Schedule.from_data("kantor-2026", "kantor", date(2026, 1, 1), None, {
        "normal": KANTOR,
        "friday": {**KANTOR, "end": "16:30"},
        "ramadan": {**KANTOR, "start": "08:00", "end": "15:00"},
        "ramadan_friday": {**KANTOR, "start": "08:00", "end": "15:30"},
    }),
    Schedule.from_data("sif-2026", "sif", date(2026, 1, 1), None, {
        "normal": {"checkin_open": "00:00", "start": "00:30", "end": "08:00",
                   "checkout_close": "12:00"},
    }),
]
#: November's calendar: a national holiday, a WIB-office 'masuk' Saturday, a (made-up) short
#: Ramadan over a Thursday and a Friday
HOLIDAY = date(2026, 11, 17)
MASUK_SATURDAY = date(2026, 11, 28)
RAMADAN = (date(2026, 11, 19), date(2026, 11, 20))


def local(office: str, d: date, hhmm: str) -> datetime:
    """An instant at a local wall-clock time of an office's zone."""
    return datetime.combine(d, time.fromisoformat(hhmm), ZoneInfo(OFFICES[office][1]))


def today_of(office: str) -> date:
    """The office's own today."""
    return datetime.now(ZoneInfo(OFFICES[office][1])).date()


def checkin(conn: psycopg.Connection, nip: str, kind: str, at: datetime, *,
            device: str = "kiosk-lama", method: str = "face", review: bool = False,
            received: datetime | None = None, drift: float | None = None) -> uuid.UUID:
    """One stored check-in, as the ingest writes it (the fields the boards read). Unless told,
    it was stored 3 s after capture, or 3 hours ago when that would be recent: only the
    fleet's traffic (`seed_fleet`) falls in the ingest board's last hour."""
    eid = uuid.uuid4()
    if received is None:
        received = at + timedelta(seconds=3)
        if received > datetime.now(UTC) - timedelta(hours=2):
            received = datetime.now(UTC) - timedelta(hours=3)
    conn.execute(
        "INSERT INTO checkins (event_id, device_id, employee_id, kind, captured_at, method, "
        "review_required, geofence_inside, clock_source, clock_drift_s, received_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, true, 'ntp', %s, %s)",
        (eid, device, nip, kind, at, method, review, drift, received))
    return eid


def seed_reference(conn: psycopg.Connection) -> None:
    """Offices, units, people, schedules, the shipped rule sets, the calendar."""
    for oid, (name, tz, lat, lon) in OFFICES.items():
        conn.execute("INSERT INTO offices VALUES (%s, %s, %s, %s, %s, 50)",
                     (oid, name, tz, lat, lon))
    conn.execute("INSERT INTO office_calendars VALUES ('kantor-wib', 5), ('kantor-wita', 5), "
                 "('kantor-wit', 5)")
    for uid, name, parent, kind in UNITS:
        conn.execute("INSERT INTO units (id, name, regency, parent_id, kind) "
                     "VALUES (%s, %s, %s, %s, %s)", (uid, name, REGENCY, parent, kind))
    for p in PEOPLE.values():
        conn.execute("INSERT INTO employees VALUES (%s, %s, %s, 'ASN', '9', %s, '2025-01-01', "
                     "NULL, %s)", (p.nip, f"Pegawai {p.key}", p.unit, p.group, p.office))
    for rs in load_dir(shipped_dir()):
        store.save_ruleset(conn, rs, "shipped", "tes")
    for s in SCHEDULES:
        store.save_schedule(conn, s)
    conn.execute("INSERT INTO calendar_days (office_id, day, kind, name) VALUES "
                 "(NULL, %s, 'libur_nasional', 'Libur uji'), "
                 "('kantor-wib', %s, 'masuk', 'Sabtu masuk')", (HOLIDAY, MASUK_SATURDAY))
    conn.execute("INSERT INTO ramadan_periods VALUES (%s, %s)", RAMADAN)


def _absence(conn: psycopg.Connection, ref: str, nip: str, kind: str, a: date, b: date) -> None:
    conn.execute("INSERT INTO absences (ref, nip, kind, start_date, end_date, status) "
                 "VALUES (%s, %s, %s, %s, %s, 'disetujui')", (ref, nip, kind, a, b))


def seed_month(conn: psycopg.Connection) -> None:
    """November 2026: every person's working days with the cases the views must judge as the
    TPP engine does (late tiers, early leave, missing in or out, punches outside the counted
    hours, NIP check-ins pending or accepted, absences, the holiday, the 'masuk' Saturday,
    Ramadan hours, the WITA night shift that starts after local midnight), and LKH."""
    a1, a2, a3 = PEOPLE["A1"].nip, PEOPLE["A2"].nip, PEOPLE["A3"].nip
    b1, b2, b3, c1 = PEOPLE["B1"].nip, PEOPLE["B2"].nip, PEOPLE["B3"].nip, PEOPLE["C1"].nip
    _absence(conn, "IZ-1", a2, "izin", date(2026, 11, 9), date(2026, 11, 10))
    _absence(conn, "CT-1", b2, "cuti", date(2026, 11, 16), date(2026, 11, 20))
    _absence(conn, "DL-1", c1, "dl", date(2026, 11, 23), date(2026, 11, 23))
    _absence(conn, "SK-0", a3, "sakit", date(2026, 11, 25), date(2026, 11, 25))
    conn.execute("UPDATE absences SET status = 'diajukan' WHERE ref = 'SK-0'")  # not approved
    d = FIRST
    while d <= LAST:
        n = d.day
        if d.weekday() < 5 or d == MASUK_SATURDAY:
            # A1: on time; every 7th day late 40 min (TL2); every 11th day no check-out (PSW4);
            # on the 2nd an early punch before the counted hours (ignored)
            in_at = "08:10" if n % 7 == 3 else "07:20"
            checkin(conn, a1, "in", local("kantor-wib", d, in_at))
            if n == 2:
                checkin(conn, a1, "in", local("kantor-wib", d, "05:30"))
            if n % 11 != 3:
                checkin(conn, a1, "out", local("kantor-wib", d, "16:40"))
            # A2: leaves 45 min early on even days (PSW2); a NIP check-in pending review on
            # the 24th (no presence: TL4), accepted on the 25th (on time)
            if n == 24:
                checkin(conn, a2, "in", local("kantor-wib", d, "07:25"), method="nip",
                        review=True)
            elif n == 25:
                eid = checkin(conn, a2, "in", local("kantor-wib", d, "07:25"), method="nip",
                              review=True)
                conn.execute("INSERT INTO checkin_reviews (event_id, captured_at, employee_id, "
                             "decision, reviewer) VALUES (%s, %s, %s, 'accepted', 'atasan')",
                             (eid, local("kantor-wib", d, "07:25"), a2))
            else:
                checkin(conn, a2, "in", local("kantor-wib", d, "07:29"))
            checkin(conn, a2, "out", local("kantor-wib", d, "15:15" if n % 2 == 0 else "16:05"))
            # A3: absent without notice on the 4th and the 12th; out only (TL4) on the 26th
            if n not in (4, 12):
                if n != 26:
                    checkin(conn, a3, "in", local("kantor-wib", d, "07:00"))
                checkin(conn, a3, "out", local("kantor-wib", d, "16:00"))
            # B1 (WITA): 10 minutes late by WITA time (06:40 WIB would be early)
            checkin(conn, b1, "in", local("kantor-wita", d, "07:40"))
            checkin(conn, b1, "out", local("kantor-wita", d, "16:30"))
            # B2: on time
            checkin(conn, b2, "in", local("kantor-wita", d, "07:10"))
            checkin(conn, b2, "out", local("kantor-wita", d, "17:00"))
            # B3 (WITA night shift): in 00:40 WITA, which is 23:40 WIB of the day before
            checkin(conn, b3, "in", local("kantor-wita", d, "00:40"))
            checkin(conn, b3, "out", local("kantor-wita", d, "08:05"))
            # C1 (WIT): late 95 minutes on Mondays (TL4), else on time
            checkin(conn, c1, "in", local("kantor-wit", d, "09:05" if d.weekday() == 0
                                          else "07:15"))
            checkin(conn, c1, "out", local("kantor-wit", d, "16:10"))
            # LKH: A1 approved every day, A2 on odd days, B1 filed but not approved
            if d.weekday() < 5:
                conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, "
                             "'disetujui')", (a1, d))
                conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, %s)",
                             (a2, d, "disetujui" if n % 2 else "diajukan"))
                conn.execute("INSERT INTO lkh_reports (nip, day, status) VALUES (%s, %s, "
                             "'diajukan')", (b1, d))
        d += timedelta(days=1)


def seed_today(conn: psycopg.Connection) -> None:
    """Each office's own today is a working day ('masuk'); in each zone's wall-clock time:
    A1 in 07:20 (on time), A2 in 08:05 (late), A3 nothing yet; B1 in 07:40 WITA (late 10
    minutes), B2 on cuti, B3 in 00:40 and out 08:05 WITA (night shift, late 10 minutes); C1 in
    07:35 WIT (late 5 minutes). Check-ins later than the clock count as well (a kiosk's clock
    may be ahead), so the figures do not depend on when the test runs."""
    for office in OFFICES:
        conn.execute("INSERT INTO calendar_days (office_id, day, kind, name) VALUES "
                     "(%s, %s, 'masuk', 'hari uji') ON CONFLICT DO NOTHING",
                     (office, today_of(office)))
    wib, wita, wit = today_of("kantor-wib"), today_of("kantor-wita"), today_of("kantor-wit")
    checkin(conn, PEOPLE["A1"].nip, "in", local("kantor-wib", wib, "07:20"))
    checkin(conn, PEOPLE["A2"].nip, "in", local("kantor-wib", wib, "08:05"))
    checkin(conn, PEOPLE["B1"].nip, "in", local("kantor-wita", wita, "07:40"))
    _absence(conn, "CT-2", PEOPLE["B2"].nip, "cuti", wita, wita)
    checkin(conn, PEOPLE["B3"].nip, "in", local("kantor-wita", wita, "00:40"))
    checkin(conn, PEOPLE["B3"].nip, "out", local("kantor-wita", wita, "08:05"))
    checkin(conn, PEOPLE["C1"].nip, "in", local("kantor-wit", wit, "07:35"))


#: the ingest's traffic is of someone on no roster (it must not change anyone's attendance)
TRAFFIC_NIP = "199912312020121999"
FLEET = {  # device → office, and what it last said (minutes ago) and how it is
    "kiosk-a": "kantor-wib", "kiosk-b": "kantor-wita", "kiosk-c": "kantor-wit",
    "kiosk-d": "kantor-wib", "kiosk-e": "kantor-wib",
}


def seed_fleet(conn: psycopg.Connection) -> None:
    """kiosk-a healthy; kiosk-b offline (its last will) for 45 minutes; kiosk-c silent for 10
    minutes; kiosk-d holding 4 events the cloud could not verify; kiosk-e disabled. The last
    hour's traffic: check-ins stored with known lags, refused messages by reason."""
    now = datetime.now(UTC)
    for dev, office in FLEET.items():
        conn.execute("INSERT INTO devices (id, public_key, office_id, broker_username, disabled) "
                     "VALUES (%s, 'k', %s, %s, %s)", (dev, office, dev, dev == "kiosk-e"))
    beats = {"kiosk-a": (1, 3, 0, True), "kiosk-b": (46, 12, 0, True),
             "kiosk-c": (10, 0, 0, True), "kiosk-d": (1, 0, 4, True)}
    for dev, (ago, depth, held, cam) in beats.items():
        at = now - timedelta(minutes=ago)
        for back in (20, 0):  # two heartbeats each: the boards read the last one
            conn.execute(
                "INSERT INTO device_telemetry (device_id, sent_at, received_at, outbox_depth, "
                "held_count, camera_ok, camera_state, gps_fix, clock_source, version, payload) "
                "VALUES (%s, %s, %s, %s, %s, %s, 'ok', true, 'gps', '0.4.0', '{}')",
                (dev, at - timedelta(minutes=back), at - timedelta(minutes=back),
                 depth + back, held, cam))
        state = "offline" if dev == "kiosk-b" else "online"
        status_at = now - timedelta(minutes=45) if dev == "kiosk-b" else at - timedelta(hours=1)
        conn.execute("INSERT INTO device_state (device_id, state, status_at, last_telemetry_at, "
                     "outbox_depth, held_count, version, config_version, gallery_version) "
                     "VALUES (%s, %s, %s, %s, %s, %s, '0.4.0', 2, 7)",
                     (dev, state, status_at, at, depth, held))
    # the last hour: 30 check-ins captured 2 s (kiosk-a) and 40 s (kiosk-c) before storage,
    # plus a backlog of kiosk-b captured 3 days earlier whose freshest event lagged 5 s
    for i in range(30):
        rec = now - timedelta(minutes=i)
        dev, lag = ("kiosk-a", 2) if i % 2 else ("kiosk-c", 40)
        checkin(conn, TRAFFIC_NIP, "in", rec - timedelta(seconds=lag), device=dev,
                received=rec, drift=0.4 if dev == "kiosk-a" else None)
    for i in range(5):
        rec = now - timedelta(minutes=2)
        lag = timedelta(days=3) if i else timedelta(seconds=5)
        checkin(conn, TRAFFIC_NIP, "in", rec - lag - timedelta(minutes=i),
                device="kiosk-b", received=rec)
    refused = (("bad_signature", 90, 3), ("not_utf8", 30, 20), ("unknown_device", 2, 200))
    for i, (reason, seen, minutes_ago) in enumerate(refused):
        conn.execute(
            "INSERT INTO rejected_messages (received_at, last_seen_at, topic, device_id, reason, "
            "raw, raw_sha256, seen_count) VALUES (%s, %s, 't', 'kiosk-a', %s, %s, %s, %s)",
            (now - timedelta(hours=2), now - timedelta(minutes=minutes_ago), reason,
             bytes([i]), bytes([i]) * 32, seen))


def seed_all(url: str) -> None:
    """Migrations, the regency, November, today, the fleet, and November's TPP run."""
    from hadir_cloud.db.migrate import upgrade

    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        seed_reference(conn)
        seed_month(conn)
        seed_today(conn)
        seed_fleet(conn)
    store.run_month(url, MONTH, None, "tes", workers=1)
