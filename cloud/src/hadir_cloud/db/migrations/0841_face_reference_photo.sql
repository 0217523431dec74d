-- A reference photo per enrolled face (a small JPEG from the enrolment photos), shown to the
-- reviewer of a NIP check-in beside the moment's photo. Kiosks never receive it.
ALTER TABLE face_templates ADD COLUMN photo bytea;
