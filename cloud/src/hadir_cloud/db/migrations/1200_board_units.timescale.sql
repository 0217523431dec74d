-- TimescaleDB: check-ins per person and UTC hour as a continuous aggregate with real-time
-- aggregation (materialized_only = false: the hours after the last refresh are read from the
-- hypertable at query time), refreshed every 15 minutes over the last 40 days, so a kiosk's
-- week-long backlog is in the aggregate after the next refresh.
CREATE MATERIALIZED VIEW hadir_ts.checkins_hourly_cagg
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', captured_at) AS bucket,
       employee_id,
       min(captured_at) FILTER (WHERE kind = 'in')  AS first_in,
       max(captured_at) FILTER (WHERE kind = 'out') AS last_out,
       count(*) FILTER (WHERE kind = 'in')  AS ins,
       count(*) FILTER (WHERE kind = 'out') AS outs
  FROM checkins
 WHERE method = 'face' OR NOT review_required
 GROUP BY bucket, employee_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('hadir_ts.checkins_hourly_cagg',
    start_offset => INTERVAL '40 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes');

-- The same name and columns as the plain view.
CREATE VIEW checkins_hourly AS
SELECT bucket, employee_id, first_in, last_out, ins::bigint AS ins, outs::bigint AS outs
  FROM hadir_ts.checkins_hourly_cagg;
