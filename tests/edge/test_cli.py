"""`hadir-edge` commands through click's runner with real photos."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hadir_edge.cli import main
from hadir_edge.consent import NOTICE_VERSION

NIP = "198503122010012003"


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


def write_cfg(tmp_path: Path, camera: Path, extra: str = "", name: str = "hadir-edge") -> Path:
    """A kiosk configuration whose files camera shows `camera`; `extra` is more TOML."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f"""\
device_id = "kiosk-cli-01"
data_dir = "{tmp_path / 'data'}"
[camera]
type = "files"
paths = ["{camera}"]
fps = 0
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
{extra}
""")
    return path


@pytest.fixture
def cfg(tmp_path: Path, faces_dir: Path) -> Path:
    """A simulated kiosk: a still photo in front of a camera, liveness off."""
    return write_cfg(tmp_path, faces_dir / "obama/obama2.jpg", '[liveness]\nmode = "off"')


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
                          "--consent-ref", "FRM-1", str(faces_dir / "groups/two_people.jpg")])
    assert two.exit_code != 0 and "2 wajah" in two.output
    # UU 27/2022: no face without the person's signed consent form
    bare = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", NIP,
                           str(faces_dir / "obama/obama1.jpg")])
    assert bare.exit_code != 0 and "persetujuan wajib" in bare.output
    blank = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", NIP,
                            "--consent-ref", "  ", str(faces_dir / "obama/obama1.jpg")])
    assert blank.exit_code != 0 and "persetujuan wajib" in blank.output
    cfg_data = tomllib.loads(cfg.read_text())
    data_dir = Path(cfg_data["data_dir"])
    assert not (data_dir / "consents.json").exists()
    # a good photo after a bad one: nothing of the first is kept either
    half = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", NIP, "--consent-ref",
                           "FRM-1", str(faces_dir / "obama/obama1.jpg"),
                           str(faces_dir / "groups/two_people.jpg")])
    assert half.exit_code != 0 and not (data_dir / "consents.json").exists()
    ok = r.invoke(main, ["enroll", "--config", str(cfg), "--employee", NIP,
                         "--consent-ref", "FRM-2026-001", str(faces_dir / "obama/obama1.jpg")])
    assert ok.exit_code == 0, ok.output
    consent = json.loads((data_dir / "consents.json").read_text())[NIP]
    assert consent["reference"] == "FRM-2026-001" and consent["notice_version"] == NOTICE_VERSION
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


def checkin(config: Path) -> tuple[int, dict]:
    out = CliRunner().invoke(main, ["checkin", "--config", str(config)])
    return out.exit_code, json.loads(out.output.strip().splitlines()[-1])


def test_checkin_goes_through_the_decision_like_the_screen(tmp_path: Path, faces_dir: Path):
    """Regression: `hadir-edge checkin` skipped the face-size and blur limits and liveness;
    it now runs the camera's frames through the same session and decision as the screen."""
    from hadir_devstack.scenes import blink_frames
    from hadir_edge.outbox import Outbox
    from PIL import Image

    still = faces_dir / "obama/obama2.jpg"
    live = write_cfg(tmp_path, still)  # liveness on (the default): a still photo cannot blink
    r = CliRunner()
    assert r.invoke(main, ["enroll", "--config", str(live), "--employee", NIP, "--consent-ref",
                           "FRM-1", str(faces_dir / "obama/obama1.jpg")]).exit_code == 0
    code, result = checkin(live)
    assert code == 1 and result["status"] == "not_live", result
    near = write_cfg(tmp_path, still, "[face]\nmin_face_px = 1000", "besar")
    code, result = checkin(near)
    assert code == 1 and result["status"] == "face_too_small", result
    assert result["message"] == "wajah terlalu kecil, silakan mendekat"
    box = Outbox(tmp_path / "data" / "outbox.sqlite")
    assert box.depth() == 0  # nothing was written by the refused attempts
    walk_up = tmp_path / "walk-up"
    walk_up.mkdir()
    for i, frame in enumerate(blink_frames(faces_dir / "obama/obama1.jpg")):
        Image.fromarray(frame).save(walk_up / f"{i:03d}.png")
    code, result = checkin(write_cfg(tmp_path, walk_up, "", "berkedip"))
    assert code == 0 and result["status"] == "recorded" and result["employee_id"] == NIP
    payload = json.loads(box.db.execute("SELECT payload FROM events").fetchone()[0])
    assert payload["face"]["liveness_method"] == "blink-dlib5"
    assert payload["face"]["liveness_passed"] is True
    box.close()
