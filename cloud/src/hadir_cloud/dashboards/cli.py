"""`hadir-cloud kinerja`: import performance ratings per period, check the quadrant rule."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli_common import connect


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.pass_context
def kinerja(ctx: click.Context, database_url: str | None) -> None:
    """Penilaian kinerja (PermenPANRB 6/2022) untuk kuadran dasbor pimpinan."""
    from ..settings import database_url_or_none

    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url_or_none(database_url)


@kinerja.command("impor")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--oleh", "by", default="cli", show_default=True,
              help="Siapa yang mengimpor (dicatat di setiap baris).")
@click.option("--periksa", "dry_run", is_flag=True, help="Periksa saja, tidak disimpan.")
@click.pass_context
def impor(ctx: click.Context, path: Path, by: str, dry_run: bool) -> None:
    """Impor penilaian dari .xlsx/.csv (NIP, Periode, Hasil kerja, Perilaku kerja): semua baris
    atau tidak satu pun."""
    from . import domain, store
    from .files import read_rows

    with connect(ctx) as conn:
        try:
            rows, problems = domain.parse_ratings(read_rows(path.read_bytes(), path.name),
                                                  store.known_nips(conn))
        except domain.SheetError as err:
            raise click.ClickException(f"{path}: {err}") from err
        for p in problems:
            click.echo(f"{path}: baris {p.row}: {p.message}", err=True)
        if problems:
            raise click.ClickException(f"{len(problems)} baris bermasalah; tidak ada yang disimpan")
        if dry_run:
            click.echo(f"{len(rows)} penilaian dapat diimpor (belum disimpan)")
            return
        n = store.save_ratings(conn, rows, f"impor:{path.name}", by)
    click.echo(f"{n} penilaian tersimpan")


@kinerja.command("periksa-aturan")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def periksa_aturan(path: Path | None) -> None:
    """Periksa berkas aturan predikat dan kuadran (bawaan: aturan yang dikirim bersama Hadir)."""
    from .quadrants import QuadrantRuleError, load_rule

    try:
        rule = load_rule(path)
    except QuadrantRuleError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{rule.key}: {rule.kuadran.name}")
    for q in rule.quadrant:
        names = ", ".join(rule.predicates[p] for p in q.predicates)
        click.echo(f"  kuadran {q.code} ({q.name}): {names}")
