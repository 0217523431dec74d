-- TimescaleDB gives a hypertable this index itself (create_default_indexes); plain PostgreSQL
-- needs it, or a day's check-ins scan the whole (event_id, captured_at) primary key
CREATE INDEX IF NOT EXISTS checkins_captured_at_idx ON checkins (captured_at DESC);
