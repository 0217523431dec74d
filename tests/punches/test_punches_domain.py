"""Legacy punches, pure: the attlog and table parsers, in/out, dedupe keys, the mapping file."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from hadir_cloud.punches import files
from hadir_cloud.punches.domain import (
    FormatError,
    RawPunch,
    csv_rows,
    decode,
    device_id,
    event_id,
    kinds,
    parse_attlog,
    parse_mapping,
    parse_table,
    user_id,
)
from openpyxl import Workbook

ATTLOG = (
    "     1\t2026-10-06 07:12:33\t1\t0\t0\t0\n"
    "    12\t2026-10-06 16:05:10\t1\t1\t0\t0\n"
    "   123\t2026-10-06 12:00:00\t1\t2\t0\t0\n"
    "   123\t2026-10-06 12:58:00\t1\t3\n"
    "  0042 2026-10-07 07:01:02 15 4 0 0 9 9\n"
)


def test_attlog_lines_padding_tabs_spaces_and_trailing_columns():
    parsed = parse_attlog(ATTLOG)
    assert parsed.problems == []
    assert parsed.lines == 5
    assert [(p.user_id, p.local, p.state, p.verify) for p in parsed.punches] == [
        ("1", datetime(2026, 10, 6, 7, 12, 33), 0, 1),
        ("12", datetime(2026, 10, 6, 16, 5, 10), 1, 1),
        ("123", datetime(2026, 10, 6, 12, 0), 2, 1),
        ("123", datetime(2026, 10, 6, 12, 58), 3, 1),
        ("42", datetime(2026, 10, 7, 7, 1, 2), 4, 15),  # spaces, leading zeros, 8 columns
    ]
    assert [p.line for p in parsed.punches] == [1, 2, 3, 4, 5]
    assert parsed.states_recorded


def test_attlog_bom_crlf_and_blank_lines():
    data = ("\ufeff" + "     7\t2026-10-06 07:00:00\t1\t0\t0\t0\r\n\r\n"
            "     8\t2026-10-06 07:00:01\t1\t0\t0\t0\r\n").encode("utf-8")
    parsed = parse_attlog(decode(data))
    assert [(p.user_id, p.line) for p in parsed.punches] == [("7", 1), ("8", 3)]
    assert parsed.problems == [] and parsed.lines == 2
    assert not parsed.states_recorded  # every state 0: the machine has no in/out keys


def test_attlog_bad_lines_are_reported_by_number_and_do_not_stop_the_rest():
    text = ("     1\t2026-10-06 07:12:33\t1\t0\t0\t0\n"
            "rubbish\n"
            "     2\t2026-13-06 07:12:33\t1\t0\t0\t0\n"
            "     3\t2026-10-06 25:00:00\t1\t0\n"
            "     4\t2026-10-06 07:30:00\t1\t9\t0\t0\n"
            "     5\t2026-10-06 07:31:00\t1\t1\t0\t0\n")
    parsed = parse_attlog(text)
    assert [p.user_id for p in parsed.punches] == ["1", "5"]
    assert [pr.line for pr in parsed.problems] == [2, 3, 4, 5]
    messages = [str(pr) for pr in parsed.problems]
    assert messages[0].startswith("baris 2: ")
    assert "tanggal '2026-13-06' tidak dikenali" in messages[1]
    assert "jam '25:00:00' tidak dikenali" in messages[2]
    assert "status 9 tidak dikenal" in messages[3]


def test_user_ids_have_one_spelling():
    assert user_id("  0012 ") == user_id(12) == user_id(12.0) == "12"
    assert user_id("A-07") == "A-07"
    assert user_id("0") == "0"


ZK_LOG_CSV = (
    "Department,Name,No.,Date/Time,Status,Location ID,ID Number,VerifyCode,CardNo\r\n"
    "KANTOR,Rina,1,06/10/2026 07:12:33,C/In,1,,FP,\r\n"
    "KANTOR,Rina,1,06/10/2026 16:05:00,C/Out,1,,FP,\r\n"
    "KANTOR,Budi,0002,06/10/2026 12:00,Break Out,1,,FP,\r\n"
    "KANTOR,Budi,2,06/10/2026 99:00,C/In,1,,FP,\r\n"
    "KANTOR,Budi,2,06/10/2026 13:00,Pause,1,,FP,\r\n"
    "KANTOR,Budi,,06/10/2026 13:00,C/In,1,,FP,\r\n"
)


def test_zkteco_attendance_management_log_csv():
    parsed = parse_table(csv_rows(decode(("\ufeff" + ZK_LOG_CSV).encode())))
    assert [(p.user_id, p.local, p.state, p.name, p.line) for p in parsed.punches] == [
        ("1", datetime(2026, 10, 6, 7, 12, 33), 0, "Rina", 2),
        ("1", datetime(2026, 10, 6, 16, 5), 1, "Rina", 3),
        ("2", datetime(2026, 10, 6, 12, 0), 2, "Budi", 4),
    ]
    assert [(pr.line, pr.message) for pr in parsed.problems] == [
        (5, "jam '99:00' tidak dikenali (pakai 07:12:33 atau 07:12)"),
        (6, "status 'Pause' tidak dikenal (mis. C/In, C/Out, Masuk, Pulang, 0–5)"),
        (7, "ID pengguna kosong"),
    ]
    assert parsed.lines == 6


def test_fingerspot_scanlog_semicolon_csv_with_date_and_time_columns():
    text = ("Tanggal;Jam;PIN;NIP;Nama;Jabatan;Verifikasi;I/O;Workcode;SN;Mesin\n"
            "06-10-2026;07:01:00;15;;Sari;Staf;Finger;Masuk;0;FIO66205020150662;Mesin 1\n"
            "06-10-2026;16:10:00;15;;Sari;Staf;Finger;Pulang;0;FIO66205020150662;Mesin 1\n"
            "06-10-2026;;15;;Sari;Staf;Finger;Pulang;0;FIO66205020150662;Mesin 1\n")
    parsed = parse_table(csv_rows(text))
    assert [(p.user_id, p.local, p.state) for p in parsed.punches] == [
        ("15", datetime(2026, 10, 6, 7, 1), 0), ("15", datetime(2026, 10, 6, 16, 10), 1)]
    assert [(pr.line, pr.message) for pr in parsed.problems] == [(4, "tanggal atau jam kosong")]


def test_a_table_without_a_user_id_or_time_column_is_refused_whole():
    with pytest.raises(FormatError, match="kolom tidak ditemukan: ID pengguna"):
        parse_table(csv_rows("Nama,Waktu\nRina,2026-10-06 07:00\n"))
    with pytest.raises(FormatError, match="waktu"):
        parse_table(csv_rows("No. ID,Nama\n1,Rina\n"))
    with pytest.raises(FormatError, match="berkas kosong"):
        parse_table([])


def test_xlsx_with_real_datetime_cells(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["No. ID", "Nama", "Tanggal", "Jam", "Status"])
    ws.append([3, "Dewi", datetime(2026, 10, 6), time(7, 5, 9), "C/In"])
    ws.append(["003", "Dewi", "06/10/2026", "16:02", "C/Out"])
    ws.append([3, "Dewi", date(2026, 10, 7), "tujuh pagi", "C/In"])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    parsed = files.read(path, files.guess_format(path.name))
    assert [(p.user_id, p.local, p.state) for p in parsed.punches] == [
        ("3", datetime(2026, 10, 6, 7, 5, 9), 0), ("3", datetime(2026, 10, 6, 16, 2), 1)]
    assert [pr.line for pr in parsed.problems] == [4]
    with pytest.raises(FormatError, match="bukan berkas XLSX"):
        files.read(io.BytesIO(b"not a zip"), "xlsx")
    with pytest.raises(FormatError, match=r"\.xls"):
        files.guess_format("rekap.xls")
    assert files.guess_format("BJ2C123_attlog.dat") == "attlog"


def _p(uid: str, hhmm: str, state: int | None, day: int = 6) -> RawPunch:
    h, m = map(int, hhmm.split(":"))
    return RawPunch(1, uid, datetime(2026, 10, day, h, m), state)


def test_kinds_from_the_machine_state():
    ps = [_p("1", "07:00", 0), _p("1", "12:00", 2), _p("1", "13:00", 3), _p("1", "16:00", 1),
          _p("1", "17:00", 4), _p("1", "20:00", 5), _p("2", "07:00", None)]
    assert kinds(ps, "mesin", True) == ["in", "out", "in", "out", "in", "out", "in"]
    assert kinds(ps, "otomatis", True) == kinds(ps, "mesin", True)


def test_kinds_by_order_when_the_machine_records_no_state():
    """All states 0: the first punch of a person's day is in, every later one out."""
    ps = [_p("1", "16:01", 0), _p("1", "07:10", 0), _p("1", "12:00", 0), _p("2", "07:30", 0),
          _p("1", "07:20", 0, day=7)]
    assert kinds(ps, "otomatis", False) == ["out", "in", "out", "in", "in"]
    assert kinds(ps, "urutan", True) == ["out", "in", "out", "in", "in"]


