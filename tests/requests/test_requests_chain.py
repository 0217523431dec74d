"""The approval chain from the organisation, with plain data: acting officials, an approver who
is away, a supervisor asking for their own leave, a person moved to another unit mid-request."""

from __future__ import annotations

from datetime import date

import pytest
from hadir_cloud.org.domain import Assignment, atasan_of
from hadir_cloud.requests.domain import (
    Move,
    NotAllowedError,
    Request,
    State,
    approve,
    approvers,
    new_request,
    reject,
    submit,
)
from request_builders import (
    ANALIS1,
    ANALIS2,
    HOLDERS,
    KA_BKPSDM,
    KABID,
    KADIS,
    KASI,
    KASUBBAG,
    SEKDA,
    SEKRETARIS,
    STAF,
    STAF2,
    STAF_UMUM,
    at,
    away_days,
    org,
    plh,
    plt,
)

D1, D2, D3, D4 = date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 8), date(2026, 4, 9)
TWO_LEVELS = ("atasan", "atasan_atasan")


def submitted(nip: str, chain: tuple[str, ...] = ("atasan",), day: date = D1) -> Request:
    """A cuti request of `nip` for late April, submitted on `day`."""
    req = new_request("R1", nip, "cuti_tahunan", date(2026, 4, 20), date(2026, 4, 22), at(day))
    return submit(req, nip, at(day, 10), chain)


def only(able: frozenset[str]) -> str:
    assert len(able) == 1, able
    return next(iter(able))


@pytest.mark.parametrize("nip", sorted(HOLDERS))
def test_atasan_step_is_atasan_of_when_nobody_is_away(nip: str) -> None:
    """Nobody away, no acting: the atasan step goes to org.domain's atasan_of, for everyone
    (the Sekda, at the top, falls to BKPSDM)."""
    o = org()
    expected = atasan_of(nip, D2, o.units, o.positions, o.assignments)
    able = approvers(submitted(nip), D2, o)
    if expected is None:
        assert nip == SEKDA and able == {ANALIS1, ANALIS2}
    else:
        assert able == {expected.nip}


def test_two_steps_go_up_one_level_each_and_every_move_is_an_event() -> None:
    o = org()
    req = submitted(STAF, TWO_LEVELS)
    assert req.state is State.DIAJUKAN and req.pending_step == "atasan"
    assert approvers(req, D2, o) == {KASI}
    req = approve(req, KASI, at(D2), o, "setuju")
    assert req.state is State.DIAJUKAN and req.pending_step == "atasan_atasan"
    assert approvers(req, D2, o) == {KABID}
    req = approve(req, KABID, at(D3), o)
    assert req.state is State.DISETUJUI and approvers(req, D3, o) == frozenset()
    assert [(e.actor, e.move, e.from_state, e.to_state, e.step, e.note) for e in req.events] == [
        (STAF, Move.UBAH, State.DRAF, State.DRAF, None, "dibuat"),
        (STAF, Move.AJUKAN, State.DRAF, State.DIAJUKAN, None, ""),
        (KASI, Move.SETUJUI, State.DIAJUKAN, State.DIAJUKAN, 0, "setuju"),
        (KABID, Move.SETUJUI, State.DIAJUKAN, State.DISETUJUI, 1, ""),
    ]
    assert [e.at.date() for e in req.events[2:]] == [D2, D3]


# ---------------------------------------------------------------- acting officials


def test_plt_of_a_vacant_head_decides() -> None:
    """The Kabid retired on 31 March; the Sekretaris is Plt Kabid in April: the Kasi's request
    goes to the Plt, and after the Plt's term to the Kadis (vacant head skipped upward)."""
    o = org(ended={KABID: date(2026, 3, 31)},
            acting=(plt(SEKRETARIS, "KABID", date(2026, 4, 1), date(2026, 4, 30)),))
    req = submitted(KASI)
    assert approvers(req, D2, o) == {SEKRETARIS}
    assert approvers(req, date(2026, 5, 4), o) == {KADIS}
    done = approve(req, SEKRETARIS, at(D2), o)
    assert done.state is State.DISETUJUI and done.events[-1].actor == SEKRETARIS


