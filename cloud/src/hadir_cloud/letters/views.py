"""Letter pages: `/surat` (the inboxes with counts), `/surat/baru` and `/surat/<id>/ubah`
(a draft), `/surat/<id>` (the letter, its chain, versions and history, and the moves of
whoever it waits for), signing as a job with its progress, the PDFs, and `/surat/arsip`.

The rules are the domain's and the store's; these views read forms, call the store and show
its Bahasa messages next to the fields they name.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..jobs import progress as job_progress
from ..org.domain import opd_of, subtree
from ..portal import db, regency_zone
from ..portal.rbac import Role
from ..settings import CloudSettings
from . import archive, store
from . import domain as d
from .pdf import render_letter
from .rules import Rules, load_rules, shipped

bp = Blueprint("letters", __name__)


def settings() -> CloudSettings:
    """The app's settings (create_app keeps them)."""
    found = current_app.extensions.get("hadir_settings")
    return found if isinstance(found, CloudSettings) else CloudSettings()  # type: ignore[call-arg]


def rules() -> Rules:
    """The regency's letter rules (HADIR_LETTERS_RULES_FILE, or the shipped ones)."""
    path = settings().letters_rules_file
    return load_rules(path) if path else shipped()


def now() -> datetime:
    """The local time (the regency's zone)."""
    return datetime.now(regency_zone())


def my_nip() -> str | None:
    """The signed-in account's NIP, or None."""
    nip = current_user.principal.nip
    return str(nip) if nip else None


def viewer() -> archive.Viewer:
    """The signed-in account as the archive's rules read it."""
    who = current_user.principal
    return archive.viewer(db(), who.username, who.nip, who.units, who.regency_wide,
                          now().date())


# ---------------------------------------------------------------- inboxes


