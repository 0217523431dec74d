"""`hadir-cloud privacy …` and the template key's life: made once, templates enrolled before
sealing get sealed, a rotation rewraps every data key (templates and kiosks' gallery keys),
retention set and shown, a consent recorded, an export written, the trail listed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main
from hadir_cloud.devices.gallery import deltas_for, enroll
from hadir_cloud.privacy.domain import Consent
from hadir_cloud.privacy.keys import FileKeyService, Sealed, TemplateKeyError, open_sealed
from hadir_protocol.codec import pack_encoding
from privacy_db import BUDI, RINA, seed


def _run(url: str, *args: str, **env: str) -> str:
    out = CliRunner().invoke(main, list(args), env={"HADIR_DATABASE_URL": url, **env},
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    return out.output


def _enc(i: int) -> list[str]:
    return [pack_encoding(np.random.default_rng(i).normal(0, 0.1, 128))]


def test_template_keys_made_sealed_and_rotated(fresh_db: str, tmp_path: Path):
    seed(fresh_db)
    old, new = tmp_path / "kunci-lama", tmp_path / "kunci-baru"
    assert "ditulis" in _run(fresh_db, "privacy", "template-key", "init", "--out", str(old))
    refused = CliRunner().invoke(main, ["privacy", "template-key", "init", "--out", str(old)])
    assert refused.exit_code != 0 and "tidak ditimpa" in refused.output  # never overwritten
    old_keys = FileKeyService.from_files(old)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        enroll(conn, RINA, "Rina", _enc(1), consent=Consent("F-1", "hr"), keys=old_keys)
        # a template enrolled before migration 1400: in the clear
        conn.execute("INSERT INTO face_templates (employee_id, name, encodings) VALUES "
                     "(%s, 'Budi', %s)", (BUDI, _enc(2)))
        conn.execute("INSERT INTO device_gallery_keys (device_id, wrapped, key_id) VALUES "
                     "('kiosk-oi', %s, %s)", (old_keys.wrap(b"k" * 32), old_keys.key_id))
    out = _run(fresh_db, "privacy", "seal-templates", "--by", "it",
               HADIR_TEMPLATE_KEY_FILE=str(old))
    assert out.startswith("1 templat dienkripsi")
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert conn.execute("SELECT cardinality(encodings) FROM face_templates WHERE "
                            "employee_id = %s", (BUDI,)).fetchone()[0] == 0
        versions = dict(conn.execute("SELECT employee_id, version FROM face_templates"))
    # rotation: a new key, the old one only to unwrap; every data key rewrapped
    _run(fresh_db, "privacy", "template-key", "init", "--out", str(new))
    out = _run(fresh_db, "privacy", "rewrap", HADIR_TEMPLATE_KEY_FILE=str(new),
               HADIR_TEMPLATE_KEY_OLD_FILE=str(old))
    assert out.startswith("3 kunci data dibungkus ulang")
    new_keys = FileKeyService.from_files(new)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        rows = conn.execute("SELECT employee_id, sealed, data_key, key_id FROM face_templates "
                            "ORDER BY employee_id").fetchall()
        assert {r[3] for r in rows} == {new_keys.key_id}
        opened = {emp: open_sealed(new_keys, emp, Sealed(bytes(s), bytes(d), k))
                  for emp, s, d, k in rows}
        assert opened == {RINA: _enc(1), BUDI: _enc(2)}
        with pytest.raises(TemplateKeyError):  # the old key alone no longer opens them
            open_sealed(old_keys, RINA, Sealed(bytes(rows[1][1]), bytes(rows[1][2]), rows[1][3]))
        (wrapped, kid) = conn.execute("SELECT wrapped, key_id FROM device_gallery_keys"
                                      ).fetchone()
        assert new_keys.unwrap(bytes(wrapped), kid) == b"k" * 32
        # kiosks hold the same faces: sealing and rewrapping change no gallery version
        assert dict(conn.execute("SELECT employee_id, version FROM face_templates")) == versions
        (delta,) = deltas_for(conn, "kiosk-oi", 0, keys=new_keys)
        assert {p.employee_id: p.encodings_b64 for p in delta.upserts} == opened
    trail = _run(fresh_db, "privacy", "audit", "--action", "templat.segel", "--json")
    assert [json.loads(line)["actor"] for line in trail.splitlines()][-1] == "it"


def test_retention_consent_export_and_the_trail_from_the_cli(fresh_db: str, tmp_path: Path):
    seed(fresh_db)
    _run(fresh_db, "privacy", "retention", "set", "--kind", "foto_presensi", "--days", "30",
         "--regency", "buton-tengah", "--by", "hr")
    shown = _run(fresh_db, "privacy", "retention", "show")
    assert "buton-tengah" in shown and "30 hari" in shown and "1825 hari" in shown
    bad = CliRunner().invoke(main, ["privacy", "retention", "set", "--kind", "log_audit",
                                    "--days", "10"], env={"HADIR_DATABASE_URL": fresh_db})
    assert bad.exit_code != 0 and "--days" in bad.output and "365" in bad.output
    assert "tercatat" in _run(fresh_db, "privacy", "consent", "record", "--employee", RINA,
                              "--ref", "FRM-9", "--by", "hr")
    out = tmp_path / "rina.zip"
    _run(fresh_db, "privacy", "export", "--employee", RINA, "--out", str(out), "--by", "hr")
    personal = json.loads(zipfile.ZipFile(io.BytesIO(out.read_bytes())).read("data-pribadi.json"))
    assert [c["reference"] for c in personal["persetujuan_biometrik"]] == ["FRM-9"]
    trail = _run(fresh_db, "privacy", "audit", "--subject", RINA)
    assert "mencatat persetujuan biometrik" in trail and "mengunduh ekspor" in trail
    assert "cli@" in trail


def test_every_change_of_a_role_is_in_the_trail(fresh_db: str, tmp_path: Path):
    seed(fresh_db)
    pw = tmp_path / "pw"
    pw.write_text("kata-sandi-rahasia")
    _run(fresh_db, "user", "add", "--username", "kepala-it", "--password-file", str(pw))
    _run(fresh_db, "user", "add", "--username", "kepala-it", "--password-file", str(pw))  # reset
    _run(fresh_db, "account", "grant", "--username", "kepala-it", "--role", "auditor", "--by",
         "sekda")
    with psycopg.connect(fresh_db) as conn:
        sessions = conn.execute("SELECT session_version FROM portal_users WHERE username = "
                                "'kepala-it'").fetchone()[0]
    _run(fresh_db, "account", "revoke", "--username", "kepala-it", "--role", "auditor", "--by",
         "sekda")
    again = CliRunner().invoke(main, ["account", "revoke", "--username", "kepala-it", "--role",
                                      "auditor"], env={"HADIR_DATABASE_URL": fresh_db})
    assert again.exit_code != 0 and "tidak memegang peran" in again.output
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute("SELECT actor, action, detail->>'peran' FROM audit_log WHERE "
                            "subject = 'kepala-it' ORDER BY id").fetchall()
        assert conn.execute("SELECT session_version FROM portal_users WHERE username = "
                            "'kepala-it'").fetchone()[0] == sessions + 1  # its sessions end
    assert [r[1:] for r in rows] == [("peran.beri", "admin"), ("peran.beri", "auditor"),
                                     ("peran.cabut", "auditor")]  # a reset changes no role
    assert [r[0] for r in rows][1:] == ["sekda", "sekda"]
