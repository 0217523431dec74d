-- LKH (laporan kinerja harian) filed in the portal: a day's activities, submitted to the
-- direct atasan, approved or returned with a note (and fixed and submitted again); every
-- move recorded. The TPP engine still reads only lkh_reports.status = 'disetujui'.
ALTER TABLE lkh_reports DROP CONSTRAINT lkh_reports_status_check;
ALTER TABLE lkh_reports ADD CONSTRAINT lkh_reports_status_check
    CHECK (status IN ('draf', 'diajukan', 'dikembalikan', 'disetujui', 'ditolak'));
ALTER TABLE lkh_reports ADD COLUMN submitted_at timestamptz;
ALTER TABLE lkh_reports ADD COLUMN note text NOT NULL DEFAULT '';

CREATE TABLE lkh_activities (
    nip       text NOT NULL,
    day       date NOT NULL,
    seq       smallint NOT NULL,
    activity  text NOT NULL,
    output    text NOT NULL,
    quantity  numeric(10, 2) NOT NULL CHECK (quantity > 0),
    unit      text NOT NULL,
    minutes   integer NOT NULL CHECK (minutes BETWEEN 1 AND 720),
    link      text NOT NULL DEFAULT '',
    PRIMARY KEY (nip, day, seq),
    FOREIGN KEY (nip, day) REFERENCES lkh_reports (nip, day) ON DELETE CASCADE
);

CREATE TABLE lkh_events (
    id         bigserial PRIMARY KEY,
    nip        text NOT NULL,
    day        date NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    by_user    text NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX lkh_events_report ON lkh_events (nip, day, at);
CREATE INDEX lkh_reports_status ON lkh_reports (status, day);
