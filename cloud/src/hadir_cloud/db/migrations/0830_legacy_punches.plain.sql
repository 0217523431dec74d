-- Plain PostgreSQL: the values of checkins.source checked by the database too.
ALTER TABLE checkins ADD CONSTRAINT checkins_source CHECK (source IN ('kiosk', 'fingerprint'));
