"""Hadir cloud: ingest, schema, domain, portal."""
