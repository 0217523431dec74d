-- Boards (issue 12): attendance per person and local day, per unit and day, today per unit;
-- TPP deductions by reason; the fleet's health; the ingest's flow. Grafana's panels and the
-- portal's leadership board read these views (the role `grafana_reader`, 1290, reads only the
-- unit-level ones), the same on TimescaleDB and plain PostgreSQL.
--
-- What the views compute, and how it differs from the TPP engine (tpp/status.py), is written
-- down in docs/boards.md ("The views and the TPP engine").

-- One row per employee and local day of the office they had that day (employee_periods),
-- from their join date to that office's today: the calendar (work week, holidays, cuti
-- bersama, 'masuk' days, closures, Ramadan), the work schedule's hours for the day (Friday,
-- Saturday and Ramadan variants), the rule set's grace and TL/PSW tiers, an approved absence,
-- the first counted check-in and the last counted check-out, the LKH, and the status:
--   libur | izin | sakit | cuti | dl | tugas_belajar | hadir | tk | belum_masuk
-- `belum_masuk` is today's "no record yet" while the counted hours (until checkout_close) last;
-- `tk` is a past day (or today after checkout_close) without any counted record.
--
-- How it is computed: a filter on `day` reaches the day series; for each day the lateral
-- subquery works out the offices' calendar, the schedules and rule sets once (materialized),
-- the people of that day, then each person's check-ins, absence and LKH through indexes.
-- `OFFSET 0` keeps the planner from pulling the day's work apart (bench/bench_boards.py: a
-- month of 2,000 people in about 4 s, as long as the TPP engine takes for the same month).
CREATE VIEW attendance_person_daily AS
SELECT d.day, x.nip, x.name, x.unit_id, x.opd_id, x.office_id, x.tz, x.schedule_group,
       x.staff_kind, x.today, x.working, x.ramadan, x.absence_kind, x.schedule_id, x.start_at,
       x.end_at, x.first_in, x.last_out, x.late_minutes, x.early_minutes, x.status, x.late_code,
       x.early_code, x.lkh_status
  FROM (SELECT g::date AS day
          FROM generate_series((SELECT coalesce(min(join_date), current_date) FROM employees),
                               (now() AT TIME ZONE 'Asia/Jayapura')::date, INTERVAL '1 day') g) d
 CROSS JOIN LATERAL (
    WITH
    -- each office on this day: its local today and clock, the UTC bounds of its local day, the
    -- calendar (tpp/calendar.py: the last 'masuk', 'tutup' or 'libur_daerah' entry decides,
    -- the office's own over the general ones; else a holiday or cuti bersama makes the day
    -- free; else the work week), Ramadan
    office_day AS MATERIALIZED (
        SELECT o.id AS office_id, o.tz,
               (now() AT TIME ZONE o.tz)::date AS local_today,
               (now() AT TIME ZONE o.tz)::time AS local_time,
               (d.day::timestamp AT TIME ZONE o.tz) AS day_from,
               ((d.day + 1)::timestamp AT TIME ZONE o.tz) AS day_to,
               CASE
                 WHEN ov.masuk IS NOT NULL THEN ov.masuk
                 WHEN EXISTS (SELECT 1 FROM calendar_days k
                               WHERE k.day = d.day AND (k.office_id IS NULL OR k.office_id = o.id))
                   THEN false
                 ELSE extract(isodow FROM d.day) <= coalesce(oc.workweek, 5)
               END AS working,
               EXISTS (SELECT 1 FROM ramadan_periods rp
                        WHERE d.day BETWEEN rp.start_date AND rp.end_date) AS ramadan
          FROM offices o
          LEFT JOIN office_calendars oc ON oc.office_id = o.id
          CROSS JOIN LATERAL (
                SELECT bool_and(k.kind = 'masuk') AS masuk
                  FROM calendar_days k
                 WHERE k.day = d.day AND k.kind IN ('masuk', 'tutup', 'libur_daerah')
                   AND (k.office_id = o.id
                        OR (k.office_id IS NULL AND NOT EXISTS (
                              SELECT 1 FROM calendar_days k2
                               WHERE k2.day = d.day AND k2.office_id = o.id
                                 AND k2.kind IN ('masuk', 'tutup', 'libur_daerah'))))) ov
    ),
    -- the day's hours of every schedule group (tpp/schedule.py: the schedule in force with the
    -- latest effective_from, its Friday/Saturday/Ramadan variant), and the grace and TL/PSW
    -- tiers of every regency and staff kind (tpp/rules.py: latest effective_from, then version)
    book AS MATERIALIZED (
        SELECT (SELECT jsonb_object_agg(x.group_name, x.hours || jsonb_build_object('schedule_id', x.id))
                  FROM (SELECT DISTINCT ON (s.group_name) s.group_name, s.id,
                               coalesce(CASE WHEN ram.is_on AND extract(isodow FROM d.day) = 5
                                             THEN s.hours -> 'ramadan_friday' END,
                                        CASE WHEN ram.is_on AND extract(isodow FROM d.day) = 6
                                             THEN s.hours -> 'ramadan_saturday' END,
                                        CASE WHEN ram.is_on THEN s.hours -> 'ramadan' END,
                                        CASE WHEN extract(isodow FROM d.day) = 5
                                             THEN s.hours -> 'friday' END,
                                        CASE WHEN extract(isodow FROM d.day) = 6
                                             THEN s.hours -> 'saturday' END,
                                        s.hours -> 'normal') AS hours
                          FROM work_schedules s
                         CROSS JOIN (SELECT EXISTS (SELECT 1 FROM ramadan_periods rp
                                      WHERE d.day BETWEEN rp.start_date AND rp.end_date) AS is_on) ram
                         WHERE s.effective_from <= d.day
                           AND (s.effective_to IS NULL OR d.day <= s.effective_to)
                         ORDER BY s.group_name, s.effective_from DESC) x) AS schedules,
               (SELECT jsonb_object_agg(x.k, x.rules)
                  FROM (SELECT DISTINCT ON (r.regency, kind) r.regency || '|' || kind AS k,
                               jsonb_build_object('grace', r.content -> 'grace_minutes',
                                                  'late', r.content -> 'late',
                                                  'early', r.content -> 'early') AS rules
                          FROM tpp_rulesets r CROSS JOIN unnest(r.staff_kinds) kind
                         WHERE r.effective_from <= d.day
                           AND (r.effective_to IS NULL OR d.day <= r.effective_to)
                         ORDER BY r.regency, kind, r.effective_from DESC, r.version DESC) x) AS rulebook
    ),
    -- who was employed that day and the record each had (employee_periods, as tpp/store.py
    -- `_EMP_SQL`; before a person's first period, and without one, their record now)
    people AS MATERIALIZED (
        SELECT e.nip, e.name, ep.unit_id, bu.opd_id, ep.office_id, od.tz, ep.schedule_group,
               ep.staff_kind, od.local_today, od.local_time, od.day_from, od.day_to,
               od.working, od.ramadan,
               book.schedules -> ep.schedule_group AS hours,
               book.rulebook -> (bu.regency || '|' || ep.staff_kind) AS rules
          FROM (SELECT p.nip, p.unit_id, p.office_id, p.schedule_group, p.staff_kind
                  FROM (SELECT p.*, lead(p.valid_from) OVER (PARTITION BY p.nip
                                                             ORDER BY p.valid_from) AS valid_to
                          FROM employee_periods p) p
                 WHERE p.valid_from <= d.day AND (p.valid_to IS NULL OR d.day < p.valid_to)
                UNION ALL
                SELECT e.nip, e.unit_id, e.office_id, e.schedule_group, e.staff_kind
                  FROM employees e
                 WHERE NOT EXISTS (SELECT 1 FROM employee_periods p
                                    WHERE p.nip = e.nip AND p.valid_from <= d.day)) ep
          JOIN employees e ON e.nip = ep.nip AND e.join_date <= d.day
                          AND (e.leave_date IS NULL OR d.day <= e.leave_date)
          JOIN office_day od ON od.office_id = ep.office_id
          JOIN board_units bu ON bu.unit_id = ep.unit_id
         CROSS JOIN book
    ),
    -- their first check-in and last check-out of the local day within the counted hours
    -- (checkin_open .. checkout_close), each person's hours of the day read through the index
    -- on (employee_id, hour); a NIP check-in counts once a reviewer accepted it
    punched AS (
        SELECT p.*, c.first_in, c.last_out
          FROM people p
          LEFT JOIN LATERAL (
                SELECT min(x.first_in) FILTER (WHERE p.hours IS NULL
                           OR (x.first_in AT TIME ZONE p.tz)::time
                              BETWEEN (p.hours ->> 'checkin_open')::time
                                  AND (p.hours ->> 'checkout_close')::time) AS first_in,
                       max(x.last_out) FILTER (WHERE p.hours IS NULL
                           OR (x.last_out AT TIME ZONE p.tz)::time
                              BETWEEN (p.hours ->> 'checkin_open')::time
                                  AND (p.hours ->> 'checkout_close')::time) AS last_out
                  FROM (SELECT h.first_in, h.last_out FROM checkins_hourly h
                         WHERE h.employee_id = p.nip
                           AND h.bucket >= p.day_from AND h.bucket < p.day_to
                        UNION ALL
                        SELECT CASE WHEN ck.kind = 'in' THEN ck.captured_at END,
                               CASE WHEN ck.kind = 'out' THEN ck.captured_at END
                          FROM checkins ck
                          JOIN checkin_reviews rv ON rv.event_id = ck.event_id
                           AND rv.captured_at = ck.captured_at AND rv.decision = 'accepted'
                         WHERE ck.employee_id = p.nip AND ck.method = 'nip'
                           AND ck.review_required
                           AND ck.captured_at >= p.day_from AND ck.captured_at < p.day_to) x
          ) c ON true
    ),
    -- an approved absence covering the day (the first by start date, then reference)
    away AS (
        SELECT DISTINCT ON (ab.nip) ab.nip, ab.kind
          FROM absences ab
         WHERE ab.status = 'disetujui' AND ab.start_date <= d.day AND ab.end_date >= d.day
         ORDER BY ab.nip, ab.start_date, ab.ref
    )
    SELECT p.nip, p.name, p.unit_id, p.opd_id, p.office_id, p.tz, p.schedule_group,
           p.staff_kind, d.day = p.local_today AS today, p.working, p.ramadan,
           a.kind AS absence_kind,
           p.hours ->> 'schedule_id' AS schedule_id,
           (p.hours ->> 'start')::time AS start_at,
           (p.hours ->> 'end')::time AS end_at,
           p.first_in, p.last_out,
           CASE WHEN v.status = 'hadir' THEN v.late_minutes END AS late_minutes,
           CASE WHEN v.status = 'hadir' THEN v.early_minutes END AS early_minutes,
           v.status,
           CASE WHEN v.status = 'hadir' THEN
               CASE WHEN p.first_in IS NULL THEN p.rules -> 'late' ->> 'no_record'
                    WHEN v.late_minutes > coalesce((p.rules ->> 'grace')::int, 0) THEN
                        (SELECT tier ->> 'code'
                           FROM jsonb_array_elements(p.rules -> 'late' -> 'tiers') tier
                          WHERE v.late_minutes >= (tier ->> 'min_from')::int
                            AND (tier ->> 'min_to' IS NULL
                                 OR v.late_minutes <= (tier ->> 'min_to')::int)
                          LIMIT 1)
               END
           END AS late_code,
           CASE WHEN v.status = 'hadir' THEN
               CASE WHEN p.last_out IS NULL THEN
                        CASE WHEN v.counted_hours_over THEN p.rules -> 'early' ->> 'no_record' END
                    WHEN v.early_minutes > 0 THEN
                        (SELECT tier ->> 'code'
                           FROM jsonb_array_elements(p.rules -> 'early' -> 'tiers') tier
                          WHERE v.early_minutes >= (tier ->> 'min_from')::int
                            AND (tier ->> 'min_to' IS NULL
                                 OR v.early_minutes <= (tier ->> 'min_to')::int)
                          LIMIT 1)
               END
           END AS early_code,
           l.status AS lkh_status
      FROM punched p
      LEFT JOIN away a ON a.nip = p.nip
      LEFT JOIN lkh_reports l ON l.nip = p.nip AND l.day = d.day
     CROSS JOIN LATERAL (
            SELECT CASE WHEN p.first_in IS NOT NULL AND p.hours IS NOT NULL THEN
                        greatest(0, floor(extract(epoch FROM (p.first_in AT TIME ZONE p.tz)::time
                                                  - (p.hours ->> 'start')::time) / 60))::int
                   END AS late_minutes,
                   CASE WHEN p.last_out IS NOT NULL AND p.hours IS NOT NULL THEN
                        greatest(0, floor(extract(epoch FROM (p.hours ->> 'end')::time
                                                  - (p.last_out AT TIME ZONE p.tz)::time) / 60))::int
                   END AS early_minutes,
                   (d.day < p.local_today
                    OR p.local_time > coalesce((p.hours ->> 'checkout_close')::time, '23:59:59'))
                       AS counted_hours_over,
                   CASE WHEN NOT p.working THEN 'libur'
                        WHEN a.kind IS NOT NULL THEN a.kind
                        WHEN p.first_in IS NULL AND p.last_out IS NULL THEN
                             CASE WHEN d.day < p.local_today
                                       OR p.local_time > coalesce(
                                              (p.hours ->> 'checkout_close')::time, '23:59:59')
                                  THEN 'tk' ELSE 'belum_masuk' END
                        ELSE 'hadir'
                   END AS status) v
     WHERE d.day <= p.local_today
    OFFSET 0
 ) x;

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
