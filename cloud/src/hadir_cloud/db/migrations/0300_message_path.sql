-- The message path hardened (issue 8): raw bytes kept once, quarantine, held events, key rules.

-- a hostile or broken kiosk that sends the same bad bytes a million times costs one row:
-- the raw bytes are kept once per (digest, reason), with a count and the last time seen
ALTER TABLE rejected_messages ADD COLUMN raw_sha256 bytea;
ALTER TABLE rejected_messages ADD COLUMN seen_count integer NOT NULL DEFAULT 1;
ALTER TABLE rejected_messages ADD COLUMN last_seen_at timestamptz;
UPDATE rejected_messages SET raw_sha256 = sha256(raw), last_seen_at = received_at;
DELETE FROM rejected_messages r USING rejected_messages k
 WHERE r.raw_sha256 = k.raw_sha256 AND r.reason = k.reason AND r.id > k.id;
ALTER TABLE rejected_messages ALTER COLUMN raw_sha256 SET NOT NULL;
ALTER TABLE rejected_messages ALTER COLUMN last_seen_at SET NOT NULL;
ALTER TABLE rejected_messages ALTER COLUMN last_seen_at SET DEFAULT now();
CREATE UNIQUE INDEX rejected_messages_once ON rejected_messages (raw_sha256, reason);
CREATE INDEX rejected_messages_device ON rejected_messages (device_id, last_seen_at);

-- verified check-ins whose time is implausible: kept for a person to look at and release
CREATE TABLE checkin_quarantine (
    event_id     uuid PRIMARY KEY,
    device_id    text NOT NULL,
    employee_id  text NOT NULL,
    captured_at  timestamptz NOT NULL,
    reason       text NOT NULL,
    detail       text,
    payload      jsonb NOT NULL,
    photo        bytea,
    received_at  timestamptz NOT NULL DEFAULT now(),
    released_at  timestamptz,
    released_by  text
);
CREATE INDEX checkin_quarantine_device ON checkin_quarantine (device_id, received_at);

-- a retired key with retired_at NULL is still in use: the cloud registered the kiosk's
-- next key, the kiosk has not switched yet (two-phase rotation)
ALTER TABLE device_keys ALTER COLUMN retired_at DROP NOT NULL;
ALTER TABLE device_keys ALTER COLUMN retired_at DROP DEFAULT;

-- what a kiosk holds because the cloud could not verify it yet, and acks it failed to apply
ALTER TABLE device_telemetry ADD COLUMN held_count integer;
ALTER TABLE device_telemetry ADD COLUMN ack_errors integer;
ALTER TABLE device_telemetry ADD COLUMN disk_full boolean;
ALTER TABLE device_state ADD COLUMN held_count integer;
ALTER TABLE device_state ADD COLUMN disk_full boolean;

-- a kiosk receives only the faces of its own office (office_id NULL: every office), plus the
-- people on approved duty there; a face that leaves an office's scope goes there as a removal
ALTER TABLE face_templates ADD COLUMN office_id text REFERENCES offices (id);
