-- Personal data as UU 27/2022 (PDP) requires (issue 14): retention as data per regency, an
-- append-only audit trail, recorded consent to biometric enrolment, face templates sealed at
-- rest (envelope encryption), erasures with each kiosk's confirmation, subject exports, and
-- the gallery keys of kiosks that keep theirs in memory only.
-- The same on both engines; 1400_privacy.timescale.sql turns the time-ordered tables into
-- hypertables where TimescaleDB is preloaded.

-- How long each kind of data is kept. regency '*' is the deployment's default; a row for a
-- regency (units.regency) overrides it for that regency's people and kiosks.
CREATE TABLE retention_policies (
    regency    text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('foto_presensi', 'pesan_ditolak', 'telemetri',
                                             'log_audit')),
    days       integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regency, kind),
    -- the audit trail outlives what it accounts for by at least a year
    CHECK (kind <> 'log_audit' OR days >= 365)
);
INSERT INTO retention_policies (regency, kind, days, changed_by) VALUES
    ('*', 'foto_presensi', 90, 'bawaan'),
    ('*', 'pesan_ditolak', 90, 'bawaan'),
    ('*', 'telemetri', 90, 'bawaan'),
    ('*', 'log_audit', 1825, 'bawaan');

-- the days a kind is kept in a regency (its own row, else the default)
CREATE FUNCTION retention_days(p_kind text, p_regency text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT days FROM retention_policies WHERE regency = p_regency AND kind = p_kind),
        (SELECT days FROM retention_policies WHERE regency = '*' AND kind = p_kind))
$$;

-- an office's regency: that of the units its people work in, when they agree on one
CREATE VIEW office_regencies AS
SELECT e.office_id, min(u.regency) AS regency
FROM employees e JOIN units u ON u.id = e.unit_id
GROUP BY e.office_id
HAVING count(DISTINCT u.regency) = 1;

-- Who did what to whose personal data, when, from where. Append-only: the trigger below
-- refuses every UPDATE and TRUNCATE, and every DELETE except the retention job's (which sets
-- hadir.retensi in its transaction) of an entry past its regency's retention.
CREATE TABLE audit_log (
    id      bigserial,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action  text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    subject text,                             -- the person concerned (a NIP), or the thing
    detail  jsonb NOT NULL DEFAULT '{}',
    origin  text,                             -- an IP address, or cli@host, or a job
    regency text,                             -- the subject's, when written: its retention
    PRIMARY KEY (id, at)
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject, at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);

-- an entry's time and regency are the database's, not the writer's: no entry is backdated or
-- given a shorter retention than its subject's
CREATE FUNCTION audit_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := now();
    NEW.regency := (SELECT u.regency FROM employees e JOIN units u ON u.id = e.unit_id
                    WHERE e.nip = NEW.subject);
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_stamp();

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('hadir.retensi', true) = 'on'
           AND OLD.at < now() - make_interval(
                   days => retention_days('log_audit', coalesce(OLD.regency, '*'))) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'log audit hanya dapat ditambah: % ditolak', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- A person's consent to biometric enrolment, against the privacy notice's version they read:
-- a signed form (its number) recorded by HR or IT, or given by the person in the portal.
CREATE TABLE biometric_consents (
    id             bigserial PRIMARY KEY,
    employee_id    text NOT NULL,
    notice_version text NOT NULL,
    method         text NOT NULL CHECK (method IN ('formulir', 'portal')),
    reference      text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    recorded_by    text NOT NULL,
    given_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at   timestamptz,
    withdrawn_by   text
);
CREATE INDEX biometric_consents_employee ON biometric_consents (employee_id, given_at DESC);

-- Face templates sealed at rest: `sealed` is nonce ‖ AES-256-GCM of the encodings under the
-- row's own data key; `data_key` is that key wrapped by the key-encryption key `key_id`
-- (HADIR_TEMPLATE_KEY_FILE). `encodings` stays empty for sealed rows (`hadir-cloud privacy
-- seal-templates`, and the fleet monitor at start, seal rows enrolled before this migration).
ALTER TABLE face_templates ALTER COLUMN encodings SET DEFAULT '{}';
ALTER TABLE face_templates ADD COLUMN sealed bytea;
ALTER TABLE face_templates ADD COLUMN data_key bytea;
ALTER TABLE face_templates ADD COLUMN key_id text;
ALTER TABLE face_templates ADD COLUMN consent_id bigint REFERENCES biometric_consents (id);
ALTER TABLE face_templates ADD COLUMN erased_at timestamptz;
ALTER TABLE face_templates ADD CONSTRAINT face_templates_sealed_whole
    CHECK ((sealed IS NULL) = (data_key IS NULL) AND (sealed IS NULL) = (key_id IS NULL));

-- An erasure of a person's biometric data: what was erased where (counts per place), and the
-- gallery version of the removal: a kiosk reporting that version or later no longer holds them.
CREATE TABLE erasures (
    id              bigserial PRIMARY KEY,
    employee_id     text NOT NULL,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by    text NOT NULL,
    origin          text,
    erased_at       timestamptz NOT NULL DEFAULT now(),
    gallery_version bigint,
    erased          jsonb NOT NULL DEFAULT '{}',
    -- photos of events made before the erasure that reached the cloud after it (a kiosk's
    -- backlog), cleared by the periodic job as they land
    swept_photos    integer NOT NULL DEFAULT 0
);
CREATE INDEX erasures_employee ON erasures (employee_id, erased_at DESC);

-- every kiosk the removal must reach, and when its heartbeat confirmed it
CREATE TABLE erasure_kiosks (
    erasure_id        bigint NOT NULL REFERENCES erasures (id),
    device_id         text NOT NULL REFERENCES devices (id),
    held_version      bigint,        -- what it reported when the erasure was made
    disabled          boolean NOT NULL DEFAULT false,
    confirmed_at      timestamptz,
    confirmed_version bigint,
    PRIMARY KEY (erasure_id, device_id)
);
CREATE INDEX erasure_kiosks_pending ON erasure_kiosks (erasure_id) WHERE confirmed_at IS NULL;

-- A person's own data as a ZIP, made by a job and downloadable by them for a week.
CREATE TABLE subject_exports (
    job_id       bigint PRIMARY KEY,
    employee_id  text NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    filename     text,
    data         bytea,
    size_bytes   integer,
    sha256       text,
    expires_at   timestamptz NOT NULL DEFAULT now() + interval '7 days'
);
CREATE INDEX subject_exports_employee ON subject_exports (employee_id, requested_at DESC);

-- The gallery key of a kiosk that keeps it in memory only (face.gallery_key = "cloud"):
-- made on its first request, wrapped by the key-encryption key, sent at every boot
-- encrypted to the kiosk's one-time X25519 key.
CREATE TABLE device_gallery_keys (
    device_id    text PRIMARY KEY REFERENCES devices (id),
    wrapped      bytea NOT NULL,
    key_id       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_request text,           -- the boot's one-time key last answered (answered once)
    last_sent_at timestamptz
);
