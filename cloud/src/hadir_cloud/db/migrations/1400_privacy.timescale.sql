-- TimescaleDB: the audit trail and the kiosks' heartbeats as hypertables, so the retention job
-- drops whole chunks past the longest retention of any regency (`drop_chunks`, which removes
-- chunk tables and fires no row trigger) before it deletes the rest row by row
-- (privacy/retention.py). Unique keys of a hypertable must hold its time column.
-- Row triggers are propagated to every chunk. The stamp trigger sets `at` to now(), the
-- column's default, after the row was routed to now()'s chunk: a writer's backdated `at`
-- routes the row to an old chunk whose range check then refuses the stamped row (a refusal,
-- as the trigger means).
SELECT create_hypertable('audit_log', by_range('at', INTERVAL '30 days'));

ALTER TABLE device_telemetry DROP CONSTRAINT device_telemetry_pkey;
ALTER TABLE device_telemetry ADD PRIMARY KEY (id, received_at);
SELECT create_hypertable('device_telemetry', by_range('received_at', INTERVAL '7 days'),
                         migrate_data => true);
