"""`hadir-cloud permohonan`: file a request, decide it, list requests and inboxes, balances."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
import psycopg

from hadir_cloud.tpp.store import UnknownEmployeeError

from ..cli_common import connect
from ..settings import CloudSettings
from . import store
from .domain import Move, Place, Request, RequestError, approvers
from .kinds import KindsError, KindSet, UnknownKindError, load_kinds, shipped_path


def _connect(ctx: click.Context) -> psycopg.Connection:
    """The group's database (see `cli_common.connect`)."""
    return connect(ctx)


def _kinds(ctx: click.Context) -> KindSet:
    try:
        return load_kinds(ctx.obj["kinds_path"])
    except KindsError as err:
        raise click.ClickException(str(err)) from err


def _at(value: datetime | None) -> datetime:
    """--pada in the regency's zone (HADIR_TIMEZONE), or now."""
    zone = CloudSettings().zone()
    if value is None:
        return datetime.now(zone)
    return value if value.tzinfo else value.replace(tzinfo=zone)


_PADA = click.option("--pada", "pada", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
                     help="Waktu setempat langkah ini (TTTT-BB-HHTjj:mm; bawaan: sekarang; "
                     "zona HADIR_TIMEZONE).")


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.option("--jenis-berkas", "kinds_path", type=click.Path(exists=True, path_type=Path),
              default=None, help="Berkas TOML jenis permohonan (bawaan: Ogan Ilir yang dikirim).")
@click.pass_context
def permohonan(ctx: click.Context, database_url: str | None, kinds_path: Path | None) -> None:
    """Permohonan izin, sakit, cuti, dinas luar, tugas belajar dan koreksi presensi."""
    from ..settings import database_url_or_none

    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url_or_none(database_url)
    ctx.obj["kinds_path"] = kinds_path or shipped_path()


def _show(req: Request, day: date, conn: psycopg.Connection) -> str:
    line = f"#{req.id} {req.nip} {req.kind} {req.start}..{req.end} {req.state.value}"
    if req.pending_step is not None:
        who = approvers(req, day, store.org_on(conn, day))
        line += f" menunggu {req.pending_step}: {', '.join(sorted(who)) or '(belum ada)'}"
    return line


