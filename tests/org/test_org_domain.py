"""Worked examples of the org domain on a Dinas Pendidikan built by hand (plain data)."""

from __future__ import annotations

from datetime import date

from hadir_cloud.org.domain import (
    ActingAssignment,
    ActingKind,
    Assignment,
    Holder,
    Member,
    Unit,
    UnitKind,
    assignment_on,
    atasan_of,
    covered_units,
    definitive_holder_on,
    holder_on,
    leavers,
    opd_of,
    subtree,
    unit_on,
)
from org_builders import (
    GURU,
    HOLDERS,
    KABID,
    KADIS,
    KASI,
    KASUBBAG,
    KEPSEK,
    PENGAWAS,
    POSITIONS,
    SEKDA,
    SEKRETARIS,
    STAF,
    STAF_UMUM,
    UNITS,
)

START = date(2024, 1, 2)
DAY = date(2026, 10, 7)
BASE = [Assignment(n, p, START) for n, p in HOLDERS.items()]


def atasan(nip: str, day: date = DAY, assignments=BASE, acting=()) -> Holder | None:
    return atasan_of(nip, day, UNITS, POSITIONS, assignments, acting)


def test_the_chain_of_the_dinas():
    # staff -> Kasi -> Kabid -> Kepala Dinas -> Sekda -> nobody
    assert atasan(STAF) == Holder(KASI, "KASI-KURIK")
    assert atasan(KASI) == Holder(KABID, "KABID-SD")
    assert atasan(KABID) == Holder(KADIS, "KADIS")
    assert atasan(KADIS) == Holder(SEKDA, "SEKDA")
    assert atasan(SEKDA) is None
    # the secretariat: staff -> Kasubbag -> Sekretaris -> Kepala Dinas
    assert atasan(STAF_UMUM) == Holder(KASUBBAG, "KASUBBAG-UMUM")
    assert atasan(KASUBBAG) == Holder(SEKRETARIS, "SEKRETARIS")
    assert atasan(SEKRETARIS) == Holder(KADIS, "KADIS")
    # the school: guru -> kepala sekolah -> Kepala Dinas
    assert atasan(GURU) == Holder(KEPSEK, "KEPSEK-SDN1")
    assert atasan(KEPSEK) == Holder(KADIS, "KADIS")


def test_an_explicit_supervisor_wins_over_the_head_of_the_unit():
    """The pengawas sits in the Dinas (headed by the Kadis) but reports to the Kabid."""
    assert atasan(PENGAWAS) == Holder(KABID, "KABID-SD")
    # and when that Kabid post is vacant, it climbs from the Kabid's place: to the Kadis
    without_kabid = [a for a in BASE if a.nip != KABID]
    assert atasan(PENGAWAS, assignments=without_kabid) == Holder(KADIS, "KADIS")


def test_a_kabid_on_leave_replaced_by_a_plt_for_two_weeks():
    """Kabid SD on leave 5–16 October; the Sekretaris is Plt Kabid for those dates."""
    plt = [ActingAssignment(SEKRETARIS, "KABID-SD", date(2026, 10, 5), date(2026, 10, 16))]
    # the Plt holds the powers for the dates; the Kabid still holds the position
    assert holder_on("KABID-SD", DAY, BASE, plt) == Holder(SEKRETARIS, "KABID-SD", ActingKind.PLT)
    assert definitive_holder_on("KABID-SD", DAY, BASE) == KABID
    assert assignment_on(KABID, DAY, BASE) == Assignment(KABID, "KABID-SD", START)
    # so the Kasi answers to the Plt inside the dates, to the Kabid outside them
    assert atasan(KASI, acting=plt) == Holder(SEKRETARIS, "KABID-SD", ActingKind.PLT)
    assert atasan(KASI, date(2026, 10, 4), acting=plt) == Holder(KABID, "KABID-SD")
    assert atasan(KASI, date(2026, 10, 16), acting=plt).nip == SEKRETARIS
    assert atasan(KASI, date(2026, 10, 17), acting=plt) == Holder(KABID, "KABID-SD")
    # the Plt's own atasan comes from their own position; the Kabid's too
    assert atasan(SEKRETARIS, acting=plt) == Holder(KADIS, "KADIS")
    assert atasan(KABID, acting=plt) == Holder(KADIS, "KADIS")


def test_a_plt_is_never_their_own_atasan():
    """The Kasi as Plh Kabid: the Kasi's own atasan skips themself up to the Kadis."""
    plh = [ActingAssignment(KASI, "KABID-SD", date(2026, 10, 5), date(2026, 10, 9),
                            ActingKind.PLH)]
    assert atasan(STAF, acting=plh) == Holder(KASI, "KASI-KURIK")
    assert atasan(KASI, acting=plh) == Holder(KADIS, "KADIS")


def test_vacant_heads_are_skipped_upward_using_an_acting_official_where_there_is_one():
    vacant = [a for a in BASE if a.nip not in (KASI, KABID)]
    assert holder_on("KASI-KURIK", DAY, vacant) is None
    assert atasan(STAF, assignments=vacant) == Holder(KADIS, "KADIS")
    plt = [ActingAssignment(SEKRETARIS, "KABID-SD", date(2026, 9, 1), date(2026, 12, 31))]
    assert atasan(STAF, assignments=vacant, acting=plt) == \
        Holder(SEKRETARIS, "KABID-SD", ActingKind.PLT)


