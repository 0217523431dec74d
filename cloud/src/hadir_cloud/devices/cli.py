"""`hadir-cloud device config|command|telemetry`, `hadir-cloud gallery …`, `hadir-cloud fleet`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import click
import psycopg
from hadir_protocol.models import CommandName, Thresholds

from ..settings import CloudSettings, SettingsError


def register(main: click.Group, device: click.Group,
             connect: Callable[[], psycopg.Connection]) -> None:
    """Add the fleet commands to the CLI."""

    def client(suffix: str):  # type: ignore[no-untyped-def]
        from .domain import FleetError
        from .outbound import connect as mqtt_connect

        try:
            return mqtt_connect(CloudSettings(), f"hadir-cli-{suffix}-{os.getpid()}")
        except FleetError as err:
            raise click.ClickException(str(err)) from err

    @device.command("config")
    @click.argument("device_id")
    @click.option("--repeat-window", type=int, default=300, show_default=True,
                  help="Detik: absen kedua yang sama dalam jendela ini 'sudah tercatat'.")
    @click.option("--face-distance", type=float, default=0.5, show_default=True,
                  help="Jarak wajah terbesar yang masih cocok.")
    @click.option("--min-face-px", type=int, default=80, show_default=True,
                  help="Tinggi wajah terkecil (piksel).")
    @click.option("--duty", "duties", multiple=True,
                  help="Dinas luar yang disetujui: NIP@YYYY-MM-DD@lat,lon,radius_m; boleh berulang.")
    def device_config(device_id: str, repeat_window: int, face_distance: float, min_face_px: int,
                      duties: tuple[str, ...]) -> None:
        """Send a kiosk its next configuration (retained; applied and kept by the kiosk).

        Its in/out hours are the TPP work schedules of its office's people (`hadir-cloud tpp
        load-schedules`, or the schedules page in the portal), sent with it and kept up to
        date by `hadir-cloud fleet`."""
        from pydantic import ValidationError

        from .config import office_of, publish_config
        from .domain import FleetError, parse_duty
        from .duties import approved_near

        try:
            approved = [parse_duty(d) for d in duties]
            thresholds = Thresholds(face_distance=face_distance, repeat_window_s=repeat_window,
                                    min_face_px=min_face_px)
        except (FleetError, ValidationError) as err:
            raise click.ClickException(str(err)) from err
        c = client("config")
        try:
            with connect() as conn:
                # and every approved dinas luar near its office (devices/duties.py)
                today = CloudSettings().today()
                approved += [d for d in approved_near(conn, office_of(conn, device_id), today)
                             if d not in approved]
                cfg = publish_config(conn, c, device_id, thresholds=thresholds, duties=approved)
        except FleetError as err:
            raise click.ClickException(str(err)) from err
        finally:
            c.close()
        work = cfg.work_schedules
        click.echo(f"konfigurasi v{cfg.version} dikirim ke {device_id} ({cfg.office.name})")
        click.echo(f"jadwal kerja: {len(work.schedules)} jadwal, {len(work.groups)} pegawai, "
                   f"grup bawaan {work.default_group or '-'}, {len(work.ramadan)} periode Ramadan")
        if not work.schedules:
            click.echo("PERINGATAN: tidak ada jadwal kerja untuk pegawai kantor ini; kiosk "
                       "memakai pukul 12.00 sebagai batas masuk/pulang "
                       "(hadir-cloud tpp load-schedules)")

    @device.command("command")
    @click.argument("device_id")
    # gallery-key is the fleet monitor's answer to a kiosk's boot (devices/gallery_keys.py)
    @click.argument("name", type=click.Choice([c.value for c in CommandName
                                               if c is not CommandName.GALLERY_KEY]))
    @click.option("--arg", "args", multiple=True, help="Argumen kunci=nilai, mis. lines=200.")
    @click.option("--wait", type=float, default=30.0, show_default=True,
                  help="Detik menunggu balasan (disimpan oleh `hadir-cloud fleet`).")
    def device_command(device_id: str, name: str, args: tuple[str, ...], wait: float) -> None:
        """Send a kiosk a command and print its reply."""
        from .commands import send_command, wait_reply
        from .domain import FleetError

        parsed: dict[str, object] = {}
        for a in args:
            key, sep, value = a.partition("=")
            if not sep or not key:
                raise click.ClickException(f"argumen {a!r} harus berbentuk kunci=nilai")
            parsed[key] = int(value) if value.isdigit() else value
        c = client("cmd")
        try:
            with connect() as conn:
                cid = send_command(conn, c, device_id, name, parsed)
                click.echo(f"perintah {name} dikirim ({cid})")
                reply = wait_reply(conn, cid, wait) if wait > 0 else None
        except FleetError as err:
            raise click.ClickException(str(err)) from err
        finally:
            c.close()
        if reply is None:
            if wait > 0:
                click.echo("belum ada balasan: kiosk luring atau `hadir-cloud fleet` tidak "
                           "berjalan; perintah menunggu di broker")
            return
        if not reply.get("ok"):
            raise click.ClickException(f"kiosk menolak: {reply.get('error')}")
        result = reply.get("result", {})
        if name == CommandName.SEND_LOGS:
            click.echo("\n".join(result.get("lines", [])))
        else:
            click.echo(json.dumps(result, ensure_ascii=False, indent=2))

    @device.command("telemetry")
    @click.argument("device_id")
    def device_telemetry(device_id: str) -> None:
        """The kiosk's last heartbeat and online state."""
        with connect() as conn:
            state = conn.execute("SELECT state, status_at FROM device_state WHERE device_id = %s",
                                 (device_id,)).fetchone()
            row = conn.execute(
                "SELECT received_at, outbox_depth, held_count, disk_full, oldest_unacked_at, "
                "last_ack_at, gps_fix, camera_state, disk_free_mb, temperature_c, clock_source, "
                "config_version, gallery_version, rss_mb, version FROM device_telemetry "
                "WHERE device_id = %s ORDER BY received_at DESC LIMIT 1", (device_id,)).fetchone()
            refused = conn.execute(
                "SELECT reason, sum(seen_count) FROM rejected_messages WHERE device_id = %s "
                "AND last_seen_at > now() - interval '1 day' GROUP BY reason ORDER BY 2 DESC",
                (device_id,)).fetchall()
        if row is None:
            raise click.ClickException(f"belum ada laporan dari {device_id}")
        labels = ("diterima", "antrean", "ditahan cloud (belum terverifikasi)", "disk penuh",
                  "tertua belum dikonfirmasi", "konfirmasi terakhir",
                  "GPS fix", "kamera", "disk bebas (MB)", "suhu (°C)", "sumber waktu",
                  "konfigurasi", "galeri", "memori (MB)", "versi")
        if state:
            click.echo(f"status: {state[0]} sejak {state[1]}")
        for label, value in zip(labels, row, strict=True):
            click.echo(f"{label}: {'-' if value is None else value}")
        from hadir_protocol.reasons import text_id

        for reason, n in refused:
            click.echo(f"ditolak/ditahan 24 jam terakhir: {reason} ({text_id(reason)}): {n}")

    @main.group()
    def gallery() -> None:
        """The face gallery sent to kiosks as versioned deltas."""

    @gallery.command("enroll")
    @click.option("--employee", required=True, help="NIP (atau id pegawai).")
    @click.option("--name", required=True, help="Nama yang tampil di layar kiosk.")
    @click.option("--office", "office_id", help="Kantor yang kiosknya mengenali orang ini "
                  "(bawaan: kantor di data pegawai; tanpa data pegawai: semua kantor).")
    @click.option("--consent-ref", "--persetujuan", "consent_ref",
                  help="Nomor formulir persetujuan biometrik yang ditandatangani pegawai "
                  "(UU 27/2022); tanpa ini dipakai persetujuan yang sudah tercatat (mis. dari "
                  "portal), dan tanpa keduanya pendaftaran ditolak.")
    @click.option("--by", help="Siapa yang mendaftarkan (bawaan: cli:<pengguna OS>); tercatat "
                  "di log audit.")
    @click.argument("photos", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def gallery_enroll(employee: str, name: str, office_id: str | None, consent_ref: str | None,
                       by: str | None, photos: tuple[Path, ...]) -> None:
        """Enroll a person from photos with exactly one face each (the first is also kept,
        small, as the reference photo reviewers of NIP check-ins see). Needs the person's
        consent: --consent-ref, or one recorded before."""
        from pydantic import ValidationError

        from ..privacy import audit
        from ..privacy.domain import Consent, ConsentError
        from .domain import FleetError
        from .faces import encode_photos
        from .gallery import enroll

        try:
            encoded = encode_photos([(str(p), p.read_bytes()) for p in photos])
            actor = audit.cli_actor(by)
            consent = Consent(consent_ref, actor) if consent_ref is not None else None
            with connect() as conn:
                version = enroll(conn, employee, name, encoded.encodings, office_id,
                                 encoded.reference, consent=consent, by=actor,
                                 origin=audit.cli_origin())
        except ValidationError as err:
            raise click.ClickException(f"data tidak valid: {err.errors()[0]['msg']}") from err
        except (FleetError, ConsentError, SettingsError) as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"{employee} ({name}): {len(encoded.encodings)} foto, galeri versi {version}")

    @gallery.command("remove")
    @click.option("--employee", required=True, help="NIP (atau id pegawai).")
    @click.option("--by", help="Siapa yang mengeluarkan (bawaan: cli:<pengguna OS>).")
    def gallery_remove(employee: str, by: str | None) -> None:
        """Take a person out of every kiosk's gallery (their template stays sealed in the
        cloud; `hadir-cloud privacy erase` destroys it)."""
        from ..privacy import audit
        from .domain import FleetError
        from .gallery import remove

        try:
            with connect() as conn:
                version = remove(conn, employee, by=audit.cli_actor(by),
                                 origin=audit.cli_origin())
        except FleetError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"{employee} dihapus dari galeri (versi {version})")

    @gallery.command("publish")
    @click.option("--device", "device_id", help="Satu kiosk (bawaan: semua yang aktif).")
    def gallery_publish(device_id: str | None) -> None:
        """Send kiosks what they lack, from the version their last heartbeat reported."""
        from .gallery import publish_gallery

        c = client("gallery")
        try:
            with connect() as conn:
                rows = conn.execute(
                    "SELECT d.id, coalesce(s.gallery_version, 0) FROM devices d LEFT JOIN "
                    "device_state s ON s.device_id = d.id WHERE NOT d.disabled AND "
                    "(%s::text IS NULL OR d.id = %s) ORDER BY 1", (device_id, device_id)).fetchall()
                if device_id and not rows:
                    raise click.ClickException(f"kiosk {device_id!r} tidak terdaftar")
                for dev, held in rows:
                    n = publish_gallery(conn, c, dev, int(held))
                    click.echo(f"{dev}: {n} pesan (dari versi {held})")
        finally:
            c.close()

    @main.command("fleet")
    def fleet() -> None:
        """Run the fleet monitor (heartbeats, status, command replies) until stopped."""
        from .monitor import run_fleet

        try:
            run_fleet(CloudSettings())
        except SettingsError as err:
            raise click.ClickException(str(err)) from err