@permohonan.command("ajukan")
@click.option("--nip", required=True, help="NIP pemohon.")
@click.option("--jenis", required=True, help="Kode jenis, mis. cuti_tahunan, sakit, dinas_luar.")
@click.option("--mulai", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Tanggal mulai.")
@click.option("--selesai", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Tanggal selesai (termasuk).")
@click.option("--alasan", default="", help="Alasan.")
@click.option("--subjenis", default="", help="Pilihan alasan bila jenisnya meminta.")
@click.option("--lampiran", multiple=True, help="Kode lampiran yang disertakan (boleh berulang).")
@click.option("--tempat", default=None, help="Dinas luar: nama tempat.")
@click.option("--lat", type=float, default=None, help="Dinas luar: lintang.")
@click.option("--lon", type=float, default=None, help="Dinas luar: bujur.")
@click.option("--radius", type=int, default=None, help="Dinas luar: radius (meter).")
@_PADA
@click.pass_context
def ajukan(ctx: click.Context, nip: str, jenis: str, mulai: datetime, selesai: datetime,
           alasan: str, subjenis: str, lampiran: tuple[str, ...], tempat: str | None,
           lat: float | None, lon: float | None, radius: int | None,
           pada: datetime | None) -> None:
    """Ajukan permohonan atas nama pegawai; semua masalahnya disebut bila ditolak."""
    kinds = _kinds(ctx)
    place = None
    if any(v is not None for v in (tempat, lat, lon, radius)):
        if tempat is None or lat is None or lon is None or radius is None:
            raise click.ClickException("tempat dinas luar perlu --tempat, --lat, --lon dan "
                                       "--radius bersama-sama")
        place = Place(tempat, lat, lon, radius)
    req = Request("", nip, jenis, mulai.date(), selesai.date(), alasan, subjenis,
                  frozenset(lampiran), place)
    at = _at(pada)
    with _connect(ctx) as conn:
        try:
            done = store.file_request(conn, kinds, req, at)
        except (RequestError, UnknownKindError, UnknownEmployeeError) as err:
            raise click.ClickException(str(err)) from err
        click.echo(_show(done, at.date(), conn))


def _decide(ctx: click.Context, move: Move, nomor: str, oleh: str, catatan: str,
            pada: datetime | None) -> None:
    at = _at(pada)
    with _connect(ctx) as conn:
        try:
            done = store.decide(conn, _kinds(ctx), nomor, move, oleh, at, catatan)
        except (RequestError, store.RequestNotFoundError, UnknownKindError) as err:
            raise click.ClickException(str(err)) from err
        click.echo(_show(done, at.date(), conn))


_OLEH = click.option("--oleh", required=True, help="NIP yang memutuskan.")


@permohonan.command("setujui")
@click.argument("nomor")
@_OLEH
@click.option("--catatan", default="", help="Catatan (boleh kosong).")
@_PADA
@click.pass_context
def setujui(ctx: click.Context, nomor: str, oleh: str, catatan: str,
            pada: datetime | None) -> None:
    """Setujui langkah yang menunggu; sesudah langkah terakhir permohonan disetujui."""
    _decide(ctx, Move.SETUJUI, nomor, oleh, catatan, pada)


@permohonan.command("kembalikan")
@click.argument("nomor")
@_OLEH
@click.option("--catatan", required=True, help="Apa yang harus diperbaiki (wajib).")
@_PADA
@click.pass_context
def kembalikan(ctx: click.Context, nomor: str, oleh: str, catatan: str,
               pada: datetime | None) -> None:
    """Kembalikan permohonan ke pemohon dengan catatan."""
    _decide(ctx, Move.KEMBALIKAN, nomor, oleh, catatan, pada)


@permohonan.command("tolak")
@click.argument("nomor")
@_OLEH
@click.option("--catatan", required=True, help="Alasan penolakan (wajib).")
@_PADA
@click.pass_context
def tolak(ctx: click.Context, nomor: str, oleh: str, catatan: str,
          pada: datetime | None) -> None:
    """Tolak permohonan (keputusan akhir)."""
    _decide(ctx, Move.TOLAK, nomor, oleh, catatan, pada)


@permohonan.command("batalkan")
@click.argument("nomor")
@click.option("--oleh", required=True, help="NIP pemohon.")
@click.option("--catatan", default="", help="Alasan pembatalan.")
@_PADA
@click.pass_context
def batalkan(ctx: click.Context, nomor: str, oleh: str, catatan: str,
             pada: datetime | None) -> None:
    """Batalkan permohonan sendiri sebelum keputusan akhir."""
    _decide(ctx, Move.BATALKAN, nomor, oleh, catatan, pada)


@permohonan.command("daftar")
@click.option("--nip", default=None, help="Permohonan pegawai ini.")
@click.option("--untuk", default=None, help="Yang menunggu keputusan NIP ini (kotak masuk).")
@click.option("--riwayat", is_flag=True, help="Tampilkan setiap langkah.")
@_PADA
@click.pass_context
def daftar(ctx: click.Context, nip: str | None, untuk: str | None, riwayat: bool,
           pada: datetime | None) -> None:
    """Daftar permohonan seorang pegawai (--nip) atau kotak masuk penyetuju (--untuk)."""
    if (nip is None) == (untuk is None):
        raise click.ClickException("pilih salah satu: --nip atau --untuk")
    day = _at(pada).date()
    regency = CloudSettings().zone()
    with _connect(ctx) as conn:
        reqs = store.requests_of(conn, nip) if nip else store.inbox(conn, untuk or "", day)
        if untuk is not None:
            click.echo(f"{len(reqs)} menunggu keputusan {untuk}")
        for r in reqs:
            click.echo(_show(r, day, conn))
            if riwayat:
                zone = store.zone_of(conn, r.nip, regency)
                for e in r.events:
                    step = "" if e.step is None else f" langkah {e.step + 1}"
                    note = f": {e.note}" if e.note else ""
                    click.echo(f"    {e.at.astimezone(zone):%Y-%m-%d %H:%M} {e.actor} {e.move.value}{step} "
                               f"{e.from_state.value} → {e.to_state.value}{note}")


@permohonan.command("saldo")
@click.option("--nip", required=True, help="NIP pegawai.")
@click.option("--tahun", type=int, required=True, help="Tahun.")
@click.pass_context
def saldo(ctx: click.Context, nip: str, tahun: int) -> None:
    """Saldo cuti tahunan per tahun: kuota + sisa dibawa − cuti bersama − diambil."""
    with _connect(ctx) as conn:
        try:
            bals = store.balances(conn, _kinds(ctx), nip, tahun)
        except UnknownEmployeeError as err:
            raise click.ClickException(str(err)) from err
    click.echo("tahun kuota dibawa cuti_bersama diambil diproses sisa")
    for b in bals:
        click.echo(f"{b.year} {b.quota} {b.carried} {b.cuti_bersama} {b.taken} {b.pending} "
                   f"{b.remaining}")
