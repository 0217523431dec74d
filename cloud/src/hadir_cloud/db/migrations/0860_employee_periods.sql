-- What an employee's record was on each day: unit, office, schedule group, position class and
-- staff kind from `valid_from` until the next period. A past day is judged with the record the
-- person had then (tpp/store.py `periods_of`, `evaluate_person`), and a past month's TPP with
-- the record of its last day. Every write to `employees` that changes one of these columns
-- records a period (trigger below) from the date in the transaction's `hadir.effective_date`
-- setting (`SET LOCAL hadir.effective_date = '2026-10-15'`), else from today; a new employee's
-- first period starts on the join date.
CREATE TABLE employee_periods (
    nip            text NOT NULL REFERENCES employees (nip) ON DELETE CASCADE,
    valid_from     date NOT NULL,
    unit_id        text NOT NULL REFERENCES units (id),
    office_id      text NOT NULL REFERENCES offices (id),
    schedule_group text NOT NULL,
    position_class text NOT NULL,
    staff_kind     text NOT NULL,
    PRIMARY KEY (nip, valid_from)
);
CREATE INDEX employee_periods_from ON employee_periods (valid_from);

INSERT INTO employee_periods
SELECT nip, join_date, unit_id, office_id, schedule_group, position_class, staff_kind
  FROM employees;

CREATE FUNCTION record_employee_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE eff date;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.unit_id, NEW.office_id, NEW.schedule_group,
                             NEW.position_class, NEW.staff_kind)
        IS NOT DISTINCT FROM (OLD.unit_id, OLD.office_id, OLD.schedule_group,
                              OLD.position_class, OLD.staff_kind) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        eff := NEW.join_date;
    ELSE
        eff := greatest(coalesce(nullif(current_setting('hadir.effective_date', true), '')::date,
                                 current_date), NEW.join_date);
    END IF;
    INSERT INTO employee_periods VALUES (NEW.nip, eff, NEW.unit_id, NEW.office_id,
                                         NEW.schedule_group, NEW.position_class, NEW.staff_kind)
    ON CONFLICT (nip, valid_from) DO UPDATE SET
        unit_id = EXCLUDED.unit_id, office_id = EXCLUDED.office_id,
        schedule_group = EXCLUDED.schedule_group, position_class = EXCLUDED.position_class,
        staff_kind = EXCLUDED.staff_kind;
    RETURN NULL;
END $$;

CREATE TRIGGER employees_record_period AFTER INSERT OR UPDATE ON employees
    FOR EACH ROW EXECUTE FUNCTION record_employee_period();

CREATE TRIGGER employee_periods_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON employee_periods FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
INSERT INTO data_versions (name) VALUES ('employee_periods');
