-- An approved dinas luar goes to the kiosks of its place as an approved duty, through the
-- signed, retained config (devices/duties.py; the fleet monitor sends it). The approval and
-- the delivery's queue entry are written in the same transaction (trigger below), so an
-- approval is never lost between the portal and the broker.
CREATE TABLE duty_deliveries (
    request_id bigint PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    queued_at  timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    devices    text[] NOT NULL DEFAULT '{}',
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX duty_deliveries_pending ON duty_deliveries (queued_at) WHERE sent_at IS NULL;

CREATE FUNCTION queue_duty_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'disetujui' AND OLD.state IS DISTINCT FROM 'disetujui'
       AND NEW.place_lat IS NOT NULL THEN
        INSERT INTO duty_deliveries (request_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER requests_queue_duty AFTER UPDATE OF state ON requests
    FOR EACH ROW EXECUTE FUNCTION queue_duty_delivery();
