-- Org: kinds of unit, positions, definitive and acting (Plt/Plh) assignments with effective dates.
-- Plain PostgreSQL 15; only adds to 0100's units and employees (the TPP engine reads them as before).

ALTER TABLE units ADD COLUMN kind text NOT NULL DEFAULT 'opd'
    CHECK (kind IN ('pemkab', 'opd', 'sekretariat', 'bidang', 'bagian', 'seksi', 'subbag',
                    'sekolah'));
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE positions (
    id                     text PRIMARY KEY,
    name                   text NOT NULL,
    kind                   text NOT NULL CHECK (kind IN ('struktural', 'fungsional', 'pelaksana')),
    eselon                 text,
    unit_id                text NOT NULL REFERENCES units (id),
    heads_unit             boolean NOT NULL DEFAULT false,
    -- an explicit direct supervisor when it is not the head of the unit
    reports_to_position_id text REFERENCES positions (id) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((kind = 'struktural') = (eselon IS NOT NULL)),
    CHECK (reports_to_position_id IS DISTINCT FROM id)
);
CREATE INDEX positions_unit ON positions (unit_id);
-- at most one head per unit
CREATE UNIQUE INDEX positions_one_head ON positions (unit_id) WHERE heads_unit;

-- definitive assignments: a person holds one position at a time; history is kept closed
CREATE TABLE assignments (
    id          bigserial PRIMARY KEY,
    nip         text NOT NULL REFERENCES employees (nip),
    position_id text NOT NULL REFERENCES positions (id),
    start_date  date NOT NULL,
    end_date    date,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX assignments_one_open ON assignments (nip) WHERE end_date IS NULL;
CREATE INDEX assignments_position ON assignments (position_id, start_date);

-- Plt (pelaksana tugas) and Plh (pelaksana harian): the position's powers for the dates
CREATE TABLE acting_assignments (
    id          bigserial PRIMARY KEY,
    nip         text NOT NULL REFERENCES employees (nip),
    position_id text NOT NULL REFERENCES positions (id),
    kind        text NOT NULL CHECK (kind IN ('plt', 'plh')),
    start_date  date NOT NULL,
    end_date    date NOT NULL,
    basis       text NOT NULL DEFAULT '',  -- the decree (SK/surat perintah) number
    CHECK (end_date >= start_date)
);
CREATE INDEX acting_assignments_position ON acting_assignments (position_id, start_date);
