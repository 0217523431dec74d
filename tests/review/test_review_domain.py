"""The review of NIP check-ins, pure: who may review whom, the moves, the face verdict."""

from __future__ import annotations

import pytest
from hadir_cloud.portal.rbac import Principal, Role
from hadir_cloud.review.domain import (
    MOVES,
    Decision,
    FaceMatch,
    ReviewError,
    State,
    decide,
    face_match,
    may_review,
)

ATASAN = Principal("kaban", "197903032006042004", frozenset({Role.PEGAWAI, Role.ATASAN}),
                   frozenset({"BKPSDM"}))
SUB = frozenset({"BKPSDM", "BKPSDM-BID"})


def test_an_atasan_reviews_the_people_below_and_not_others_nor_themselves():
    assert may_review(ATASAN, "198804042012052005", "BKPSDM-BID", SUB)
    assert not may_review(ATASAN, "199205052019031007", "DISDIK", SUB)
    assert not may_review(ATASAN, ATASAN.nip, "BKPSDM", SUB)  # one's own check-in: never
    assert not may_review(ATASAN, "198804042012052005", None, SUB)  # an unknown person


def test_opd_admin_and_verifikator_within_their_unit_bkpsdm_everywhere():
    opd = Principal("disdik", None, frozenset({Role.ADMIN_OPD}), frozenset({"DISDIK"}))
    ver = Principal("paraf", None, frozenset({Role.VERIFIKATOR}), frozenset({"DISDIK"}))
    for who in (opd, ver):
        assert may_review(who, "1", "DISDIK", frozenset({"DISDIK"}))
        assert not may_review(who, "1", "BKPSDM", frozenset({"DISDIK"}))
    bkpsdm = Principal("bkpsdm", None, frozenset({Role.ADMIN_BKPSDM}))
    assert may_review(bkpsdm, "1", "DISDIK", frozenset()) and may_review(bkpsdm, "1", None,
                                                                          frozenset())


def test_roles_that_do_not_review_are_refused_even_regency_wide():
    for role in (Role.PIMPINAN, Role.AUDITOR, Role.OPERATOR_TI, Role.PEGAWAI, Role.TU):
        who = Principal("x", None, frozenset({role}), frozenset({"DISDIK"}))
        assert not may_review(who, "1", "DISDIK", frozenset({"DISDIK"})), role


def test_accept_needs_no_reason_reject_does():
    assert decide(State.PENDING, Decision.ACCEPTED, None).decision is Decision.ACCEPTED
    with pytest.raises(ReviewError, match="alasan penolakan") as err:
        decide(State.PENDING, Decision.REJECTED, "   ")
    assert err.value.code == "reject_note"
    move = decide(State.PENDING, Decision.REJECTED, "  bukan orangnya ")
    assert (move.from_state, move.decision, move.note) == (State.PENDING, Decision.REJECTED,
                                                           "bukan orangnya")


def test_the_same_decision_again_is_no_move_and_a_change_of_mind_needs_a_reason():
    assert decide(State.ACCEPTED, Decision.ACCEPTED, None) is None
    assert decide(State.REJECTED, Decision.REJECTED, "lagi") is None
    for state, decision in ((State.ACCEPTED, Decision.REJECTED),
                            (State.REJECTED, Decision.ACCEPTED)):
        with pytest.raises(ReviewError) as err:
            decide(state, decision, "")
        assert err.value.code == ("reject_note" if decision is Decision.REJECTED
                                  else "change_note")
        assert decide(state, decision, "foto referensi lama").from_state is state
    # every state that is not the decision itself has a move
    assert {(s, d) for s in State for d in Decision if s.value != d.value} == set(MOVES)


def test_a_reason_has_a_limit():
    with pytest.raises(ReviewError, match="500"):
        decide(State.PENDING, Decision.REJECTED, "x" * 501)


def test_face_distance_against_the_check_in_s_threshold():
    assert face_match(0.62, 0.5) == (FaceMatch.ABOVE, 0.5)
    assert face_match(0.42, 0.5) == (FaceMatch.BELOW, 0.5)
    assert face_match(0.5, 0.5) == (FaceMatch.BELOW, 0.5)  # the kiosk's rule: <= matches
    assert face_match(0.55, 0.6) == (FaceMatch.BELOW, 0.6)
    assert face_match(0.55, None) == (FaceMatch.ABOVE, 0.5)  # the kiosk default
    assert face_match(None, 0.5) == (FaceMatch.UNKNOWN, 0.5)
