"""IT's fleet console in the portal (operator TI): kiosks on a list and a map with their health,
registering one (its key, office and broker login), its config from a form, commands and their
replies, disabling, enabling and revoking; enrolling faces from photos (encoded in a job, sent
as a gallery delta by the fleet monitor). Every action calls the functions the CLI calls."""

from __future__ import annotations

import os
import shlex
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from hadir_protocol.models import CommandName, Thresholds
from pydantic import ValidationError

from ..jobs import progress
from ..portal import db, regency_zone
from ..portal.rbac import decide
from ..privacy.store import live_consent
from ..settings import ZONE_NAMES, CloudSettings, SettingsError
from ..tpp.field_errors import N_
from . import console, registration
from .commands import send_command
from .domain import FleetError
from .faces import MAX_PHOTOS, FaceError, keep_upload
from .outbound import Outbound, connect
from .store import RegistrationError

bp = Blueprint("devices", __name__, url_prefix="/kiosk")
MAX_PHOTO_BYTES = 8 * 1024 * 1024
#: health → (Bahasa msgid, CSS class)
HEALTH = {"sehat": (N_("Sehat"), "ok"), "perhatian": (N_("Perlu perhatian"), "warn"),
          "luring": (N_("Luring"), "bad"), "nonaktif": (N_("Nonaktif"), "empty"),
          "belum_melapor": (N_("Belum melapor"), "empty")}


@bp.app_template_filter("localtime")
def localtime(value: datetime | None, tz: str | None = None) -> str:
    """A moment as the office's wall clock: '2026-12-03 07:41 WITA' (the regency's zone without
    an office)."""
    if value is None:
        return "—"
    zone = tz if tz in ZONE_NAMES else regency_zone().key
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {ZONE_NAMES[zone]}"


def _health_text(key: str) -> str:
    return _(HEALTH[key][0])


def _settings() -> CloudSettings:
    return CloudSettings()


def _broker_files() -> registration.BrokerFiles | None:
    s = _settings()
    if s.mosquitto_passwd_file is None or s.mosquitto_acl_file is None:
        return None
    return registration.BrokerFiles(s.mosquitto_passwd_file, s.mosquitto_acl_file,
                                    reload_cmd=tuple(shlex.split(s.broker_reload_cmd or "")))


def _link() -> Outbound:
    """A connection to the broker as the `cli` user, for one action."""
    try:
        return connect(_settings(), f"hadir-portal-{os.getpid()}-{uuid.uuid4().hex[:8]}", 8.0)
    except SettingsError as err:
        raise FleetError(str(err)) from err


def _can_act() -> bool:
    who = getattr(current_user, "principal", None)
    return who is not None and decide("devices.command", who) == 200


def _kiosk_or_404(device_id: str) -> dict[str, Any]:
    row = console.kiosk(db(), device_id)
    if row is None:
        abort(404)
    return row