def test_a_person_moving_unit_mid_month_keeps_the_past_as_it_was():
    """The curriculum clerk moves to the Subbag Umum on 15 October."""
    moved = [a for a in BASE if a.nip != STAF] + [
        Assignment(STAF, "STAF-KURIK", START, date(2026, 10, 14)),
        Assignment(STAF, "STAF-UMUM", date(2026, 10, 15)),
    ]
    assert assignment_on(STAF, date(2026, 10, 14), moved).position_id == "STAF-KURIK"
    assert unit_on(STAF, date(2026, 10, 14), POSITIONS, moved) == "DISDIK-KURIK"
    assert atasan(STAF, date(2026, 10, 14), moved) == Holder(KASI, "KASI-KURIK")
    assert assignment_on(STAF, date(2026, 10, 15), moved).position_id == "STAF-UMUM"
    assert unit_on(STAF, date(2026, 10, 15), POSITIONS, moved) == "DISDIK-UMUM"
    assert atasan(STAF, date(2026, 10, 15), moved) == Holder(KASUBBAG, "KASUBBAG-UMUM")
    # before joining and for unknown people there is nothing
    assert assignment_on(STAF, date(2023, 12, 31), moved) is None
    assert atasan(STAF, date(2023, 12, 31), moved) is None


def test_subtree_is_an_admin_opds_scope():
    assert subtree("DISDIK", UNITS) == set(UNITS) - {"PEMKAB"}
    assert subtree("DISDIK-SD", UNITS) == {"DISDIK-SD", "DISDIK-KURIK"}
    assert subtree("SDN-1", UNITS) == {"SDN-1"}


# a second OPD beside the Dinas, for the leavers rule
UNITS2 = {**UNITS, "DINKES": Unit("DINKES", "Dinas Kesehatan", UnitKind.OPD, "Buton Tengah",
                                  "PEMKAB"),
          "PKM-1": Unit("PKM-1", "Puskesmas Lakudo", UnitKind.BAGIAN, "Buton Tengah", "DINKES")}


def test_the_opd_of_a_unit_and_what_a_complete_file_covers():
    assert opd_of("DISDIK-KURIK", UNITS2) == "DISDIK"
    assert opd_of("DISDIK", UNITS2) == "DISDIK"
    assert opd_of("SDN-1", UNITS2) == "DISDIK"
    assert opd_of("PEMKAB", UNITS2) is None
    assert opd_of("ENTAH", UNITS2) is None
    # one person of a seksi brings in the whole Dinas; the regency's own unit only itself
    assert covered_units(["DISDIK-KURIK"], UNITS2) == set(UNITS) - {"PEMKAB"}
    assert covered_units(["PEMKAB"], UNITS2) == {"PEMKAB"}
    assert covered_units(["PKM-1", "PEMKAB"], UNITS2) == {"DINKES", "PKM-1", "PEMKAB"}


def test_leavers_are_the_covered_people_absent_from_the_file_who_have_not_left():
    day = date(2026, 10, 20)
    people = [
        Member(STAF, "Staf Kurikulum", "DISDIK-KURIK", date(2015, 1, 1)),
        Member(GURU, "Guru", "SDN-1", date(2020, 12, 1)),
        Member(KADIS, "Kadis", "DISDIK", date(1995, 3, 1)),
        Member(SEKDA, "Sekda", "PEMKAB", date(1994, 3, 1)),           # not covered
        Member("199601012022011001", "Perawat", "PKM-1", date(2022, 1, 1)),  # not covered
        Member(KASI, "Kasi sudah keluar", "DISDIK-KURIK", date(2008, 1, 1), date(2026, 9, 30)),
        Member(KABID, "Kabid pensiun akhir tahun", "DISDIK-SD", date(2003, 12, 1),
               date(2026, 12, 31)),
        Member(STAF_UMUM, "Baru masuk bulan depan", "DISDIK-UMUM", date(2026, 11, 1)),
    ]
    covered = covered_units(["DISDIK-SD"], UNITS2)
    gone = leavers(people, [KADIS], covered, day)
    # the Kadis is in the file; the Kasi left before; the newcomer has not joined yet; the
    # Kabid's later retirement is brought forward to the day
    assert [(m.unit_id, m.nip) for m in gone] == [("DISDIK-KURIK", STAF), ("DISDIK-SD", KABID),
                                                  ("SDN-1", GURU)]
    # once their leave date is the day, nobody leaves again (the apply is idempotent)
    after = [Member(m.nip, m.name, m.unit_id, m.join_date, day) if m in gone else m
             for m in people]
    assert leavers(after, [KADIS], covered, day) == []
    # a later file without the newcomer, once they have joined, lets them go too
    assert [m.nip for m in leavers(after, [KADIS], covered, date(2026, 11, 5))] == [STAF_UMUM]
    assert leavers(people, [KADIS], set(), day) == []
