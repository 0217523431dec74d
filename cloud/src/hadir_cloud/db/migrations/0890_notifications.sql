-- Notices for people (something waits for your decision, your request was decided, yesterday's
-- LKH is missing, a PP 94/2021 threshold is near, a kiosk is offline), shown in the portal and
-- delivered on each person's channels (e-mail, a webhook gateway for WhatsApp/Telegram): once a
-- day as one digest, and at once for urgent kinds.
-- `dedupe` makes a notice once per event however often the collecting job runs; a delivery row
-- per message and channel is written before the message goes, so a retried job never sends
-- twice.
CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL REFERENCES portal_users (username) ON DELETE CASCADE,
    kind        text NOT NULL,
    dedupe      text NOT NULL UNIQUE,
    title       text NOT NULL,
    link        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    -- the day of the digest that carries it (NULL: not yet in a digest)
    digest_day  date
);
CREATE INDEX notifications_user ON notifications (username, created_at DESC);
CREATE INDEX notifications_undigested ON notifications (username) WHERE digest_day IS NULL;

CREATE TABLE notification_prefs (
    username     text PRIMARY KEY REFERENCES portal_users (username) ON DELETE CASCADE,
    email        text,
    -- the number or chat id a WhatsApp/Telegram gateway behind the webhook delivers to
    phone        text,
    channels     text[] NOT NULL DEFAULT '{email}'
                 CHECK (channels <@ ARRAY['email', 'webhook']::text[]),
    daily_digest boolean NOT NULL DEFAULT true,
    -- urgent kinds (a kiosk offline) go out at once instead of in the next digest
    urgent_now   boolean NOT NULL DEFAULT true
);

-- one message on one channel: a person's digest of a day ('ringkasan:<user>:<day>') or one
-- urgent notice ('segera:<notification id>'); claimed (committed) before it is sent, removed
-- again when the channel refuses, so a retry sends it and nothing goes twice
CREATE TABLE notification_deliveries (
    key         text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('email', 'webhook')),
    username    text NOT NULL,
    notices     integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    PRIMARY KEY (key, channel)
);
