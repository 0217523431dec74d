"""Schema migrations (TimescaleDB where present, plain PostgreSQL otherwise)."""
