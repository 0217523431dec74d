"""Request pages: `/permohonan` (my requests and cuti tahunan balance), `/permohonan/baru` (file
one), `/permohonan/<id>` (its history; cancel, or fix and resubmit after a return) and
`/permohonan/masuk` (the approver's inbox: approve, return or reject) and `/permohonan/saldo`
(HR: everyone's cuti tahunan balance, within the OPD for an OPD admin).

The rules are the domain's and the store's (`requests.domain`, `requests.store`); these views
only read the form, call the store and show its Bahasa messages next to the fields they name.
Attachments: an uploaded file (PDF, JPEG or PNG, at most 5 MB) counts as that attachment of
the kind and is kept with the request (`attachments`), in the same transaction; it is served
back only to those who may see the request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import (
    Blueprint,
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

from .. import attachments
from ..portal import db, regency_zone
from ..portal import files as files_in
from ..portal.rbac import Role
from ..privacy import web as privacy_web
from ..privacy.domain import AuditAction
from ..tpp.store import UnknownEmployeeError
from ..users import accounts, unit_subtree
from . import store
from .balance import counted_days
from .domain import STATE_LABELS, Move, Place, Request, RequestError, State, approvers
from .kinds import Kind, KindSet, UnknownKindError, load_kinds, shipped_path

bp = Blueprint("requests", __name__)
#: attachments.owner_kind of a request's files
OWNER = "permohonan"
#: how a decision's button is named in the history
MOVE_TEXT = {Move.UBAH: "diubah", Move.AJUKAN: "diajukan", Move.SETUJUI: "disetujui",
             Move.KEMBALIKAN: "dikembalikan", Move.TOLAK: "ditolak",
             Move.BATALKAN: "dibatalkan"}
STEP_TEXT = {"atasan": "atasan langsung", "atasan_atasan": "atasan dari atasan",
             "bkpsdm": "BKPSDM"}
#: words of a store message → the form field it is about (the first that matches)
_FIELD_OF = (("tanggal selesai", "selesai"), ("tidak ada hari kerja", "selesai"),
             ("paling lama", "selesai"), ("sisa cuti tahunan", "selesai"),
             ("lampiran", "lampiran"), ("alasan harus", "subjenis"),
             ("tidak memakai pilihan alasan", "subjenis"), ("nama tempat", "tempat"),
             ("tempat dinas luar", "tempat"), ("lintang", "lat"), ("bujur", "lon"),
             ("radius", "radius"))
_PREFIX = "permohonan belum dapat diajukan: "
#: the years a request's dates may fall in, around this year (a typo like 0202 or 20266
#: would otherwise make the day count walk centuries)
YEARS_BACK, YEARS_AHEAD = 1, 4


@functools.cache
def _kinds_from(path: str) -> KindSet:
    return load_kinds(Path(path) if path else shipped_path())


def kinds() -> KindSet:
    """The regency's request kinds (REQUEST_KINDS_PATH, or the shipped Ogan Ilir file)."""
    return _kinds_from(str(current_app.config.get("REQUEST_KINDS_PATH", "")))


def _now(nip: str | None = None) -> datetime:
    zone = store.zone_of(db(), nip, regency_zone()) if nip else regency_zone()
    return datetime.now(zone)


def _my_nip() -> str | None:
    nip = current_user.principal.nip
    return str(nip) if nip else None


def _is_approver() -> bool:
    return bool(current_user.principal.roles & {Role.ATASAN, Role.ADMIN_BKPSDM})


@dataclass(frozen=True)
class Row:
    """A request as a page shows it: its days and who decides the pending step."""

    req: Request
    kind: Kind
    days: int
    waiting_for: list[str]
    #: the files kept with it (a doctor's letter, an SPT…)
    files: list[attachments.Stored]

    @property
    def state_text(self) -> str:
        return STATE_LABELS[self.req.state]


