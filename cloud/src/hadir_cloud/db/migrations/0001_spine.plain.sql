-- Plain PostgreSQL: checkins_daily as a view (the continuous aggregate's twin).
CREATE VIEW checkins_daily AS
SELECT (captured_at AT TIME ZONE 'Asia/Jakarta')::date AS day,
       office_id,
       device_id,
       employee_id,
       min(captured_at) FILTER (WHERE kind = 'in')  AS first_in,
       max(captured_at) FILTER (WHERE kind = 'out') AS last_out,
       count(*)::bigint AS events
FROM checkins
GROUP BY 1, 2, 3, 4;
