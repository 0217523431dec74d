"""A person's own data as one ZIP (UU 27/2022 right of access): their check-ins and photos,
requests and LKH with their files, what is held about their face, their consents.

Every query is filtered by the person's own NIP; nobody else's row or file can enter the ZIP
(tests/privacy/test_privacy_export.py holds it with two people's data side by side).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from ..settings import ZONE_NAMES
from .keys import KeyService, Sealed, TemplateKeyError, open_sealed

README = """Data pribadi Anda di Hadir
=========================

Berkas ini dibuat pada {made} atas permintaan Anda (UU 27/2022 tentang Pelindungan Data
Pribadi, hak akses). Isinya hanya data tentang NIP {nip}:

- data-pribadi.json      data kepegawaian, akun portal, persetujuan biometrik
- presensi.csv           setiap check-in (waktu, kiosk, GPS, geofence, verdict wajah)
- foto-presensi/         foto check-in yang masih disimpan (foto yang lewat masa simpannya
                         sudah dihapus; presensi.csv menandainya)
- karantina.json         check-in yang dikarantina karena waktunya tidak wajar, dan fotonya
                         di foto-karantina/
- tinjauan.json          keputusan peninjau atas check-in NIP Anda
- permohonan.json        permohonan (izin, cuti, dinas luar) beserta riwayatnya; berkasnya
                         di lampiran/permohonan-NOMOR/
- lkh.json               laporan kinerja harian beserta riwayatnya; berkasnya di
                         lampiran/lkh-TANGGAL/
- wajah.json             apa yang disimpan tentang wajah Anda: templat (vektor wajah yang
                         disimpan terenkripsi di cloud), kantor, versi galeri, kiosk yang
                         memegangnya; foto referensinya di wajah/foto-referensi.jpg