def _rows(reqs: list[Request], day: date) -> list[Row]:
    conn, ks = db(), kinds()
    org = store.org_on(conn, day) if any(r.state is State.DIAJUKAN for r in reqs) else None
    out = []
    for r in reqs:
        kind = ks.get(r.kind)
        days = len(counted_days(kind, r.start, r.end,
                                store.calendar_of(conn, r.nip, r.start, r.end)))
        who = sorted(approvers(r, day, org)) if org is not None else []
        out.append(Row(r, kind, days, who, attachments.of(conn, OWNER, r.id)))
    return out


def _names(rows: list[Row]) -> dict[str, str]:
    nips = {r.req.nip for r in rows} | {n for r in rows for n in r.waiting_for} | {
        e.actor for r in rows for e in r.req.events}
    return store.names(db(), nips)


def _balance(nip: str, year: int) -> store.YearBalance | None:
    bals = store.balances(db(), kinds(), nip, year)
    return bals[-1] if bals else None


# ---------------------------------------------------------------- my requests


@bp.get("/permohonan", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The signed-in employee's requests, newest first, and this year's cuti tahunan."""
    nip = _my_nip()
    waiting = len(store.inbox(db(), nip, _now(nip).date())) if nip and _is_approver() else 0
    if nip is None:
        return render_template("requests/index.html", rows=None, waiting=waiting)
    today = _now(nip).date()
    rows = list(reversed(_rows(store.requests_of(db(), nip), today)))
    return render_template("requests/index.html", rows=rows, names=_names(rows),
                           balance=_balance(nip, today.year), year=today.year,
                           waiting=waiting, step_text=STEP_TEXT)


# ---------------------------------------------------------------- HR: everyone's balance

#: people on one page of the balances
BALANCE_PAGE = 50


@bp.get("/permohonan/saldo", endpoint="balances")
def balances_page():  # type: ignore[no-untyped-def]
    """HR's view of cuti tahunan balances: the people in scope (an OPD admin's OPD, BKPSDM the
    regency), searchable by name or NIP, a year and a page at a time."""
    who = current_user.principal
    scope = None if who.regency_wide else unit_subtree(db(), who.units)
    query = (request.args.get("q") or "").strip()[:100]
    this_year = _now().year
    try:
        page = max(1, int(request.args.get("hal", "1")))
        year = int(request.args.get("tahun", str(this_year)))
    except ValueError:
        page, year = 1, this_year
    if not this_year - YEARS_BACK - 5 <= year <= this_year + 1:
        year = this_year
    people, total = accounts(db(), scope, query, BALANCE_PAGE, (page - 1) * BALANCE_PAGE)
    rows = []
    for p in people:
        bals = store.balances(db(), kinds(), p.nip, year)
        rows.append((p, bals[-1] if bals else None))
    return render_template("requests/balances.html", rows=rows, total=total, query=query,
                           page=page, pages=max(1, -(-total // BALANCE_PAGE)), year=year,
                           this_year=this_year)


# ---------------------------------------------------------------- the form


def _read_form(kind: Kind, errors: dict[str, list[str]],
               kept: frozenset[str] = frozenset()) -> dict[str, object]:
    """The request's content from the form; unreadable fields get their error."""
    f = request.form
    content: dict[str, object] = {"kind": kind.code, "reason": f.get("alasan", "").strip(),
                                  "subkind": f.get("subjenis", "").strip() if kind.subkinds
                                  else ""}
    for key, label in (("mulai", _("Tanggal mulai")), ("selesai", _("Tanggal selesai"))):
        raw = f.get(key, "").strip()
        try:
            content["start" if key == "mulai" else "end"] = date.fromisoformat(raw)
        except ValueError:
            errors.setdefault(key, []).append(
                _("%(field)s harus diisi dengan tanggal (TTTT-BB-HH).", field=label)
                if raw else _("%(field)s wajib diisi.", field=label))
    first, last = _now().year - YEARS_BACK, _now().year + YEARS_AHEAD
    for key, field in (("start", "mulai"), ("end", "selesai")):
        when = content.get(key)
        if isinstance(when, date) and not first <= when.year <= last:
            errors.setdefault(field, []).append(
                _("Tanggal harus pada tahun %(first)d sampai %(last)d.", first=first, last=last))
            content.pop(key)
    if {"start", "end"} <= content.keys() and content["end"] < content["start"]:  # type: ignore[operator]
        errors.setdefault("selesai", []).append(_("Tanggal selesai tidak boleh sebelum tanggal "
                                                  "mulai."))
    attached, files = set(), []
    for a in kind.attachments:
        up = files_in.upload(f"lampiran-{a.code}")
        if up is not None:
            bad = attachments.problem(up)
            if bad is not None:
                errors.setdefault("lampiran", []).append(f"{a.name}: {bad}")
                continue
            attached.add(a.code)
            files.append((a.code, up))
        elif a.code in kept and f.get(f"tetap-{a.code}"):
            attached.add(a.code)
    content["attachments"] = frozenset(attached)
    content["_files"] = files
    if kind.needs_place:
        content["place"] = _read_place(errors)
    return content


