-- Files people upload as evidence: a doctor's letter for sakit, proof for an attendance
-- correction, an LKH day's output. Kept in the database (one backup, one retention rule),
-- checked on upload (PDF, JPEG or PNG by their first bytes, at most 5 MB), served only to
-- those who may see what they belong to, never cached.
CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    owner_kind    text NOT NULL CHECK (owner_kind IN ('permohonan', 'lkh')),
    owner_id      text NOT NULL,       -- a request's id; an LKH's '<nip>:<day>'
    code          text NOT NULL,       -- which attachment of the kind ('surat_dokter', …)
    filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg',
                                                        'image/png')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    data          bytea NOT NULL,
    uploaded_by   text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id, id);