@bp.get("/surat", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The inboxes: to sign, to initial, incoming unread, dispositions waiting, copies, and
    the account's own letters."""
    nip = my_nip()
    box = archive.inbox(db(), nip, now().date(), store.chart(db())) if nip else None
    tab = request.args.get("kotak", "")
    if box is not None and tab not in ("ttd", "paraf", "masuk", "disposisi", "tembusan",
                                       "saya"):
        counts = box.counts()
        tab = next((k for k in ("ttd", "paraf", "masuk", "disposisi", "tembusan")
                    if counts[k]), "saya")
    can_register = bool(current_user.principal.roles & {Role.TU, Role.ADMIN})
    return render_template("letters/index.html", box=box, tab=tab, kind_text=d.KIND_TEXT,
                           state_text=d.STATE_TEXT, can_register=can_register)


# ---------------------------------------------------------------- a draft's form


def _read_form(errors: dict[str, list[str]], author_fields: bool) -> dict[str, Any]:
    """The letter's content from the form; unreadable fields get their error."""
    f = request.form
    content: dict[str, Any] = {"subject": f.get("perihal", "").strip(),
                               "body": f.get("isi", "").replace("\r\n", "\n").strip(),
                               "addressee": f.get("kepada", "").strip()}
    if not content["subject"]:
        errors.setdefault("perihal", []).append(_("Perihal wajib diisi."))
    if not author_fields:
        return content
    content["classification"] = f.get("klasifikasi", "").strip()
    try:
        content["access"] = d.Access(f.get("akses", "biasa"))
        content["urgency"] = d.Urgency(f.get("sifat", "biasa"))
    except ValueError:
        errors.setdefault("akses", []).append(_("Pilihan tidak dikenal."))
    content["copies"] = tuple(sorted(set(f.getlist("tembusan"))))
    kind = f.get("jenis", "")
    if kind == d.Kind.SURAT_TUGAS.value:
        content["people"] = tuple(sorted(set(f.getlist("pegawai"))))
        content["duty"] = _read_duty(errors)
    return content


def _read_duty(errors: dict[str, list[str]]) -> d.Duty | None:
    f = request.form
    values: dict[str, Any] = {"place": f.get("tempat", "").strip()}
    if not values["place"]:
        errors.setdefault("tempat", []).append(_("Tempat tugas wajib diisi."))
    for key, label, cast, field in (("lat", _("Lintang"), float, "lat"),
                                    ("lon", _("Bujur"), float, "lon"),
                                    ("radius", _("Radius"), int, "radius_m")):
        try:
            values[field] = cast(f.get(key, "").strip())
        except ValueError:
            errors.setdefault(key, []).append(_("%(field)s harus angka.", field=label))
    for key, field in (("mulai", "start"), ("selesai", "end")):
        try:
            values[field] = date.fromisoformat(f.get(key, "").strip())
        except ValueError:
            errors.setdefault(key, []).append(_("Tanggal harus diisi (TTTT-BB-HH)."))
    if len(values) < 6:
        return None
    if not (-90 <= values["lat"] <= 90 and -180 <= values["lon"] <= 180):
        errors.setdefault("lat", []).append(_("Koordinat di luar jangkauan."))
    if values["radius_m"] <= 0:
        errors.setdefault("radius", []).append(_("Radius harus lebih dari 0 meter."))
    return d.Duty(**values)


def _store_error(err: Exception, errors: dict[str, list[str]]) -> None:
    text = str(err)
    field = next((f for words, f in (("perihal", "perihal"), ("klasifikasi", "klasifikasi"),
                                     ("pegawai", "pegawai"), ("tempat", "tempat"),
                                     ("atasan", "penandatangan"), ("kosong", "penandatangan"))
                  if words in text), "umum")
    errors.setdefault(field, []).append(text)


def _form_page(letter: d.Letter | None, errors: dict[str, list[str]], form: Any,
               status: int = 200) -> tuple[str, int]:
    nip = my_nip()
    c = store.chart(db())
    day = now().date()
    signers = d.signer_choices(nip, day, c) if nip else []
    me = c.position_of(nip, day) if nip else None
    opd = opd_of(me.unit_id, c.units) if me else None
    people = []
    if opd is not None:
        units = subtree(opd, c.units)
        people = sorted(((a.nip, c.names.get(a.nip, a.nip), c.positions[a.position_id])
                         for a in c.assignments if a.covers(day)
                         and c.positions[a.position_id].unit_id in units),
                        key=lambda t: (not t[2].heads_unit, t[1]))
    return render_template("letters/new.html", letter=letter, nip=nip, me=me, errors=errors,
                           form=form, signers=signers, people=people, rules=rules(),
                           kind_text=d.KIND_TEXT), status


def _form_of(x: d.Letter) -> dict[str, Any]:
    du = x.duty
    form: dict[str, Any] = {"jenis": x.kind.value, "penandatangan": x.signer_position,
                            "perihal": x.subject, "isi": x.body, "kepada": x.addressee,
                            "klasifikasi": x.classification, "akses": x.access.value,
                            "sifat": x.urgency.value, "tembusan": list(x.copies),
                            "pegawai": list(x.people)}
    if du is not None:
        form.update(tempat=du.place, lat=du.lat, lon=du.lon, radius=du.radius_m,
                    mulai=du.start.isoformat(), selesai=du.end.isoformat())
    return form


class _Form(dict[str, Any]):
    """Form values for the template: `getlist` like a request's form."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key, [])
        return list(value) if isinstance(value, list | tuple) else [value]


@bp.route("/surat/baru", endpoint="new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    """Write a new draft."""
    nip = my_nip()
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and nip:
        content = _read_form(errors, author_fields=True)
        try:
            kind = d.Kind(request.form.get("jenis", ""))
        except ValueError:
            errors.setdefault("jenis", []).append(_("Pilih jenis surat."))
        signer = request.form.get("penandatangan", "")
        if not signer:
            errors.setdefault("penandatangan", []).append(_("Pilih penanda tangan."))
        if not errors:
            try:
                x = store.draft(db(), rules(), kind, nip, signer, now(), **content)
            except d.LetterError as err:
                _store_error(err, errors)
            else:
                flash(_("Draf surat tersimpan. Ajukan bila sudah siap diperiksa."), "ok")
                return redirect(url_for("letters.show", letter_id=int(x.id)))
        return _form_page(None, errors, request.form, 400)
    return _form_page(None, errors, _Form(jenis=request.args.get("jenis", "surat_dinas")))


def _load(letter_id: int) -> d.Letter:
    try:
        return store.load(db(), letter_id)
    except store.LetterNotFoundError:
        abort(404)


@bp.route("/surat/<int:letter_id>/ubah", endpoint="edit", methods=["GET", "POST"])
def edit(letter_id: int):  # type: ignore[no-untyped-def]
    """The author changes a draft or a returned letter (and may submit it again)."""
    x = _load(letter_id)
    if x.author != my_nip() or x.state not in (d.State.DRAF, d.State.DIKEMBALIKAN):
        abort(403)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        content = _read_form(errors, author_fields=True)
        content["signer_position"] = request.form.get("penandatangan", x.signer_position)
        if not errors:
            move = d.Move.AJUKAN if request.form.get("aksi") == "ajukan" else d.Move.UBAH
            try:
                store.act(db(), rules(), letter_id, move, x.author, now(), **content)
            except d.LetterError as err:
                _store_error(err, errors)
            else:
                flash(_("Surat diajukan untuk diperiksa.") if move is d.Move.AJUKAN
                      else _("Perubahan tersimpan."), "ok")
                return redirect(url_for("letters.show", letter_id=letter_id))
        return _form_page(x, errors, request.form, 400)
    return _form_page(x, errors, _Form(_form_of(x)))


# ---------------------------------------------------------------- a letter


def diff(old: str, new: str) -> list[tuple[str, str]]:
    """(mark, line) of a line diff: '+' added, '-' removed, ' ' kept."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line[:1] in "+- ":
            out.append((line[:1], line[2:]))
    return out


@bp.get("/surat/<int:letter_id>", endpoint="show")
def show(letter_id: int):  # type: ignore[no-untyped-def]
    """The letter, its chain, versions and history, and what the viewer may do."""
    x = _load(letter_id)
    if not archive.can_see(db(), viewer(), letter_id):
        abort(403)
    nip = my_nip()
    day = now().date()
    c = store.chart(db())
    if nip:
        from .incoming import mark_read

        mark_read(db(), letter_id, nip)
    versions = store.versions(db(), letter_id)
    try:
        a, b = int(request.args.get("dari", 0)), int(request.args.get("ke", 0))
    except ValueError:
        a = b = 0
    by_version = {v[0]: v for v in versions}
    if b not in by_version:
        b = versions[-1][0] if versions else 0
    if a not in by_version:
        a = max((v for v in by_version if v < b), default=b)
    changes = []
    if a != b:
        old, new_ = by_version[a], by_version[b]
        changes = [(_("Perihal"), diff(old[1], new_[1])), (_("Kepada"), diff(old[3], new_[3])),
                   (_("Isi"), diff(old[2], new_[2]))]
    info = {"verify_token": None}
    row = db().execute("SELECT verify_token, signed_at FROM letters WHERE id = %s",
                       (letter_id,)).fetchone()
    if row:
        info = {"verify_token": row[0], "signed_at": row[1]}
    holders = {p: c.holder(p, day) for p in (*x.chain, x.signer_position)}
    return render_template(
        "letters/show.html", x=x, c=c, holders=holders, may_act=d.may_act(x, nip or "", day, c),
        is_author=x.author == nip, versions=versions, a=a, b=b, changes=changes, info=info,
        kind_text=d.KIND_TEXT, state_text=d.STATE_TEXT, move_text=d.MOVE_TEXT,
        access_text=d.ACCESS_TEXT, urgency_text=d.URGENCY_TEXT,
        initialled=dict(x.initialled_by()), rules=rules(), tz=regency_zone())


@bp.post("/surat/<int:letter_id>/aksi", endpoint="act")
def act(letter_id: int):  # type: ignore[no-untyped-def]
    """A move by whoever the letter waits for (or its author): paraf, comment, return,
    submit, cancel, or a change of its text."""
    nip = my_nip()
    if nip is None:
        abort(403)
    try:
        move = d.Move(request.form.get("aksi", ""))
    except ValueError:
        abort(400, _("Aksi tidak dikenal."))
    content: dict[str, Any] = {}
    if move in (d.Move.UBAH, d.Move.PARAF) and "perihal" in request.form:
        errors: dict[str, list[str]] = {}
        content = _read_form(errors, author_fields=False)
        if errors:
            flash(errors["perihal"][0], "error")
            return redirect(url_for("letters.show", letter_id=letter_id))
    try:
        after = store.act(db(), rules(), letter_id, move, nip, now(),
                          note=request.form.get("catatan", ""), **content)
    except store.LetterNotFoundError:
        abort(404)
    except d.LetterError as err:
        flash(str(err), "error")
        return redirect(url_for("letters.show", letter_id=letter_id))
    flash(_("Surat %(state)s.", state=d.STATE_TEXT[after.state]) if move is not d.Move.UBAH
          else _("Perubahan tersimpan (versi %(v)d).", v=after.version), "ok")
    return redirect(url_for("letters.index") if move in (d.Move.PARAF, d.Move.KEMBALIKAN)
                    else url_for("letters.show", letter_id=letter_id))


@bp.post("/surat/<int:letter_id>/tandatangani", endpoint="sign")
def sign(letter_id: int):  # type: ignore[no-untyped-def]
    """Queue the signature (numbering, PDF, PAdES) as a job and follow it."""
    from ..jobs.app import create_app as jobs_app
    from ..jobs.tasks import defer_letter_sign

    x = _load(letter_id)
    nip = my_nip()
    if nip is None or x.state is not d.State.SIAP_TTD or \
            not d.may_act(x, nip, now().date(), store.chart(db())):
        flash(_("Surat ini tidak menunggu tanda tangan Anda."), "error")
        return redirect(url_for("letters.show", letter_id=letter_id))
    url = current_app.config["DATABASE_URL"]
    job_id = defer_letter_sign(jobs_app(url), url, letter_id, nip)
    return redirect(url_for("letters.job", letter_id=letter_id, job_id=job_id))


def _job(letter_id: int, job_id: int) -> job_progress.Progress:
    p = job_progress.get(db(), job_id, "letter_sign")
    if p is None or p.label != f"Tanda tangan surat #{letter_id}":
        abort(404)
    return p


@bp.get("/surat/<int:letter_id>/tugas/<int:job_id>", endpoint="job")
def job(letter_id: int, job_id: int):  # type: ignore[no-untyped-def]
    """The signing job's page: progress polled until it ends."""
    x = _load(letter_id)
    return render_template("letters/job.html", x=x, p=_job(letter_id, job_id),
                           kind_text=d.KIND_TEXT)


@bp.get("/surat/<int:letter_id>/tugas/<int:job_id>/kemajuan", endpoint="job_progress")
def job_progress_fragment(letter_id: int, job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment htmx polls."""
    return render_template("letters/_progress.html", x=_load(letter_id),
                           p=_job(letter_id, job_id))


@bp.get("/surat/<int:letter_id>/pratinjau.pdf", endpoint="preview")
def preview(letter_id: int):  # type: ignore[no-untyped-def]
    """A draft's PDF as it will look (no number, no signature)."""
    x = _load(letter_id)
    if not archive.can_see(db(), viewer(), letter_id):
        abort(403)
    pdf, _box = render_letter(store.printed(db(), x, now().date(), store.chart(db())))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="draf-surat-{letter_id}.pdf"'})


@bp.get("/surat/<int:letter_id>/surat.pdf", endpoint="download")
def download(letter_id: int):  # type: ignore[no-untyped-def]
    """The signed PDF, as stored."""
    if not archive.can_see(db(), viewer(), letter_id):
        abort(403)
    found = store.signed_pdf(db(), letter_id)
    if found is None:
        abort(404)
    number, pdf = found
    name = number.replace("/", "-")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="surat-{name}.pdf"'})


# ---------------------------------------------------------------- the archive


@bp.get("/surat/arsip", endpoint="archive")
def archive_page():  # type: ignore[no-untyped-def]
    """Search the archive: words, classification, unit, dates; only what the viewer may see."""
    a = request.args
    q = archive.Query(text=a.get("q", "")[:200], classification=a.get("klasifikasi", ""),
                      unit=a.get("unit", ""), direction=a.get("arah", ""))
    for key, attr in (("dari", "since"), ("sampai", "until")):
        if a.get(key):
            try:
                setattr(q, attr, date.fromisoformat(a[key]))
            except ValueError:
                q.problems[key] = _("Tanggal harus berbentuk TTTT-BB-HH.")
    searched = any(a.get(k) for k in ("q", "klasifikasi", "unit", "dari", "sampai", "arah"))
    found = archive.search(db(), viewer(), q, rules()) if not q.problems else []
    units = db().execute("SELECT DISTINCT l.unit_id, u.name FROM letters l JOIN units u ON "
                         "u.id = l.unit_id ORDER BY u.name").fetchall()
    return render_template("letters/archive.html", q=q, found=found, searched=searched,
                           rules=rules(), units=units, kind_text=d.KIND_TEXT,
                           state_text=d.STATE_TEXT, access_text=d.ACCESS_TEXT), \
        400 if q.problems else 200
