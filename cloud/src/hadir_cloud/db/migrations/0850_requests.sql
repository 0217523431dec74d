-- Requests (leave, sick, duty, corrections) and every move of their approval chain
-- (requests/domain.py). An approved request writes its `absences` row (0100), which the TPP
-- engine and the recap read; both tables join the data_versions list of 0720 so a cached
-- recap sees a change the moment a request moves.
CREATE TABLE requests (
    id             bigserial PRIMARY KEY,
    nip            text NOT NULL REFERENCES employees (nip),
    kind           text NOT NULL,                 -- a code of the regency's kinds file
    subkind        text NOT NULL DEFAULT '',
    start_date     date NOT NULL,
    end_date       date NOT NULL,
    reason         text NOT NULL DEFAULT '',
    attachments    text[] NOT NULL DEFAULT '{}',  -- attachment codes given
    place_name     text,
    place_lat      double precision CHECK (place_lat BETWEEN -90 AND 90),
    place_lon      double precision CHECK (place_lon BETWEEN -180 AND 180),
    place_radius_m integer CHECK (place_radius_m > 0),
    state          text NOT NULL DEFAULT 'draf'
                   CHECK (state IN ('draf', 'diajukan', 'dikembalikan', 'disetujui', 'ditolak',
                                    'dibatalkan')),
    chain          text[] NOT NULL DEFAULT '{}',  -- the kind's steps, copied on submission
    step           smallint NOT NULL DEFAULT 0,   -- the pending step while 'diajukan'
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date),
    CHECK ((place_name IS NULL) = (place_lat IS NULL)
           AND (place_lat IS NULL) = (place_lon IS NULL)
           AND (place_lon IS NULL) = (place_radius_m IS NULL))
);
CREATE INDEX requests_nip ON requests (nip, start_date);
-- the inbox reads the requests that wait for a decision
CREATE INDEX requests_waiting ON requests (id) WHERE state = 'diajukan';

CREATE TABLE request_events (
    id         bigserial PRIMARY KEY,
    request_id bigint NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    move       text NOT NULL
               CHECK (move IN ('ubah', 'ajukan', 'setujui', 'kembalikan', 'tolak', 'batalkan')),
    from_state text NOT NULL,
    to_state   text NOT NULL,
    step       smallint,
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX request_events_request ON request_events (request_id, id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['requests', 'request_events']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()',
                       t || '_bump_version', t);
        INSERT INTO data_versions (name) VALUES (t);
    END LOOP;
END $$;
