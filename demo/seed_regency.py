"""A small seeded regency for the demo: an org chart, a month of check-ins, three accounts.

`seed(db_url, month)` builds Kabupaten Ogan Ilir with three OPD (Sekretariat Daerah, Dinas
Pendidikan with a school, Dinas Kesehatan), their bagian/bidang/seksi, positions with heads and
50 people, through the project's own code paths:

- the org chart as an XLSX in the import's shape (`hadir_cloud.org.imports`), checked with
  `check` (no problems allowed) and stored with `hadir_cloud.org.store.apply`;
- offices with `hadir_cloud.devices.add_office`; the TPP rule sets, calendar and work schedules
  shipped in `hadir_cloud.rulesets` with `hadir_cloud.tpp.store`;
- a month of check-ins (up to yesterday, working days only) signed by two "historical" kiosks
  registered with their own Ed25519 keys (`add_device`), each row made by
  `hadir_cloud.rows.checkin_row` from a signed, validated `CheckIn`;
- letterheads (kop surat) of the Pemkab and the three OPD through the unit sheet's optional
  columns, and a drawn stand-in coat of arms as the Pemkab's logo;
- approved daily work reports (LKH) for most days worked (no LKH area yet: plain rows);
- accounts with `hadir_cloud.users.invite` + `activate` (+ `grant` for HR): an HR admin
  (admin_bkpsdm), an atasan (the head of a Bidang: derived from the position) and an employee.

Run on its own: `python demo/seed_regency.py --database-url URL [--month YYYY-MM]`.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.devices import add_device, add_office
from hadir_cloud.org import imports as org_imports
from hadir_cloud.org import store as org_store
from hadir_cloud.rows import COLUMNS, checkin_row
from hadir_cloud.tpp import store as tpp_store
from hadir_cloud.tpp.calendar import month_bounds
from hadir_cloud.tpp.rules import load_dir, shipped_dir
from hadir_cloud.tpp.schedule import ScheduleBook, load_schedules_file
from hadir_cloud.users import activate, grant, invite
from hadir_protocol.models import CheckIn, FaceVerdict, Geofence, GpsFix, Kind, Method
from hadir_protocol.signing import generate_key, public_key_b64, sign

REGENCY = "Ogan Ilir"


@dataclass(frozen=True)
class Office:
    """An office people check in at (and a kiosk stands in)."""

    id: str
    name: str
    tz: str
    lat: float
    lon: float
    workweek: int  # 5 for offices, 6 for schools


KANTOR = Office("setda-ogan-ilir", "Sekretariat Daerah Ogan Ilir", "Asia/Jakarta",
                -3.2452, 104.6513, 5)
SEKOLAH = Office("sdn-1-indralaya", "SD Negeri 1 Indralaya", "Asia/Jakarta",
                 -3.2231, 104.6468, 6)
OFFICES = (KANTOR, SEKOLAH)
#: the historical kiosks: one per office, so every seeded event comes from a kiosk of its office
HISTORY_KIOSKS = {KANTOR.id: "kiosk-riwayat-setda", SEKOLAH.id: "kiosk-riwayat-sdn"}


@dataclass(frozen=True)
class Person:
    """Someone the live demo kiosks recognise; they are part of the seeded org too."""

    nip: str
    name: str
    office: Office


#: the faces on the demo's two live kiosks (demo/run.py): Eileen at Setda, Grace at the school
KIOSK_PEOPLE = (
    Person("198705152010012001", "Eileen Collins (contoh)", KANTOR),
    Person("199001012015031001", "Grace Hopper (contoh)", SEKOLAH),
)

# (id, name, kind, parent)
UNITS: tuple[tuple[str, str, str, str | None], ...] = (
    ("PEMKAB-OI", "Pemerintah Kabupaten Ogan Ilir", "pemkab", None),
    ("SETDA", "Sekretariat Daerah", "opd", "PEMKAB-OI"),
    ("SETDA-ORG", "Bagian Organisasi", "bagian", "SETDA"),
    ("SETDA-UMUM", "Bagian Umum dan Kepegawaian", "bagian", "SETDA"),
    ("DISDIK", "Dinas Pendidikan", "opd", "PEMKAB-OI"),
    ("DISDIK-SEK", "Sekretariat Dinas Pendidikan", "sekretariat", "DISDIK"),
    ("DISDIK-BID-SD", "Bidang Pembinaan Sekolah Dasar", "bidang", "DISDIK"),
    ("DISDIK-SEKSI-KUR", "Seksi Kurikulum dan Penilaian SD", "seksi", "DISDIK-BID-SD"),
    ("SDN1-IDL", "SD Negeri 1 Indralaya", "sekolah", "DISDIK"),
    ("DINKES", "Dinas Kesehatan", "opd", "PEMKAB-OI"),
    ("DINKES-SEK", "Sekretariat Dinas Kesehatan", "sekretariat", "DINKES"),
    ("DINKES-BID-P2P", "Bidang Pencegahan dan Pengendalian Penyakit", "bidang", "DINKES"),
    ("DINKES-SEKSI-SURV", "Seksi Surveilans dan Imunisasi", "seksi", "DINKES-BID-P2P"),
    ("DINKES-BID-YANKES", "Bidang Pelayanan Kesehatan", "bidang", "DINKES"),
)

#: letterheads (kop surat) of the Pemkab and the OPD, through the unit sheet's optional columns:
#: unit → (alamat, telepon, email, situs, tempat); example data. The Pemkab's place and logo
#: (`_emblem`, set as `hadir-cloud org letterhead --logo` would) serve every OPD.
LETTERHEADS: dict[str, tuple[str | None, ...]] = {
    "PEMKAB-OI": ("Jalan Lintas Timur Km 35, Indralaya, Ogan Ilir 30662", "(0711) 581001",
                  "setda@oganilirkab.go.id", "oganilirkab.go.id", "Indralaya"),
    "SETDA": ("Kompleks Perkantoran Terpadu, Jalan Lintas Timur Km 35, Indralaya 30662",
              "(0711) 581002", "setda@oganilirkab.go.id", "setda.oganilirkab.go.id", None),
    "DISDIK": ("Jalan Lintas Timur Km 36, Indralaya, Ogan Ilir 30662", "(0711) 581240",
               "disdik@oganilirkab.go.id", "disdik.oganilirkab.go.id", None),
    "DINKES": ("Jalan Lintas Timur Km 34, Indralaya, Ogan Ilir 30662", "(0711) 581310",
               "dinkes@oganilirkab.go.id", "dinkes.oganilirkab.go.id", None),
}


def _emblem() -> bytes:
    """A stand-in coat of arms for the demo's letterheads (a PNG shield, drawn here)."""
    from PIL import Image, ImageDraw

    w, h = 240, 280
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    shield = [(12, 12), (w - 12, 12), (w - 12, 150), (w // 2, h - 10), (12, 150)]
    d.polygon(shield, fill="#c9a227")
    inner = [(26, 26), (w - 26, 26), (w - 26, 144), (w // 2, h - 32), (26, 144)]
    d.polygon(inner, fill="#17643a")
    cx, cy, r_out, r_in = w // 2, 78, 38, 16
    star = [(cx + (r_out if i % 2 == 0 else r_in) * math.sin(i * math.pi / 5),
             cy - (r_out if i % 2 == 0 else r_in) * math.cos(i * math.pi / 5)) for i in range(10)]
    d.polygon(star, fill="#f4d35e")
    for k, y in enumerate((150, 172, 194)):  # the rivers of Ogan Ilir, as three waves
        pts = [(x, y + 7 * math.sin((x + k * 9) / 14)) for x in range(44 + k * 14, w - 43 - k * 14)]
        d.line(pts, fill="#9fd3f0", width=7)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


@dataclass(frozen=True)
class Post:
    """A position and how many people hold it (heads: one)."""

    id: str
    name: str
    kind: str  # struktural, fungsional, pelaksana
    eselon: str | None
    unit: str
    head: bool
    cls: str  # kelas jabatan (a key of the rule set's base amounts)
    holders: int = 1
    pppk: int = 0  # of the holders, PPPK
    honorer: int = 0  # of the holders, honorer


POSTS: tuple[Post, ...] = (
    Post("SETDA-SEKDA", "Sekretaris Daerah", "struktural", "II.a", "SETDA", True, "15"),
    Post("SETDA-KABAG-ORG", "Kepala Bagian Organisasi", "struktural", "III.a", "SETDA-ORG",
         True, "11"),
    Post("SETDA-KABAG-UMUM", "Kepala Bagian Umum dan Kepegawaian", "struktural", "III.a",
         "SETDA-UMUM", True, "11"),
    Post("SETDA-ANALIS-ORG", "Analis Kelembagaan", "fungsional", None, "SETDA-ORG", False, "9",
         holders=2),
    Post("SETDA-ANALIS-SDM", "Analis Sumber Daya Manusia Aparatur", "fungsional", None,
         "SETDA-UMUM", False, "9", holders=2),
    Post("SETDA-PENGADMIN", "Pengadministrasi Umum", "pelaksana", None, "SETDA-UMUM", False,
         "5", holders=4),
    Post("DISDIK-KADIS", "Kepala Dinas Pendidikan", "struktural", "II.b", "DISDIK", True, "13"),
    Post("DISDIK-SEKRETARIS", "Sekretaris Dinas Pendidikan", "struktural", "III.a",
         "DISDIK-SEK", True, "11"),
    Post("DISDIK-PENGADMIN", "Pengadministrasi Perkantoran", "pelaksana", None, "DISDIK-SEK",
         False, "5", holders=4),
    Post("DISDIK-KABID-SD", "Kepala Bidang Pembinaan Sekolah Dasar", "struktural", "III.b",
         "DISDIK-BID-SD", True, "11"),
    Post("DISDIK-PENGELOLA-SD", "Pengelola Data Pendidikan", "pelaksana", None, "DISDIK-BID-SD",
         False, "7", holders=3),
    Post("DISDIK-KASI-KUR", "Kepala Seksi Kurikulum dan Penilaian SD", "struktural", "IV.a",
         "DISDIK-SEKSI-KUR", True, "9"),
    Post("DISDIK-ANALIS-KUR", "Analis Kurikulum", "pelaksana", None, "DISDIK-SEKSI-KUR", False,
         "7", holders=2),
    Post("SDN1-KEPSEK", "Kepala Sekolah", "fungsional", None, "SDN1-IDL", True, "9"),
    Post("SDN1-GURU", "Guru Kelas", "fungsional", None, "SDN1-IDL", False, "7", holders=8,
         pppk=2),
    Post("SDN1-TU", "Tenaga Administrasi Sekolah", "pelaksana", None, "SDN1-IDL", False, "5",
         holders=2, honorer=2),
    Post("DINKES-KADIS", "Kepala Dinas Kesehatan", "struktural", "II.b", "DINKES", True, "13"),
    Post("DINKES-SEKRETARIS", "Sekretaris Dinas Kesehatan", "struktural", "III.a", "DINKES-SEK",
         True, "11"),
    Post("DINKES-PENGADMIN", "Pengadministrasi Perkantoran", "pelaksana", None, "DINKES-SEK",
         False, "5", holders=3),
    Post("DINKES-KABID-P2P", "Kepala Bidang Pencegahan dan Pengendalian Penyakit", "struktural",
         "III.b", "DINKES-BID-P2P", True, "11"),
    Post("DINKES-KASI-SURV", "Kepala Seksi Surveilans dan Imunisasi", "struktural", "IV.a",
         "DINKES-SEKSI-SURV", True, "9"),
    Post("DINKES-EPID", "Epidemiolog Kesehatan", "fungsional", None, "DINKES-SEKSI-SURV", False,
         "9", holders=3, pppk=1),
    Post("DINKES-KABID-YANKES", "Kepala Bidang Pelayanan Kesehatan", "struktural", "III.b",
         "DINKES-BID-YANKES", True, "11"),
    Post("DINKES-ADMKES", "Administrator Kesehatan", "fungsional", None, "DINKES-BID-YANKES",
         False, "7", holders=4),
)
#: who gets an account: (label, position id); the first holder of the position
HR_POST, ATASAN_POST, EMPLOYEE_POST = "SETDA-ANALIS-SDM", "DISDIK-KABID-SD", "DISDIK-PENGELOLA-SD"
#: where the kiosks' people work
KIOSK_POSTS = {KIOSK_PEOPLE[0].nip: "SETDA-PENGADMIN", KIOSK_PEOPLE[1].nip: "SDN1-GURU"}

_FIRST_M = ("Ahmad", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Rahmat",
            "Rizki", "Agus", "Yusuf", "Hasan", "Imam", "Teguh", "Wahyu", "Arief", "Bambang")
_FIRST_F = ("Siti", "Dewi", "Rina", "Sri", "Nurul", "Fitri", "Ratna", "Yuni", "Lestari",
            "Maya", "Indah", "Wulan", "Ayu", "Desi", "Putri", "Aisyah", "Rahma", "Sari")
_LAST = ("Saputra", "Wijaya", "Hidayat", "Pratama", "Kusuma", "Syahputra", "Rahmawati",
         "Susanti", "Nugroho", "Setiawan", "Handayani", "Lubis", "Siregar", "Harahap",
         "Permata", "Utami", "Hakim", "Firmansyah", "Anggraini", "Ramadhan")
_TITLE = {"struktural": ", S.Sos., M.Si.", "fungsional": ", S.E.", "pelaksana": ""}


@dataclass(frozen=True)
class Account:
    """A seeded portal account: sign in with the NIP and this password."""

    role: str  # what the demo shows it as: "Admin BKPSDM", "Atasan", "Pegawai"
    nip: str
    name: str
    password: str
    unit: str


@dataclass
class Seeded:
    """What `seed` made."""

    month: str
    units: int
    opd: int
    people: int
    heads: list[str]
    accounts: list[Account]
    days: list[date]  # the days with seeded check-ins
    events_by_day: dict[date, set[str]] = field(default_factory=dict)
    devices: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def events(self) -> int:
        """Check-ins inserted."""
        return sum(len(v) for v in self.events_by_day.values())

    def account(self, role: str) -> Account:
        """The account shown as `role`."""
        return next(a for a in self.accounts if a.role == role)


@dataclass(frozen=True)
class _Row:
    nip: str
    name: str
    kind: str  # ASN, PPPK, honorer
    post: Post
    office: Office
    join: date
    post_start: date


def _nip(rng: random.Random, used: set[str], tmt_from: int, tmt_to: int, sex: str,
         born_from: int = 1968, born_to: int = 1996) -> tuple[str, date]:
    """A well-formed 18-digit NIP (birth date, TMT month, sex, sequence) and its TMT."""
    while True:
        born = date(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
        tmt_year = max(tmt_from, min(tmt_to, born.year + rng.randint(22, 30)))
        tmt = date(tmt_year, rng.choice((1, 3, 4)), 1)
        nip = f"{born:%Y%m%d}{tmt:%Y%m}{sex}{rng.randint(1, 999):03d}"
        if nip not in used:
            used.add(nip)
            return nip, tmt


def _people(rng: random.Random) -> list[_Row]:
    used = {p.nip for p in KIOSK_PEOPLE}
    names: set[str] = set()
    rows: list[_Row] = []
    kiosk_by_post: dict[str, list[Person]] = {}
    for p in KIOSK_PEOPLE:
        kiosk_by_post.setdefault(KIOSK_POSTS[p.nip], []).append(p)
    honorer_no = 0
    for post in POSTS:
        office = SEKOLAH if post.unit == "SDN1-IDL" else KANTOR
        fixed = kiosk_by_post.get(post.id, [])
        for i in range(post.holders):
            if i < len(fixed):
                p = fixed[i]
                tmt = date(int(p.nip[8:12]), int(p.nip[12:14]), 1)
                rows.append(_Row(p.nip, p.name, "ASN", post, office, tmt,
                                 max(tmt, date(2021, 1, 4))))
                continue
            sex = rng.choice("12")
            while True:
                first = rng.choice(_FIRST_M if sex == "1" else _FIRST_F)
                name = f"{first} {rng.choice(_LAST)}"
                if name not in names:
                    names.add(name)
                    break
            kind = ("honorer" if i >= post.holders - post.honorer else
                    "PPPK" if i >= post.holders - post.honorer - post.pppk else "ASN")
            if kind == "honorer":
                honorer_no += 1
                nip, join = f"HON-OI-{honorer_no:04d}", date(2019 + honorer_no, 7, 1)
            elif kind == "PPPK":
                nip, join = _nip(rng, used, 2022, 2023, sex, 1985, 1996)
            else:
                senior = post.kind == "struktural"
                nip, join = _nip(rng, used, 1994 if senior else 2005, 2008 if senior else 2020,
                                 sex, 1966 if senior else 1975, 1975 if senior else 1997)
            start = join + timedelta(days=rng.randint(365, 365 * 6))
            start = min(start, date(2025, 1, 2))
            title = ", S.Pd." if office is SEKOLAH and post.kind == "fungsional" else \
                _TITLE[post.kind]
            rows.append(_Row(nip, name + title, kind, post, office, join,
                             max(join, start)))
    return rows


def _workbook(rows: list[_Row], path: Path) -> None:
    """The three import sheets, as an HR officer would fill the template."""
    wb = org_imports.new_workbook()
    for uid, name, kind, parent in UNITS:
        wb["unit"].append([uid, name, kind, parent, REGENCY, *LETTERHEADS.get(uid, (None,) * 5)])
    for p in POSTS:
        wb["jabatan"].append([p.id, p.name, p.kind, p.eselon, p.unit,
                              "ya" if p.head else "tidak", None])
    ws = wb["pegawai"]
    for r in rows:
        cls = {"ASN": r.post.cls, "PPPK": "PPPK", "honorer": "honorer"}[r.kind]
        group = "guru" if r.office is SEKOLAH else "kantor"
        ws.append([r.nip, r.name, r.kind, r.post.unit, r.post.id, r.post_start.isoformat(), cls,
                   group, r.office.id, r.join.isoformat(), None])
        ws.cell(ws.max_row, 1).number_format = "@"
    wb.save(path)


def _uuid7_at(at: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 whose time is the event's capture time (as the kiosk would have made it)."""
    ms = int(at.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


@dataclass
class _Habits:
    late: float
    absent: float
    early: float


def _local(d: date, minutes: int, tz: str, rng: random.Random) -> datetime:
    """The UTC instant of a local wall-clock minute of the day (plus random seconds)."""
    loc = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)) + timedelta(
        minutes=minutes, seconds=rng.randint(0, 59))
    return loc.astimezone(UTC)


def _day_times(d: date, start: int, end: int, h: _Habits, rng: random.Random
               ) -> tuple[int | None, int | None]:
    """Minutes after midnight of the check-in and check-out (None: none made)."""
    r = rng.random()
    if r < h.absent:
        return None, None
    if r < h.absent + h.late:
        late = rng.choice((rng.randint(1, 30),) * 6 + (rng.randint(31, 60),) * 2
                          + (rng.randint(61, 95),))
        tin = start + late
    else:
        tin = start - rng.randint(3, 40)
    if rng.random() < h.early:
        tout = end - rng.randint(5, 75)
    elif rng.random() < 0.01:
        return tin, None  # forgot to check out
    else:
        tout = end + rng.randint(0, 50)
    return tin, tout


def _checkins(conn: psycopg.Connection, rows: list[_Row], month: str, today: date,
              rng: random.Random, say: Callable[[str], None]) -> tuple[list[date],
                                                                       dict[date, set[str]]]:
    """Signed check-ins by the historical kiosks for working days before `today`."""
    first, last = month_bounds(month)
    cals = tpp_store.office_calendars(conn, first, last)
    sched = ScheduleBook(tpp_store.schedules(conn))
    y, m = first.year, first.month
    keys = {}
    for office_id, device in HISTORY_KIOSKS.items():
        key = generate_key()
        add_device(conn, device, public_key_b64(key), office_id)
        keys[office_id] = (device, key)
    habits = {}
    for r in rows:  # most people are punctual; a few are often late, absent or leave early
        loose = rng.random() < 0.2
        habits[r.nip] = _Habits(late=rng.uniform(0.15, 0.35) if loose else rng.uniform(0, 0.08),
                                absent=rng.uniform(0.04, 0.1) if loose else rng.uniform(0, 0.03),
                                early=rng.uniform(0.05, 0.15) if loose else rng.uniform(0, 0.04))
    pending: list[tuple[datetime, str, str, Office]] = []  # (at, nip, kind, office)
    lkh: list[tuple[str, date]] = []
    days: set[date] = set()
    for r in rows:
        cal = cals[r.office.id]
        group = "guru" if r.office is SEKOLAH else "kantor"
        for d in cal.working_days(y, m):
            if d >= today or d < r.join:
                continue
            days.add(d)
            hours, _ = sched.hours_for(group, d, cal.is_ramadan(d))
            start = hours.start.hour * 60 + hours.start.minute
            end = hours.end.hour * 60 + hours.end.minute
            tin, tout = _day_times(d, start, end, habits[r.nip], rng)
            if tin is not None:
                pending.append((_local(d, tin, r.office.tz, rng), r.nip, "in", r.office))
            if tout is not None:
                pending.append((_local(d, tout, r.office.tz, rng), r.nip, "out", r.office))
            if tin is not None and rng.random() < 0.93:
                lkh.append((r.nip, d))
    pending.sort(key=lambda p: p[0])
    seq = dict.fromkeys(HISTORY_KIOSKS.values(), 0)
    sql = (f"INSERT INTO checkins ({', '.join(COLUMNS)}) VALUES "
           f"({', '.join(['%s'] * len(COLUMNS))})")
    out: list[tuple[object, ...]] = []
    by_day: dict[date, set[str]] = {}
    for at, nip, kind, office in pending:
        device, key = keys[office.id]
        seq[device] += 1
        dist = round(rng.uniform(2, 30), 1)
        event = CheckIn(
            event_id=_uuid7_at(at, rng), device_id=device, seq=seq[device], employee_id=nip,
            kind=Kind(kind), captured_at=at, clock_source="gps",
            # + 0.0: never -0.0, which the stored JSONB payload would turn into 0.0
            clock_drift_s=round(rng.uniform(-0.4, 0.4), 2) + 0.0,
            gps=GpsFix(fix=True, lat=office.lat + rng.uniform(-0.0002, 0.0002),
                       lon=office.lon + rng.uniform(-0.0002, 0.0002),
                       accuracy_m=round(rng.uniform(2.5, 9), 1), hdop=round(rng.uniform(0.7, 1.6), 1),
                       satellites=rng.randint(7, 12), mode=3, gps_time=at,
                       age_s=round(rng.uniform(0.2, 1.5), 1)),
            geofence=Geofence(office_id=office.id, radius_m=50.0, distance_m=dist, inside=True),
            face=FaceVerdict(distance=round(rng.uniform(0.28, 0.46), 3), threshold=0.5,
                             model="dlib_face_recognition_resnet_model_v1"),
            method=Method.FACE)
        wire = sign(event.to_wire(), key)
        out.append(checkin_row(CheckIn.model_validate(wire), wire))
        local_day = at.astimezone(ZoneInfo(office.tz)).date()
        by_day.setdefault(local_day, set()).add(wire["event_id"])
    with conn.cursor() as cur:
        cur.executemany(sql, out)
        cur.executemany("INSERT INTO lkh_reports (nip, day, status, summary, approved_by, "
                        "approved_at) VALUES (%s, %s, 'disetujui', %s, 'demo', %s) "
                        "ON CONFLICT DO NOTHING",
                        [(nip, d, "Menyelesaikan tugas harian sesuai rencana kerja",
                          datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=10))
                         for nip, d in lkh])
    say(f"  {len(out)} check-in bertanda tangan dari {len(keys)} kiosk riwayat, "
        f"{len(lkh)} LKH disetujui, {len(days)} hari kerja")
    return sorted(days), by_day


def _password() -> str:
    return secrets.token_urlsafe(12)


def seed(db_url: str, month: str | None = None, rng_seed: int = 2026,
         today: date | None = None, say: Callable[[str], None] = print) -> Seeded:
    """Build the regency in a migrated database (safe to run again: org, rules, calendar and
    accounts are upserted; check-ins are added only when the month has none from the
    historical kiosks). `month` 'YYYY-MM' (default: this month); check-ins up to `today`
    (default: today in WIB), not including it."""
    t0 = time.monotonic()
    today = today or datetime.now(ZoneInfo(KANTOR.tz)).date()
    month = month or today.strftime("%Y-%m")
    first, _last = month_bounds(month)
    rng = random.Random(rng_seed)
    rows = _people(rng)
    with psycopg.connect(db_url) as conn:
        say(f"• wilayah contoh: Kabupaten {REGENCY}, bulan {month}")
        for o in OFFICES:
            add_office(conn, o.id, o.name, o.tz, o.lat, o.lon, 50.0)
            # no API for an office's work week yet (hadir-cloud office add has none)
            conn.execute("INSERT INTO office_calendars (office_id, workweek) VALUES (%s, %s) "
                         "ON CONFLICT (office_id) DO UPDATE SET workweek = EXCLUDED.workweek",
                         (o.id, o.workweek))
        added = sum(tpp_store.save_ruleset(conn, rs, "shipped", "demo")
                    for rs in load_dir(shipped_dir()))
        cal_file = shipped_dir() / f"kalender_{first.year}.toml"
        holidays = tpp_store.seed_calendar(conn, first.year, cal_file if cal_file.exists() else None)
        for s in load_schedules_file(shipped_dir() / "jadwal_2026.toml"):
            tpp_store.save_schedule(conn, s)
        conn.commit()
        say(f"  aturan TPP: {added} baru; kalender {first.year}: {holidays} hari libur baru; "
            "jadwal kantor dan guru")

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "org-ogan-ilir.xlsx"
            _workbook(rows, path)
            book = org_imports.read(path)
        problems = org_imports.check(book, org_store.known(conn))
        if problems:
            raise SystemExit("impor org contoh bermasalah:\n" + "\n".join(map(str, problems)))
        result = org_store.apply(conn, org_imports.parse(book, org_store.known(conn)))
        emblem = _emblem()
        org_store.save_letterhead(conn, "PEMKAB-OI", {"logo": emblem, "logo_mime": "image/png"})
        say(f"  org: {len(UNITS)} unit, {len(POSTS)} jabatan, {len(rows)} pegawai "
            f"({result.changed} baru/berubah) lewat impor XLSX; kop surat {len(LETTERHEADS)} "
            "unit, logo di Pemkab")

        devices = tuple(HISTORY_KIOSKS.values())
        have = conn.execute(
            "SELECT count(*) FROM checkins WHERE device_id = ANY(%s) AND captured_at >= %s "
            "AND captured_at < %s", (list(devices), first - timedelta(days=1),
                                     _last + timedelta(days=2))).fetchone()
        if have and have[0]:
            say(f"  check-in {month} sudah ada ({have[0]}), tidak ditambah")
            days: list[date] = []
            by_day: dict[date, set[str]] = {}
            for eid, at, tz in conn.execute(
                    "SELECT c.event_id::text, c.captured_at, o.tz FROM checkins c "
                    "JOIN offices o ON o.id = c.office_id WHERE c.device_id = ANY(%s) "
                    "AND c.captured_at >= %s AND c.captured_at < %s",
                    (list(devices), first - timedelta(days=1), _last + timedelta(days=2))):
                d = at.astimezone(ZoneInfo(tz)).date()
                if first <= d <= _last:
                    by_day.setdefault(d, set()).add(eid)
            days = sorted(by_day)
        else:
            days, by_day = _checkins(conn, rows, month, today, rng, say)
        conn.commit()

        by_post: dict[str, list[_Row]] = {}
        for r in rows:
            by_post.setdefault(r.post.id, []).append(r)
        accounts = []
        for role, post in (("Admin BKPSDM", HR_POST), ("Atasan", ATASAN_POST),
                           ("Pegawai", EMPLOYEE_POST)):
            r = by_post[post][0]
            password = _password()
            activate(conn, r.nip, invite(conn, r.nip), password)
            if role == "Admin BKPSDM":
                grant(conn, r.nip, "admin_bkpsdm", None, "demo")
            accounts.append(Account(role, r.nip, r.name, password, r.post.unit))
        conn.commit()
        say("  akun: " + ", ".join(f"{a.role} {a.nip}" for a in accounts))
    seconds = time.monotonic() - t0
    say(f"  selesai dalam {seconds:.1f} detik")
    return Seeded(month=month, units=len(UNITS), opd=sum(1 for u in UNITS if u[2] == "opd"),
                  people=len(rows), heads=[by_post[p.id][0].nip for p in POSTS if p.head],
                  accounts=accounts, days=days, events_by_day=by_day, devices=devices,
                  seconds=seconds)


def main() -> None:
    """Seed a database given on the command line (it must be migrated: hadir-cloud db upgrade)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--month", default=None, help="YYYY-MM (default: this month)")
    args = ap.parse_args()
    s = seed(args.database_url, args.month)
    for a in s.accounts:
        print(f"{a.role}: {a.nip} / {a.password}  ({a.name})")


if __name__ == "__main__":
    main()
