"""The review of NIP check-ins, pure: who may review whom, the allowed moves, the face verdict.

A check-in made by typing one's NIP (the kiosk did not recognise the face) waits for a
reviewer; until accepted it is no presence (`tpp.store.punches_of` leaves it out). Its states
and the moves between them are one table (`MOVES`); a reject, and any change of mind, needs a
reason. Deciding what is already decided the same way is no move (a double submit).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from ..portal.rbac import Principal, Role


class State(StrEnum):
    """Where a NIP check-in stands in review."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Decision(StrEnum):
    """What a reviewer decides."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ReviewError(ValueError):
    """A decision that cannot be made; the message says why (Bahasa), `code` which rule."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


#: (from, decision) → is a reason required. A move not here is refused.
MOVES: dict[tuple[State, Decision], bool] = {
    (State.PENDING, Decision.ACCEPTED): False,
    (State.PENDING, Decision.REJECTED): True,
    # a change of mind: always with the reason for it
    (State.ACCEPTED, Decision.REJECTED): True,
    (State.REJECTED, Decision.ACCEPTED): True,
}
#: the longest reason kept
NOTE_MAX = 500

#: roles that review NIP check-ins (within their scope, `review_units`)
REVIEWERS = frozenset({Role.ATASAN, Role.VERIFIKATOR, Role.ADMIN_OPD, Role.ADMIN_BKPSDM,
                       Role.ADMIN})
#: roles that review the whole regency's
_REGENCY_WIDE = frozenset({Role.ADMIN_BKPSDM, Role.ADMIN})


@dataclass(frozen=True)
class Move:
    """A decision to record; None from `decide` when nothing changes."""

    from_state: State
    decision: Decision
    note: str | None


def regency_wide(who: Principal) -> bool:
    """Reviews everyone's NIP check-ins (BKPSDM, the first administrators)."""
    return bool(who.roles & _REGENCY_WIDE)


def may_review(who: Principal, person_nip: str, person_unit: str | None,
               subtree: Set[str]) -> bool:
    """May `who` decide a check-in of this person? `subtree`: the units under who's scoped
    units (an atasan's headed units, an OPD admin's or a verifikator's granted unit).

    Never one's own check-in: an atasan heads a unit they also work in.
    """
    if not who.roles & REVIEWERS or (who.nip is not None and who.nip == person_nip):
        return False
    if regency_wide(who):
        return True
    return person_unit is not None and person_unit in subtree


def decide(state: State, decision: Decision, note: str | None) -> Move | None:
    """The move from `state` by `decision` with `note`; None when it is already so (a repeat
    of the same decision changes nothing, so a double submit is harmless).

    Raises ReviewError when a reason is needed and missing, or too long.
    """
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise ReviewError("note_long", f"alasan paling panjang {NOTE_MAX} karakter")
    if state.value == decision.value:
        return None
    needs_note = MOVES.get((state, decision))
    if needs_note is None:  # pragma: no cover - every (state, other decision) is in MOVES
        raise ReviewError("no_move", "keputusan ini tidak dapat dibuat")
    if needs_note and note is None:
        if decision is Decision.REJECTED:
            raise ReviewError("reject_note", "tulis alasan penolakan")
        raise ReviewError("change_note", "tulis alasan mengubah keputusan")
    return Move(state, decision, note)


class FaceMatch(StrEnum):
    """How the face at the kiosk compares with the claimed person's enrolled face."""

    BELOW = "below"  # within the threshold: likely the same person
    ABOVE = "above"  # over the threshold: likely someone else
    UNKNOWN = "unknown"  # no distance (no face read, the person not in the kiosk's gallery)


#: the kiosk's default threshold (`hadir-cloud device config --face-distance`)
DEFAULT_THRESHOLD = 0.5


def face_match(distance: float | None, threshold: float | None) -> tuple[FaceMatch, float]:
    """The verdict on a face distance, and the threshold it was held against (the check-in's
    own, else the kiosk default). Equal to the threshold is still a match (the kiosk's
    rule, `hadir_edge.face`)."""
    limit = threshold if threshold is not None else DEFAULT_THRESHOLD
    if distance is None:
        return FaceMatch.UNKNOWN, limit
    return (FaceMatch.BELOW if distance <= limit else FaceMatch.ABOVE), limit
