-- Boards (issue 12): attendance per person and local day, per unit and day, today per unit;
-- TPP deductions by reason; the fleet's health; the ingest's flow. Grafana's panels and the
-- portal's leadership board read these views (the role `grafana_reader`, 1290, reads only the
-- unit-level ones), the same on TimescaleDB and plain PostgreSQL.
--
-- What the views compute, and how it differs from the TPP engine (tpp/status.py), is written
-- down in docs/boards.md ("Angka papan dan mesin TPP").

-- One row per employee and local day of the office they had that day (employee_periods),
-- from their join date to that office's today: the calendar (work week, holidays, cuti
-- bersama, 'masuk' days, closures, Ramadan), the work schedule's hours for the day (Friday,
-- Saturday and Ramadan variants), the rule set's grace and TL/PSW tiers, an approved absence,
-- the first counted check-in and the last counted check-out, the LKH, and the status:
--   libur | izin | sakit | cuti | dl | tugas_belajar | hadir | tk | belum_masuk
-- `belum_masuk` is today's "no record yet" while the counted hours (until checkout_close) last;
-- `tk` is a past day (or today after checkout_close) without any counted record.
CREATE VIEW attendance_person_daily AS
SELECT d.day,
       e.nip,
       e.name,
       p.unit_id,
       bu.opd_id,
       p.office_id,
       o.tz,
       p.schedule_group,
       p.staff_kind,
       d.day = t.local_today AS today,
       w.working,
       w.ramadan,
       a.kind AS absence_kind,
       sch.schedule_id,
       sch.start_at,
       sch.end_at,
       c.first_in,
       c.last_out,
       CASE WHEN v.status = 'hadir' THEN v.late_minutes END AS late_minutes,
       CASE WHEN v.status = 'hadir' THEN v.early_minutes END AS early_minutes,
       v.status,
       CASE WHEN v.status = 'hadir' THEN
           CASE WHEN c.first_in IS NULL THEN rs.content -> 'late' ->> 'no_record'
                WHEN v.late_minutes > coalesce((rs.content ->> 'grace_minutes')::int, 0) THEN
                    (SELECT tier ->> 'code' FROM jsonb_array_elements(rs.content -> 'late' -> 'tiers') tier
                      WHERE v.late_minutes >= (tier ->> 'min_from')::int
                        AND (tier ->> 'min_to' IS NULL OR v.late_minutes <= (tier ->> 'min_to')::int)
                      LIMIT 1)
           END
       END AS late_code,
       CASE WHEN v.status = 'hadir' THEN
           CASE WHEN c.last_out IS NULL THEN
                    CASE WHEN v.counted_hours_over THEN rs.content -> 'early' ->> 'no_record' END
                WHEN v.early_minutes > 0 THEN
                    (SELECT tier ->> 'code' FROM jsonb_array_elements(rs.content -> 'early' -> 'tiers') tier
                      WHERE v.early_minutes >= (tier ->> 'min_from')::int
                        AND (tier ->> 'min_to' IS NULL OR v.early_minutes <= (tier ->> 'min_to')::int)
                      LIMIT 1)
           END
       END AS early_code,
       l.status AS lkh_status
  FROM (SELECT g::date AS day
          FROM generate_series((SELECT coalesce(min(join_date), current_date) FROM employees),
                               (now() AT TIME ZONE 'Asia/Jayapura')::date, INTERVAL '1 day') g) d
  JOIN employees e ON e.join_date <= d.day AND (e.leave_date IS NULL OR d.day <= e.leave_date)
  -- the record the person had that day (as tpp/store.py `_EMP_SQL`)
  LEFT JOIN LATERAL (
        SELECT ep.unit_id, ep.office_id, ep.schedule_group, ep.staff_kind
          FROM employee_periods ep
         WHERE ep.nip = e.nip AND ep.valid_from <= d.day
         ORDER BY ep.valid_from DESC LIMIT 1) pp ON true
  CROSS JOIN LATERAL (
        SELECT coalesce(pp.unit_id, e.unit_id) AS unit_id,
               coalesce(pp.office_id, e.office_id) AS office_id,
               coalesce(pp.schedule_group, e.schedule_group) AS schedule_group,
               coalesce(pp.staff_kind, e.staff_kind) AS staff_kind) p
  JOIN offices o ON o.id = p.office_id
  JOIN board_units bu ON bu.unit_id = p.unit_id
  CROSS JOIN LATERAL (
        SELECT (now() AT TIME ZONE o.tz)::date AS local_today,
               (now() AT TIME ZONE o.tz)::time AS local_time,
               (d.day::timestamp AT TIME ZONE o.tz) AS day_from,
               ((d.day + 1)::timestamp AT TIME ZONE o.tz) AS day_to) t
  -- the office's calendar (tpp/calendar.py): the last 'masuk', 'tutup' or 'libur_daerah'
  -- entry decides (the office's own entries over the general ones), else any holiday or cuti
  -- bersama makes the day free, else the office's work week
  CROSS JOIN LATERAL (
        SELECT CASE
                 WHEN ov.masuk IS NOT NULL THEN ov.masuk
                 WHEN EXISTS (SELECT 1 FROM calendar_days k
                               WHERE k.day = d.day AND (k.office_id IS NULL OR k.office_id = o.id))
                   THEN false
                 ELSE extract(isodow FROM d.day) <= coalesce(
                          (SELECT oc.workweek FROM office_calendars oc WHERE oc.office_id = o.id), 5)
               END AS working,
               EXISTS (SELECT 1 FROM ramadan_periods rp
                        WHERE d.day BETWEEN rp.start_date AND rp.end_date) AS ramadan
          FROM (SELECT bool_and(k.kind = 'masuk') AS masuk
                  FROM calendar_days k
                 WHERE k.day = d.day AND k.kind IN ('masuk', 'tutup', 'libur_daerah')
                   AND (k.office_id = o.id
                        OR (k.office_id IS NULL AND NOT EXISTS (
                              SELECT 1 FROM calendar_days k2
                               WHERE k2.day = d.day AND k2.office_id = o.id
                                 AND k2.kind IN ('masuk', 'tutup', 'libur_daerah'))))) ov) w
  -- the schedule in force for the group (latest effective_from) and the day's variant
  -- (tpp/schedule.py `Schedule.hours_for`)
  LEFT JOIN LATERAL (
        SELECT x.schedule_id,
               (x.hours ->> 'checkin_open')::time AS checkin_open,
               (x.hours ->> 'start')::time AS start_at,
               (x.hours ->> 'end')::time AS end_at,
               (x.hours ->> 'checkout_close')::time AS checkout_close
          FROM (SELECT s.id AS schedule_id,
                       coalesce(CASE WHEN w.ramadan AND extract(isodow FROM d.day) = 5
                                     THEN s.hours -> 'ramadan_friday' END,
                                CASE WHEN w.ramadan AND extract(isodow FROM d.day) = 6
                                     THEN s.hours -> 'ramadan_saturday' END,
                                CASE WHEN w.ramadan THEN s.hours -> 'ramadan' END,
                                CASE WHEN extract(isodow FROM d.day) = 5 THEN s.hours -> 'friday' END,
                                CASE WHEN extract(isodow FROM d.day) = 6 THEN s.hours -> 'saturday' END,
                                s.hours -> 'normal') AS hours
                  FROM work_schedules s
                 WHERE s.group_name = p.schedule_group AND s.effective_from <= d.day
                   AND (s.effective_to IS NULL OR d.day <= s.effective_to)
                 ORDER BY s.effective_from DESC LIMIT 1) x) sch ON true
  -- the rule set in force for the regency and staff kind (tpp/rules.py `RuleBook.for_day`)
  LEFT JOIN LATERAL (
        SELECT r.content FROM tpp_rulesets r
         WHERE r.regency = bu.regency AND p.staff_kind = ANY (r.staff_kinds)
           AND r.effective_from <= d.day AND (r.effective_to IS NULL OR d.day <= r.effective_to)
         ORDER BY r.effective_from DESC, r.version DESC LIMIT 1) rs ON true
  -- an approved absence covering the day (the first by start date, then reference)
  LEFT JOIN LATERAL (
        SELECT ab.kind FROM absences ab
         WHERE ab.nip = e.nip AND ab.status = 'disetujui'
           AND ab.start_date <= d.day AND ab.end_date >= d.day
         ORDER BY ab.start_date, ab.ref LIMIT 1) a ON true
  -- the first check-in and last check-out of the local day within the counted hours
  -- (checkin_open .. checkout_close); a NIP check-in counts once a reviewer accepted it
  LEFT JOIN LATERAL (
        SELECT min(x.first_in) FILTER (WHERE sch.checkin_open IS NULL
                   OR (x.first_in AT TIME ZONE o.tz)::time BETWEEN sch.checkin_open AND sch.checkout_close)
                   AS first_in,
               max(x.last_out) FILTER (WHERE sch.checkin_open IS NULL
                   OR (x.last_out AT TIME ZONE o.tz)::time BETWEEN sch.checkin_open AND sch.checkout_close)
                   AS last_out
          FROM (SELECT h.first_in, h.last_out FROM checkins_hourly h
                 WHERE h.employee_id = e.nip AND h.bucket >= t.day_from AND h.bucket < t.day_to
                UNION ALL
                SELECT CASE WHEN ck.kind = 'in' THEN ck.captured_at END,
                       CASE WHEN ck.kind = 'out' THEN ck.captured_at END
                  FROM checkins ck
                  JOIN checkin_reviews rv ON rv.event_id = ck.event_id
                   AND rv.captured_at = ck.captured_at AND rv.decision = 'accepted'
                 WHERE ck.employee_id = e.nip AND ck.method = 'nip' AND ck.review_required
                   AND ck.captured_at >= t.day_from AND ck.captured_at < t.day_to) x) c ON true
  CROSS JOIN LATERAL (
        SELECT CASE WHEN c.first_in IS NOT NULL AND sch.start_at IS NOT NULL THEN
                    greatest(0, floor(extract(epoch FROM
                        (c.first_in AT TIME ZONE o.tz)::time - sch.start_at) / 60))::int
               END AS late_minutes,
               CASE WHEN c.last_out IS NOT NULL AND sch.end_at IS NOT NULL THEN
                    greatest(0, floor(extract(epoch FROM
                        sch.end_at - (c.last_out AT TIME ZONE o.tz)::time) / 60))::int
               END AS early_minutes,
               (d.day < t.local_today OR t.local_time > coalesce(sch.checkout_close, '23:59:59'))
                   AS counted_hours_over,
               CASE WHEN NOT w.working THEN 'libur'
                    WHEN a.kind IS NOT NULL THEN a.kind
                    WHEN c.first_in IS NULL AND c.last_out IS NULL THEN
                         CASE WHEN d.day < t.local_today
                                   OR t.local_time > coalesce(sch.checkout_close, '23:59:59')
                              THEN 'tk' ELSE 'belum_masuk' END
                    ELSE 'hadir'
               END AS status) v
  LEFT JOIN lkh_reports l ON l.nip = e.nip AND l.day = d.day
 WHERE d.day <= t.local_today;

-- Per unit and local day: how many were expected, present, late, left early, absent (TK), on
-- leave, not yet in; and the LKH expected (hadir, tk, dl: tpp/lkh.py) and approved.
-- `today`: the rows of each office's own today (a unit with offices in two zones has two).
CREATE VIEW attendance_unit_daily AS
SELECT day,
       today,
       unit_id,
       opd_id,
       count(*) FILTER (WHERE status <> 'libur') AS expected,
       count(*) FILTER (WHERE status = 'hadir') AS present,
       count(*) FILTER (WHERE status = 'hadir' AND late_code IS NOT NULL) AS late,
       count(*) FILTER (WHERE status = 'hadir' AND early_code IS NOT NULL) AS left_early,
       count(*) FILTER (WHERE status = 'tk') AS absent,
       count(*) FILTER (WHERE status IN ('izin', 'sakit', 'cuti', 'dl', 'tugas_belajar')) AS on_leave,
       count(*) FILTER (WHERE status = 'belum_masuk') AS not_yet_in,
       count(*) FILTER (WHERE status = 'izin') AS izin,
       count(*) FILTER (WHERE status = 'sakit') AS sakit,
       count(*) FILTER (WHERE status = 'cuti') AS cuti,
       count(*) FILTER (WHERE status = 'dl') AS dl,
       count(*) FILTER (WHERE status = 'tugas_belajar') AS tugas_belajar,
       count(*) FILTER (WHERE status IN ('hadir', 'tk', 'dl')) AS lkh_expected,
       count(*) FILTER (WHERE status IN ('hadir', 'tk', 'dl') AND lkh_status = 'disetujui')
           AS lkh_approved
  FROM attendance_person_daily
 GROUP BY day, today, unit_id, opd_id;

-- Today per unit: each office's own local day (WIB, WITA or WIT midnight), with the unit's
-- and its OPD's names. The day filter reaches the day series of attendance_person_daily.
CREATE VIEW attendance_today AS
SELECT a.day, a.unit_id, u.unit_name, a.opd_id, u.opd_name, a.expected, a.present, a.late,
       a.left_early, a.absent, a.on_leave, a.not_yet_in
  FROM attendance_unit_daily a
  JOIN board_units u ON u.unit_id = a.unit_id
 WHERE a.today
   AND a.day >= (now() AT TIME ZONE 'Asia/Jakarta')::date
   AND a.day <= (now() AT TIME ZONE 'Asia/Jayapura')::date;

-- TPP deductions by reason per OPD and month, from the current result of every person and
-- month (a final run before a draft, then the newest run).
CREATE VIEW tpp_deductions_monthly AS
WITH current_results AS (
    SELECT DISTINCT ON (r.month, t.nip) r.month, t.nip, t.unit_id, t.items
      FROM tpp_results t JOIN tpp_runs r ON r.id = t.run_id
     ORDER BY r.month, t.nip, (r.status = 'final') DESC, r.created_at DESC, r.id DESC
)
SELECT c.month, bu.opd_id, bu.opd_name, i ->> 'code' AS reason,
       count(*) AS items, count(DISTINCT c.nip) AS persons,
       sum((i ->> 'rupiah')::numeric) AS rupiah
  FROM current_results c
  JOIN board_units bu ON bu.unit_id = c.unit_id
 CROSS JOIN LATERAL json_array_elements(c.items) i
 GROUP BY c.month, bu.opd_id, bu.opd_name, i ->> 'code';

-- Every kiosk's health from its heartbeats and status: online/offline (the last will, or no
-- heartbeat for 5 minutes), since when, its queue, held events, camera, GPS, clock source and
-- the drift its last check-in reported. health_level colours the map: 0 sehat, 1 perhatian,
-- 2 luring, 3 nonaktif or belum melapor.
CREATE VIEW fleet_status AS
SELECT x.*,
       CASE x.health WHEN 'sehat' THEN 0 WHEN 'perhatian' THEN 1 WHEN 'luring' THEN 2 ELSE 3 END
           AS health_level,
       CASE WHEN x.health = 'luring'
            THEN floor(extract(epoch FROM now() - x.offline_since) / 60)::int END
           AS offline_minutes
  FROM (SELECT d.id AS device_id, d.office_id, o.name AS office_name, o.tz, o.lat, o.lon,
               d.disabled, d.created_at AS registered_at, s.state, s.status_at,
               s.last_telemetry_at AS last_seen, s.outbox_depth, s.held_count, s.disk_full,
               t.oldest_unacked_at, t.camera_ok, t.camera_state, t.gps_fix, t.gps_satellites,
               t.clock_source, ck.clock_drift_s, t.temperature_c, t.disk_free_mb,
               s.version, s.config_version, s.gallery_version,
               CASE WHEN s.state = 'offline' THEN s.status_at
                    WHEN s.last_telemetry_at < now() - INTERVAL '5 minutes'
                         THEN s.last_telemetry_at END AS offline_since,
               CASE WHEN d.disabled THEN 'nonaktif'
                    WHEN s.last_telemetry_at IS NULL AND s.status_at IS NULL THEN 'belum_melapor'
                    WHEN s.state = 'offline'
                         OR s.last_telemetry_at IS NULL
                         OR s.last_telemetry_at < now() - INTERVAL '5 minutes' THEN 'luring'
                    WHEN coalesce(s.disk_full, false) OR t.camera_ok IS FALSE
                         OR coalesce(s.held_count, 0) > 0 OR coalesce(s.outbox_depth, 0) > 50
                         OR t.gps_fix IS FALSE THEN 'perhatian'
                    ELSE 'sehat' END AS health
          FROM devices d
          LEFT JOIN offices o ON o.id = d.office_id
          LEFT JOIN device_state s ON s.device_id = d.id
          LEFT JOIN LATERAL (
                SELECT dt.* FROM device_telemetry dt WHERE dt.device_id = d.id
                 ORDER BY dt.received_at DESC LIMIT 1) t ON true
          LEFT JOIN LATERAL (
                SELECT c.clock_drift_s FROM checkins c
                 WHERE c.device_id = d.id AND c.captured_at > now() - INTERVAL '7 days'
                 ORDER BY c.captured_at DESC LIMIT 1) ck ON true) x;

-- Heartbeats as time series (no payload): queue, held events, temperature, disk, memory.
CREATE VIEW fleet_telemetry AS
SELECT received_at, device_id, outbox_depth, held_count, temperature_c, disk_free_mb, rss_mb,
       gps_fix, camera_ok, clock_source
  FROM device_telemetry;

-- The ingest's flow: when each check-in was captured and stored, and the lag between them
-- (no person, no photo).
CREATE VIEW ingest_events AS
SELECT received_at, captured_at, device_id, office_id, kind, source,
       extract(epoch FROM received_at - captured_at)::double precision AS lag_s
  FROM checkins;

-- Refused messages by reason (no raw bytes): once per digest, with how often they came.
CREATE VIEW ingest_rejections AS
SELECT received_at, last_seen_at, device_id, reason, seen_count
  FROM rejected_messages;
