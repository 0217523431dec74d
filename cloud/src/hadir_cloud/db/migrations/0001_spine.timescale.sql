-- TimescaleDB: checkins as a hypertable, checkins_daily as a continuous aggregate with
-- real-time aggregation, compression of chunks older than 30 days.
SELECT create_hypertable('checkins', by_range('captured_at', INTERVAL '7 days'));

-- kept out of `public`, so both engines show the same public tables and views
CREATE SCHEMA hadir_ts;
CREATE MATERIALIZED VIEW hadir_ts.checkins_daily_cagg
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', captured_at, 'Asia/Jakarta') AS bucket,
       office_id,
       device_id,
       employee_id,
       min(captured_at) FILTER (WHERE kind = 'in')  AS first_in,
       max(captured_at) FILTER (WHERE kind = 'out') AS last_out,
       count(*) AS events
FROM checkins
GROUP BY bucket, office_id, device_id, employee_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('hadir_ts.checkins_daily_cagg',
    start_offset => INTERVAL '40 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes');

-- The same name and columns as the plain view.
CREATE VIEW checkins_daily AS
SELECT (bucket AT TIME ZONE 'Asia/Jakarta')::date AS day,
       office_id, device_id, employee_id, first_in, last_out, events::bigint AS events
FROM hadir_ts.checkins_daily_cagg;

ALTER TABLE checkins SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id',
                          timescaledb.compress_orderby = 'captured_at');
SELECT add_compression_policy('checkins', INTERVAL '30 days');
