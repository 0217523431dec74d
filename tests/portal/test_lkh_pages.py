"""LKH in the portal: an employee files a day, the direct atasan returns it with a note, it is
fixed and approved (in bulk); the moves are recorded and the TPP engine counts it."""

from __future__ import annotations

import io
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.lkh import store
from hadir_cloud.users import activate, invite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_recap import DEWI, GURU, PW, SARI, app, login, recap_db  # noqa: E402, F401 (fixtures)

ROW = {"kegiatan-1": "Menyusun rekap usulan cuti", "hasil-1": "rekap", "jumlah-1": "1",
       "satuan-1": "dokumen", "menit-1": "120", "tautan-1": ""}


def _today():  # type: ignore[no-untyped-def]
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def test_file_return_fix_approve(app, recap_db: str):  # noqa: F811
    with psycopg.connect(recap_db, autocommit=True) as conn:
        activate(conn, DEWI, invite(conn, DEWI), PW)
        day = store.recent_days(conn, DEWI, _today())[0][0]  # her latest working day
    dewi, sari = login(app, DEWI), login(app, SARI)
    page = dewi.get("/lkh").get_data(as_text=True)
    assert f'data-day="{day.isoformat()}" data-state=""' in page
    bad = dewi.post(f"/lkh/{day.isoformat()}", data={**ROW, "jumlah-1": "nol", "aksi": "ajukan"})
    assert bad.status_code == 400 and "jumlah harus angka" in bad.get_data(as_text=True)
    not_a_file = dewi.post(f"/lkh/{day.isoformat()}", content_type="multipart/form-data",
                           data={**ROW, "aksi": "ajukan",
                                 "lampiran": (io.BytesIO(b"<script>"), "notulen.pdf")})
    assert not_a_file.status_code == 400 and 'id="lampiran-error"' in not_a_file.get_data(
        as_text=True)
    assert store.report(psycopg.connect(recap_db), DEWI, day).state is None  # nothing saved
    minutes = b"%PDF-1.4 notulen rapat\n%%EOF"
    assert dewi.post(f"/lkh/{day.isoformat()}", content_type="multipart/form-data",
                     data={**ROW, "aksi": "ajukan", "lampiran": (io.BytesIO(minutes),
                                                                 "notulen.pdf")}
                     ).status_code == 302
    # Sari heads her unit: the report waits for her; Dewi is nobody's reviewer
    queue = sari.get("/lkh/tinjau").get_data(as_text=True)
    assert f'data-nip="{DEWI}" data-day="{day.isoformat()}"' in queue
    assert "Menyusun rekap usulan cuti" in queue
    # the evidence file: its owner and her atasan open it, another employee does not
    link = re.search(r'href="(/lkh/\d+/[\d-]+/lampiran/\d+)">notulen.pdf<', queue)
    assert link, queue
    assert sari.get(link.group(1)).data == minutes == dewi.get(link.group(1)).data
    guru = login(app, GURU)
    assert guru.get(link.group(1)).status_code == 403
    assert dewi.get("/lkh/tinjau").status_code == 403
    item = f"{DEWI}|{day.isoformat()}"
    no_note = sari.post("/lkh/tinjau", data={"lkh": item, "aksi": "kembalikan"},
                        follow_redirects=True).get_data(as_text=True)
    assert "alasan pengembalian" in no_note
    sari.post("/lkh/tinjau", data={"lkh": item, "aksi": "kembalikan",
                                   "catatan": "Tambahkan jumlah berkas"})
    form = dewi.get(f"/lkh/{day.isoformat()}").get_data(as_text=True)
    assert "Tambahkan jumlah berkas" in form and "dikembalikan" in form
    dewi.post(f"/lkh/{day.isoformat()}", data={**ROW, "jumlah-1": "3", "aksi": "ajukan"})
    sari.post("/lkh/tinjau", data={"lkh": item, "aksi": "setujui"})
    with psycopg.connect(recap_db) as conn:
        status, by = conn.execute("SELECT status, approved_by FROM lkh_reports WHERE nip = %s "
                                  "AND day = %s", (DEWI, day)).fetchone()  # type: ignore[misc]
        moves = [r[0] for r in conn.execute("SELECT to_state FROM lkh_events WHERE nip = %s "
                                            "AND day = %s ORDER BY id", (DEWI, day))]
    assert (status, by) == ("disetujui", SARI)
    assert moves == ["diajukan", "dikembalikan", "diajukan", "disetujui"]
    # approved is final
    again = dewi.post(f"/lkh/{day.isoformat()}", data={**ROW, "aksi": "ajukan"})
    assert again.status_code == 400 and "sudah disetujui" in again.get_data(as_text=True)


def test_a_person_without_an_atasan_waits_in_nobodys_queue(app, recap_db: str):  # noqa: F811
    with psycopg.connect(recap_db, autocommit=True) as conn:
        day = store.recent_days(conn, GURU, _today())[0][0]
    guru = login(app, GURU)
    assert guru.post(f"/lkh/{day.isoformat()}", data={**ROW, "aksi": "ajukan"}).status_code == 302
    assert f'data-nip="{GURU}"' not in login(app, SARI).get("/lkh/tinjau").get_data(as_text=True)
    # and a day long past its deadline cannot be filed
    with psycopg.connect(recap_db, autocommit=True) as conn:
        old = store.recent_days(conn, GURU, _today())[-1][0]
    late = guru.post(f"/lkh/{old.isoformat()}", data={**ROW, "aksi": "ajukan"})
    assert late.status_code == 400 and "sudah lewat" in late.get_data(as_text=True)
