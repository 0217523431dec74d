"""What every area's command group shares: the database connection from `--database-url`
(or HADIR_DATABASE_URL / HADIR_DATABASE_URL_FILE), with a Bahasa error instead of a trace."""

from __future__ import annotations

import click
import psycopg


def connect(ctx: click.Context, autocommit: bool = True) -> psycopg.Connection:
    """The group's database (`ctx.obj["database_url"]`); ClickException when it is not set or
    does not answer."""
    url = ctx.obj.get("database_url") if ctx.obj else None
    if not url:
        raise click.ClickException("alamat basis data belum diisi: --database-url atau "
                                   "HADIR_DATABASE_URL")
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as err:
        raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err
