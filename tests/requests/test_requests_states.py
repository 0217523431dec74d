"""The request state machine with plain data: allowed moves, illegal moves in Bahasa, returns
and resubmission, cancellation, and the history of every move."""

from __future__ import annotations

from datetime import date

import pytest
from hadir_cloud.requests.domain import (
    MOVES,
    Move,
    MoveError,
    NotAllowedError,
    Request,
    RequestError,
    State,
    approve,
    approvers,
    cancel,
    edit,
    new_request,
    reject,
    send_back,
    submit,
)
from request_builders import KABID, KASI, STAF, at, org

D1, D2, D3 = date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 8)
CHAIN = ("atasan", "atasan_atasan")


def draft() -> Request:
    return new_request("R7", STAF, "izin", date(2026, 4, 20), date(2026, 4, 20), at(D1),
                       reason="urusan keluarga")


def test_return_edit_resubmit_restarts_the_chain_from_its_first_step() -> None:
    o = org()
    req = approve(submit(draft(), STAF, at(D1), CHAIN), KASI, at(D2), o)
    assert req.pending_step == "atasan_atasan"
    req = send_back(req, KABID, at(D2, 11), o, "lampirkan undangan")
    assert req.state is State.DIKEMBALIKAN and req.pending_step is None
    assert approvers(req, D2, o) == frozenset()
    req = edit(req, STAF, at(D3), reason="menghadiri wisuda anak", end=date(2026, 4, 21))
    assert (req.state, req.reason, req.end) == (State.DIKEMBALIKAN, "menghadiri wisuda anak",
                                                date(2026, 4, 21))
    req = submit(req, STAF, at(D3, 10), CHAIN)
    assert req.state is State.DIAJUKAN and req.step == 0
    assert approvers(req, D3, o) == {KASI}  # the Kasi approved the earlier version only
    assert req.deciders() == set()
    back = [e for e in req.events if e.move is Move.KEMBALIKAN]
    assert [(e.actor, e.from_state, e.to_state, e.step, e.note) for e in back] == [
        (KABID, State.DIAJUKAN, State.DIKEMBALIKAN, 1, "lampirkan undangan")]


ILLEGAL = [(m, s) for m in Move for s in State if (m, s) not in MOVES]


def test_the_table_allows_ten_moves() -> None:
    assert len(ILLEGAL) == len(Move) * len(State) - 10


@pytest.mark.parametrize(("move", "state"), ILLEGAL)
def test_every_move_outside_the_table_raises_a_bahasa_error(move: Move, state: State) -> None:
    req = Request("R9", STAF, "izin", D1, D1, state=state, chain=("atasan",))
    actor = STAF if move in (Move.UBAH, Move.AJUKAN, Move.BATALKAN) else KASI
    o = org()
    do = {
        Move.UBAH: lambda: edit(req, actor, at(D2), reason="x"),
        Move.AJUKAN: lambda: submit(req, actor, at(D2), ("atasan",)),
        Move.SETUJUI: lambda: approve(req, actor, at(D2), o),
        Move.KEMBALIKAN: lambda: send_back(req, actor, at(D2), o, "catatan"),
        Move.TOLAK: lambda: reject(req, actor, at(D2), o, "catatan"),
        Move.BATALKAN: lambda: cancel(req, actor, at(D2)),
    }[move]
    with pytest.raises(MoveError, match=f"berstatus {state.value}: tidak dapat di-{move.value}"):
        do()


def test_cancel_before_the_final_decision_only_by_the_requester() -> None:
    o = org()
    req = submit(draft(), STAF, at(D1), CHAIN)
    with pytest.raises(NotAllowedError, match="hanya pemohon"):
        cancel(req, KASI, at(D2))
    req = approve(req, KASI, at(D2), o)
    gone = cancel(req, STAF, at(D2, 12), "tidak jadi")
    assert gone.state is State.DIBATALKAN
    assert (gone.events[-1].from_state, gone.events[-1].note) == (State.DIAJUKAN, "tidak jadi")
    assert approvers(gone, D2, o) == frozenset()
    final = approve(approve(submit(draft(), STAF, at(D1), CHAIN), KASI, at(D2), o), KABID,
                    at(D2), o)
    with pytest.raises(MoveError, match="berstatus disetujui: tidak dapat di-batalkan"):
        cancel(final, STAF, at(D3))


def test_return_and_reject_need_a_note() -> None:
    o = org()
    req = submit(draft(), STAF, at(D1), CHAIN)
    with pytest.raises(RequestError, match="alasan wajib diisi untuk kembalikan"):
        send_back(req, KASI, at(D2), o, "  ")
    with pytest.raises(RequestError, match="alasan wajib diisi untuk tolak"):
        reject(req, KASI, at(D2), o, "")
    assert reject(req, KASI, at(D2), o, "kegiatan kantor").events[-1].note == "kegiatan kantor"


def test_only_the_requester_edits_or_submits_and_only_content_fields() -> None:
    with pytest.raises(NotAllowedError):
        submit(draft(), KASI, at(D1), CHAIN)
    with pytest.raises(NotAllowedError):
        edit(draft(), KASI, at(D1), reason="x")
    with pytest.raises(RequestError, match="tidak dapat diubah: nip, state"):
        edit(draft(), STAF, at(D1), state=State.DISETUJUI, nip=KASI)


def test_submit_names_every_problem_and_keeps_the_draft() -> None:
    with pytest.raises(RequestError, match="belum dapat diajukan: satu; dua"):
        submit(draft(), STAF, at(D1), CHAIN, ["satu", "dua"])
    with pytest.raises(RequestError, match="tanpa langkah"):
        submit(draft(), STAF, at(D1), ())
