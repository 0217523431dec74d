-- Letters (letters/): outgoing drafts that climb a review chain and are signed (PAdES),
-- incoming letters registered by TU and disposed down the hierarchy, the archive's full-text
-- search, and the per-unit, per-year counters that number them.

CREATE TABLE letters (
    id                 bigserial PRIMARY KEY,
    direction          text NOT NULL CHECK (direction IN ('keluar', 'masuk')),
    kind               text NOT NULL CHECK (kind IN ('surat_dinas', 'nota_dinas', 'undangan',
                           'surat_tugas', 'surat_edaran', 'surat_keterangan', 'masuk')),
    state              text NOT NULL CHECK (state IN ('draf', 'diperiksa', 'siap_ttd',
                           'dikembalikan', 'ditandatangani', 'dibatalkan', 'diterima',
                           'didisposisi', 'selesai')),
    -- the OPD whose letterhead it carries and whose register numbers it (outgoing), or the
    -- unit it was addressed to (incoming)
    unit_id            text NOT NULL REFERENCES units (id),
    author_nip         text REFERENCES employees (nip),
    signer_position_id text REFERENCES positions (id),
    chain              text[] NOT NULL DEFAULT '{}',  -- review positions, in order
    step               smallint NOT NULL DEFAULT 0,   -- the pending one while 'diperiksa'
    version            integer NOT NULL DEFAULT 1,
    subject            text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body               text NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    addressee          text NOT NULL DEFAULT '' CHECK (length(addressee) <= 500),
    classification     text NOT NULL,
    access             text NOT NULL DEFAULT 'biasa'
                       CHECK (access IN ('biasa', 'terbatas', 'rahasia')),
    urgency            text NOT NULL DEFAULT 'biasa'
                       CHECK (urgency IN ('biasa', 'segera', 'sangat_segera')),
    -- surat tugas: where and when the named people are on duty
    duty_place         text,
    duty_lat           double precision CHECK (duty_lat BETWEEN -90 AND 90),
    duty_lon           double precision CHECK (duty_lon BETWEEN -180 AND 180),
    duty_radius_m      integer CHECK (duty_radius_m > 0),
    duty_start         date,
    duty_end           date,
    -- numbering and signature (outgoing)
    number             text UNIQUE,
    seq                integer,
    year               integer,
    signed_by          text,
    signed_at          timestamptz,
    signed_pdf         bytea,
    pdf_sha256         text UNIQUE,
    signature_sha256   text UNIQUE,
    verify_token       text UNIQUE,
    -- incoming
    agenda             text,
    agenda_seq         integer,
    sender             text,
    letter_number      text,
    letter_date        date,
    received_on        date,
    deadline           date,
    scan               bytea CHECK (octet_length(scan) <= 20971520),
    scan_mime          text CHECK (scan_mime IN ('application/pdf', 'image/png', 'image/jpeg')),
    scan_name          text,
    registered_by      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    search             tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('indonesian', subject), 'A')
        -- a secret letter's body is never indexed: only its subject can be found
        || setweight(to_tsvector('indonesian', CASE WHEN access = 'rahasia' THEN ''
                                                    ELSE body END), 'B')
        || to_tsvector('simple', coalesce(number, '') || ' ' || coalesce(agenda, '') || ' '
                                 || coalesce(sender, '') || ' ' || coalesce(letter_number, ''))
    ) STORED,
    CHECK ((direction = 'keluar') = (author_nip IS NOT NULL)),
    CHECK ((number IS NULL) = (seq IS NULL) AND (seq IS NULL) = (signed_at IS NULL)),
    CHECK ((duty_start IS NULL) = (duty_end IS NULL) AND duty_end >= duty_start)
);
CREATE UNIQUE INDEX letters_seq ON letters (unit_id, year, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX letters_agenda ON letters (unit_id, year, agenda_seq)
    WHERE agenda_seq IS NOT NULL;
CREATE INDEX letters_search ON letters USING gin (search);
CREATE INDEX letters_state ON letters (state, unit_id);
CREATE INDEX letters_author ON letters (author_nip);

-- the next number of a unit's register in a year: locked and raised in the signing
-- transaction, so a number is used once and a failed signature gives it back
CREATE TABLE letter_counters (
    unit_id  text NOT NULL REFERENCES units (id),
    year     integer NOT NULL,
    register text NOT NULL CHECK (register IN ('nomor', 'agenda')),
    last     integer NOT NULL DEFAULT 0 CHECK (last >= 0),
    PRIMARY KEY (unit_id, year, register)
);

-- every version of an outgoing letter's text (the author's and each reviewer's edits)
CREATE TABLE letter_versions (
    letter_id  bigint NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    addressee  text NOT NULL,
    by_nip     text NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (letter_id, version)
);

CREATE TABLE letter_events (
    id         bigserial PRIMARY KEY,
    letter_id  bigint NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    move       text NOT NULL,
    from_state text NOT NULL,
    to_state   text NOT NULL,
    step       smallint,
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX letter_events_letter ON letter_events (letter_id, id);

-- internal recipients: 'kepada' (addressed) and 'tembusan' (copies); read when opened
CREATE TABLE letter_recipients (
    letter_id bigint NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    nip       text NOT NULL REFERENCES employees (nip),
    kind      text NOT NULL CHECK (kind IN ('kepada', 'tembusan')),
    read_at   timestamptz,
    PRIMARY KEY (letter_id, nip, kind)
);
CREATE INDEX letter_recipients_nip ON letter_recipients (nip, kind);

-- the people a surat tugas names, and the dinas luar request its signature approved for each
CREATE TABLE letter_people (
    letter_id  bigint NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    nip        text NOT NULL REFERENCES employees (nip),
    request_id bigint REFERENCES requests (id),
    PRIMARY KEY (letter_id, nip)
);

-- a disposition of an incoming letter: the head's (parent NULL) and each one passed further
CREATE TABLE dispositions (
    id          bigserial PRIMARY KEY,
    letter_id   bigint NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    parent_id   bigint REFERENCES dispositions (id),
    from_nip    text REFERENCES employees (nip),  -- NULL: the letter as registered by TU
    to_nip      text NOT NULL REFERENCES employees (nip),
    instruction text NOT NULL DEFAULT '' CHECK (length(instruction) <= 1000),
    deadline    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    state       text NOT NULL DEFAULT 'baru' CHECK (state IN ('baru', 'diteruskan', 'selesai')),
    done_at     timestamptz,
    done_note   text NOT NULL DEFAULT '',
    lkh_day     date  -- the LKH day it became an activity of
);
CREATE INDEX dispositions_to ON dispositions (to_nip, state);
CREATE INDEX dispositions_letter ON dispositions (letter_id, id);
