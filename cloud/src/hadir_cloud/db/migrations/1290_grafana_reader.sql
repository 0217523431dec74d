-- The role Grafana's data source logs in as (dashboards/provisioning/datasources/hadir.yaml):
-- it may read exactly the views the boards use and nothing else (tests/dashboards hold the
-- list equal to the views the panels name). Roles belong to the whole server, so the role is
-- made only where it is missing; it is created NOLOGIN, and the deployment gives it its
-- password and the right to log in (`hadir-cloud db grafana-login --password-file …`).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        CREATE ROLE grafana_reader NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO grafana_reader', current_database());
END $$;

GRANT USAGE ON SCHEMA public TO grafana_reader;
GRANT SELECT ON board_units, attendance_unit_daily, attendance_today, tpp_deductions_monthly,
                fleet_status, fleet_telemetry, ingest_events, ingest_rejections
    TO grafana_reader;