def test_event_id_is_stable_per_machine_user_and_second():
    t = datetime(2026, 10, 6, 7, 12, 33)
    assert event_id("BJ2C-1", "1", t) == event_id("BJ2C-1", "1", t)
    assert event_id("BJ2C-1", "1", t) != event_id("BJ2C-2", "1", t)
    assert event_id("BJ2C-1", "1", t) != event_id("BJ2C-1", "2", t)
    assert event_id("BJ2C-1", "1", t) != event_id("BJ2C-1", "1", t.replace(second=34))
    assert event_id("BJ2C-1", "1", t).version == 5
    assert device_id("BJ2C-1") == "legacy:BJ2C-1"


def test_mapping_file():
    rows = csv_rows("machine,user_id,nip\n"
                    "BJ2C-1,0001,197903032006042004\n"
                    "BJ2C-1,1,198804042012052005\n"
                    "BJ2C-1,2,\n"
                    "BJ2C-1,3,NIP?\n"
                    "BJ2C-2,1,198804042012052005\n")
    parsed, problems = parse_mapping(rows)
    assert [(r.machine, r.user_id, r.nip, r.line) for r in parsed] == [
        ("BJ2C-1", "1", "197903032006042004", 2), ("BJ2C-2", "1", "198804042012052005", 6)]
    assert [str(p) for p in problems] == [
        "baris 3: mesin BJ2C-1 ID 1 sudah ada di baris 2",
        "baris 4: mesin, user_id dan nip wajib diisi",
        "baris 5: NIP 'NIP?' tidak sah",
    ]
    with pytest.raises(FormatError, match="nip"):
        parse_mapping(csv_rows("machine,user_id\nA,1\n"))
