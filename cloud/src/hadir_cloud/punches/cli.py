"""`hadir-cloud punches`: import fingerprint machines' logs, map their user ids to NIPs."""

from __future__ import annotations

from pathlib import Path

import click
import psycopg

from ..cli_common import connect
from . import files, store
from .domain import FormatError, kinds, parse_mapping

#: how many bad lines are printed one by one (the rest are counted)
SHOW_PROBLEMS = 50


def _connect(ctx: click.Context) -> psycopg.Connection:
    """The group's database (see `cli_common.connect`)."""
    return connect(ctx)


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.pass_context
def punches(ctx: click.Context, database_url: str | None) -> None:
    """Absen dari mesin sidik jari lama: impor log, peta ID mesin ke NIP (docs/legacy-punches.md)."""
    from ..settings import database_url_or_none

    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url_or_none(database_url)  # or HADIR_DATABASE_URL_FILE


@punches.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mesin", "machine", required=True,
              help="Nama atau nomor seri mesin (sama dengan kolom machine di berkas peta).")
@click.option("--kantor", "office", required=True,
              help="ID kantor tempat mesin (zona waktunya dipakai: WIB, WITA, WIT).")
@click.option("--format", "fmt", type=click.Choice(files.FORMATS),
              help="Bentuk berkas; tanpa ini dari akhiran: .dat/.txt attlog, .csv, .xlsx.")
@click.option("--status", "mode", type=click.Choice(["otomatis", "mesin", "urutan"]),
              default="otomatis", show_default=True,
              help="Masuk/pulang: 'mesin' dari status mesin; 'urutan' absen pertama sehari "
                   "masuk, sisanya pulang; 'otomatis' = urutan bila mesin tidak mencatat status.")
@click.option("--periksa", "dry_run", is_flag=True,
              help="Uji saja: hitung apa yang akan tersimpan, tidak ada yang disimpan.")
@click.pass_context
def import_(ctx: click.Context, path: Path, machine: str, office: str, fmt: str | None,
            mode: str, dry_run: bool) -> None:
    """Impor log absen mesin sidik jari (attlog ZKTeco, CSV atau XLSX). Baris yang rusak
    dilaporkan dengan nomornya dan dilewati; baris lain tetap diimpor. Mengimpor berkas yang
    sama dua kali menyimpan setiap absen sekali."""
    machine = machine.strip()
    if not machine:
        raise click.UsageError("--mesin tidak boleh kosong")
    try:
        parsed = files.read(path, fmt or files.guess_format(path.name))  # type: ignore[arg-type]
    except (FormatError, OSError) as err:
        raise click.ClickException(f"berkas {path} tidak dapat dibaca: {err}") from err
    click.echo(f"{path.name}: {parsed.lines} baris data, {len(parsed.punches)} absen terbaca, "
               f"{len(parsed.problems)} baris bermasalah")
    for p in parsed.problems[:SHOW_PROBLEMS]:
        click.echo(f"  {p}")
    if len(parsed.problems) > SHOW_PROBLEMS:
        click.echo(f"  ... dan {len(parsed.problems) - SHOW_PROBLEMS} baris bermasalah lagi")
    if not parsed.states_recorded and mode != "mesin":
        click.echo("mesin tidak mencatat status masuk/pulang: absen pertama tiap orang per hari "
                   "dihitung masuk, sisanya pulang")
    chosen = kinds(parsed.punches, mode, parsed.states_recorded)  # type: ignore[arg-type]
    with _connect(ctx) as conn:
        def progress(r: store.ImportResult) -> None:
            click.echo(f"  {r.read}/{len(parsed.punches)}: {r.stored} tersimpan, "
                       f"{r.duplicates} duplikat, {r.unmapped_punches} belum dipetakan")
        try:
            res = store.import_punches(conn, machine, office, parsed.punches, chosen,
                                       path.name, progress, dry_run=dry_run)
        except store.PunchStoreError as err:
            raise click.ClickException(str(err)) from err
    if res.unmapped_ids:
        shown = ", ".join(res.unmapped_ids[:40])
        more = f" ... (+{len(res.unmapped_ids) - 40})" if len(res.unmapped_ids) > 40 else ""
        click.echo(f"ID pengguna mesin {machine} tanpa NIP ({len(res.unmapped_ids)}): "
                   f"{shown}{more}; absennya disimpan terpisah, lalu: hadir-cloud punches map "
                   "import PETA.csv && hadir-cloud punches remap")
    prefix = "PERIKSA (tidak ada yang disimpan): " if dry_run else "selesai: "
    click.echo(prefix + res.summary() + f", {len(parsed.problems)} baris bermasalah")


@punches.group("map")
def map_() -> None:
    """Peta ID pengguna mesin ke NIP."""


@map_.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def map_import(ctx: click.Context, path: Path) -> None:
    """Impor peta dari CSV/XLSX berkolom machine,user_id,nip (baris yang ada diganti NIP-nya).
    Setelah itu jalankan `hadir-cloud punches remap` untuk absen yang menunggu."""
    from openpyxl import load_workbook

    from .domain import csv_rows, decode

    try:
        if path.suffix.lower() == ".xlsx":
            wb = load_workbook(path, read_only=True, data_only=True)
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
            wb.close()
        else:
            rows = csv_rows(decode(path.read_bytes()))
        parsed, problems = parse_mapping(rows)
    except (FormatError, OSError, ValueError) as err:
        raise click.ClickException(f"berkas {path} tidak dapat dibaca: {err}") from err
    with _connect(ctx) as conn:
        res = store.import_mapping(conn, parsed)
    problems = sorted(problems + res.problems, key=lambda p: p.line)
    for p in problems:
        click.echo(f"  {p}")
    click.echo(f"peta: {res.added} baru, {res.changed} diubah, {res.unchanged} tetap, "
               f"{len(problems)} baris bermasalah")


@punches.command("remap")
@click.pass_context
def remap_(ctx: click.Context) -> None:
    """Masukkan absen yang disisihkan (ID tanpa NIP) yang kini punya NIP di peta."""
    with _connect(ctx) as conn:
        stored, left = store.remap(conn)
    click.echo(f"{stored} absen dimasukkan; {left} absen masih menunggu NIP")


@punches.command("unmapped")
@click.pass_context
def unmapped_(ctx: click.Context) -> None:
    """Daftar ID pengguna mesin yang absennya menunggu NIP."""
    with _connect(ctx) as conn:
        waiting = store.unmapped(conn)
    if not waiting:
        click.echo("tidak ada absen yang menunggu NIP")
        return
    for w in waiting:
        click.echo(f"{w.machine}\t{w.user_id}\t{w.punches} absen\t"
                   f"{w.first:%Y-%m-%d} s.d. {w.last:%Y-%m-%d}")
    click.echo(f"{len(waiting)} ID pengguna, {sum(w.punches for w in waiting)} absen menunggu")
