"""HR's TPP reference data in the browser: rule sets (upload, check by field, save, download),
the calendar of a year (holidays, Ramadan, work weeks, seeding) and work schedules.

The checks are the domain's (`rules.read_ruleset`, `editing`), the writes the CLI's
(`store.save_ruleset`, `store.seed_calendar`, `store.save_schedule`) or `settings_store`'s.
"""

from __future__ import annotations

import logging
import re
from datetime import date

import psycopg
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..portal import db
from . import settings_store, store
from .calendar import CalendarError
from .editing import (
    HOURS_TEXT,
    KIND_TEXT,
    STANDING_TEXT,
    VARIANT_TEXT,
    in_force,
    parse_day,
    parse_ramadan,
    parse_schedule,
    parse_workweek,
    parse_year,
    replaced,
    schedule_fields,
    standing,
)
from .field_errors import FieldError
from .rules import RuleSet, RuleSetError, read_ruleset, to_toml

logger = logging.getLogger(__name__)
bp = Blueprint("tpp_settings", __name__, url_prefix="/tpp")
MAX_RULESET = 256 * 1024


def _errors(problems: list[FieldError]) -> dict[str, list[str]]:
    """Field path → its translated messages (for the messages next to each field)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.path, []).append(field_error_text(p))
    return out


@bp.app_template_global("field_error_text")
def field_error_text(p: FieldError) -> str:
    """One problem's message in the page's language."""
    return str(_(p.msgid, **p.params))


def _final_months() -> list[str]:
    return [m.strftime("%Y-%m") for m in settings_store.final_months(db())]


# ---------------------------------------------------------------- rule sets


def _rules_page(status: int = 200, ctx: dict[str, object] | None = None) -> tuple[str, int]:
    stored = settings_store.stored_rulesets(db())
    today = date.today()
    sets = [s.rs for s in stored]
    return render_template(
        "tpp/rules.html", stored=stored, forces=in_force(sets, today),
        standing={s.rs.key: standing(s.rs, sets, today) for s in stored},
        standing_text=STANDING_TEXT, final_months=_final_months(), today=today,
        **(ctx or {})), status


@bp.get("/aturan", endpoint="rules")
def rules():  # type: ignore[no-untyped-def]
    """Rule sets: the upload form, which one is in force, every stored version."""
    return _rules_page()


def _read_upload() -> tuple[str, str] | str:
    """(text, file name) of the uploaded rule set, or a Bahasa problem."""
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        return str(_("Pilih berkas aturan (.toml) terlebih dahulu."))
    data = upload.read(MAX_RULESET + 1)
    if len(data) > MAX_RULESET:
        return str(_("Berkas terlalu besar (maksimal 256 KB); aturan TPP biasanya di bawah 10 KB."))
    try:
        return data.decode("utf-8-sig"), upload.filename
    except UnicodeDecodeError:
        return str(_("Berkas bukan teks UTF-8. Simpan ulang sebagai teks UTF-8 (.toml)."))


def _check(text: str, filename: str) -> tuple[RuleSet | None, list[FieldError]]:
    try:
        return read_ruleset(text, filename), []
    except RuleSetError as err:
        return None, err.problems or [FieldError("", "%(detail)s", {"detail": str(err)})]


@bp.post("/aturan/periksa", endpoint="rules_check")
def rules_check():  # type: ignore[no-untyped-def]
    """Check an uploaded rule set: every field's problem, or its summary and a save button."""
    got = _read_upload()
    if isinstance(got, str):
        return _rules_page(400, {"upload_error": got})
    text, filename = got
    rs, problems = _check(text, filename)
    if rs is None:
        return _rules_page(400, {"problems": problems, "filename": filename})
    return _rules_page(200, _summary(rs, text, filename))


