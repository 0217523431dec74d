"""A past day is judged with the record the person had that day (migration 0860).

Dewi (BKPSDM, office hours, a 5-day WIB office) moves on 15 October 2026 to the school
(DISDIK, `guru` hours, a 6-day WITA office, class 7): her days before the move are judged as
before, the Saturdays after it are working days of the school, each day's recap lists her
under the unit she was in, and October's TPP is paid with the record of its last day (class 7).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from hadir_cloud.attendance import store as recap
from hadir_cloud.tpp import store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_tpp_store import DEWI, SARI, seed_october  # noqa: E402

MOVE = date(2026, 10, 15)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def move_dewi(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(f"SET LOCAL hadir.effective_date = '{MOVE.isoformat()}'")
        conn.execute("UPDATE employees SET unit_id = 'DISDIK', office_id = 'sdn-1', "
                     "schedule_group = 'guru', position_class = '7' WHERE nip = %s", (DEWI,))


def codes(result, day: date) -> list[str]:  # type: ignore[no-untyped-def]
    return next(s.codes for s in result.statuses if s.day == day)


def test_a_move_mid_month_splits_the_month(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        before = store.live_tpp(conn, "2026-10", DEWI)
        move_dewi(conn)
        periods = conn.execute("SELECT valid_from, unit_id, office_id, schedule_group FROM "
                               "employee_periods WHERE nip = %s ORDER BY valid_from",
                               (DEWI,)).fetchall()
        assert [p[0] for p in periods][-1] == MOVE and periods[-1][1:] == (
            "DISDIK", "sdn-1", "guru")
        after = store.live_tpp(conn, "2026-10", DEWI)
        # before the move: the same verdicts as before (Saturday 10 Oct a weekend, 6 Oct izin)
        for d in (date(2026, 10, 6), date(2026, 10, 8), date(2026, 10, 10), date(2026, 10, 14)):
            assert codes(after, d) == codes(before, d), d
        # after it: Saturdays are the school's working days, and she punched none of them
        for sat in (date(2026, 10, 17), date(2026, 10, 24), date(2026, 10, 31)):
            assert codes(before, sat) != ["TK"] and codes(after, sat) == ["TK"], sat
        # the month's TPP is paid with the record of its last day
        run = {r.nip: r for r in store.compute_month(conn, "2026-10")}
        assert run[DEWI].position_class == "7" and before.position_class != "7"
        assert [s.codes for s in run[DEWI].statuses] == [s.codes for s in after.statuses]
        # each day's recap lists her in the unit she was in that day
        def units_on(day: date) -> dict[str, str]:
            rows = recap.recap_day(conn, frozenset({"BKPSDM", "DISDIK"}), day, NOW)
            return {r.employee.nip: r.employee.unit_id for r in rows}
        assert units_on(date(2026, 10, 6))[DEWI] == "BKPSDM"
        assert units_on(date(2026, 10, 20))[DEWI] == "DISDIK"
        assert units_on(date(2026, 10, 20))[SARI] == "BKPSDM"


def test_a_change_without_a_date_starts_today_and_a_rename_is_no_period(fresh_db: str):
    seed_october(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        n = conn.execute("SELECT count(*) FROM employee_periods").fetchone()[0]  # type: ignore[index]
        conn.execute("UPDATE employees SET name = 'Dewi Lestari' WHERE nip = %s", (DEWI,))
        assert conn.execute("SELECT count(*) FROM employee_periods").fetchone()[0] == n  # type: ignore[index]
        conn.execute("UPDATE employees SET position_class = '8' WHERE nip = %s", (DEWI,))
        latest = conn.execute("SELECT valid_from, position_class FROM employee_periods WHERE "
                              "nip = %s ORDER BY valid_from DESC LIMIT 1", (DEWI,)).fetchone()
        today = conn.execute("SELECT current_date").fetchone()[0]  # type: ignore[index]
        assert latest == (today, "8")
        # October (before today) is still paid with the class it had then
        assert store.employee(conn, DEWI, on=date(2026, 10, 31)).position_class != "8"
