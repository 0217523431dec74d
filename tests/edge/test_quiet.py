"""Quiet commands: stderr is for real problems.

Regression: every `hadir-edge` call that loaded the face engine (and `hadir-cloud gallery
enroll`) printed a `pkg_resources` deprecation warning from the face models package to the
person typing it. The warning is silenced exactly where the engine is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.db.migrate import upgrade
from test_cli import write_cfg

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
NIP = "198503122010012003"


def run(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=180,
                          env={**os.environ, **env})


def test_kiosk_commands_print_nothing_on_stderr(tmp_path: Path, faces_dir: Path):
    cfg = write_cfg(tmp_path, faces_dir / "obama/obama2.jpg")
    helped = run(str(BIN / "hadir-edge"), "--help")
    assert helped.returncode == 0 and helped.stderr == ""
    enrolled = run(str(BIN / "hadir-edge"), "enroll", "--config", str(cfg), "--employee", NIP,
                   "--consent-ref", "FRM-1", str(faces_dir / "obama/obama1.jpg"))
    assert enrolled.returncode == 0 and "1 foto didaftarkan" in enrolled.stdout
    assert enrolled.stderr == ""
    who = run(str(BIN / "hadir-edge"), "identify", "--config", str(cfg),
              str(faces_dir / "obama/obama2.jpg"))
    assert who.returncode == 0 and who.stdout.startswith(NIP) and who.stderr == ""
    # a real problem still goes to stderr
    bad = run(str(BIN / "hadir-edge"), "identify", "--config", str(tmp_path / "nope.toml"),
              str(faces_dir / "obama/obama2.jpg"))
    assert bad.returncode != 0 and "nope.toml" in bad.stderr


def test_cloud_gallery_enroll_prints_nothing_on_stderr(fresh_db: str, faces_dir: Path):
    upgrade(fresh_db)
    out = run(str(BIN / "hadir-cloud"), "gallery", "enroll", "--employee", NIP, "--name",
              "Barack Obama", "--consent-ref", "PWJ/2026/001", str(faces_dir / "obama/obama1.jpg"),
              HADIR_DATABASE_URL=fresh_db)
    assert out.returncode == 0 and "galeri versi" in out.stdout, out.stderr
    assert out.stderr == ""
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM face_templates").fetchone()[0] == 1
