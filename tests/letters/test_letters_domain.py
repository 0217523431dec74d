"""The letters' pure rules with plain data: the review chain from the organisation (with a
Plt, a vacancy and the Sekretaris), the moves table, versions, dispositions, numbering
patterns and retention."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from hadir_cloud.letters import disposition as dp
from hadir_cloud.letters import domain as d
from hadir_cloud.letters.rules import Rules, RulesError, load_rules, retention, shipped

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "requests"))
from request_builders import (  # noqa: E402
    KABID,
    KADIS,
    KASI,
    KASUBBAG,
    POSITIONS,
    SEKRETARIS,
    STAF,
    STAF2,
    STAF_UMUM,
    UNITS,
    assignments,
    plt,
)

DAY = date(2026, 10, 6)
AT = datetime(2026, 10, 6, 9)
NAMES = {n: f"P{n[-4:]}" for n in (KADIS, SEKRETARIS, KABID, KASI, STAF, STAF2, KASUBBAG,
                                   STAF_UMUM)}
CODES = frozenset(shipped().by_code)


def chart(*, ended: dict[str, date] | None = None, acting=()) -> d.Chart:  # type: ignore[no-untyped-def]
    return d.Chart(UNITS, POSITIONS, assignments(ended=ended), tuple(acting), NAMES)


def letter(c: d.Chart, signer: str = "KADIS", author: str = STAF) -> d.Letter:
    return d.new_letter("7", d.Kind.SURAT_DINAS, author, AT, c, signer, subject="Rapat",
                        body="Isi", classification="440")


def test_the_chain_climbs_to_the_kepala_through_the_sekretaris():
    c = chart()
    assert d.review_chain(STAF, "KADIS", DAY, c) == ("KASI", "KABID", "SEKRETARIS")
    assert d.review_chain(STAF, "KABID", DAY, c) == ("KASI",)  # a Kabid's nota dinas
    assert d.review_chain(STAF_UMUM, "KADIS", DAY, c) == ("KASUBBAG", "SEKRETARIS")
    assert [p.id for p in d.signer_choices(STAF, DAY, c)] == ["KASI", "KABID", "KADIS"]
    with pytest.raises(d.LetterError, match="bukan atasan"):
        d.review_chain(STAF, "KASUBBAG", DAY, c)
    assert letter(c).unit_id == "DINKES"  # the OPD's register and letterhead


def test_a_vacant_kabid_is_skipped_and_a_plt_acts_for_the_position():
    vacant = chart(ended={KABID: date(2026, 9, 30)})
    assert d.review_chain(STAF, "KADIS", DAY, vacant) == ("KASI", "SEKRETARIS")
    acting = chart(ended={KABID: date(2026, 9, 30)},
                   acting=[plt(KASUBBAG, "KABID", date(2026, 10, 1), date(2026, 12, 31))])
    x = d.submit(letter(acting), STAF, AT, acting, CODES)
    assert x.chain == ("KASI", "KABID", "SEKRETARIS")
    x = d.initial(x, KASI, AT, acting)
    assert d.may_act(x, KASUBBAG, DAY, acting) and not d.may_act(x, KABID, DAY, acting)


def test_moves_follow_the_table_and_a_return_starts_the_chain_over():
    c = chart()
    x = letter(c)
    with pytest.raises(d.NotAllowedError):
        d.submit(x, KASI, AT, c, CODES)  # only the author submits
    x = d.submit(x, STAF, AT, c, CODES)
    with pytest.raises(d.NotAllowedError, match="menunggu"):
        d.initial(x, KABID, AT, c)
    with pytest.raises(d.MoveError):
        d.sign(x, KADIS, AT, c, "1")  # not ready to sign
    x = d.edit(x, KASI, AT, c, body="Isi yang diperbaiki Kasi")
    assert x.version == 2
    with pytest.raises(d.LetterError, match="tidak dapat diubah"):
        d.edit(x, KASI, AT, c, classification="000")  # a reviewer edits the text only
    x = d.initial(x, KASI, AT, c)
    with pytest.raises(d.LetterError, match="catatan"):
        d.send_back(x, KABID, AT, c, "")
    x = d.send_back(x, KABID, AT, c, "Tambah jam")
    assert x.state is d.State.DIKEMBALIKAN and x.initialled_by() == [(KASI, AT)]
    x = d.submit(d.edit(x, STAF, AT, c, body="Isi, pukul 09.00"), STAF, AT, c, CODES)
    assert x.step == 0 and x.initialled_by() == []  # earlier initials were for older text
    for nip in (KASI, KABID, SEKRETARIS):
        x = d.initial(x, nip, AT, c)
    assert x.state is d.State.SIAP_TTD
    x = d.sign(x, KADIS, AT, c, "440/0001/DINKES/2026")
    assert x.state is d.State.DITANDATANGANI and x.number == "440/0001/DINKES/2026"
    assert [e.move for e in x.events].count(d.Move.PARAF) == 4
    with pytest.raises(d.MoveError):
        d.cancel(x, STAF, AT, c)


def test_a_surat_tugas_needs_people_and_a_place():
    c = chart()
    x = d.new_letter("8", d.Kind.SURAT_TUGAS, STAF, AT, c, "KADIS", subject="Tugas",
                     classification="090")
    with pytest.raises(d.LetterError, match="paling sedikit satu pegawai"):
        d.submit(x, STAF, AT, c, CODES)
    bad = d.Duty("Puskesmas", -3.3, 104.7, 200, date(2026, 10, 9), date(2026, 10, 7))
    problems = d.content_problems(d.edit(x, STAF, AT, c, people=(STAF,), duty=bad), CODES)
    assert "sebelum tanggal mulai" in problems["duty"]


def test_dispositions_go_down_only_and_the_letter_state_follows():
    c = chart()
    people = [a.nip for a in c.assignments]
    assert sorted(dp.below(KADIS, DAY, c, people)) == sorted(
        [SEKRETARIS, KASUBBAG, STAF_UMUM, KABID, KASI, STAF, STAF2])
    assert sorted(dp.below(KABID, DAY, c, people)) == sorted([KASI, STAF, STAF2])
    assert dp.below(STAF, DAY, c, people) == []
    root = dp.Disposition(1, 9, None, None, KADIS, "", date(2026, 10, 20), dp.DispState.BARU)
    with pytest.raises(d.LetterError, match="di luar bawahan"):
        dp.check_dispose(root, KADIS, [STAF_UMUM, "123"], [STAF_UMUM], "", None, DAY)
    with pytest.raises(d.LetterError, match="melewati batas"):
        dp.check_dispose(root, KADIS, [KABID], [KABID], "", date(2026, 10, 30), DAY)
    with pytest.raises(d.LetterError, match="hanya penerima"):
        dp.check_dispose(root, KABID, [KASI], [KASI], "", None, DAY)
    assert dp.letter_state([root]) is d.State.DITERIMA
    passed = dp.Disposition(1, 9, None, None, KADIS, "", None, dp.DispState.DITERUSKAN)
    child = dp.Disposition(2, 9, 1, KADIS, KABID, "x", None, dp.DispState.BARU)
    assert dp.letter_state([passed, child]) is d.State.DIDISPOSISI
    done = dp.Disposition(2, 9, 1, KADIS, KABID, "x", None, dp.DispState.SELESAI)
    assert dp.letter_state([passed, done]) is d.State.SELESAI
    assert [(depth, x.id) for depth, x in dp.tree([child, passed])] == [(0, 1), (1, 2)]


def test_numbers_and_retention_come_from_the_rules_file(tmp_path: Path):
    rules = shipped()
    assert rules.number("800", 12, "DINKES", 2026) == "800/0012/DINKES/2026"
    assert rules.agenda(3, "DINKES", 2026) == "0003/DINKES/2026"
    assert retention(rules.get("090"), 2026) == (2028, 2031)
    bad = tmp_path / "aturan.toml"
    text = (Path(__file__).resolve().parents[2] / "cloud/src/hadir_cloud/letters/"
            "aturan_surat.toml").read_text()
    bad.write_text(text.replace('"{klasifikasi}/{urut:04d}/{unit}/{tahun}"',
                                '"{klasifikasi}/{nomor}/{tahun}"'))
    with pytest.raises(RulesError, match="nomor"):
        load_rules(bad)
    assert isinstance(rules, Rules)
