-- Accounts for every employee (NIP and password, activated with a one-time code from HR),
-- roles with a unit scope, sessions that end, API tokens with scopes, expiry and revocation.

ALTER TABLE portal_users ADD COLUMN nip text UNIQUE REFERENCES employees (nip);
ALTER TABLE portal_users ADD COLUMN session_version integer NOT NULL DEFAULT 0;
ALTER TABLE portal_users ADD COLUMN activation_sha256 text;
ALTER TABLE portal_users ADD COLUMN activation_expires_at timestamptz;
ALTER TABLE portal_users ADD COLUMN password_changed_at timestamptz;
-- an account made for an employee has no password until it is activated
ALTER TABLE portal_users ALTER COLUMN password_hash DROP NOT NULL;

-- roles beyond `pegawai` (everyone with a NIP) and `atasan` (derived from positions);
-- unit_id scopes a role to that unit's subtree (admin_opd); NULL: the whole regency
CREATE TABLE role_grants (
    username   text NOT NULL REFERENCES portal_users (username) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin_opd', 'admin_bkpsdm', 'operator_ti',
                                             'pimpinan', 'auditor', 'verifikator', 'tu')),
    unit_id    text REFERENCES units (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    granted_by text,
    CHECK (role <> 'admin_opd' OR unit_id IS NOT NULL)
);
CREATE UNIQUE INDEX role_grants_once ON role_grants (username, role, coalesce(unit_id, ''));

ALTER TABLE api_tokens ADD COLUMN scopes text[] NOT NULL DEFAULT '{checkins:read}';
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN revoked_at timestamptz;
