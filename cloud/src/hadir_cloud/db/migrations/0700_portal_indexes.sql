-- The portal's reads (make bench-portal, docs/benchmarks.md): a person's month reads their
-- check-ins by employee and time; the day's check-ins page and the recap read by time.
CREATE INDEX IF NOT EXISTS checkins_employee_time ON checkins (employee_id, captured_at DESC);
