-- The review of NIP check-ins (issue 10, item 5): a check-in made by typing one's NIP (the
-- face not recognised, `method = 'nip'`, `review_required`) counts as presence only once a
-- reviewer accepted it. `checkin_reviews` holds the current decision, one per check-in (what
-- the TPP engine joins); `checkin_review_moves` every decision ever made on it (who, when,
-- why), a change of mind included.
CREATE TABLE checkin_reviews (
    event_id    uuid NOT NULL,
    captured_at timestamptz NOT NULL,
    -- the claimed person (the check-in's employee_id), so a person's decisions are found
    -- without reading the check-ins
    employee_id text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reviewer    text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    note        text,
    PRIMARY KEY (event_id, captured_at),
    CHECK (decision = 'accepted' OR coalesce(btrim(note), '') <> '')
);
CREATE INDEX checkin_reviews_captured ON checkin_reviews (captured_at);

CREATE TABLE checkin_review_moves (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL,
    captured_at timestamptz NOT NULL,
    employee_id text NOT NULL,
    from_state  text NOT NULL CHECK (from_state IN ('pending', 'accepted', 'rejected')),
    decision    text NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reviewer    text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    note        text
);
CREATE INDEX checkin_review_moves_event ON checkin_review_moves (event_id, captured_at);

-- the recap reuses verdicts while the data versions are unchanged (0720): a decision changes
-- what counts as presence, so it bumps them
CREATE TRIGGER checkin_reviews_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON checkin_reviews FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
INSERT INTO data_versions (name) VALUES ('checkin_reviews');

-- the queue: pending NIP check-ins, oldest first
CREATE INDEX checkins_review_queue ON checkins (captured_at)
    WHERE method = 'nip' AND review_required;
