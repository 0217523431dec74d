"""`hadir-cloud org`: the import template, importing (dry run first) and exporting the org."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import psycopg

from ..cli_common import connect
from . import imports, sheets, store
from .domain import Member


def _url(ctx: click.Context) -> str | None:
    return ctx.obj.get("database_url") if ctx.obj else None


def _connect(ctx: click.Context) -> psycopg.Connection:
    """The group's database (see `cli_common.connect`)."""
    return connect(ctx)


def _read(path: Path) -> dict[str, imports.Sheet]:
    try:
        return imports.read(path)
    except (OSError, ValueError, KeyError) as err:
        raise click.ClickException(f"berkas {path} tidak dapat dibaca: {err}") from err


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.pass_context
def org(ctx: click.Context, database_url: str | None) -> None:
    """Organisasi: unit, jabatan, pegawai; templat, impor (uji dulu) dan ekspor."""
    from ..settings import database_url_or_none

    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url_or_none(database_url)  # or HADIR_DATABASE_URL_FILE


@org.command("template")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Berkas XLSX yang dibuat.")
def template(out: Path) -> None:
    """Buat templat impor XLSX (lembar unit, jabatan, pegawai, plt dan petunjuk)."""
    sheets.write_template(out)
    click.echo(f"templat ditulis ke {out}")


@org.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--apply", "do_apply", is_flag=True,
              help="Simpan ke basis data (tanpa ini: uji saja, tidak ada yang disimpan).")
@click.option("--tandai-keluar", "mark_leavers", is_flag=True,
              help="Lembar pegawai lengkap untuk OPD-nya: pegawai OPD itu yang tidak ada di "
                   "berkas diberi tanggal keluar hari ini (data dan riwayatnya tetap).")
@click.pass_context
def import_(ctx: click.Context, path: Path, do_apply: bool, mark_leavers: bool) -> None:
    """Periksa berkas impor (XLSX, atau folder unit.csv/jabatan.csv/pegawai.csv/plt.csv);
    dengan --apply simpan semuanya atau tidak sama sekali. Keluar 1 bila ada masalah."""
    book = _read(path)
    if mark_leavers and not _url(ctx):
        raise click.ClickException("--tandai-keluar perlu basis data: --database-url atau "
                                   "HADIR_DATABASE_URL")
    conn = _connect(ctx) if (do_apply or _url(ctx)) else None
    try:
        known = store.known(conn) if conn is not None else imports.Known()
        problems = imports.check(book, known)
        rows = sum(len(s.rows) for s in book.values())
        if problems:
            for p in problems:
                click.echo(str(p))
            click.echo(f"{len(problems)} masalah dalam {rows} baris; perbaiki lalu impor lagi"
                       + (" (tidak ada yang disimpan)" if do_apply else ""), err=True)
            ctx.exit(1)
        if conn is None:
            click.echo(f"{rows} baris tanpa masalah (kantor dan NIP Plt/Plh tidak diperiksa: "
                       "tanpa basis data)")
            return
        parsed = imports.parse(book, known)
        today = date.today()
        _say_leavers(store.leavers_of(conn, parsed, today), today, mark_leavers)
        if not do_apply:
            click.echo(f"{rows} baris tanpa masalah; jalankan lagi dengan --apply untuk menyimpan")
            return
        with click.progressbar(length=parsed.total, label="menyimpan", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.update(done - bar.pos)
            try:
                result = store.apply(conn, parsed, progress,
                                     leavers_on=today if mark_leavers else None)
            except store.OrgStoreError as err:
                raise click.ClickException(str(err)) from err
        click.echo("tersimpan: " + result.summary())
    finally:
        if conn is not None:
            conn.close()


def _say_leavers(gone: list[Member], day: date, mark: bool) -> None:
    if not gone:
        return
    if not mark:
        click.echo(f"{len(gone)} pegawai OPD di berkas tidak tercantum di lembar pegawai (tidak "
                   "diubah; --tandai-keluar untuk menandai mereka keluar)")
        return
    click.echo(f"akan ditandai keluar: {len(gone)} pegawai (tanggal keluar {day})")
    for m in gone:
        click.echo(f"  {m.nip}  {m.name}  ({m.unit_id})")


@org.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Berkas XLSX yang ditulis (bentuk sama dengan templat impor).")
@click.pass_context
def export(ctx: click.Context, out: Path) -> None:
    """Ekspor unit, jabatan, pegawai dan Plt/Plh ke XLSX yang dapat diimpor kembali."""
    with _connect(ctx) as conn:
        n = store.export_xlsx(conn, out)
    click.echo(f"{n} pegawai diekspor ke {out}")


@org.command("letterhead")
@click.argument("unit")
@click.option("--alamat", help="Alamat kantor (baris alamat kop surat).")
@click.option("--telepon", help="Nomor telepon.")
@click.option("--email", help="Alamat email.")
@click.option("--situs", help="Alamat situs web.")
@click.option("--tempat", help="Tempat penandatanganan dokumen (nama kota), mis. Indralaya.")
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Logo (PNG atau JPEG, paling besar 512 KB); lambang daerah biasanya "
                   "dipasang sekali di unit Pemkab dan dipakai semua OPD.")
@click.option("--hapus-logo", "drop_logo", is_flag=True, help="Hapus logo unit ini.")
@click.pass_context
def letterhead_(ctx: click.Context, unit: str, alamat: str | None, telepon: str | None,
                email: str | None, situs: str | None, tempat: str | None, logo: Path | None,
                drop_logo: bool) -> None:
    """Isi kop surat UNIT (OPD atau Pemkab) yang dicetak di rekap PDF; tanpa opsi: tampilkan.
    Opsi yang diisi kosong ("") menghapus baris itu."""
    from . import letterhead as lh

    given = {"address": alamat, "phone": telepon, "email": email, "website": situs,
             "place": tempat}
    values: dict[str, str | bytes | None] = {k: v.strip() or None for k, v in given.items()
                                             if v is not None}
    image = logo.read_bytes() if logo is not None else None
    if image is not None and drop_logo:
        raise click.UsageError("--logo dan --hapus-logo tidak dapat dipakai bersama")
    problems = lh.problems({k: v for k, v in values.items() if not isinstance(v, bytes)}, image)
    if problems:
        raise click.ClickException("; ".join(message for _, message in problems))
    if image is not None:
        values.update(logo=image, logo_mime=lh.logo_mime(image))
    elif drop_logo:
        values.update(logo=None, logo_mime=None)
    with _connect(ctx) as conn:
        if conn.execute("SELECT 1 FROM units WHERE id = %s", (unit,)).fetchone() is None:
            raise click.ClickException(f"unit {unit} tidak ada (lihat: hadir-cloud org export)")
        changed = store.save_letterhead(conn, unit, values) if values else None
        head = store.letterheads(conn, [unit]).get(unit, lh.Letterhead(unit))
    if values:
        click.echo(f"kop surat {unit} " + ("dibuat" if changed else "diubah" if changed is False
                                           else "tidak berubah"))
    for name, label in lh.TEXT_FIELDS.items():
        click.echo(f"  {label}: {getattr(head, name) or '-'}")
    click.echo(f"  logo: {f'{head.logo_mime}, {len(head.logo) // 1024} KB' if head.logo else '-'}")
