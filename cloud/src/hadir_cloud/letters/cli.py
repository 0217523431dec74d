"""`hadir-cloud letters`: the local CA (`ca init`, `ca issue --nip`, `ca crl`), verifying a
signed PDF, and the letters that wait for someone."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..cli_common import connect
from ..settings import CloudSettings
from . import ca


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.pass_context
def letters(ctx: click.Context, database_url: str | None) -> None:
    """Surat: CA lokal untuk tanda tangan, verifikasi PDF, surat yang menunggu."""
    ctx.obj = {"database_url": database_url}


@letters.group("ca")
def ca_group() -> None:
    """CA lokal (demo, uji, rintisan): root → CA penerbit → sertifikat per pejabat."""


_DIR = click.option("--dir", "folder", type=click.Path(path_type=Path), required=True,
                    help="Folder CA (HADIR_LETTERS_CA_DIR).")


@ca_group.command("init")
@_DIR
@click.option("--regency", default="Kabupaten Ogan Ilir", show_default=True,
              help="Nama pemerintah daerah pada sertifikat.")
def ca_init(folder: Path, regency: str) -> None:
    """Buat root CA, CA penerbit dan CRL-nya di folder (ditolak bila sudah ada)."""
    try:
        ca.init(folder, regency)
    except ca.CaError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"CA dibuat di {folder}: akar kepercayaan {folder / 'root.pem'}")


@ca_group.command("crl")
@_DIR
def ca_crl(folder: Path) -> None:
    """Perbarui CRL kedua CA (sebelum kedaluwarsa, dan setelah mencabut sertifikat)."""
    try:
        ca.refresh_crls(folder)
    except ca.CaError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"CRL diperbarui di {folder} (berlaku {ca.CRL_DAYS} hari)")


@ca_group.command("issue")
@_DIR
@click.option("--nip", required=True, help="NIP pejabat.")
@click.option("--name", default=None, help="Nama pada sertifikat (bawaan: dari data pegawai).")
@click.option("--unit", default="", help="Unit pada sertifikat (bawaan: unit pegawai).")
@click.pass_context
def ca_issue(ctx: click.Context, folder: Path, nip: str, name: str | None, unit: str) -> None:
    """Terbitkan sertifikat tanda tangan pejabat sebagai keystore/<nip>.p12."""
    if name is None:
        with connect(ctx) as conn:
            row = conn.execute("SELECT e.name, u.name FROM employees e JOIN units u ON "
                               "u.id = e.unit_id WHERE e.nip = %s", (nip,)).fetchone()
        if row is None:
            raise click.ClickException(f"pegawai dengan NIP {nip} tidak ditemukan; beri --name")
        name, unit = row[0], unit or row[1]
    try:
        issued = ca.issue(folder, nip, name, unit)
    except ca.CaError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{issued.subject}: {issued.path} (berlaku s.d. {issued.not_after:%Y-%m-%d})")


@letters.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_cmd(pdf: Path) -> None:
    """Periksa tanda tangan PDF terhadap akar kepercayaan yang diatur (keluar 1 bila tidak
    sah)."""
    from .signing import SignerError, trust_from_settings
    from .verify import verify

    logging.getLogger("pyhanko").setLevel(logging.ERROR)  # the verdict below says it all
    try:
        trust = trust_from_settings(CloudSettings())  # type: ignore[call-arg]
    except SignerError as err:
        raise click.ClickException(str(err)) from err
    v = verify(pdf.read_bytes(), trust)
    click.echo(f"penanda tangan: {v.signer or '-'}; waktu: {v.signed_at or '-'}")
    click.echo(f"utuh: {'ya' if v.intact else 'tidak'}; seluruh dokumen: "
               f"{'ya' if v.whole_document else 'tidak'}; CA dipercaya: "
               f"{'ya' if v.trusted else 'tidak'}")
    if not v.valid:
        raise click.ClickException(f"TIDAK SAH: {v.problem}")
    click.echo("SAH")
