-- A version per table of the rarely written inputs of a judgement (the org, absences, the
-- calendar, schedules, rule sets), bumped in the writing transaction by a statement trigger.
-- A reader that saw the same versions knows none of those tables changed: the recap
-- (attendance/store.py) then reuses a whole page's verdicts without reading them again.
CREATE TABLE data_versions (
    name    text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (name, version) VALUES (TG_TABLE_NAME, 1)
    ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['units', 'offices', 'office_calendars', 'employees',
                             'calendar_days', 'ramadan_periods', 'work_schedules', 'absences',
                             'tpp_rulesets', 'positions', 'assignments', 'acting_assignments']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()',
                       t || '_bump_version', t);
        INSERT INTO data_versions (name) VALUES (t);
    END LOOP;
END $$;
