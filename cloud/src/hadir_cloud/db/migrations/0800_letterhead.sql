-- The letterhead (kop surat) of a unit, printed on its documents (the recap PDF first):
-- address and contact lines, where its documents are signed, and an optional logo.
-- An OPD usually has one; the Pemkab's holds the regency's coat of arms, which OPDs without
-- a logo of their own inherit. Every column but the unit is optional (NULL: not set).

CREATE TABLE unit_letterheads (
    unit_id    text PRIMARY KEY REFERENCES units (id),
    address    text CHECK (length(address) <= 200),
    phone      text CHECK (length(phone) <= 60),
    email      text CHECK (length(email) <= 120),
    website    text CHECK (length(website) <= 120),
    -- the town printed before the date of a signature ("Indralaya, 6 Oktober 2026")
    place      text CHECK (length(place) <= 60),
    logo       bytea CHECK (octet_length(logo) <= 524288),
    logo_mime  text CHECK (logo_mime IN ('image/png', 'image/jpeg')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((logo IS NULL) = (logo_mime IS NULL))
);
