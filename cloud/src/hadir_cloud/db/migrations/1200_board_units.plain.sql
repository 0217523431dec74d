-- Plain PostgreSQL: checkins_hourly as a view (the continuous aggregate's twin). A NIP check-in
-- waiting for review does not count here (the boards add the accepted ones from
-- checkin_reviews, which changes after the fact and so cannot live in an aggregate).
CREATE VIEW checkins_hourly AS
SELECT date_bin(INTERVAL '1 hour', captured_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       employee_id,
       min(captured_at) FILTER (WHERE kind = 'in')  AS first_in,
       max(captured_at) FILTER (WHERE kind = 'out') AS last_out,
       count(*) FILTER (WHERE kind = 'in')  AS ins,
       count(*) FILTER (WHERE kind = 'out') AS outs
  FROM checkins
 WHERE method = 'face' OR NOT review_required
 GROUP BY 1, 2;

-- a person's hours of one day: the boards' filter on (employee_id, bucket) reaches this index
-- (date_bin is immutable; the expression is the view's, to the letter)
CREATE INDEX checkins_employee_hour ON checkins
    (employee_id, date_bin(INTERVAL '1 hour', captured_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'));
