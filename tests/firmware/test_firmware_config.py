"""firmware_config/: units verified by systemd, scripts by shellcheck, provisioning run for real."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

FW = Path(__file__).resolve().parents[2] / "firmware_config"
UNITS = sorted(FW.glob("**/*.service"))


def _verify(unit_text: str, tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify on a copy whose ExecStart points at a binary that exists here."""
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.skip("systemd-analyze is not installed")
    text = unit_text.replace("/opt/hadir/venv/bin/hadir-edge", "/bin/true")
    text = text.replace("/usr/bin/chromium-browser", "/bin/true")
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([exe, "verify", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_verify_without_warnings(unit: Path, tmp_path: Path):
    out = _verify(unit.read_text(), tmp_path, unit.name)
    assert out.returncode == 0, out.stderr
    complaints = [line for line in out.stderr.splitlines() if unit.name in line]
    assert complaints == [], complaints


def test_a_broken_unit_is_caught(tmp_path: Path):
    """The check above can fail: a typo in the kiosk unit shows up."""
    text = (FW / "systemd/hadir-kiosk.service").read_text().replace("Type=notify", "Type=notifyy")
    out = _verify(text, tmp_path, "hadir-kiosk.service")
    assert "Failed to parse service type" in out.stderr


@pytest.mark.parametrize("dropin", sorted(FW.glob("systemd/gallery-key-*.conf")),
                         ids=lambda p: p.name)
def test_the_gallery_key_drop_ins_verify_with_the_kiosk_unit(dropin: Path, tmp_path: Path):
    """A drop-in's [Service] lines merged into the unit, as systemd reads them."""
    text = (FW / "systemd/hadir-kiosk.service").read_text() + "\n" + dropin.read_text()
    out = _verify(text, tmp_path, "hadir-kiosk.service")
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stderr.splitlines() if "hadir-kiosk.service" in line] == []
    key = "LoadCredentialEncrypted=" if "tpm2" in dropin.name else "LoadCredential="
    assert f"{key}gallery-key:" in dropin.read_text()


def test_kiosk_unit_has_watchdog_notify_and_credentials():
    text = (FW / "systemd/hadir-kiosk.service").read_text()
    for needle in ("Type=notify", "WatchdogSec=", "Restart=always", "LoadCredential=mqtt-password",
                   "StateDirectory=hadir", "User=hadir"):
        assert needle in text


def test_shell_scripts_pass_shellcheck():
    exe = shutil.which("shellcheck")
    if exe is None:
        pytest.skip("shellcheck is not installed")
    scripts = sorted(FW.glob("**/*.sh"))
    assert scripts
    out = subprocess.run([exe, *map(str, scripts)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_boot_config_enables_camera_uart_and_pps():
    text = (FW / "boot/config-hadir.txt").read_text()
    assert "camera_auto_detect=1" in text
    assert "enable_uart=1" in text
    assert "dtoverlay=pps-gpio,gpiopin=18" in text


def test_chrony_uses_gps_and_pps():
    text = (FW / "chrony/hadir-gps.conf").read_text()
    assert "refclock SHM 0 refid GPS" in text
    assert "refclock PPS /dev/pps0 lock GPS" in text
    chronyd = shutil.which("chronyd") or shutil.which("chronyd", path="/usr/sbin")
    if chronyd:
        out = subprocess.run([str(chronyd), "-p", "-f", str(FW / "chrony/hadir-gps.conf")],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


PROVISION = """\
# test kiosk
DEVICE_ID=kiosk-sdn1-test-01
OFFICE_ID=sdn-1-test
OFFICE_NAME=SD Negeri 1 Uji
OFFICE_TZ=Asia/Makassar
OFFICE_LAT=-5.3321
OFFICE_LON=122.5634
OFFICE_RADIUS_M=50
BROKER_HOST=mqtt.example.test
BROKER_PORT=8883
BROKER_PASSWORD=s3cret-pw
CLOUD_PUBLIC_KEY=O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=
"""


def _provision(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    root = tmp_path / "root"
    (root / "boot/firmware").mkdir(parents=True, exist_ok=True)
    cmdline = root / "boot/firmware/cmdline.txt"
    if not cmdline.exists():
        cmdline.write_text("console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait\n")
    env_file = tmp_path / "hadir-provision.env"
    env_file.write_text(text)
    return subprocess.run(
        ["bash", str(FW / "provision.sh"), "--provision-file", str(env_file)],
        capture_output=True, text=True, env={**os.environ, "HADIR_ROOT": str(root)},
    )


def test_provisioning_writes_a_valid_kiosk(tmp_path: Path):
    out = _provision(tmp_path, PROVISION)
    assert out.returncode == 0, out.stderr
    root = tmp_path / "root"
    assert "hadir-cloud device add --id kiosk-sdn1-test-01" in out.stdout
    assert "console=serial0" not in (root / "boot/firmware/cmdline.txt").read_text()
    config_txt = (root / "boot/firmware/config.txt").read_text()
    assert config_txt.count("dtoverlay=pps-gpio") == 1
    pw = root / "etc/hadir/credentials/mqtt-password"
    assert pw.read_text() == "s3cret-pw"
    assert stat.S_IMODE(pw.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "etc/hadir/credentials").stat().st_mode) == 0o700
    # the kiosk's own configuration model accepts what provisioning wrote
    settings = _settings(root)
    assert settings.device_id == "kiosk-sdn1-test-01"
    assert settings.office.tz == "Asia/Makassar"
    # no TPM here: the gallery key comes from the cloud at boot, none is on the card
    assert settings.face.gallery_key == "cloud"
    assert not (root / "etc/hadir/credentials/gallery-key").exists()
    assert not (root / DROPIN).exists()
    # idempotent: a second run does not append config.txt twice
    out2 = _provision(tmp_path, PROVISION)
    assert out2.returncode == 0, out2.stderr
    assert (root / "boot/firmware/config.txt").read_text().count("dtoverlay=pps-gpio") == 1


DROPIN = "etc/systemd/system/hadir-kiosk.service.d/gallery-key.conf"


def _settings(root: Path):  # type: ignore[no-untyped-def]
    from hadir_edge.config import EdgeSettings

    return EdgeSettings.model_validate(tomllib.loads((root / "etc/hadir/hadir-edge.toml")
                                                     .read_text()))


def test_a_plain_gallery_key_file_when_asked_for_kept_across_reruns(tmp_path: Path):
    out = _provision(tmp_path, PROVISION + "GALLERY_KEY=file\n")
    assert out.returncode == 0, out.stderr
    root = tmp_path / "root"
    key_file = root / "etc/hadir/credentials/gallery-key"
    key = key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    from hadir_edge.face import load_or_create_gallery_key

    assert len(load_or_create_gallery_key(key_file)) == 32  # a 256-bit AES key
    assert "LoadCredential=gallery-key:" in (root / DROPIN).read_text()
    assert _settings(root).face.gallery_key == "credential"
    assert _provision(tmp_path, PROVISION + "GALLERY_KEY=file\n").returncode == 0
    assert key_file.read_text() == key
    # moving such a kiosk to the cloud's key destroys the file on the card
    assert _provision(tmp_path, PROVISION + "GALLERY_KEY=cloud\n").returncode == 0
    assert not key_file.exists() and not (root / DROPIN).exists()
    assert _settings(root).face.gallery_key == "cloud"


def test_a_tpm_sealed_gallery_key_is_loaded_encrypted(tmp_path: Path):
    out = _provision(tmp_path, PROVISION + "GALLERY_KEY=tpm2\n")
    assert out.returncode == 0, out.stderr
    root = tmp_path / "root"
    assert "LoadCredentialEncrypted=gallery-key:/etc/hadir/credentials/gallery-key.cred" in (
        root / DROPIN).read_text()
    assert "sealed with the TPM on the kiosk itself" in out.stdout
    assert not (root / "etc/hadir/credentials/gallery-key").exists()
    assert _settings(root).face.gallery_key == "credential"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("BROKER_PASSWORD=s3cret-pw", "BROKER_PASSWORD="), "missing in"),
        (("OFFICE_TZ=Asia/Makassar", "OFFICE_TZ=Asia/Bangkok"), "OFFICE_TZ must be"),
        (("DEVICE_ID=kiosk-sdn1-test-01", "DEVICE_ID=Kiosk_1"), "DEVICE_ID must be"),
        (("BROKER_PORT=8883", "BROKER_PROT=8883"), "unknown key"),
        (("BROKER_PORT=8883", "BROKER_PORT=8883\nGALLERY_KEY=usb"), "GALLERY_KEY must be"),
    ],
)
def test_provisioning_refuses_bad_files_clearly(tmp_path: Path, change, message):
    out = _provision(tmp_path, PROVISION.replace(*change))
    assert out.returncode != 0
    assert message in out.stderr
