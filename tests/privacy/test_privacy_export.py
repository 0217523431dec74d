"""An employee's ZIP holds all of their data and nothing of anyone else's."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from hadir_cloud import attachments
from hadir_cloud.devices.gallery import enroll
from hadir_cloud.privacy import export
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.privacy.store import template_keys
from hadir_protocol.codec import pack_encoding
from privacy_db import BUDI, RINA, SARI, checkin, seed

PDF = b"%PDF-1.4\n% surat dokter Rina\n%%EOF\n"


def _photo(tag: bytes) -> bytes:
    """A distinct 'JPEG' per check-in (the bytes are compared, not decoded)."""
    return b"\xff\xd8\xff\xe0" + tag + b"\xff\xd9"


def _person(conn: psycopg.Connection, nip: str, n: int, seed_: int) -> dict[str, object]:
    """n check-ins with photos, a request with a file, an LKH day with a file, an enrolled face."""
    now = datetime.now(UTC)
    events = [checkin(conn, nip, now - timedelta(days=i, hours=1), photo=_photo(
        f"{nip}-{i}".encode())) for i in range(n)]
    rid = conn.execute("INSERT INTO requests (nip, kind, start_date, end_date, reason, state) "
                       "VALUES (%s, 'sakit', '2026-10-05', '2026-10-06', %s, 'diajukan') "
                       "RETURNING id", (nip, f"demam {nip}")).fetchone()[0]
    attachments.save(conn, "permohonan", str(rid), "surat_dokter",
                     attachments.Upload(f"surat-{nip}.pdf", PDF + nip.encode()), nip)
    conn.execute("INSERT INTO lkh_reports (nip, day, status, summary) VALUES (%s, %s, 'diajukan', "
                 "%s)", (nip, date(2026, 10, 7), f"rapat {nip}"))
    conn.execute("INSERT INTO lkh_activities (nip, day, seq, activity, output, quantity, unit, "
                 "minutes) VALUES (%s, '2026-10-07', 1, %s, 'notulen', 1, 'dokumen', 60)",
                 (nip, f"menyusun notulen {nip}"))
    attachments.save(conn, "lkh", f"{nip}:2026-10-07", "bukti",
                     attachments.Upload("notulen.pdf", PDF + b"lkh " + nip.encode()), nip)
    encodings = [pack_encoding(np.random.default_rng(seed_).normal(0, 0.1, 128))]
    enroll(conn, nip, f"Nama {nip}", encodings, consent=Consent(f"FRM-{nip}", "hr"),
           photo=_photo(b"referensi-" + nip.encode()))
    return {"events": set(events), "request": rid, "encodings": encodings}


def test_an_employee_s_zip_holds_their_data_and_nobody_else_s(fresh_db: str):
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        rina = _person(conn, RINA, 5, 1)
        _person(conn, BUDI, 4, 2)
        _person(conn, SARI, 3, 3)  # same unit and office as Rina
        steps: list[int] = []
        name, data = export.build(conn, RINA, template_keys(), ZoneInfo("Asia/Makassar"),
                                  started=steps.append, advanced=steps.append)
    assert name.startswith(f"data-pribadi-{RINA}-") and name.endswith(".zip")
    assert steps[0] == 5 + 3 and sum(steps[1:]) == steps[0]  # the progress adds up
    z = zipfile.ZipFile(io.BytesIO(data))
    files = {n: z.read(n) for n in z.namelist()}
    # nobody else's NIP, photo or file anywhere in it
    for other in (BUDI, SARI):
        for path, content in files.items():
            assert other.encode() not in content, (other, path)
            assert other not in path
    # all of hers
    rows = list(csv.DictReader(io.StringIO(files["presensi.csv"].decode())))
    assert {r["event_id"] for r in rows} == rina["events"]
    photos = {n: c for n, c in files.items() if n.startswith("foto-presensi/")}
    assert len(photos) == 5 and {r["foto"] for r in rows} == set(photos)
    assert all(c.startswith(b"\xff\xd8\xff") and RINA.encode() in c for c in photos.values())
    (req,) = json.loads(files["permohonan.json"])
    assert req["id"] == rina["request"] and req["reason"] == f"demam {RINA}"
    assert files[req["berkas"][0]] == PDF + RINA.encode()
    (lkh,) = json.loads(files["lkh.json"])
    assert lkh["kegiatan"][0]["activity"] == f"menyusun notulen {RINA}"
    assert files[lkh["berkas"][0]] == PDF + b"lkh " + RINA.encode()
    face = json.loads(files["wajah.json"])
    assert face["terdaftar"] and face["templat"] == rina["encodings"]  # opened from its seal
    assert face["disimpan_terenkripsi"] is True
    assert files["wajah/foto-referensi.jpg"] == _photo(b"referensi-" + RINA.encode())
    personal = json.loads(files["data-pribadi.json"])
    assert personal["pegawai"]["name"] == "Rina Marlina"
    assert [c["reference"] for c in personal["persetujuan_biometrik"]] == [f"FRM-{RINA}"]
    assert json.loads(files["karantina.json"]) == []
    assert " WITA" in files["BACA-SAYA.txt"].decode()  # made at, in the regency's zone


def test_a_photo_past_its_retention_is_named_as_gone(fresh_db: str):
    seed(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        checkin(conn, RINA, datetime.now(UTC), photo=None)
        _name, data = export.build(conn, RINA, None, ZoneInfo("Asia/Jakarta"))
    z = zipfile.ZipFile(io.BytesIO(data))
    (row,) = csv.DictReader(io.StringIO(z.read("presensi.csv").decode()))
    assert row["foto"] == export.PHOTO_GONE
    assert json.loads(z.read("wajah.json"))["terdaftar"] is False
