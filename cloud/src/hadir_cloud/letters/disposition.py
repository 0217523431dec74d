"""Incoming letters and their dispositions, pure.

Decisions written down here:

- TU registers a scanned letter for a unit; it goes to whoever heads that unit on the day
  (the first disposition, `from_nip` None: "incoming, unread" in the head's inbox).
- A disposition's recipient disposes further down (`diteruskan`: new dispositions to people
  below them, each with an instruction and an optional deadline no later than their own) or
  acts on it (`selesai`, with a note; or as a day's LKH activity). Only a disposition in `baru`
  moves; its recipient moves it.
- "Below" is the people whose unit on the day lies in the subtree of a unit the disposer heads
  (by position, or as Plt/Plh), themselves excluded. Someone who heads nothing acts.
- The letter is `diterima` until its first disposition moves, `didisposisi` while any is open,
  and `selesai` once every disposition is done or passed on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from hadir_cloud.org.domain import subtree, unit_on

from .domain import Chart, LetterError, State


class DispState(StrEnum):
    """States of one disposition."""

    BARU = "baru"
    DITERUSKAN = "diteruskan"
    SELESAI = "selesai"


DISP_TEXT = {"baru": "menunggu tindak lanjut", "diteruskan": "diteruskan",
             "selesai": "selesai"}
MAX_INSTRUCTION = 1000


@dataclass(frozen=True)
class Disposition:
    """One disposition as the rules read it."""

    id: int
    letter_id: int
    parent_id: int | None
    from_nip: str | None
    to_nip: str
    instruction: str
    deadline: date | None
    state: DispState


def headed_units(nip: str, day: date, chart: Chart) -> set[str]:
    """The units `nip` heads on `day` (definitively or as Plt/Plh)."""
    return {p.unit_id for p in chart.positions.values()
            if p.heads_unit and chart.holder(p.id, day) == nip}


def below(nip: str, day: date, chart: Chart, people: Iterable[str]) -> list[str]:
    """Of `people`, those `nip` may dispose to on `day` (see the module's rules)."""
    units: set[str] = set()
    for u in headed_units(nip, day, chart):
        units |= subtree(u, chart.units)
    return [p for p in people if p != nip
            and unit_on(p, day, chart.positions, chart.assignments) in units]


def check_dispose(d: Disposition, actor: str, to: list[str], allowed: Iterable[str],
                  instruction: str, deadline: date | None, today: date) -> None:
    """LetterError (Bahasa) when `actor` may not pass `d` on to `to` now."""
    if d.to_nip != actor:
        raise LetterError("hanya penerima disposisi yang dapat meneruskannya")
    if d.state is not DispState.BARU:
        raise LetterError(f"disposisi ini sudah {DISP_TEXT[d.state]}")
    if not to:
        raise LetterError("pilih paling sedikit satu penerima disposisi")
    refused = sorted(set(to) - set(allowed))
    if refused:
        raise LetterError("penerima di luar bawahan Anda: " + ", ".join(refused))
    if len(instruction) > MAX_INSTRUCTION:
        raise LetterError(f"instruksi paling panjang {MAX_INSTRUCTION} huruf")
    if deadline is not None:
        if deadline < today:
            raise LetterError("batas waktu tidak boleh sebelum hari ini")
        if d.deadline is not None and deadline > d.deadline:
            raise LetterError(f"batas waktu tidak boleh melewati batas Anda sendiri "
                              f"({d.deadline:%d-%m-%Y})")


def check_done(d: Disposition, actor: str) -> None:
    """LetterError when `actor` may not mark `d` done."""
    if d.to_nip != actor:
        raise LetterError("hanya penerima disposisi yang dapat menyelesaikannya")
    if d.state is not DispState.BARU:
        raise LetterError(f"disposisi ini sudah {DISP_TEXT[d.state]}")


def letter_state(dispositions: Iterable[Disposition]) -> State:
    """An incoming letter's state from its dispositions (see the module's rules)."""
    ds = list(dispositions)
    roots = [d for d in ds if d.parent_id is None]
    if not ds or all(d.state is DispState.BARU for d in roots):
        return State.DITERIMA
    if any(d.state is DispState.BARU for d in ds):
        return State.DIDISPOSISI
    return State.SELESAI


def tree(dispositions: Iterable[Disposition]) -> list[tuple[int, Disposition]]:
    """The dispositions in the order of the lembar disposisi: each under its parent, with its
    depth."""
    ds = list(dispositions)
    children: Mapping[int | None, list[Disposition]] = {}
    for d in sorted(ds, key=lambda d: d.id):
        children.setdefault(d.parent_id, []).append(d)  # type: ignore[attr-defined]
    out: list[tuple[int, Disposition]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            out.append((depth, d))
            walk(d.id, depth + 1)

    walk(None, 0)
    return out
