"""Evidence files: what is accepted (by the first bytes, not the name), the size limit, names
cleaned of paths, and a kept file read back only under its owner."""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from hadir_cloud import attachments
from hadir_cloud.attachments import Upload


@pytest.mark.parametrize("data, kind", [
    (b"%PDF-1.7\n...", "application/pdf"), (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"), (b"GIF89a", None), (b"<html>", None)])
def test_the_type_comes_from_the_first_bytes(data: bytes, kind: str | None):
    assert attachments.content_type(data) == kind
    assert (attachments.problem(Upload("x.pdf", data)) is None) == (kind is not None)


def test_empty_and_too_large_files_are_refused_in_bahasa():
    assert attachments.problem(Upload("a.pdf", b"")) == "berkas a.pdf kosong"
    big = b"%PDF-" + b"0" * attachments.MAX_BYTES
    assert "terlalu besar (5.0 MB; paling besar 5 MB)" in str(
        attachments.problem(Upload("b.pdf", big)))
    assert attachments.problem(Upload("c.pdf", b"%PDF-" + b"0" * 1000)) is None


def test_kept_with_a_clean_name_and_served_only_to_its_owner(fresh_db: str):
    from hadir_cloud.db.migrate import upgrade

    upgrade(fresh_db)
    data = b"\x89PNG\r\n\x1a\nfoto bukti"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        kept = attachments.save(conn, "lkh", "199001012015031005:2026-11-02", "hasil",
                                Upload("C:\\fakepath\\bukti\x00 <rapat>.png", data), "staf")
        assert kept.filename == "bukti rapat.png" and kept.content_type == "image/png"
        assert kept.sha256 == hashlib.sha256(data).hexdigest() and kept.size_bytes == len(data)
        assert attachments.of(conn, "lkh", "199001012015031005:2026-11-02") == [kept]
        assert attachments.load(conn, "lkh", "199001012015031005:2026-11-02",
                                kept.id) == (kept, data)
        assert attachments.load(conn, "lkh", "199001012015031005:2026-11-03", kept.id) is None
        assert attachments.load(conn, "permohonan", "1", kept.id) is None
        with pytest.raises(ValueError, match="bukan PDF"):
            attachments.save(conn, "lkh", "x", "hasil", Upload("a.exe", b"MZ"), "staf")
