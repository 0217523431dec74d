-- The spine: offices, kiosks, check-ins, rejected messages, portal users and API tokens.
-- Same names and columns on TimescaleDB (0001_spine.timescale.sql) and plain PostgreSQL
-- (0001_spine.plain.sql).

CREATE TABLE offices (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    tz       text NOT NULL CHECK (tz IN ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')),
    lat      double precision,
    lon      double precision,
    radius_m double precision
);

CREATE TABLE devices (
    id              text PRIMARY KEY,
    public_key      text NOT NULL,
    office_id       text REFERENCES offices (id),
    broker_username text,
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checkins (
    event_id        uuid NOT NULL,
    device_id       text NOT NULL,
    seq             bigint,
    employee_id     text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('in', 'out')),
    captured_at     timestamptz NOT NULL,
    clock_source    text,
    clock_drift_s   double precision,
    gps_fix         boolean,
    lat             double precision,
    lon             double precision,
    accuracy_m      double precision,
    hdop            double precision,
    satellites      integer,
    fix_mode        integer,
    gps_time        timestamptz,
    fix_age_s       double precision,
    office_id       text,
    distance_m      double precision,
    radius_m        double precision,
    geofence_inside boolean,
    face_distance   double precision,
    face_threshold  double precision,
    face_model      text,
    liveness_method text,
    liveness_score  double precision,
    liveness_passed boolean,
    method          text NOT NULL DEFAULT 'face' CHECK (method IN ('face', 'nip')),
    review_required boolean NOT NULL DEFAULT false,
    photo           bytea,
    signature       text,
    payload         jsonb,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- the time column is part of the key (a hypertable's unique keys must include it);
    -- captured_at is signed, so a replay of an event has the same key and is a duplicate
    PRIMARY KEY (event_id, captured_at)
);
CREATE INDEX checkins_device_seq ON checkins (device_id, seq);

CREATE TABLE rejected_messages (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text NOT NULL,
    device_id   text,
    event_id    text,
    reason      text NOT NULL,
    detail      text,
    raw         bytea NOT NULL
);
CREATE INDEX rejected_messages_received ON rejected_messages (received_at);

CREATE TABLE portal_users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'admin',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    token_sha256 text PRIMARY KEY,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
