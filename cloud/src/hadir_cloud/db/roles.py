"""Database roles the deployment finishes: `grafana_reader` (migration 1290) gets its password
and the right to log in here, never in a migration (a secret has no place in the schema)."""

from __future__ import annotations

import psycopg
from psycopg import sql

GRAFANA_ROLE = "grafana_reader"


class RoleError(RuntimeError):
    """A role cannot be set up; the message says why (Bahasa Indonesia)."""


def grafana_login(conninfo: str, password: str) -> None:
    """Let `grafana_reader` log in with this password (run after `db upgrade`)."""
    if len(password) < 12:
        raise RoleError("kata sandi grafana_reader minimal 12 karakter")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                              (GRAFANA_ROLE,)).fetchone()
        if exists is None:
            raise RoleError("peran grafana_reader belum ada: jalankan `hadir-cloud db upgrade`")
        conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.Identifier(GRAFANA_ROLE), sql.Literal(password)))
