-- The recap keeps each person's verdict between requests and asks, before using it, which
-- people have check-ins received since (attendance/cache.py): that reads by arrival time.
CREATE INDEX IF NOT EXISTS checkins_received_at ON checkins (received_at);
