-- Faces enrolled from the portal's fleet console: the uploaded photos wait here for the job
-- that encodes them (devices/faces.py, procrastinate task hadir:face_enrol) and are deleted when
-- it ends, whatever the outcome: only the encodings and the small reference photo stay, in
-- face_templates (0200, 0841), sealed (1400). The fleet monitor sends the new gallery version to the kiosks.
CREATE TABLE face_enrolment_uploads (
    id          bigserial PRIMARY KEY,
    employee_id text NOT NULL,
    name        text NOT NULL,
    office_id   text REFERENCES offices (id),
    filenames   text[] NOT NULL,
    photos      bytea[] NOT NULL CHECK (cardinality(photos) BETWEEN 1 AND 10),
    uploaded_by text NOT NULL,
    -- the person's consent form (UU 27/2022) given with the upload; NULL: the consent already
    -- recorded for the person is used (the job refuses when there is none)
    consent_ref text CHECK (consent_ref IS NULL OR length(consent_ref) BETWEEN 1 AND 100),
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    job_id      bigint,
    CHECK (cardinality(filenames) = cardinality(photos))
);
