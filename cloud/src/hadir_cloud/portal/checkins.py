"""Today's check-ins: the page, their photos, and the JSON API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..attendance.cache import RecapCache
from ..privacy import web as privacy_web
from ..privacy.domain import AuditAction
from ..users import token_valid, unit_subtree
from . import db, regency_today, regency_zone
from .rbac import decide

bp = Blueprint("checkins", __name__)

_SELECT = """
SELECT c.event_id, c.device_id, c.seq, c.employee_id, c.kind, c.captured_at, c.clock_source,
       c.gps_fix, c.lat, c.lon, c.accuracy_m, c.satellites, c.fix_mode,
       c.office_id, c.distance_m, c.radius_m, c.geofence_inside,
       c.face_distance, c.face_threshold, c.face_model, c.liveness_method, c.liveness_passed,
       c.method, c.review_required, c.photo IS NOT NULL AS has_photo, c.source,
       coalesce(o.tz, %(tz)s) AS tz, o.name AS office_name, e.name AS employee_name
FROM checkins c
LEFT JOIN devices d ON d.id = c.device_id
LEFT JOIN offices o ON o.id = coalesce(c.office_id, d.office_id)
LEFT JOIN employees e ON e.nip = c.employee_id
WHERE c.captured_at >= %(start)s AND c.captured_at < %(end)s
  AND (%(device)s::text IS NULL OR c.device_id = %(device)s)
  AND (%(units)s::text[] IS NULL OR c.employee_id IN
       (SELECT nip FROM employees WHERE unit_id = ANY(%(units)s)))
