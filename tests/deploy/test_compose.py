"""docker-compose.yml: no Docker engine runs here, so it is validated against the compose spec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_matches_the_compose_spec():
    exe = Path(sys.executable).parent / "check-jsonschema"
    out = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_secret_used_is_declared_and_every_mount_exists():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    declared = set(compose["secrets"])
    for name, svc in compose["services"].items():
        for secret in svc.get("secrets", []):
            assert secret in declared, f"{name} uses undeclared secret {secret}"
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("./") and not src.startswith("./secrets"):
                assert (ROOT / src).exists(), f"{name} mounts missing {src}"
    assert {"mosquitto", "db", "ingest", "portal", "grafana"} <= set(compose["services"])
