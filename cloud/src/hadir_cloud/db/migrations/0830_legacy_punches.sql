-- Punches from legacy fingerprint machines (issue 10, item 7): they are check-ins like the
-- kiosk's, flagged by `source`; a machine's user ids map to NIPs; punches of user ids not yet
-- mapped wait in legacy_punches_unmapped until a mapping brings them in.
-- A plain ADD COLUMN ... NOT NULL DEFAULT works on a plain table and on a compressed hypertable
-- (TimescaleDB 2.6 and later);
-- its CHECK is in the plain companion (a compressed hypertable takes no new CHECK).
ALTER TABLE checkins ADD COLUMN source text NOT NULL DEFAULT 'kiosk';

CREATE TABLE legacy_machine_users (
    machine    text NOT NULL,
    user_id    text NOT NULL,
    nip        text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (machine, user_id)
);

CREATE TABLE legacy_punches_unmapped (
    event_id    uuid PRIMARY KEY,
    machine     text NOT NULL,
    user_id     text NOT NULL,
    office_id   text NOT NULL REFERENCES offices (id),
    local_at    timestamp NOT NULL,
    captured_at timestamptz NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('in', 'out')),
    payload     jsonb,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legacy_punches_unmapped_user ON legacy_punches_unmapped (machine, user_id);
