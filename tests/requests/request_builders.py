"""Plain-data builders for the request tests: a small Dinas Kesehatan, a BKPSDM, a calendar."""

from __future__ import annotations

from datetime import date, datetime, time

from hadir_cloud.org.domain import (
    ActingAssignment,
    ActingKind,
    Assignment,
    Position,
    PositionKind,
    Unit,
    UnitKind,
)
from hadir_cloud.requests.domain import Org
from hadir_cloud.tpp.calendar import CalendarEntry, OfficeCalendar

REGENCY = "Ogan Ilir"
UNITS = {u.id: u for u in [
    Unit("PEMKAB", "Pemerintah Kabupaten Ogan Ilir", UnitKind.PEMKAB, REGENCY),
    Unit("DINKES", "Dinas Kesehatan", UnitKind.OPD, REGENCY, "PEMKAB"),
    Unit("SEKRE", "Sekretariat", UnitKind.SEKRETARIAT, REGENCY, "DINKES"),
    Unit("UMUM", "Subbagian Umum dan Kepegawaian", UnitKind.SUBBAG, REGENCY, "SEKRE"),
    Unit("P2P", "Bidang Pencegahan dan Pengendalian Penyakit", UnitKind.BIDANG, REGENCY,
         "DINKES"),
    Unit("SURV", "Seksi Surveilans dan Imunisasi", UnitKind.SEKSI, REGENCY, "P2P"),
    Unit("BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", UnitKind.OPD, REGENCY, "PEMKAB"),
]}
S, P = PositionKind.STRUKTURAL, PositionKind.PELAKSANA
POSITIONS = {p.id: p for p in [
    Position("SEKDA", "Sekretaris Daerah", S, "PEMKAB", "II.a", heads_unit=True),
    Position("KADIS", "Kepala Dinas Kesehatan", S, "DINKES", "II.b", heads_unit=True),
    Position("SEKRETARIS", "Sekretaris Dinas", S, "SEKRE", "III.a", heads_unit=True),
    Position("KASUBBAG", "Kasubbag Umum dan Kepegawaian", S, "UMUM", "IV.a", heads_unit=True),
    Position("STAF-UMUM", "Pengadministrasi Umum", P, "UMUM"),
    Position("KABID", "Kepala Bidang P2P", S, "P2P", "III.b", heads_unit=True),
    Position("KASI", "Kepala Seksi Surveilans", S, "SURV", "IV.a", heads_unit=True),
    Position("STAF-SURV", "Pengelola Data Surveilans", P, "SURV"),
    Position("KA-BKPSDM", "Kepala BKPSDM", S, "BKPSDM", "II.b", heads_unit=True),
    Position("ANALIS-BKPSDM", "Analis Kepegawaian", P, "BKPSDM"),
]}
SEKDA = "196805121994031001"
KADIS = "197003151995031002"
SEKRETARIS = "197506202000032001"
KASUBBAG = "198001012005011003"
STAF_UMUM = "199212122019032003"
KABID = "197811112003121004"
KASI = "198204042008012002"
STAF = "199001012015031005"
STAF2 = "199303032019031008"
KA_BKPSDM = "197101012000031009"
ANALIS1 = "198808082012122010"
ANALIS2 = "199109092015032011"
HOLDERS = {SEKDA: "SEKDA", KADIS: "KADIS", SEKRETARIS: "SEKRETARIS", KASUBBAG: "KASUBBAG",
           STAF_UMUM: "STAF-UMUM", KABID: "KABID", KASI: "KASI", STAF: "STAF-SURV",
           STAF2: "STAF-SURV", KA_BKPSDM: "KA-BKPSDM", ANALIS1: "ANALIS-BKPSDM",
           ANALIS2: "ANALIS-BKPSDM"}
SINCE = date(2020, 1, 1)


def assignments(*extra: Assignment, ended: dict[str, date] | None = None) -> tuple[
        Assignment, ...]:
    """Everyone in their position since 2020; `ended` closes some assignments on a date."""
    ended = ended or {}
    base = [Assignment(n, p, SINCE, ended.get(n)) for n, p in HOLDERS.items()]
    return (*base, *extra)


def org(*, extra: tuple[Assignment, ...] = (), ended: dict[str, date] | None = None,
        acting: tuple[ActingAssignment, ...] = (),
        away: set[tuple[str, date]] | None = None,
        bkpsdm: frozenset[str] = frozenset({ANALIS1, ANALIS2})) -> Org:
    """The regency's org as the chain reads it."""
    return Org(UNITS, POSITIONS, assignments(*extra, ended=ended), acting, bkpsdm,
               frozenset(away or ()))


def away_days(nip: str, first: date, last: date) -> set[tuple[str, date]]:
    """`nip` away every day first..last."""
    return {(nip, date.fromordinal(o)) for o in range(first.toordinal(), last.toordinal() + 1)}


def plh(nip: str, position_id: str, first: date, last: date) -> ActingAssignment:
    """A Pelaksana Harian."""
    return ActingAssignment(nip, position_id, first, last, ActingKind.PLH, "SPRIN/PLH/1/2026")


def plt(nip: str, position_id: str, first: date, last: date) -> ActingAssignment:
    """A Pelaksana Tugas."""
    return ActingAssignment(nip, position_id, first, last, ActingKind.PLT, "SK/PLT/2/2026")


def at(day: date, hour: int = 9) -> datetime:
    """A local time on `day`."""
    return datetime.combine(day, time(hour))


def calendar(*entries: tuple[date, str, str], workweek: int = 5) -> OfficeCalendar:
    """An office calendar with these (day, kind, name) entries."""
    return OfficeCalendar("Asia/Jakarta", workweek,
                          tuple(CalendarEntry(d, k, n) for d, k, n in entries))
