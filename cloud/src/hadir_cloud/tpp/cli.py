"""`hadir-cloud tpp`: rule sets, calendars, monthly runs, explanations, exports, warnings."""

from __future__ import annotations

import functools
import getpass
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg

from ..cli_common import connect
from . import discipline, store
from .calendar import CalendarError, month_bounds
from .rules import NoRuleSetError, RuleSetError, load_dir, load_ruleset, shipped_dir
from .schedule import NoScheduleError, ScheduleError, load_schedules_file
from .tpp import TppResult, UnknownPositionClassError, explain, rp

F = TypeVar("F", bound=Callable[..., Any])
_EXPECTED = (RuleSetError, NoRuleSetError, NoScheduleError, ScheduleError, CalendarError,
             UnknownPositionClassError, store.StoreError, store.UnknownEmployeeError,
             store.RunNotFoundError)


def _friendly(fn: F) -> F:
    """Turn the domain's and the database's expected errors into click errors (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _EXPECTED as err:
            raise click.ClickException(str(err)) from err
        except psycopg.OperationalError as err:
            raise click.ClickException(f"basis data tidak dapat dihubungi: {err}") from err

    return wrapper  # type: ignore[return-value]


def _connect(ctx: click.Context) -> psycopg.Connection:
    """The group's database (see `cli_common.connect`)."""
    return connect(ctx, autocommit=False)