@bp.get("/", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """Every kiosk on a list and a map, the worst health first."""
    rows = console.kiosks(db())
    markers = [{"id": r["device_id"], "office": r["office_name"], "lat": r["lat"],
                "lon": r["lon"], "health": r["health"], "level": r["health_level"],
                "text": _health_text(r["health"]),
                "url": url_for("devices.show", device_id=r["device_id"])}
               for r in rows if r["lat"] is not None and r["lon"] is not None]
    counts = {h: sum(1 for r in rows if r["health"] == h) for h in HEALTH}
    return render_template("devices/index.html", rows=rows, markers=markers, counts=counts,
                           health=HEALTH, can_act=_can_act())


def _field_of(message: str) -> str:
    """The form field a registration error belongs to (the rest: the broker's files)."""
    for field, word in (("kunci", "kunci publik"), ("kantor", "kantor"), ("id", "id kiosk")):
        if message.startswith(word) or f" {word}" in message:
            return field
    return "broker"


@bp.route("/baru", methods=["GET", "POST"], endpoint="new")
def new():  # type: ignore[no-untyped-def]
    """Register a kiosk: its id, office and public key; its broker login written to the
    broker's files (as `hadir-cloud device add --mosquitto-passwd …`)."""
    values = {k: (request.form.get(k) or "").strip() for k in ("id", "kantor", "kunci")}
    errors: dict[str, str] = {}
    files = _broker_files()
    if request.method == "POST":
        offices = {o[0] for o in console.offices(db())}
        if not values["id"]:
            errors["id"] = _("Isi id kiosk, mis. kiosk-setda-01.")
        if values["kantor"] not in offices:
            errors["kantor"] = _("Pilih kantor tempat kiosk berdiri.")
        if not values["kunci"]:
            errors["kunci"] = _("Tempel kunci publik dari `hadir-edge pubkey` di kiosk.")
        if not errors:
            try:
                password = registration.register(db(), values["id"], values["kunci"],
                                                 values["kantor"], files)
            except RegistrationError as err:
                errors[_field_of(str(err))] = str(err)
            else:
                return render_template("devices/registered.html", device_id=values["id"],
                                       password=password, files=files,
                                       reloaded=files is not None and files.reloads)
    return render_template("devices/new.html", values=values, errors=errors,
                           offices=console.offices(db()), files=files), 400 if errors else 200


@bp.get("/perangkat/<device_id>", endpoint="show")
def show(device_id: str):  # type: ignore[no-untyped-def]
    """One kiosk: health, last heartbeat, versions, its config, commands and replies."""
    k = _kiosk_or_404(device_id)
    cfg = console.last_config(db(), device_id)
    return render_template("devices/show.html", k=k, cfg=cfg, health=HEALTH,
                           thresholds=cfg.thresholds if cfg else Thresholds(),
                           commands=console.commands(db(), device_id),
                           refusals=console.refusals(db(), device_id),
                           names=[c.value for c in CommandName], errors={},
                           can_act=_can_act(), files=_broker_files())


@bp.post("/perangkat/<device_id>/konfigurasi", endpoint="config")
def config(device_id: str):  # type: ignore[no-untyped-def]
    """Send the kiosk its next config with the thresholds of the form (retained, signed)."""
    k = _kiosk_or_404(device_id)
    errors: dict[str, str] = {}
    form = {"face_distance": request.form.get("face_distance", ""),
            "repeat_window_s": request.form.get("repeat_window_s", ""),
            "min_face_px": request.form.get("min_face_px", "")}
    try:
        thresholds = Thresholds.model_validate(form)
    except ValidationError as err:
        for e in err.errors():
            field = str(e["loc"][0]) if e["loc"] else "face_distance"
            errors[field] = _("Nilai tidak valid: %(detail)s", detail=e["msg"])
        cfg = console.last_config(db(), device_id)
        return render_template("devices/show.html", k=k, cfg=cfg, health=HEALTH,
                               thresholds=form, commands=console.commands(db(), device_id),
                               refusals=console.refusals(db(), device_id),
                               names=[c.value for c in CommandName], errors=errors,
                               can_act=True, files=_broker_files()), 400
    try:
        out = _link()
        try:
            sent = console.push_config(db(), out, device_id, thresholds)
        finally:
            out.close()
    except FleetError as err:
        flash(_("Konfigurasi tidak terkirim: %(err)s", err=str(err)), "error")
    else:
        flash(_("Konfigurasi v%(version)d dikirim ke %(id)s.", version=sent.version,
                id=device_id), "ok")
    return redirect(url_for("devices.show", device_id=device_id))


@bp.post("/perangkat/<device_id>/perintah", endpoint="command")
def command(device_id: str):  # type: ignore[no-untyped-def]
    """Send the kiosk a command; its reply appears on the page when the fleet monitor has it."""
    _kiosk_or_404(device_id)
    name = request.form.get("nama", "")
    args: dict[str, object] = {}
    if name == CommandName.SEND_LOGS:
        lines = (request.form.get("baris") or "100").strip()
        args["lines"] = int(lines) if lines.isdigit() and 0 < int(lines) <= 2000 else 100
    try:
        out = _link()
        try:
            cid = send_command(db(), out, device_id, name, args)
        finally:
            out.close()
    except FleetError as err:
        flash(_("Perintah tidak terkirim: %(err)s", err=str(err)), "error")
    else:
        flash(_("Perintah %(name)s dikirim; balasannya muncul di bawah.", name=name), "ok")
        return redirect(url_for("devices.show", device_id=device_id, _anchor=f"cmd-{cid}"))
    return redirect(url_for("devices.show", device_id=device_id))


@bp.get("/perangkat/<device_id>/perintah/<cid>", endpoint="command_reply")
def command_reply(device_id: str, cid: str):  # type: ignore[no-untyped-def]
    """A command's row, polled by htmx until the reply is stored."""
    c = console.command(db(), device_id, cid)
    if c is None:
        abort(404)
    return render_template("devices/_command.html", c=c, device_id=device_id)


@bp.post("/perangkat/<device_id>/nonaktifkan", endpoint="disable")
def disable(device_id: str):  # type: ignore[no-untyped-def]
    """Hold the kiosk's events from now on (its login stays; enable it again at any time)."""
    from .store import disable_device

    _kiosk_or_404(device_id)
    disable_device(db(), device_id)
    flash(_("Kiosk %(id)s dinonaktifkan: peristiwanya ditahan di kiosk sampai diaktifkan lagi.",
            id=device_id), "ok")
    return redirect(url_for("devices.show", device_id=device_id))


@bp.post("/perangkat/<device_id>/aktifkan", endpoint="enable")
def enable(device_id: str):  # type: ignore[no-untyped-def]
    """Accept the kiosk's events again."""
    _kiosk_or_404(device_id)
    registration.enable(db(), device_id)
    flash(_("Kiosk %(id)s aktif lagi: peristiwa yang ditahannya akan masuk.", id=device_id),
          "ok")
    return redirect(url_for("devices.show", device_id=device_id))


@bp.post("/perangkat/<device_id>/cabut", endpoint="revoke")
def revoke(device_id: str):  # type: ignore[no-untyped-def]
    """Disable the kiosk and take its login out of the broker (a stolen or retired kiosk)."""
    _kiosk_or_404(device_id)
    files = _broker_files()
    if files is None:
        flash(_("Berkas broker belum diatur (HADIR_MOSQUITTO_PASSWD_FILE, "
                "HADIR_MOSQUITTO_ACL_FILE): kiosk tidak dicabut."), "error")
        return redirect(url_for("devices.show", device_id=device_id))
    try:
        removed = registration.revoke(db(), device_id, files)
    except RegistrationError as err:
        flash(_("Gagal mencabut: %(err)s", err=str(err)), "error")
    else:
        flash(_("Kiosk %(id)s dicabut: nonaktif, dihapus dari broker (%(what)s).", id=device_id,
                what=", ".join(removed) or "-"), "ok")
        if not files.reloads:
            flash(_("Muat ulang broker agar sambungannya putus sekarang: docker compose kill -s "
                    "SIGHUP mosquitto."), "warn")
    return redirect(url_for("devices.show", device_id=device_id))


# ------------------------------------------------------------------------- faces


def _people(q: str) -> list[tuple[str, str, str]]:
    return [(r[0], r[1], r[2]) for r in db().execute(
        "SELECT e.nip, e.name, e.office_id FROM employees e WHERE e.nip = %s OR "
        "e.name ILIKE %s ORDER BY e.name LIMIT 20", (q, f"%{q}%")).fetchall()] if q else []


@bp.route("/wajah", methods=["GET", "POST"], endpoint="faces")
def faces():  # type: ignore[no-untyped-def]
    """Enrol a person's face from photos (1–10, one face each): kept, then encoded by a
    background job; the kiosks of the person's office receive it as a gallery delta."""
    values = {k: (request.form.get(k) or "").strip()
              for k in ("nip", "nama", "kantor", "persetujuan")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        person = db().execute("SELECT name, office_id FROM employees WHERE nip = %s",
                              (values["nip"],)).fetchone()
        if person is None:
            errors["nip"] = _("NIP tidak ada di data pegawai.")
        # UU 27/2022: a face is enrolled only with the person's consent — given now on a signed
        # form (its number), or recorded before and not withdrawn
        consent_ref = values["persetujuan"] if request.form.get("setuju") == "ya" else ""
        if request.form.get("setuju") == "ya" and not consent_ref:
            errors["persetujuan"] = _("Tulis nomor formulir persetujuan yang ditandatangani.")
        elif len(consent_ref) > 100:
            errors["persetujuan"] = _("Nomor formulir paling panjang 100 karakter.")
        elif not consent_ref and person is not None and live_consent(db(), values["nip"]) is None:
            errors["persetujuan"] = _("Belum ada persetujuan pegawai ini: centang persetujuan "
                                      "dan tulis nomor formulirnya.")
        name = values["nama"] or (person[0] if person else "")
        office = values["kantor"] or None
        if office is not None and office not in {o[0] for o in console.offices(db())}:
            errors["kantor"] = _("Kantor tidak dikenal.")
        photos = [(Path(f.filename or "").name, f.read(MAX_PHOTO_BYTES + 1))
                  for f in request.files.getlist("foto") if f.filename]
        if not photos:
            errors["foto"] = _("Pilih 1 sampai %(n)d foto wajah orang ini.", n=MAX_PHOTOS)
        elif len(photos) > MAX_PHOTOS or any(len(d) > MAX_PHOTO_BYTES for _n, d in photos):
            errors["foto"] = _("Paling banyak %(n)d foto, masing-masing paling besar 8 MB.",
                               n=MAX_PHOTOS)
        if not errors:
            from ..jobs.app import create_app as jobs_app
            from ..jobs.tasks import defer_face_enrol, face_label

            try:
                upload = keep_upload(db(), values["nip"], name, office, photos,
                                     current_user.username, consent_ref or None)
            except FaceError as err:
                errors["foto"] = str(err)
            else:
                url = current_app.config["DATABASE_URL"]
                job_id = defer_face_enrol(jobs_app(url), url, upload,
                                          face_label(name, values["nip"]))
                return redirect(url_for("devices.face_job", job_id=job_id))
    recent = db().execute(
        "SELECT employee_id, name, office_id, version, updated_at FROM face_templates "
        "WHERE NOT removed ORDER BY updated_at DESC LIMIT 15").fetchall()
    return render_template("devices/faces.html", values=values, errors=errors, recent=recent,
                           offices=console.offices(db()), max_photos=MAX_PHOTOS,
                           matches=_people(request.args.get("q", "").strip())), \
        400 if errors else 200


def _face_job_or_404(job_id: int) -> progress.Progress:
    from ..jobs.tasks import FACE_KIND

    p = progress.get(db(), job_id, FACE_KIND)
    if p is None:
        abort(404)
    return p


@bp.get("/wajah/tugas/<int:job_id>", endpoint="face_job")
def face_job(job_id: int):  # type: ignore[no-untyped-def]
    """An enrolment job's page: its progress, polled with htmx until it ends."""
    return render_template("devices/face_job.html", p=_face_job_or_404(job_id),
                           workers=progress.workers_alive(db()))


@bp.get("/wajah/tugas/<int:job_id>/kemajuan", endpoint="face_job_progress")
def face_job_progress(job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment htmx swaps in."""
    return render_template("devices/_face_job_progress.html", p=_face_job_or_404(job_id),
                           workers=progress.workers_alive(db()))