def _summary(rs: RuleSet, text: str, filename: str) -> dict[str, object]:
    """What the page shows of a valid rule set, and whether saving it would change anything."""
    stored = settings_store.stored_digest(db(), rs.ruleset.id, rs.ruleset.version)
    same = stored is not None and stored == store.ruleset_digest(rs)
    sets = [s.rs for s in settings_store.stored_rulesets(db())]
    return {"checked": rs, "text": text, "filename": filename, "already": same,
            "conflict": stored is not None and not same, "replaces": replaced(sets, rs)}


@bp.post("/aturan/simpan", endpoint="rules_save")
def rules_save():  # type: ignore[no-untyped-def]
    """Save a checked rule set (checked again: the same path as `hadir-cloud tpp load-rules`)."""
    text, filename = request.form.get("isi", ""), request.form.get("berkas", "")[:200]
    if len(text) > MAX_RULESET:
        return _rules_page(400, {"upload_error": _(
            "Berkas terlalu besar (maksimal 256 KB); aturan TPP biasanya di bawah 10 KB.")})
    rs, problems = _check(text, filename or "unggahan")
    if rs is None:
        return _rules_page(400, {"problems": problems, "filename": filename})
    try:
        added = store.save_ruleset(db(), rs, f"portal:{filename}", current_user.username)
    except store.RulesetConflictError:
        return _rules_page(409, _summary(rs, text, filename))
    if added:
        logger.info("rule set %s saved by %s from %s", rs.key, current_user.username, filename)
        flash(_("Aturan %(key)s disimpan. Berlaku mulai %(day)s untuk perhitungan yang belum "
                "final.", key=rs.key, day=rs.ruleset.effective_from.isoformat()))
    else:
        flash(_("Aturan %(key)s sudah tersimpan dengan isi yang sama; tidak ada yang berubah.",
                key=rs.key))
    return redirect(url_for("tpp_settings.rules"))


@bp.get("/aturan/<rid>/v<int:version>.toml", endpoint="rules_download")
def rules_download(rid: str, version: int):  # type: ignore[no-untyped-def]
    """A stored rule set as a TOML file (loads back to the same rule set)."""
    rs = settings_store.stored_ruleset(db(), rid, version)
    if rs is None:
        abort(404)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", rid)  # the id is free text; the header is not
    return Response(to_toml(rs), mimetype="application/toml", headers={
        "Content-Disposition": f'attachment; filename="{name}-v{version}.toml"'})


# ---------------------------------------------------------------- calendar


def _year() -> int:
    year = parse_year(request.values.get("tahun"), date.today().year)
    if year is None:
        abort(400, _("Tahun harus antara 2000 dan 2100."))
    return year


def _offices() -> dict[str, str]:
    return {o.id: o.name for o in settings_store.office_weeks(db())}


def _calendar_page(year: int, status: int = 200, **ctx: object) -> tuple[str, int]:
    days = settings_store.calendar_year(db(), year)
    ramadan = [(a, b) for a, b in settings_store.ramadan_periods(db())
               if a.year == year or b.year == year]
    ctx.setdefault("form", {})
    ctx.setdefault("errors", {})
    return render_template(
        "tpp/calendar.html", year=year, days=days, ramadan=ramadan,
        offices=settings_store.office_weeks(db()), kind_text=KIND_TEXT,
        shipped_file=store.shipped_calendar_file(year), final_months=_final_months(),
        **ctx), status


@bp.get("/kalender", endpoint="calendar")
def calendar():  # type: ignore[no-untyped-def]
    """A year's holidays and cuti bersama, Ramadan, and each office's work week."""
    return _calendar_page(_year())


def _back(year: int, anchor: str | None = None):  # type: ignore[no-untyped-def]
    """To the year's calendar (at a section: the change is in view)."""
    return redirect(url_for("tpp_settings.calendar", tahun=year, _anchor=anchor))