def _month(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        month_bounds(value)
    except CalendarError as err:
        raise click.BadParameter(str(err)) from err
    return value


month_option = click.option("--month", "month", required=True, callback=_month,
                            help="Bulan, format YYYY-MM.")
by_option = click.option("--by", "by", default=getpass.getuser, show_default="pengguna OS",
                         help="Siapa yang menjalankan (dicatat).")


@click.group()
@click.option("--database-url", envvar="HADIR_DATABASE_URL",
              help="Alamat PostgreSQL (atau env HADIR_DATABASE_URL).")
@click.pass_context
def tpp(ctx: click.Context, database_url: str | None) -> None:
    """TPP (Tambahan Penghasilan Pegawai): aturan, perhitungan bulanan, rincian, ekspor."""
    from ..settings import database_url_or_none

    ctx.ensure_object(dict)
    # as every other command: HADIR_DATABASE_URL_FILE too (compose secrets)
    ctx.obj["database_url"] = database_url_or_none(database_url)


@tpp.command("load-rules")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@by_option
@click.pass_context
@_friendly
def load_rules(ctx: click.Context, paths: tuple[Path, ...], by: str) -> None:
    """Validasi dan simpan berkas aturan TPP (bawaan bila tidak ada PATHS)."""
    rulesets = []
    for p in paths or (shipped_dir(),):
        rulesets += ([(r, str(p)) for r in load_dir(p)] if p.is_dir()
                     else [(load_ruleset(p), str(p))])
    with _connect(ctx) as conn:
        for rs, src in rulesets:
            added = store.save_ruleset(conn, rs, src, by)
            click.echo(f"{rs.key}: {'disimpan' if added else 'sudah ada'} ({rs.ruleset.name})")


@tpp.command("load-schedules")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
@_friendly
def load_schedules(ctx: click.Context, path: Path) -> None:
    """Validasi dan simpan jadwal kerja per grup dari berkas TOML ([[schedule]])."""
    items = load_schedules_file(path)
    with _connect(ctx) as conn:
        for s in items:
            store.save_schedule(conn, s)
            click.echo(f"jadwal {s.id} (grup {s.group}, mulai {s.effective_from}) disimpan")


@tpp.command("seed-calendar")
@click.option("--year", type=int, required=True, help="Tahun kalender.")
@click.option("--file", "calendar_file", type=click.Path(path_type=Path), default=None,
              help="Berkas cuti bersama/Ramadan (bawaan: rulesets/kalender_<tahun>.toml).")
@click.pass_context
@_friendly
def seed_calendar(ctx: click.Context, year: int, calendar_file: Path | None) -> None:
    """Isi libur nasional (paket holidays) serta cuti bersama dan Ramadan suatu tahun."""
    if calendar_file is None:
        calendar_file = store.shipped_calendar_file(year)
    with _connect(ctx) as conn:
        n = store.seed_calendar(conn, year, calendar_file)
    click.echo(f"{n} hari libur/cuti bersama ditambahkan untuk {year}")


@tpp.command("run")
@month_option
@click.option("--unit", default=None, help="Hanya satu OPD (id unit).")
@click.option("--reason", default="", help="Alasan; wajib untuk run ulang.")
@click.option("--final", "final", is_flag=True, help="Langsung finalkan run ini.")
@click.option("--workers", type=int, default=2, show_default=True,
              help="Jumlah proses penghitung.")
@by_option
@click.pass_context
@_friendly
def run(ctx: click.Context, month: str, unit: str | None, reason: str, final: bool,
        workers: int, by: str) -> None:
    """Hitung TPP sebulan dari basis data dan simpan sebagai run (versi baru)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    _connect(ctx).close()  # a clear message when the database is not set or not reachable
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task(f"TPP {month}", total=None)
        info = store.run_month(ctx.obj["database_url"], month, unit, by, reason, workers, final,
                               started=lambda total: bar.update(task, total=total),
                               progress=lambda n: bar.advance(task, n))
    click.echo(store.run_summary(info, month))


@tpp.command("finalize")
@click.option("--run", "run_id", type=int, required=True, help="Id run.")
@by_option
@click.pass_context
@_friendly
def finalize(ctx: click.Context, run_id: int, by: str) -> None:
    """Finalkan run: sesudahnya tidak dapat diubah; perubahan menjadi run versi baru."""
    with _connect(ctx) as conn:
        info = store.finalize_run(conn, run_id, by)
    click.echo(f"run {info.id} final (bulan {info.month:%Y-%m}, versi {info.version})")


@tpp.command("explain")
@month_option
@click.option("--employee", "nip", required=True, help="NIP pegawai.")
@click.option("--run", "run_id", type=int, default=None, help="Id run (bawaan: terbaru).")
@click.pass_context
@_friendly
def explain_cmd(ctx: click.Context, month: str, nip: str, run_id: int | None) -> None:
    """Rincian TPP seorang pegawai: setiap potongan dengan tanggal, aturan, persen, rupiah."""
    with _connect(ctx) as conn:
        emp = store.employee(conn, nip)
        try:
            info = (store.get_run(conn, run_id) if run_id is not None
                    else store.latest_run(conn, month, nip=nip))
        except store.RunNotFoundError:
            info = None
        if info is None:
            click.echo("(belum ada run tersimpan; dihitung langsung dari data saat ini)")
            for line in explain(_live(conn, month, nip)):
                click.echo(line)
            return
        rows = store.run_results(conn, info.id, nip)
        if not rows:
            raise click.ClickException(f"NIP {nip} tidak ada dalam run {info.id}")
    r = rows[0]
    click.echo(f"{emp.name} (NIP {nip}) — TPP {month} — run {info.id} versi {info.version} "
               f"({info.status}) — aturan {r['ruleset']}")
    click.echo(f"TPP dasar kelas {r['position_class']}: {rp(r['base'])}")
    if r["gross"] != r["base"]:
        click.echo(f"Proporsional {r['active_days']}/{r['working_days']} hari kerja: "
                   f"{rp(r['gross'])}")
    days = {d["day"]: d for d in r["days"]}
    for item in r["items"]:
        when = item["day"] or "bulanan"
        click.echo(f"  {when}  {item['code']:<13} {item['pct']:>6}%  "
                   f"{rp(Decimal(item['rupiah'])):>14}  [{item['rule']}] {item['note']}")
        ev = days.get(item["day"] or "")
        if ev and ("checkin" in ev or "checkout" in ev):
            click.echo(f"{'':14}bukti: masuk {ev.get('checkin_at', '-')} "
                       f"({ev.get('checkin', '-')}), pulang {ev.get('checkout_at', '-')} "
                       f"({ev.get('checkout', '-')}), jadwal {ev.get('schedule', '-')}")
    pct = "-" if r["lkh_pct"] is None else f"{r['lkh_pct']}%"
    click.echo(f"LKH disetujui: {r['lkh_approved']}/{r['lkh_effective']} hari ({pct})")
    click.echo(f"Jumlah potongan: {rp(r['total'])}")
    click.echo(f"TPP diterima: {rp(r['net'])}")


def _live(conn: psycopg.Connection, month: str, nip: str) -> TppResult:
    return store.live_tpp(conn, month, nip)


@tpp.command("export")
@month_option
@click.option("--unit", default=None, help="Hanya satu OPD.")
@click.option("--run", "run_id", type=int, default=None, help="Id run (bawaan: terbaru).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder tujuan.")
@click.pass_context
@_friendly
def export(ctx: click.Context, month: str, unit: str | None, run_id: int | None,
           out_dir: Path) -> None:
    """Tulis satu berkas XLSX per OPD berisi rekap dan rincian potongan TPP."""
    from .export import write_unit_workbooks

    with _connect(ctx) as conn:
        if run_id is not None:
            info = store.get_run(conn, run_id)
        else:
            try:
                info = store.latest_run(conn, month, unit)
            except store.RunNotFoundError:
                if unit is None:
                    raise
                info = store.latest_run(conn, month, None)
        rows = [r for r in store.run_results(conn, info.id)
                if unit is None or r["unit_id"] == unit]
        names: dict[str, str] = dict(conn.execute("SELECT id, name FROM units").fetchall())
    if not rows:
        raise click.ClickException(f"run {info.id} tidak berisi pegawai OPD {unit}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in write_unit_workbooks(rows, info, names, out_dir):
        click.echo(str(path))


@tpp.command("warnings")
@click.option("--year", type=int, default=lambda: date.today().year, help="Tahun.")
@click.option("--within", type=int, default=2, show_default=True,
              help="Peringatkan bila sekian hari lagi dari ambang berikutnya.")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
@click.pass_context
@_friendly
def warnings(ctx: click.Context, year: int, within: int, as_json: bool) -> None:
    """Peringatan dini hukuman disiplin (PP 94/2021) dari TK setahun pada run terbaru."""
    with _connect(ctx) as conn:
        found = discipline.warnings(conn, year, within)
    if as_json:
        click.echo(json.dumps([w.__dict__ for w in found]))
        return
    if not found:
        click.echo("tidak ada pegawai yang mendekati ambang hukuman disiplin")
    for w in found:
        now = w.current or "belum ada"
        click.echo(f"{w.nip}: TK {w.tk_days} hari (saat ini: {now}); {w.days_to_next} hari lagi "
                   f"→ {w.next_level}")