def test_plh_decides_before_the_definitive_holder_on_the_assignment_days() -> None:
    o = org(acting=(plh(KASUBBAG, "KASI", D2, D3),))
    req = submitted(STAF)
    assert approvers(req, D1, o) == {KASI}
    assert approvers(req, D2, o) == {KASUBBAG}
    with pytest.raises(NotAllowedError, match="tidak berwenang.*yang berwenang: " + KASUBBAG):
        approve(req, KASI, at(D2), o)


def test_no_one_approves_two_steps_of_one_request() -> None:
    """The Kasi is also Plh Kabid: after approving the first step as Kasi, the second (the
    Kabid's) goes above the Kabid, not back to the Kasi, and not to the Kabid who is away."""
    o = org(acting=(plh(KASI, "KABID", D1, D4),), away=away_days(KABID, D1, D4))
    req = approve(submitted(STAF, TWO_LEVELS), KASI, at(D2), o)
    assert approvers(req, D2, o) == {KADIS}
    with pytest.raises(NotAllowedError):
        approve(req, KASI, at(D2), o)


def test_plt_asking_for_their_own_leave_goes_above_the_acting_position() -> None:
    """The Kasi who is Plt Kabid asks for leave: the Kabid position is theirs that day, so the
    request goes to the Kadis."""
    o = org(ended={KABID: date(2026, 3, 31)},
            acting=(plt(KASI, "KABID", date(2026, 4, 1), date(2026, 4, 30)),))
    assert approvers(submitted(KASI), D2, o) == {KADIS}
    # and their own staff's request is decided by them as Kasi, the second step above the Kabid
    req = submitted(STAF, TWO_LEVELS)
    assert approvers(req, D2, o) == {KASI}
    assert approvers(approve(req, KASI, at(D2), o), D2, o) == {KADIS}


# ---------------------------------------------------------------- an approver who is away


def test_approver_away_without_acting_is_skipped_upward_for_those_days_only() -> None:
    o = org(away=away_days(KASI, D2, D3))
    req = submitted(STAF)
    assert approvers(req, D1, o) == {KASI}
    assert approvers(req, D2, o) == {KABID}
    with pytest.raises(NotAllowedError, match=f"{KASI} tidak berwenang"):
        approve(req, KASI, at(D2), o)
    assert approvers(req, D4, o) == {KASI}  # back at work: the step is theirs again
    assert approve(req, KASI, at(D4), o).state is State.DISETUJUI


def test_approver_away_with_a_plh_is_replaced_by_the_plh() -> None:
    o = org(away=away_days(KABID, D1, D4), acting=(plh(SEKRETARIS, "KABID", D1, D4),))
    assert approvers(submitted(KASI), D2, o) == {SEKRETARIS}


def test_plh_away_too_falls_to_the_definitive_holder_then_upward() -> None:
    o = org(acting=(plh(SEKRETARIS, "KABID", D1, D4),), away=away_days(SEKRETARIS, D2, D2))
    assert approvers(submitted(KASI), D2, o) == {KABID}
    o = org(acting=(plh(SEKRETARIS, "KABID", D1, D4),),
            away=away_days(SEKRETARIS, D2, D2) | away_days(KABID, D2, D2))
    assert approvers(submitted(KASI), D2, o) == {KADIS}


def test_second_step_level_does_not_shift_when_the_first_approver_is_away_later() -> None:
    """The Kasi approved step 1 and then went on leave: step 2 is still the Kabid's."""
    o = org(away=away_days(KASI, D3, D4))
    req = approve(submitted(STAF, TWO_LEVELS), KASI, at(D2), o)
    assert approvers(req, D3, o) == {KABID}