@bp.post("/kalender/hari", endpoint="calendar_add")
def calendar_add():  # type: ignore[no-untyped-def]
    """Add a holiday, cuti bersama, closure or extra working day (all offices or some)."""
    year = _year()
    form = request.form
    new, problems = parse_day(form.get("tanggal", ""), form.get("jenis", ""),
                              form.get("nama", ""), form.getlist("kantor"), year,
                              settings_store.calendar_year(db(), year), _offices())
    if new is None:
        return _calendar_page(year, 400, form=form, errors=_errors(problems), open_form="hari")
    try:
        settings_store.add_calendar_day(db(), new)
    except psycopg.errors.UniqueViolation:  # added meanwhile by someone else
        return _calendar_page(year, 409, form=form, open_form="hari", errors={"tanggal": [
            _("Tanggal ini baru saja ditambahkan orang lain; muat ulang halaman.")]})
    logger.info("calendar day %s %s %r (%s) added by %s", new.day, new.kind, new.name,
                ",".join(new.offices) or "semua kantor", current_user.username)
    flash(_("%(day)s ditambahkan: %(name)s (%(kind)s).", day=new.day.isoformat(),
            name=new.name, kind=_(KIND_TEXT[new.kind])))
    return _back(year)


@bp.post("/kalender/hari/<int:day_id>/hapus", endpoint="calendar_remove")
def calendar_remove(day_id: int):  # type: ignore[no-untyped-def]
    """Remove one calendar day row."""
    year = _year()
    gone = settings_store.remove_calendar_day(db(), day_id)
    if gone is None:
        flash(_("Hari itu sudah tidak ada (mungkin sudah dihapus)."), "error")
    else:
        logger.info("calendar day %s %s %r (%s) removed by %s", gone.day, gone.kind, gone.name,
                    gone.office_id or "semua kantor", current_user.username)
        flash(_("%(day)s dihapus: %(name)s.", day=gone.day.isoformat(), name=gone.name))
    return _back(gone.day.year if gone else year)


@bp.post("/kalender/ramadan", endpoint="ramadan_add")
def ramadan_add():  # type: ignore[no-untyped-def]
    """Set a Ramadan period of the year."""
    year = _year()
    period, problems = parse_ramadan(request.form.get("mulai", ""),
                                     request.form.get("sampai", ""), year,
                                     settings_store.ramadan_periods(db()))
    if period is None:
        return _calendar_page(year, 400, ramadan_form=request.form,
                              ramadan_errors=_errors(problems))
    try:
        settings_store.add_ramadan(db(), *period)
    except psycopg.errors.UniqueViolation:
        return _calendar_page(year, 409, ramadan_form=request.form, ramadan_errors={"mulai": [
            _("Ramadan dengan tanggal mulai ini baru saja ditambahkan; muat ulang halaman.")]})
    logger.info("ramadan %s..%s set by %s", *period, current_user.username)
    flash(_("Ramadan %(start)s – %(end)s disimpan.", start=period[0].isoformat(),
            end=period[1].isoformat()))
    return _back(year, "ramadan")


@bp.post("/kalender/ramadan/<start>/hapus", endpoint="ramadan_remove")
def ramadan_remove(start: str):  # type: ignore[no-untyped-def]
    """Remove a Ramadan period (by its first day)."""
    try:
        day = date.fromisoformat(start)
    except ValueError:
        abort(404)
    if settings_store.remove_ramadan(db(), day):
        logger.info("ramadan from %s removed by %s", day, current_user.username)
        flash(_("Ramadan mulai %(day)s dihapus.", day=day.isoformat()))
    else:
        flash(_("Ramadan itu sudah tidak ada (mungkin sudah dihapus)."), "error")
    return _back(day.year, "ramadan")


@bp.post("/kalender/pekan-kerja", endpoint="workweek")
def workweek():  # type: ignore[no-untyped-def]
    """Set an office's work week: 5 or 6 days."""
    year = _year()
    offices = _offices()
    got, problems = parse_workweek(request.form.get("kantor", ""),
                                   request.form.get("hari_kerja", ""), offices)
    if got is None:
        return _calendar_page(year, 400, week_errors=[field_error_text(p) for p in problems])
    settings_store.set_workweek(db(), *got)
    logger.info("office %s work week %s set by %s", *got, current_user.username)
    flash(_("%(office)s: %(n)s hari kerja seminggu.", office=offices[got[0]], n=got[1]))
    return _back(year, "workweek")


