"""Builders for the org tests: a Dinas Pendidikan by hand, a generated regency of 3 OPD."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hadir_cloud.org.domain import Position, PositionKind, Unit, UnitKind
from hadir_cloud.org.imports import new_workbook

REGENCY = "Buton Tengah"

# ---------------------------------------------------------------- the hand-made Dinas Pendidikan

UNITS = {u.id: u for u in [
    Unit("PEMKAB", "Pemerintah Kabupaten Buton Tengah", UnitKind.PEMKAB, REGENCY),
    Unit("DISDIK", "Dinas Pendidikan", UnitKind.OPD, REGENCY, "PEMKAB"),
    Unit("DISDIK-SEKRE", "Sekretariat", UnitKind.SEKRETARIAT, REGENCY, "DISDIK"),
    Unit("DISDIK-UMUM", "Subbagian Umum dan Kepegawaian", UnitKind.SUBBAG, REGENCY,
         "DISDIK-SEKRE"),
    Unit("DISDIK-SD", "Bidang Pembinaan SD", UnitKind.BIDANG, REGENCY, "DISDIK"),
    Unit("DISDIK-KURIK", "Seksi Kurikulum SD", UnitKind.SEKSI, REGENCY, "DISDIK-SD"),
    Unit("SDN-1", "SD Negeri 1 Lakudo", UnitKind.SEKOLAH, REGENCY, "DISDIK"),
]}
S, F, P = PositionKind.STRUKTURAL, PositionKind.FUNGSIONAL, PositionKind.PELAKSANA
POSITIONS = {p.id: p for p in [
    Position("SEKDA", "Sekretaris Daerah", S, "PEMKAB", "II.a", heads_unit=True),
    Position("KADIS", "Kepala Dinas Pendidikan", S, "DISDIK", "II.b", heads_unit=True),
    Position("SEKRETARIS", "Sekretaris Dinas", S, "DISDIK-SEKRE", "III.a", heads_unit=True),
    Position("KASUBBAG-UMUM", "Kasubbag Umum dan Kepegawaian", S, "DISDIK-UMUM", "IV.a",
             heads_unit=True),
    Position("STAF-UMUM", "Pengadministrasi Umum", P, "DISDIK-UMUM"),
    Position("KABID-SD", "Kepala Bidang Pembinaan SD", S, "DISDIK-SD", "III.b", heads_unit=True),
    Position("KASI-KURIK", "Kepala Seksi Kurikulum SD", S, "DISDIK-KURIK", "IV.a",
             heads_unit=True),
    Position("STAF-KURIK", "Pengolah Data Kurikulum", P, "DISDIK-KURIK"),
    # the school is headed by a teacher (a functional position with an extra task)
    Position("KEPSEK-SDN1", "Kepala SD Negeri 1", F, "SDN-1", heads_unit=True),
    Position("GURU-SDN1", "Guru Kelas", F, "SDN-1"),
    # a school supervisor sits in the Dinas but reports to the Kabid: the override
    Position("PENGAWAS-SD", "Pengawas Sekolah SD", F, "DISDIK",
             reports_to_position_id="KABID-SD"),
]}
#: NIPs of the people of the Dinas (valid layout: birth date, appointment, sex, sequence)
SEKDA = "196805121994031001"
KADIS = "197003151995031002"
SEKRETARIS = "197506202000032001"
KASUBBAG = "198001012005011003"
KABID = "197811112003121004"
KASI = "198204042008012002"
STAF = "199001012015031005"
STAF_UMUM = "199212122019032003"
KEPSEK = "197707072002122004"
GURU = "199505052020121006"
PENGAWAS = "197202022000031007"
HOLDERS = {SEKDA: "SEKDA", KADIS: "KADIS", SEKRETARIS: "SEKRETARIS", KASUBBAG: "KASUBBAG-UMUM",
           KABID: "KABID-SD", KASI: "KASI-KURIK", STAF: "STAF-KURIK", STAF_UMUM: "STAF-UMUM",
           KEPSEK: "KEPSEK-SDN1", GURU: "GURU-SDN1", PENGAWAS: "PENGAWAS-SD"}

# ---------------------------------------------------------------- a generated regency

OPDS = ("DISDIK", "DINKES", "BKPSDM")


def nip(i: int, sex: int = 1) -> str:
    """A well-formed, distinct NIP for sequence `i` (< 1000)."""
    born = date(1970 + i % 30, i % 12 + 1, i % 28 + 1)
    return f"{born:%Y%m%d}{2000 + i % 20}{i % 12 + 1:02d}{sex}{i:03d}"


def regency_rows(staff_per_seksi: int = 30) -> dict[str, list[list[Any]]]:
    """Rows of the three sheets: 3 OPD, each with a secretariat and two bidang of one seksi,
    a head for every unit and `staff_per_seksi` staff in each seksi (about 200 people)."""
    units: list[list[Any]] = [["PEMKAB", "Pemkab Buton Tengah", "pemkab", None, REGENCY]]
    positions: list[list[Any]] = [["SEKDA", "Sekretaris Daerah", "struktural", "II.a", "PEMKAB",
                                   "ya", None]]
    heads: list[tuple[str, str]] = [("SEKDA", "PEMKAB")]
    staff: list[tuple[str, str]] = []
    for opd in OPDS:
        units.append([opd, f"Dinas {opd}", "opd", "PEMKAB", REGENCY])
        positions.append([f"{opd}-KEPALA", f"Kepala {opd}", "struktural", "II.b", opd, "ya", None])
        heads.append((f"{opd}-KEPALA", opd))
        subs = [(f"{opd}-SEKRE", "sekretariat", opd, "III.a")]
        for b in (1, 2):
            subs.append((f"{opd}-BID{b}", "bidang", opd, "III.b"))
            subs.append((f"{opd}-BID{b}-SEKSI", "seksi", f"{opd}-BID{b}", "IV.a"))
        for uid, kind, parent, eselon in subs:
            units.append([uid, f"Unit {uid}", kind, parent, REGENCY])
            positions.append([f"{uid}-KEPALA", f"Kepala {uid}", "struktural", eselon, uid, "ya",
                              None])
            heads.append((f"{uid}-KEPALA", uid))
            if kind == "seksi":
                positions.append([f"{uid}-STAF", f"Pelaksana {uid}", "pelaksana", None, uid,
                                  "tidak", None])
                staff += [(f"{uid}-STAF", uid)] * staff_per_seksi
    employees: list[list[Any]] = []
    for i, (pos, unit) in enumerate(heads + staff):
        kind = "ASN" if i % 10 else "PPPK"
        employees.append([nip(i, 1 + i % 2), f"Pegawai {i:03d}", kind, unit, pos,
                          date(2024, 1, 2), "9" if pos.endswith("KEPALA") else "7", "kantor",
                          "kantor-bupati", date(2015, 3, 1), None])
    return {"unit": units, "jabatan": positions, "pegawai": employees}


def holder(rows: dict[str, list[list[Any]]], position_id: str) -> str:
    """The NIP of the (first) person the rows put in a position."""
    return next(r[0] for r in rows["pegawai"] if r[4] == position_id)


def with_acting(rows: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """The regency's rows with a `plt` sheet: the Sekretaris of DISDIK is Plt Kabid 1 for
    October–December 2026 (the Kabid is on long leave), and the Sekretaris of DINKES is Plh
    Kepala Dinas for 12–16 October."""
    rows["plt"] = [
        [holder(rows, "DISDIK-SEKRE-KEPALA"), "DISDIK-BID1-KEPALA", "plt", date(2026, 10, 1),
         date(2026, 12, 31), "800/112/BKPSDM/2026"],
        [holder(rows, "DINKES-SEKRE-KEPALA"), "DINKES-KEPALA", "plh", date(2026, 10, 12),
         date(2026, 10, 16), None],
    ]
    return rows


def write_book(rows: dict[str, list[list[Any]]], path: Path) -> Path:
    """Write the rows under the import's header rows."""
    wb = new_workbook()
    for sheet, data in rows.items():
        for r in data:
            wb[sheet].append(r)
    wb.save(path)
    return path
