"""Personal data as UU 27/2022 (PDP) requires: retention, the audit trail, consent, subject
export and erasure, templates sealed at rest (docs/privacy.md)."""
