-- Device life: heartbeats, online state, configs sent, key history, the face gallery, commands.
-- Plain SQL, the same on TimescaleDB and plain PostgreSQL.

CREATE TABLE device_telemetry (
    id                bigserial PRIMARY KEY,
    device_id         text NOT NULL,
    sent_at           timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    outbox_depth      integer NOT NULL,
    oldest_unacked_at timestamptz,
    last_ack_at       timestamptz,
    gps_fix           boolean,
    gps_mode          integer,
    gps_satellites    integer,
    camera_ok         boolean,
    camera_state      text,
    disk_free_mb      double precision,
    temperature_c     double precision,
    clock_source      text,
    config_version    integer,
    gallery_version   bigint,
    gallery_size      integer,
    rejected_count    integer,
    rss_mb            double precision,
    uptime_s          double precision,
    version           text,
    payload           jsonb NOT NULL
);
CREATE INDEX device_telemetry_device_time ON device_telemetry (device_id, received_at DESC);

-- the latest of everything a kiosk said about itself
CREATE TABLE device_state (
    device_id         text PRIMARY KEY REFERENCES devices (id),
    state             text CHECK (state IN ('online', 'offline')),
    status_at         timestamptz,
    last_telemetry_at timestamptz,
    outbox_depth      integer,
    config_version    integer,
    gallery_version   bigint,
    version           text,
    gallery_sent_at   timestamptz,
    gallery_sent_version bigint
);

CREATE TABLE device_configs (
    device_id    text NOT NULL REFERENCES devices (id),
    version      integer NOT NULL,
    payload      jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, version)
);

-- earlier signing keys of a kiosk: events captured before retired_at (plus a grace) still verify
CREATE TABLE device_keys (
    device_id  text NOT NULL REFERENCES devices (id),
    public_key text NOT NULL,
    retired_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, public_key)
);

-- every change takes the next gallery version: "what changed after v" is version > v
CREATE SEQUENCE gallery_version_seq;
CREATE TABLE face_templates (
    employee_id text PRIMARY KEY,
    name        text NOT NULL,
    encodings   text[] NOT NULL,
    removed     boolean NOT NULL DEFAULT false,
    version     bigint NOT NULL DEFAULT nextval('gallery_version_seq'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_templates_version ON face_templates (version);

CREATE TABLE device_commands (
    correlation_id text PRIMARY KEY,
    device_id      text NOT NULL REFERENCES devices (id),
    name           text NOT NULL,
    args           jsonb NOT NULL DEFAULT '{}',
    issued_at      timestamptz NOT NULL DEFAULT now(),
    ok             boolean,
    reply          jsonb,
    replied_at     timestamptz
);
CREATE INDEX device_commands_device ON device_commands (device_id, issued_at DESC);