def _keep(request_id: str, files: list[tuple[str, attachments.Upload]]
          ) -> list[attachments.Stored]:
    """Keep the request's uploaded files (inside the caller's transaction)."""
    return [attachments.save(db(), OWNER, request_id, code, up, current_user.username)
            for code, up in files]


def _flash_files(kept: list[attachments.Stored]) -> None:
    for f in kept:
        flash(_("Lampiran diterima: %(file)s", file=f"{f.filename} (SHA-256 {f.sha256[:16]}…)"),
              "ok")


def _read_place(errors: dict[str, list[str]]) -> Place | None:
    f = request.form
    name = f.get("tempat", "").strip()
    if not name:
        errors.setdefault("tempat", []).append(_("Nama tempat dinas luar wajib diisi."))
    numbers: dict[str, float] = {}
    for key, label, cast in (("lat", _("Lintang"), float), ("lon", _("Bujur"), float),
                             ("radius", _("Radius"), int)):
        raw = f.get(key, "").strip().replace(",", ".")
        try:
            numbers[key] = cast(raw)
        except ValueError:
            errors.setdefault(key, []).append(_("%(field)s harus angka.", field=label))
    if not name or len(numbers) < 3:
        return None
    return Place(name, numbers["lat"], numbers["lon"], int(numbers["radius"]))


def _store_errors(err: Exception, errors: dict[str, list[str]]) -> None:
    """Put each problem of a store/domain message next to the field it names."""
    text = str(err)
    parts = text[len(_PREFIX):].split("; ") if text.startswith(_PREFIX) else [text]
    for part in parts:
        field = next((f for words, f in _FIELD_OF if words in part), "umum")
        errors.setdefault(field, []).append(part)


def _kind_or_none(code: str) -> Kind | None:
    try:
        return kinds().get(code) if code else None
    except UnknownKindError:
        return None


