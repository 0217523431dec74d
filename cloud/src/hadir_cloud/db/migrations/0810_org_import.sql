-- The org import as a job (docs/org-import.md): the upload waits in the database for the worker,
-- and a Plt/Plh is one record per person, position and start date (the import upserts it).

-- an acting assignment recorded twice before this migration keeps its first row
DELETE FROM acting_assignments a USING acting_assignments b
    WHERE a.nip = b.nip AND a.position_id = b.position_id AND a.start_date = b.start_date
      AND a.id > b.id;
CREATE UNIQUE INDEX acting_assignments_once ON acting_assignments (nip, position_id, start_date);

-- A checked upload, kept from the dry run until its apply job has ended (then deleted); in the
-- database, not a temp dir, so a worker on another host or with its own /tmp can read it.
CREATE TABLE org_import_uploads (
    token      text PRIMARY KEY CHECK (token ~ '^[0-9a-f]{32}$'),
    filename   text NOT NULL,
    data       bytea NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    job_id     bigint  -- the apply job, once queued (procrastinate_jobs.id)
);
