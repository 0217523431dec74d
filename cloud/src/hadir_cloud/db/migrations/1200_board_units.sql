-- Boards (issue 12): the OPD of every unit, and check-ins per person and UTC hour.
-- `board_units` is the same on both engines; `checkins_hourly` is a continuous aggregate with
-- real-time aggregation on TimescaleDB (1200_board_units.timescale.sql) and a plain view with
-- the same name and columns elsewhere (1200_board_units.plain.sql).
--
-- Why hours: Indonesia's three zones (WIB +7, WITA +8, WIT +9) are whole hours from UTC and
-- keep no daylight saving, so every local midnight is a UTC hour boundary and a local day of
-- any office is exactly 24 hourly buckets. One aggregate serves every office's own day.

-- The OPD a unit belongs to: the nearest unit at or above it whose kind is 'opd' (the rule of
-- org/domain.py `opd_of`); a unit above every OPD (the Pemkab itself) stands for itself.
CREATE VIEW board_units AS
WITH RECURSIVE up (unit_id, at_id, depth) AS (
    SELECT id, id, 0 FROM units
    UNION ALL
    SELECT up.unit_id, u.parent_id, up.depth + 1
      FROM up JOIN units u ON u.id = up.at_id
     WHERE u.kind <> 'opd' AND u.parent_id IS NOT NULL AND up.depth < 32
), opd AS (
    SELECT DISTINCT ON (up.unit_id) up.unit_id, u.id AS opd_id
      FROM up JOIN units u ON u.id = up.at_id
     WHERE u.kind = 'opd'
     ORDER BY up.unit_id, up.depth
)
SELECT u.id AS unit_id, u.name AS unit_name, u.kind AS unit_kind, u.parent_id,
       coalesce(o.opd_id, u.id) AS opd_id, coalesce(ou.name, u.name) AS opd_name, u.regency
  FROM units u
  LEFT JOIN opd o ON o.unit_id = u.id
  LEFT JOIN units ou ON ou.id = o.opd_id;

-- the boards' per-day lookups of the calendar and of approved absences
CREATE INDEX IF NOT EXISTS calendar_days_day ON calendar_days (day);
CREATE INDEX IF NOT EXISTS absences_approved ON absences (nip, start_date, end_date)
    WHERE status = 'disetujui';