@bp.route("/permohonan/baru", endpoint="new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    """Choose a kind, then fill its form; submitting files the request (diajukan)."""
    nip = _my_nip()
    code = request.values.get("jenis", "")
    kind = _kind_or_none(code)
    errors: dict[str, list[str]] = {}
    if code and kind is None:
        errors["jenis"] = [_("Jenis permohonan tidak dikenal: %(code)s.", code=code)]
    if nip is None or kind is None:
        return render_template("requests/new.html", nip=nip, kind=None, kinds=kinds(),
                               errors=errors, form={}, request_obj=None), 400 if errors else 200
    balance = _balance(nip, _now(nip).year) if kind.annual_quota else None
    if request.method == "POST":
        content = _read_form(kind, errors)
        files = content.pop("_files")
        if not errors:
            req = Request("", nip, kind.code, content["start"], content["end"],  # type: ignore[arg-type]
                          str(content["reason"]), str(content["subkind"]),
                          content["attachments"], content.get("place"))  # type: ignore[arg-type]
            try:
                with db().transaction():  # the request and its files, or neither
                    done = store.file_request(db(), kinds(), req, _now(nip))
                    kept = _keep(done.id, files)  # type: ignore[arg-type]
            except (RequestError, UnknownEmployeeError) as err:
                _store_errors(err, errors)
            else:
                flash(_("Permohonan #%(id)s diajukan.", id=done.id), "ok")
                _flash_files(kept)
                return redirect(url_for("requests.show", request_id=done.id))
    return render_template("requests/new.html", nip=nip, kind=kind, kinds=kinds(),
                           errors=errors, form=request.form, balance=balance,
                           request_obj=None), 400 if errors else 200


# ---------------------------------------------------------------- one request


def _load(request_id: str) -> Request:
    try:
        return store.load(db(), request_id)
    except store.RequestNotFoundError:
        abort(404)


def _may_see(req: Request, day: date) -> bool:
    who = current_user.principal
    nip = _my_nip()
    if nip is not None and (nip == req.nip or nip in {e.actor for e in req.events}):
        return True
    if who.roles & {Role.ADMIN_BKPSDM, Role.ADMIN}:
        return True
    if nip is not None and req.state is State.DIAJUKAN:
        return nip in approvers(req, day, store.org_on(db(), day))
    return False


@bp.get("/permohonan/<request_id>", endpoint="show")
def show(request_id: str):  # type: ignore[no-untyped-def]
    """The request with its whole history; its owner may cancel it or fix a returned one."""
    req = _load(request_id)
    day = _now(req.nip).date()
    if not _may_see(req, day):
        abort(403)
    (row,) = _rows([req], day)
    zone = store.zone_of(db(), req.nip, regency_zone())
    mine = _my_nip() == req.nip
    can_decide = (not mine and _is_approver() and _my_nip() in row.waiting_for)
    return render_template("requests/show.html", row=row, names=_names([row]), zone=zone,
                           mine=mine, can_decide=can_decide, move_text=MOVE_TEXT,
                           step_text=STEP_TEXT, errors={})


@bp.get("/permohonan/<request_id>/lampiran/<int:file_id>", endpoint="attachment")
def attachment(request_id: str, file_id: int):  # type: ignore[no-untyped-def]
    """A file kept with the request, for those who may see the request (never cached)."""
    req = _load(request_id)
    if not _may_see(req, _now(req.nip).date()):
        abort(403)
    found = attachments.load(db(), OWNER, req.id, file_id)
    if found is None:
        abort(404)
    meta, data = found
    privacy_web.record(AuditAction.FILE_VIEW, req.nip, {"permohonan": req.id, "berkas": file_id,
                                                        "nama": meta.filename})
    return files_in.download(meta.filename, meta.content_type, data)


@bp.route("/permohonan/<request_id>/ubah", endpoint="edit", methods=["GET", "POST"])
def edit(request_id: str):  # type: ignore[no-untyped-def]
    """Fix a returned request and submit it again (its owner only)."""
    req = _load(request_id)
    if _my_nip() != req.nip:
        abort(403)
    if req.state is not State.DIKEMBALIKAN:
        flash(_("Permohonan #%(id)s berstatus %(state)s: hanya permohonan yang dikembalikan "
                "dapat diubah.", id=req.id, state=STATE_LABELS[req.state]), "error")
        return redirect(url_for("requests.show", request_id=req.id))
    kind = kinds().get(req.kind)
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {
        "mulai": req.start.isoformat(), "selesai": req.end.isoformat(), "alasan": req.reason,
        "subjenis": req.subkind, **({"tempat": req.place.name, "lat": str(req.place.lat),
                                     "lon": str(req.place.lon),
                                     "radius": str(req.place.radius_m)} if req.place else {})}
    if request.method == "POST":
        content = _read_form(kind, errors, kept=req.attachments)
        files = content.pop("_files")
        if not errors:
            try:
                with db().transaction():
                    store.resubmit(db(), kinds(), req.id, req.nip, _now(req.nip), **content)
                    kept = _keep(req.id, files)  # type: ignore[arg-type]
            except store.ConflictError:
                errors["umum"] = [_("Permohonan ini sudah diubah di tempat lain; muat ulang "
                                    "halaman.")]
            except RequestError as err:
                _store_errors(err, errors)
            else:
                flash(_("Permohonan #%(id)s diajukan kembali.", id=req.id), "ok")
                _flash_files(kept)
                return redirect(url_for("requests.show", request_id=req.id))
        form = request.form  # type: ignore[assignment]
    balance = _balance(req.nip, _now(req.nip).year) if kind.annual_quota else None
    return render_template("requests/new.html", nip=req.nip, kind=kind, kinds=kinds(),
                           errors=errors, form=form, balance=balance,
                           request_obj=req), 400 if errors else 200


@bp.post("/permohonan/<request_id>/batalkan", endpoint="cancel")
def cancel(request_id: str):  # type: ignore[no-untyped-def]
    """The owner withdraws the request before its final decision."""
    req = _load(request_id)
    if _my_nip() != req.nip:
        abort(403)
    try:
        store.decide(db(), kinds(), req.id, Move.BATALKAN, req.nip, _now(req.nip),
                     request.form.get("catatan", "").strip())
    except RequestError as err:
        flash(str(err), "error")
    else:
        flash(_("Permohonan #%(id)s dibatalkan.", id=req.id), "ok")
    return redirect(url_for("requests.show", request_id=req.id))


# ---------------------------------------------------------------- the approver's inbox


def _inbox_page(errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    nip = _my_nip()
    if nip is None:
        return render_template("requests/inbox.html", rows=None, errors=errors), status
    today = _now(nip).date()
    rows = _rows(store.inbox(db(), nip, today), today)
    balances = {r.req.id: _balance(r.req.nip, r.req.start.year)
                for r in rows if r.kind.annual_quota}
    return render_template("requests/inbox.html", rows=rows, names=_names(rows),
                           balances=balances, errors=errors, step_text=STEP_TEXT,
                           form=request.form), status


@bp.get("/permohonan/masuk", endpoint="inbox")
def inbox():  # type: ignore[no-untyped-def]
    """The requests waiting for the signed-in approver's decision today."""
    return _inbox_page({})


@bp.post("/permohonan/<request_id>/putuskan", endpoint="decide")
def decide(request_id: str):  # type: ignore[no-untyped-def]
    """Approve, return (note required) or reject (note required) a waiting request."""
    nip = _my_nip()
    if nip is None:
        abort(403)
    moves = {"setujui": Move.SETUJUI, "kembalikan": Move.KEMBALIKAN, "tolak": Move.TOLAK}
    move = moves.get(request.form.get("aksi", ""))
    if move is None:
        abort(400, _("Pilih Setujui, Kembalikan atau Tolak."))
    note = request.form.get("catatan", "").strip()
    if move is not Move.SETUJUI and not note:
        msg = (_("Catatan wajib diisi bila permohonan dikembalikan: tulis apa yang harus "
                 "diperbaiki.") if move is Move.KEMBALIKAN
               else _("Catatan wajib diisi bila permohonan ditolak: tulis alasannya."))
        return _inbox_page({request_id: msg}, 400)
    req = _load(request_id)
    seen = request.form.get("versi", "")
    stale = _("Permohonan #%(id)s sudah diputuskan orang lain, muat ulang halaman.", id=req.id)
    if seen and seen != str(len(req.events)):
        flash(stale, "error")
        return redirect(url_for("requests.inbox"))
    try:
        done = store.decide(db(), kinds(), req.id, move, nip, _now(req.nip), note)
    except store.ConflictError:
        flash(stale, "error")
    except RequestError as err:
        flash(str(err), "error")
        if req.state is not State.DIAJUKAN:
            flash(stale, "error")
    else:
        flash({Move.SETUJUI: _("Permohonan #%(id)s disetujui.", id=req.id)
               if done.state is State.DISETUJUI
               else _("Langkah Anda pada permohonan #%(id)s disetujui; menunggu langkah "
                      "berikutnya.", id=req.id),
               Move.KEMBALIKAN: _("Permohonan #%(id)s dikembalikan ke pemohon.", id=req.id),
               Move.TOLAK: _("Permohonan #%(id)s ditolak.", id=req.id)}[move], "ok")
    return redirect(url_for("requests.inbox"))