# ---------------------------------------------------------------- a supervisor's own leave


@pytest.mark.parametrize(("nip", "expected"), [
    (KASI, KABID), (KABID, KADIS), (KASUBBAG, SEKRETARIS), (SEKRETARIS, KADIS), (KADIS, SEKDA),
    (KA_BKPSDM, SEKDA),
])
def test_supervisor_own_leave_goes_to_their_own_atasan(nip: str, expected: str) -> None:
    o = org()
    req = submitted(nip, TWO_LEVELS)
    assert approvers(req, D2, o) == {expected}
    assert nip not in approvers(req, D2, o)
    with pytest.raises(NotAllowedError):
        approve(req, nip, at(D2), o)


def test_sekda_own_leave_falls_to_bkpsdm_and_second_level_too() -> None:
    o = org()
    req = submitted(SEKDA, TWO_LEVELS)
    assert approvers(req, D2, o) == {ANALIS1, ANALIS2}
    req = approve(req, ANALIS1, at(D2), o)
    assert approvers(req, D2, o) == {ANALIS2}  # the one who approved step 1 cannot do step 2


# ---------------------------------------------------------------- moved mid-request


def test_moved_mid_request_pending_step_follows_the_new_unit_approved_steps_stay() -> None:
    """STAF moves from Surveilans to Umum on D3. Step 1 was approved by the old Kasi on D2 and
    stays; step 2, decided on D4, belongs to the new unit's second level (the Sekretaris), no
    longer the old Kabid."""
    o = org(ended={STAF: D2}, extra=(Assignment(STAF, "STAF-UMUM", D3),))
    req = approve(submitted(STAF, TWO_LEVELS), KASI, at(D2), o)
    assert approvers(req, D2, o) == {KABID}  # still in Surveilans that day
    assert approvers(req, D4, o) == {SEKRETARIS}
    with pytest.raises(NotAllowedError):
        approve(req, KABID, at(D4), o)
    done = approve(req, SEKRETARIS, at(D4), o)
    assert done.state is State.DISETUJUI
    assert [(e.actor, e.step) for e in done.events if e.move is Move.SETUJUI] == [
        (KASI, 0), (SEKRETARIS, 1)]


def test_moved_before_the_first_decision_goes_to_the_new_atasan() -> None:
    o = org(ended={STAF: D2}, extra=(Assignment(STAF, "STAF-UMUM", D3),))
    req = submitted(STAF)
    assert approvers(req, D2, o) == {KASI}
    assert approvers(req, D3, o) == {KASUBBAG}
    assert reject(req, KASUBBAG, at(D3), o, "jadwal bentrok").state is State.DITOLAK


def test_person_without_assignment_on_the_day_goes_to_bkpsdm() -> None:
    """A request whose person has no position that day (between two decrees) is not stuck:
    BKPSDM decides it."""
    o = org(ended={STAF2: D2})
    assert approvers(submitted(STAF2), D3, o) == {ANALIS1, ANALIS2}


# ---------------------------------------------------------------- the BKPSDM step


def test_bkpsdm_step_anyone_with_the_role_not_away_not_the_requester() -> None:
    o = org(away=away_days(ANALIS2, D2, D2))
    req = approve(submitted(STAF, ("atasan", "bkpsdm")), KASI, at(D2), o)
    assert req.pending_step == "bkpsdm"
    assert approvers(req, D2, o) == {ANALIS1}
    assert approvers(req, D3, o) == {ANALIS1, ANALIS2}
    assert approve(req, ANALIS2, at(D3), o).state is State.DISETUJUI
    # an analyst's own request: the other analyst decides the BKPSDM step
    own = approve(submitted(ANALIS1, ("atasan", "bkpsdm")), KA_BKPSDM, at(D2), o)
    assert approvers(own, D3, o) == {ANALIS2}
    assert only(approvers(submitted(STAF_UMUM), D2, o)) == KASUBBAG