"""
#: one local day in each office's zone (the UTC window above is the widest such day)
_LOCAL_DAY = "  AND (c.captured_at AT TIME ZONE coalesce(o.tz, %(tz)s))::date = %(day)s\n"
#: a page of the day, newest first, after a keyset cursor (captured_at, event_id)
_PAGE = (_SELECT + _LOCAL_DAY
         + "  AND (%(after)s::timestamptz IS NULL OR (c.captured_at, c.event_id) < "
           "(%(after)s, %(after_id)s::uuid))\n"
         + "ORDER BY c.captured_at DESC, c.event_id DESC LIMIT %(limit)s")
_COUNT = ("SELECT count(*), count(DISTINCT employee_id) FROM (" + _SELECT + _LOCAL_DAY
          + ") AS day_rows")
#: check-ins on one page of `/`
PAGE_SIZE = 100


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    # the widest local day across Indonesia's zones, narrowed per row by its office's zone
    start = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Jayapura"))
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Jakarta"))
    return start, end


def _scope() -> list[str] | None:
    """The units whose people this session may see (None: every unit)."""
    if not current_user.is_authenticated:
        return None  # a bearer token with checkins:read reads the regency
    who = current_user.principal
    if who.regency_wide:
        return None
    return sorted(unit_subtree(db(), who.units))


def _args(day: date, device: str | None) -> dict[str, Any]:
    start, end = _day_bounds(day)
    return {"tz": regency_zone().key, "start": start, "end": end, "device": device, "units": _scope(),
            "day": day}


def _rows(day: date, device: str | None) -> list[dict[str, Any]]:
    cur = db().execute(_SELECT + " ORDER BY c.captured_at DESC", _args(day, device))
    names = [c.name for c in cur.description or []]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        local = row["captured_at"].astimezone(ZoneInfo(row["tz"]))
        if local.date() == day:
            row["local_time"] = local
            out.append(row)
    return out


def _day_arg() -> date:
    raw = request.args.get("date")
    if not raw:
        return regency_today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(Response('{"error": "tanggal harus YYYY-MM-DD"}', 400,
                       mimetype="application/json"))


def _api_allowed() -> bool:
    if current_user.is_authenticated:
        return decide("checkins.today", current_user.principal) == 200
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and token_valid(db(), header[7:].strip())


def _day_count(conn: psycopg.Connection, args: dict[str, Any]) -> tuple[int, int]:
    """Check-ins and people of the day: counted again only when a check-in of the day has
    arrived since (a past day's count is read once per portal process)."""
    cache: RecapCache = current_app.extensions.setdefault("hadir_day_counts", RecapCache(2_000))
    key = (args["day"], args["device"], tuple(args["units"] or ()))
    got = cache.window_value(conn, key, None, args["start"], args["end"])
    if got is None:
        stamp = RecapCache.stamp(conn)
        got = conn.execute(_COUNT, args).fetchone() or (0, 0)
        cache.put([(key, None, got)], stamp)
    return got  # type: ignore[no-any-return]


def _cursor() -> tuple[datetime | None, str | None]:
    """`?setelah=<captured_at ISO>~<event id>`: the last row of the previous page."""
    raw = request.args.get("setelah", "")
    if not raw:
        return None, None
    at, _sep, eid = raw.partition("~")
    try:
        return datetime.fromisoformat(at), str(UUID(eid))
    except ValueError:
        abort(400, _("Tautan halaman berikutnya rusak; buka lagi dari halaman pertama."))


@bp.route("/")
@login_required
def today():  # type: ignore[no-untyped-def]
    """A day's check-ins with photo, GPS and verdicts, PAGE_SIZE a page (keyset, newest first)."""
    day = _day_arg()
    args = _args(day, request.args.get("device") or None)
    after, after_id = _cursor()
    conn = db()
    with conn.transaction():
        # the planner misjudges the local-day filter (~0.5 % of rows) and sorts the whole day
        # before the LIMIT (60 ms for 19,000 rows); walking the time index stops at the page
        conn.execute("SET LOCAL enable_sort = off")
        cur = conn.execute(_PAGE, {**args, "after": after, "after_id": after_id,
                                   "limit": PAGE_SIZE + 1})
        names = [c.name for c in cur.description or []]
        rows = [dict(zip(names, v, strict=True)) for v in cur.fetchall()]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row["local_time"] = row["captured_at"].astimezone(ZoneInfo(row["tz"]))
    total, people = _day_count(conn, args)
    last = rows[-1] if more else None
    nxt = f"{last['captured_at'].isoformat()}~{last['event_id']}" if last else None
    # translated once, filled per row (Flask-Babel formats only when given values)
    fmt = {"gps": _("±%(acc)s m, %(sats)s satelit"), "face": _("jarak %(dist)s (batas %(limit)s)"),
           "live": _("liveness %(method)s: %(verdict)s")}
    # "perlu ditinjau" opens the review queue for those who review
    review_url = (url_for("review.queue") if "review.queue" in current_app.view_functions
                  and decide("review.queue", current_user.principal) == 200 else None)
    return render_template("checkins.html", rows=rows, day=day, total=total, people=people,
                           next_cursor=nxt, first_page=after is None, fmt=fmt,
                           review_url=review_url)


@bp.route("/checkins/<uuid:event_id>/photo.jpg")
@login_required
def photo(event_id):  # type: ignore[no-untyped-def]
    """The check-in's photo."""
    row = db().execute("SELECT photo, employee_id FROM checkins WHERE event_id = %s "
                       "AND photo IS NOT NULL", (event_id,)).fetchone()
    if row is None:
        abort(404)
    who = current_user.principal
    if row[1] != who.nip:  # one's own photo is always one's own
        # attendance readers, and reviewers of NIP check-ins (a verifikator reads no recap)
        if decide("checkins.today", who) != 200 and decide("review.queue", who) != 200:
            abort(403)
        units = _scope()
        if units is not None and db().execute(
                "SELECT 1 FROM employees WHERE nip = %s AND unit_id = ANY(%s)",
                (row[1], units)).fetchone() is None:
            abort(403)  # another OPD's person
    # who viewed whose photo, from where; never kept by the browser or a proxy
    privacy_web.record(AuditAction.PHOTO_VIEW, row[1], {"foto": "presensi",
                                                        "event_id": str(event_id)})
    return Response(bytes(row[0]), mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.route("/api/checkins")
def api_checkins():  # type: ignore[no-untyped-def]
    """JSON: the day's check-ins (session or `Authorization: Bearer <token>`)."""
    if not _api_allowed():
        if current_user.is_authenticated:
            return jsonify(error="akun ini tidak berwenang membaca presensi"), 403
        return jsonify(error="perlu login atau token API"), 401
    day = _day_arg()
    out = []
    for r in _rows(day, request.args.get("device") or None):
        out.append({
            "event_id": str(r["event_id"]), "device_id": r["device_id"], "seq": r["seq"],
            "employee_id": r["employee_id"], "kind": r["kind"],
            "captured_at": r["captured_at"].isoformat(), "local_time": r["local_time"].isoformat(),
            "clock_source": r["clock_source"],
            "gps": {"fix": r["gps_fix"], "lat": r["lat"], "lon": r["lon"],
                    "accuracy_m": r["accuracy_m"], "satellites": r["satellites"],
                    "mode": r["fix_mode"]},
            "geofence": {"office_id": r["office_id"], "distance_m": r["distance_m"],
                         "radius_m": r["radius_m"], "inside": r["geofence_inside"]},
            "face": {"distance": r["face_distance"], "threshold": r["face_threshold"],
                     "model": r["face_model"], "liveness_method": r["liveness_method"],
                     "liveness_passed": r["liveness_passed"]},
            "method": r["method"], "review_required": r["review_required"],
            "has_photo": r["has_photo"], "source": r["source"],
        })
    return jsonify(date=day.isoformat(), count=len(out), checkins=out)


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The portal and its database answer."""
    db().execute("SELECT 1")
    return jsonify(status="ok")