Simpan berkas ini baik-baik: isinya data pribadi, termasuk data biometrik.
"""

PHOTO_GONE = "dihapus (masa simpan habis atau dihapus atas permintaan)"


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()


def _rows(conn: psycopg.Connection, sql: str, *args: object) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _checkins(conn: psycopg.Connection, nip: str, z: zipfile.ZipFile, zone: ZoneInfo,
              tick: Callable[[], None]) -> int:
    """presensi.csv and the photos still kept; how many check-ins."""
    cur = conn.execute(
        "SELECT c.event_id, c.captured_at, coalesce(o.tz, %s), c.kind, c.device_id, "
        "o.name, c.method, c.face_distance, c.face_threshold, c.liveness_method, "
        "c.liveness_passed, c.gps_fix, c.lat, c.lon, c.accuracy_m, c.geofence_inside, "
        "c.distance_m, c.review_required, c.photo FROM checkins c "
        "LEFT JOIN devices d ON d.id = c.device_id "
        "LEFT JOIN offices o ON o.id = coalesce(c.office_id, d.office_id) "
        "WHERE c.employee_id = %s ORDER BY c.captured_at", (zone.key, nip))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["event_id", "waktu_utc", "waktu_lokal", "zona_waktu", "jenis", "kiosk", "kantor",
                "metode", "jarak_wajah", "batas_wajah", "liveness", "liveness_lolos", "gps_fix",
                "lintang", "bujur", "akurasi_m", "dalam_geofence", "jarak_kantor_m",
                "perlu_tinjauan", "foto"])
    n = 0
    for (eid, at, tz, kind, dev, office, method, dist, limit, live, live_ok, fix, lat, lon, acc,
         inside, meters, review, photo) in cur:
        local = at.astimezone(ZoneInfo(tz))
        name = PHOTO_GONE
        if photo is not None:
            name = f"foto-presensi/{local:%Y%m%d-%H%M%S}-{eid}.jpg"
            z.writestr(name, bytes(photo))
        w.writerow([eid, at.astimezone(UTC).isoformat(), local.isoformat(), tz,
                    "masuk" if kind == "in" else "pulang", dev, office, method, dist, limit, live,
                    live_ok, fix, lat, lon, acc, inside, meters, review, name])
        n += 1
        tick()
    z.writestr("presensi.csv", out.getvalue())
    return n


def _quarantine_and_reviews(conn: psycopg.Connection, nip: str, z: zipfile.ZipFile) -> None:
    held = []
    for r in _rows(conn, "SELECT event_id, device_id, captured_at, reason, detail, payload, "
                         "received_at, released_at, released_by, photo FROM checkin_quarantine "
                         "WHERE employee_id = %s ORDER BY received_at", nip):
        photo = r.pop("photo")
        r["foto"] = PHOTO_GONE
        if photo is not None:
            r["foto"] = f"foto-karantina/{r['event_id']}.jpg"
            z.writestr(r["foto"], bytes(photo))
        held.append(r)
    z.writestr("karantina.json", _json(held))
    z.writestr("tinjauan.json", _json({
        "keputusan": _rows(conn, "SELECT event_id, captured_at, decision, reviewer, decided_at, "
                                 "note FROM checkin_reviews WHERE employee_id = %s "
                                 "ORDER BY captured_at", nip),
        "riwayat": _rows(conn, "SELECT event_id, captured_at, from_state, decision, reviewer, "
                               "decided_at, note FROM checkin_review_moves WHERE employee_id = %s "
                               "ORDER BY id", nip)}))


def _files(conn: psycopg.Connection, z: zipfile.ZipFile, owner_kind: str, owner_id: str,
           folder: str) -> list[str]:
    """The attachments of one request or LKH day into `folder`; their names in the ZIP."""
    names = []
    for fid, filename, data in conn.execute(
            "SELECT id, filename, data FROM attachments WHERE owner_kind = %s AND owner_id = %s "
            "ORDER BY id", (owner_kind, owner_id)):
        name = f"{folder}/{fid}-{filename}"
        z.writestr(name, bytes(data))
        names.append(name)
    return names


def _requests_and_lkh(conn: psycopg.Connection, nip: str, z: zipfile.ZipFile) -> None:
    reqs = _rows(conn, "SELECT * FROM requests WHERE nip = %s ORDER BY id", nip)
    for r in reqs:
        r["riwayat"] = _rows(conn, "SELECT at, actor, move, from_state, to_state, step, note "
                                   "FROM request_events WHERE request_id = %s ORDER BY id", r["id"])
        r["berkas"] = _files(conn, z, "permohonan", str(r["id"]), f"lampiran/permohonan-{r['id']}")
    z.writestr("permohonan.json", _json(reqs))
    reports = _rows(conn, "SELECT * FROM lkh_reports WHERE nip = %s ORDER BY day", nip)
    for r in reports:
        day = r["day"].isoformat()
        r["kegiatan"] = _rows(conn, "SELECT seq, activity, output, quantity, unit, minutes, link "
                                    "FROM lkh_activities WHERE nip = %s AND day = %s ORDER BY seq",
                              nip, r["day"])
        r["riwayat"] = _rows(conn, "SELECT at, by_user, from_state, to_state, note FROM "
                                   "lkh_events WHERE nip = %s AND day = %s ORDER BY at, id",
                             nip, r["day"])
        r["berkas"] = _files(conn, z, "lkh", f"{nip}:{day}", f"lampiran/lkh-{day}")
    z.writestr("lkh.json", _json(reports))


def _face(conn: psycopg.Connection, nip: str, z: zipfile.ZipFile,
          keys: KeyService | None) -> None:
    face = _rows(conn, "SELECT t.name AS nama_di_kiosk, t.office_id AS kantor, t.removed AS "
                       "dikeluarkan, t.erased_at AS dihapus_pada, t.version AS versi_galeri, "
                       "t.updated_at AS diubah_pada, t.consent_id AS persetujuan, t.encodings, "
                       "t.sealed, t.data_key, t.key_id, t.photo FROM face_templates t "
                       "WHERE t.employee_id = %s", nip)
    if not face:
        z.writestr("wajah.json", _json({"terdaftar": False, "keterangan":
                                        "tidak ada templat wajah Anda di cloud"}))
        return
    f = face[0]
    encodings: list[str] = list(f.pop("encodings") or [])
    sealed = (f.pop("sealed"), f.pop("data_key"), f.pop("key_id"))
    photo = f.pop("photo")
    if sealed[0] is not None:
        try:
            if keys is None:
                raise TemplateKeyError("kunci templat tidak tersedia")
            encodings = open_sealed(keys, nip, Sealed(bytes(sealed[0]), bytes(sealed[1]),
                                                      sealed[2]))
        except TemplateKeyError as err:
            f["templat_keterangan"] = f"templat tersimpan terenkripsi; tidak dapat dibuka: {err}"
    f["terdaftar"] = not f["dikeluarkan"]
    f["model"] = "dlib_face_recognition_resnet_model_v1 (128 angka float32 per foto, base64)"
    f["templat"] = encodings
    f["disimpan_terenkripsi"] = sealed[0] is not None
    f["kiosk_yang_memegang"] = [] if f["dikeluarkan"] else [r[0] for r in conn.execute(
        "SELECT s.device_id FROM device_state s JOIN devices d ON d.id = s.device_id "
        "WHERE NOT d.disabled AND s.gallery_version >= %s ORDER BY 1", (f["versi_galeri"],))]
    if photo is not None:
        z.writestr("wajah/foto-referensi.jpg", bytes(photo))
        f["foto_referensi"] = "wajah/foto-referensi.jpg"
    z.writestr("wajah.json", _json(f))


def _personal(conn: psycopg.Connection, nip: str, made: datetime) -> dict[str, Any]:
    emp = _rows(conn, "SELECT e.*, u.name AS unit_nama, u.regency AS kabupaten, o.name AS "
                      "kantor_nama FROM employees e LEFT JOIN units u ON u.id = e.unit_id "
                      "LEFT JOIN offices o ON o.id = e.office_id WHERE e.nip = %s", nip)
    account = _rows(conn, "SELECT username, created_at, password_changed_at, "
                          "password_hash IS NOT NULL AS aktif FROM portal_users WHERE nip = %s",
                    nip)
    roles = _rows(conn, "SELECT g.role, g.unit_id, g.granted_at, g.granted_by FROM role_grants g "
                        "JOIN portal_users p ON p.username = g.username WHERE p.nip = %s", nip)
    consents = _rows(conn, "SELECT id, notice_version, method, reference, recorded_by, given_at, "
                           "withdrawn_at, withdrawn_by FROM biometric_consents "
                           "WHERE employee_id = %s ORDER BY given_at", nip)
    return {"dibuat_pada": made.isoformat(), "nip": nip, "pegawai": emp[0] if emp else None,
            "akun": account[0] if account else None, "peran": roles,
            "persetujuan_biometrik": consents}


def build(conn: psycopg.Connection, nip: str, keys: KeyService | None, zone: ZoneInfo,
          started: Callable[[int], None] = lambda total: None,
          advanced: Callable[[int], None] = lambda n: None) -> tuple[str, bytes]:
    """The person's ZIP: (file name, bytes). `started(total)` once (check-ins + 3 sections),
    then `advanced(n)` every 50 steps and at the end."""
    made = datetime.now(UTC)
    total_row = conn.execute("SELECT count(*) FROM checkins WHERE employee_id = %s",
                             (nip,)).fetchone()
    total = (int(total_row[0]) if total_row else 0) + 3
    started(total)
    done = reported = 0

    def tick() -> None:
        nonlocal done, reported
        done += 1
        if done - reported >= 50 or done == total:
            advanced(done - reported)
            reported = done

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        made_local = made.astimezone(zone).strftime("%d-%m-%Y %H:%M ") + ZONE_NAMES[zone.key]
        z.writestr("BACA-SAYA.txt", README.format(made=made_local, nip=nip))
        z.writestr("data-pribadi.json", _json(_personal(conn, nip, made)))
        _checkins(conn, nip, z, zone, tick)
        _quarantine_and_reviews(conn, nip, z)
        tick()
        _requests_and_lkh(conn, nip, z)
        tick()
        _face(conn, nip, z, keys)
        tick()
    return f"data-pribadi-{nip}-{made:%Y%m%d-%H%M}.zip", buf.getvalue()
