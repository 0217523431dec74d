"""`hadir-edge` commands through click's runner with real photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hadir_edge.cli import main


def all_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from all_commands(cmd, (*prefix, name))


def test_every_command_has_help():
    for path, cmd in all_commands(main):
        assert cmd.help and len(cmd.help.strip()) > 10, f"{' '.join(path)} has no help"
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0


@pytest.fixture
def cfg(tmp_path: Path, faces_dir: Path) -> Path:
    path = tmp_path / "hadir-edge.toml"
    path.write_text(f"""\
device_id = "kiosk-cli-01"
data_dir = "{tmp_path / 'data'}"
[camera]
type = "files"
paths = ["{faces_dir / 'obama/obama2.jpg'}"]
[gps]
type = "fixed"
lat = -3.2452
lon = 104.6513
[office]
id = "setda"
name = "Setda"
tz = "Asia/Jakarta"
lat = -3.2452
lon = 104.6513
radius_m = 50
""")
    return path


def test_config_errors_name_the_field(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('device_id = "Kiosk!"\n[camera]\ntype = "webcam"\n')
    result = CliRunner().invoke(main, ["check-config", "--config", str(bad)])
    assert result.exit_code != 0
    assert "device_id" in result.output and "camera" in result.output and "office" in result.output


def test_enroll_identify_checkin_status(cfg: Path, faces_dir: Path):
    r = CliRunner()
    assert r.invoke(main, ["check-config", "--config", str(cfg)]).exit_code == 0
    two = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", "198503122010012003",
                          str(faces_dir / "groups/two_people.jpg")])
    assert two.exit_code != 0 and "2 wajah" in two.output
    ok = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", "198503122010012003",
                         str(faces_dir / "obama/obama1.jpg")])
    assert ok.exit_code == 0, ok.output
    who = r.invoke(main, ["identify", "--config", str(cfg), str(faces_dir / "obama/obama2.jpg")])
    assert who.exit_code == 0 and who.output.startswith("198503122010012003")
    stranger = r.invoke(main, ["identify", "--config", str(cfg), str(faces_dir / "biden/biden1.jpg")])
    assert stranger.exit_code == 1 and "tidak dikenali" in stranger.output
    group = r.invoke(main, ["identify", "--config", str(cfg),
                            str(faces_dir / "groups/two_people.jpg")])
    assert group.exit_code == 1 and "tidak ditebak" in group.output
    assert r.invoke(main, ["keygen", "--config", str(cfg)]).exit_code == 0
    pub = r.invoke(main, ["pubkey", "--config", str(cfg)])
    assert pub.exit_code == 0 and len(pub.output.strip()) == 44
    key = cfg.parent / "data" / "device_key.pem"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    done = r.invoke(main, ["checkin", "--config", str(cfg), "--kind", "in"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output.strip().splitlines()[-1])
    assert result["status"] == "recorded" and result["seq"] == 1
    again = r.invoke(main, ["checkin", "--config", str(cfg), "--kind", "in"])
    assert again.exit_code == 1 and json.loads(again.output.strip().splitlines()[-1])["status"] == "repeat"
    st = r.invoke(main, ["status", "--config", str(cfg)])
    assert "antrean: 1" in st.output
    assert "konfigurasi: v0" in st.output and "galeri: v0, 1 orang" in st.output
