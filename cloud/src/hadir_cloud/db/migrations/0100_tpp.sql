-- TPP: units (OPD), employees, calendars, schedules, absences, LKH, rule sets and monthly runs.
-- Plain PostgreSQL 15; references offices(id) and reads checkins from 0001.

CREATE TABLE units (
    id        text PRIMARY KEY,
    name      text NOT NULL,
    regency   text NOT NULL,
    parent_id text REFERENCES units (id)
);

CREATE TABLE office_calendars (
    office_id text PRIMARY KEY REFERENCES offices (id),
    workweek  smallint NOT NULL DEFAULT 5 CHECK (workweek IN (5, 6))
);

CREATE TABLE employees (
    nip            text PRIMARY KEY,
    name           text NOT NULL,
    unit_id        text NOT NULL REFERENCES units (id),
    staff_kind     text NOT NULL CHECK (staff_kind IN ('ASN', 'PPPK', 'honorer')),
    position_class text NOT NULL,
    schedule_group text NOT NULL,
    join_date      date NOT NULL,
    leave_date     date,
    office_id      text NOT NULL REFERENCES offices (id),
    CHECK (leave_date IS NULL OR leave_date >= join_date)
);
CREATE INDEX employees_unit ON employees (unit_id);

-- national holidays, cuti bersama, regional holidays, closures and extra working days ('masuk');
-- office_id NULL applies to every office
CREATE TABLE calendar_days (
    id        bigserial PRIMARY KEY,
    office_id text REFERENCES offices (id),
    day       date NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('libur_nasional', 'cuti_bersama', 'libur_daerah',
                                            'tutup', 'masuk')),
    name      text NOT NULL
);
CREATE UNIQUE INDEX calendar_days_unique ON calendar_days (coalesce(office_id, ''), day, kind);

CREATE TABLE ramadan_periods (
    start_date date PRIMARY KEY,
    end_date   date NOT NULL CHECK (end_date >= start_date)
);

CREATE TABLE work_schedules (
    id             text PRIMARY KEY,
    group_name     text NOT NULL,
    effective_from date NOT NULL,
    effective_to   date,
    hours          jsonb NOT NULL
);
CREATE INDEX work_schedules_group ON work_schedules (group_name, effective_from);

CREATE TABLE absences (
    id          bigserial PRIMARY KEY,
    ref         text NOT NULL UNIQUE,
    nip         text NOT NULL REFERENCES employees (nip),
    kind        text NOT NULL CHECK (kind IN ('izin', 'sakit', 'cuti', 'dl', 'tugas_belajar')),
    subkind     text NOT NULL DEFAULT '',
    start_date  date NOT NULL,
    end_date    date NOT NULL,
    status      text NOT NULL DEFAULT 'diajukan'
                CHECK (status IN ('diajukan', 'disetujui', 'ditolak')),
    approved_by text,
    approved_at timestamptz,
    note        text NOT NULL DEFAULT '',
    CHECK (end_date >= start_date)
);
CREATE INDEX absences_nip ON absences (nip, start_date);

CREATE TABLE lkh_reports (
    nip         text NOT NULL REFERENCES employees (nip),
    day         date NOT NULL,
    status      text NOT NULL CHECK (status IN ('draf', 'diajukan', 'disetujui', 'ditolak')),
    summary     text NOT NULL DEFAULT '',
    approved_by text,
    approved_at timestamptz,
    PRIMARY KEY (nip, day)
);

CREATE TABLE disciplinary_sanctions (
    id          bigserial PRIMARY KEY,
    ref         text NOT NULL UNIQUE,
    nip         text NOT NULL REFERENCES employees (nip),
    pct         numeric(5, 2) NOT NULL CHECK (pct > 0 AND pct <= 100),
    start_month date NOT NULL,
    end_month   date NOT NULL CHECK (end_month >= start_month),
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX disciplinary_sanctions_nip ON disciplinary_sanctions (nip);

CREATE TABLE tpp_rulesets (
    id             text NOT NULL,
    version        integer NOT NULL,
    regency        text NOT NULL,
    staff_kinds    text[] NOT NULL,
    effective_from date NOT NULL,
    effective_to   date,
    content        jsonb NOT NULL,
    source         text NOT NULL,
    sha256         text NOT NULL,
    loaded_by      text NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

CREATE TABLE tpp_runs (
    id           bigserial PRIMARY KEY,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    unit_id      text REFERENCES units (id),
    version      integer NOT NULL,
    status       text NOT NULL DEFAULT 'draf' CHECK (status IN ('draf', 'final')),
    created_by   text NOT NULL,
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finalized_by text,
    finalized_at timestamptz,
    employees    integer NOT NULL DEFAULT 0,
    total_net    numeric(18, 0) NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tpp_runs_version ON tpp_runs (month, coalesce(unit_id, ''), version);

CREATE TABLE tpp_results (
    run_id         bigint NOT NULL REFERENCES tpp_runs (id),
    nip            text NOT NULL REFERENCES employees (nip),
    unit_id        text NOT NULL,
    ruleset        text NOT NULL,
    position_class text NOT NULL,
    base           numeric(18, 0) NOT NULL,
    gross          numeric(18, 0) NOT NULL,
    total          numeric(18, 0) NOT NULL,
    net            numeric(18, 0) NOT NULL,
    working_days   integer NOT NULL,
    active_days    integer NOT NULL,
    lkh_approved   integer NOT NULL,
    lkh_effective  integer NOT NULL,
    lkh_pct        numeric(5, 2),
    -- json, not jsonb: written once, read whole (explain, export); cheaper to load in bulk
    status_counts  json NOT NULL,
    tk_dates       date[] NOT NULL,
    items          json NOT NULL,
    days           json NOT NULL,
    PRIMARY KEY (run_id, nip)
);

-- a finalized run never changes: neither the run row nor its results
CREATE FUNCTION tpp_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'final' THEN
        RAISE EXCEPTION 'run TPP % sudah final dan tidak dapat diubah', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tpp_runs_immutable BEFORE UPDATE OR DELETE ON tpp_runs
    FOR EACH ROW EXECUTE FUNCTION tpp_runs_guard();

CREATE FUNCTION tpp_results_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tpp_runs WHERE id = OLD.run_id AND status = 'final') THEN
        RAISE EXCEPTION 'hasil run TPP % sudah final dan tidak dapat diubah', OLD.run_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tpp_results_immutable BEFORE UPDATE OR DELETE ON tpp_results
    FOR EACH ROW EXECUTE FUNCTION tpp_results_guard();

-- inserts are checked once per statement (a run's results arrive in one COPY)
CREATE FUNCTION tpp_results_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tpp_runs r WHERE r.status = 'final'
               AND r.id IN (SELECT DISTINCT run_id FROM new_rows)) THEN
        RAISE EXCEPTION 'run TPP sudah final: hasil tidak dapat ditambah'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tpp_results_insert_immutable AFTER INSERT ON tpp_results
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tpp_results_insert_guard();

-- TPP reads a month of check-ins per employee
CREATE INDEX IF NOT EXISTS checkins_employee_captured ON checkins (employee_id, captured_at);