@bp.post("/kalender/isi", endpoint="calendar_seed")
def calendar_seed():  # type: ignore[no-untyped-def]
    """Seed a year as `hadir-cloud tpp seed-calendar` does (the days already stored stay)."""
    year = _year()
    path = store.shipped_calendar_file(year)
    try:
        n = store.seed_calendar(db(), year, path)
    except CalendarError as err:
        flash(_("Berkas kalender tidak dapat dibaca: %(err)s", err=str(err)), "error")
        return _back(year)
    logger.info("calendar %s seeded by %s: %s rows", year, current_user.username, n)
    flash(_("%(n)s hari libur/cuti bersama ditambahkan untuk %(year)s.", n=n, year=year)
          + ("" if path else " " + _("Tidak ada berkas cuti bersama dan Ramadan untuk tahun "
                                     "ini: tambahkan satu per satu.")))
    return _back(year)


# ---------------------------------------------------------------- work schedules


def _grace() -> list[RuleSet]:
    """The rule sets in force today, once each (their grace_minutes is the tolerance)."""
    found = in_force([s.rs for s in settings_store.stored_rulesets(db())], date.today())
    return list({f.current.key: f.current for f in found if f.current is not None}.values())


@bp.get("/jadwal", endpoint="schedules")
def schedules():  # type: ignore[no-untyped-def]
    """Every work schedule, the groups employees are in, and groups without a schedule."""
    items = store.schedules(db())
    groups = settings_store.schedule_groups(db())
    covered = {s.group for s in items}
    return render_template(
        "tpp/schedules.html", schedules=items, groups=groups, variant_text=VARIANT_TEXT,
        missing=[g for g in groups if g not in covered], grace=_grace(),
        final_months=_final_months())


def _schedule_page(form: dict[str, str], new: bool, status: int = 200,
                   errors: dict[str, list[str]] | None = None) -> tuple[str, int]:
    return render_template(
        "tpp/schedule_edit.html", form=form, new=new, errors=errors or {},
        variant_text=VARIANT_TEXT, hours_text=HOURS_TEXT, grace=_grace(),
        groups=settings_store.schedule_groups(db()), final_months=_final_months()), status


def _save_schedule(sid: str | None):  # type: ignore[no-untyped-def]
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    if sid is not None:
        form["id"] = sid  # the id of a stored schedule does not change
    others = [s for s in store.schedules(db()) if s.id != sid]
    sched, problems = parse_schedule(form, others, new=sid is None)
    if sched is None:
        return _schedule_page(form, sid is None, 400, _errors(problems))
    store.save_schedule(db(), sched)
    logger.info("schedule %s saved by %s", sched.id, current_user.username)
    flash(_("Jadwal %(id)s disimpan.", id=sched.id))
    return redirect(url_for("tpp_settings.schedules"))


@bp.route("/jadwal/baru", methods=["GET", "POST"], endpoint="schedule_new")
def schedule_new():  # type: ignore[no-untyped-def]
    """A new schedule (for example next year's, with a later start date)."""
    if request.method == "POST":
        return _save_schedule(None)
    copy = next((s for s in store.schedules(db()) if s.id == request.args.get("dari")), None)
    form = schedule_fields(copy) if copy else {}
    form["id"] = ""
    if request.args.get("grup"):
        form["grup"] = request.args["grup"][:64]
    return _schedule_page(form, True)


@bp.route("/jadwal/<sid>", methods=["GET", "POST"], endpoint="schedule_edit")
def schedule_edit(sid: str):  # type: ignore[no-untyped-def]
    """Edit one schedule: its group, dates and the hours of each variant."""
    current = next((s for s in store.schedules(db()) if s.id == sid), None)
    if current is None:
        abort(404)
    if request.method == "POST":
        return _save_schedule(sid)
    return _schedule_page(schedule_fields(current), False)
