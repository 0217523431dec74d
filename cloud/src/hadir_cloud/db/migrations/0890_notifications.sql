-- Notices for people (something waits for your decision, your request was decided, yesterday's
-- LKH is missing), shown in the portal and sent once a day as one e-mail per person.
-- `dedupe` makes a notice once per event however often the collecting job runs; a digest row
-- per person and day is written before its e-mail is sent, so a retried job never sends twice.
CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL REFERENCES portal_users (username) ON DELETE CASCADE,
    kind        text NOT NULL,
    dedupe      text NOT NULL UNIQUE,
    title       text NOT NULL,
    link        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    digest_day  date
);
CREATE INDEX notifications_user ON notifications (username, created_at DESC);
CREATE INDEX notifications_undigested ON notifications (username) WHERE digest_day IS NULL;

CREATE TABLE notification_prefs (
    username     text PRIMARY KEY REFERENCES portal_users (username) ON DELETE CASCADE,
    email        text,
    daily_digest boolean NOT NULL DEFAULT true
);

CREATE TABLE notification_digests (
    username    text NOT NULL,
    day         date NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    message_id  text NOT NULL,
    notices     integer NOT NULL,
    PRIMARY KEY (username, day)
);
