-- Performance ratings (PermenPANRB 6/2022): per person and evaluation period, the atasan's
-- verdict on work results (hasil kerja) and on work behaviour (perilaku kerja), each below,
-- as or above expectation. The predicate and the regency's quadrant are NOT stored: they follow
-- from the rule file (rulesets/kuadran_permenpanrb_2022.toml), so a changed rule changes the
-- board at once. Ratings are imported per period from XLSX/CSV (the e-Kinerja export, or a
-- sheet HR fills in): `hadir-cloud kinerja impor`, or the portal's Dasbor → Penilaian kinerja.
-- Period: 'YYYY' (annual), 'YYYY-MM' (monthly), 'YYYY-TW1'..'YYYY-TW4' (quarterly).
CREATE TABLE performance_ratings (
    nip         text NOT NULL REFERENCES employees (nip),
    period      text NOT NULL CHECK (period ~ '^[0-9]{4}(-(0[1-9]|1[0-2])|-TW[1-4])?$'),
    results     text NOT NULL CHECK (results IN ('di_bawah', 'sesuai', 'di_atas')),
    behaviour   text NOT NULL CHECK (behaviour IN ('di_bawah', 'sesuai', 'di_atas')),
    source      text NOT NULL,
    imported_by text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nip, period)
);
CREATE INDEX performance_ratings_period ON performance_ratings (period);
