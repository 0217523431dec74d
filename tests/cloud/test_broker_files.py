"""The broker's password and ACL files as `device add|revoke` and `broker acl` edit them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hadir_cloud.cli import main as cloud_cli
from hadir_cloud.devices import (
    RegistrationError,
    acl_block,
    cloud_acl,
    reload_broker,
    remove_broker_credentials,
    write_broker_credentials,
)
from hadir_cloud.mqtt_client import credentials
from hadir_cloud.settings import CloudSettings, SettingsError


def blocks(acl: str) -> dict[str, list[str]]:
    """user → its topic lines."""
    out: dict[str, list[str]] = {}
    user = None
    for line in acl.splitlines():
        if line.startswith("user "):
            user = line[5:]
            out[user] = []
        elif line.startswith("topic ") and user:
            out[user].append(line)
    return out


def test_cloud_users_get_only_their_services_topics():
    acl = blocks(cloud_acl({"ingest": ["ingest-1", "ingest-2"], "fleet": "fleet", "cli": "cli"}))
    assert acl["ingest-1"] == acl["ingest-2"] == ["topic read hadir/v1/+/checkin",
                                                  "topic write hadir/v1/+/ack"]
    assert sorted(acl["fleet"]) == sorted([
        "topic read hadir/v1/+/status", "topic read hadir/v1/+/telemetry",
        "topic read hadir/v1/+/reply/+", "topic write hadir/v1/+/config",
        "topic write hadir/v1/+/gallery", "topic write hadir/v1/+/cmd/+"])
    assert sorted(acl["cli"]) == sorted(line for line in acl["fleet"] if " write " in line)
    assert not any("$share" in line for lines in acl.values() for line in lines)


def test_adding_again_replaces_and_revoking_removes_only_that_kiosk(tmp_path: Path):
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    acl.write_text(cloud_acl({"ingest": "ingest-1", "fleet": "fleet"}))
    cloud_part = acl.read_text()
    for device in ("kiosk-a", "kiosk-b", "kiosk-a"):
        write_broker_credentials(device, f"pw-{device}", passwd, acl)
    text = acl.read_text()
    assert text.count("user kiosk-a\n") == 1 and text.startswith(cloud_part.rstrip("\n"))
    assert blocks(text)["kiosk-b"] == acl_block("kiosk-b").splitlines()[1:]
    assert re.findall(r"^([^:]+):", passwd.read_text(), re.M) == ["kiosk-a", "kiosk-b"]
    assert remove_broker_credentials("kiosk-a", passwd, acl) == ["kata sandi", "ACL"]
    assert set(blocks(acl.read_text())) == {"ingest-1", "fleet", "kiosk-b"}
    assert re.findall(r"^([^:]+):", passwd.read_text(), re.M) == ["kiosk-b"]
    assert "\n\n\n" not in acl.read_text()
    assert remove_broker_credentials("kiosk-a", passwd, acl) == []


def test_a_kiosk_cannot_be_registered_under_a_cloud_users_name(tmp_path: Path):
    acl = tmp_path / "acl"
    acl.write_text(cloud_acl({"fleet": "fleet"}))
    with pytest.raises(RegistrationError, match="layanan cloud"):
        write_broker_credentials("fleet", "pw", tmp_path / "passwd", acl)
    assert not (tmp_path / "passwd").exists() or "fleet" not in (tmp_path / "passwd").read_text()
    assert acl.read_text() == cloud_acl({"fleet": "fleet"})


def test_each_role_logs_in_as_its_own_user_or_the_default(tmp_path: Path):
    for name in ("default", "fleet", "cli"):
        (tmp_path / name).write_text(f"pw-{name}\n")
    base = CloudSettings(broker_username="ingest-1", broker_password_file=tmp_path / "default")
    assert credentials(base, "fleet") == ("ingest-1", "pw-default")
    own = base.model_copy(update={"fleet_broker_username": "fleet",
                                  "fleet_broker_password_file": tmp_path / "fleet",
                                  "cli_broker_username": "cli",
                                  "cli_broker_password_file": tmp_path / "cli"})
    assert [credentials(own, r) for r in ("ingest", "fleet", "cli")] == [
        ("ingest-1", "pw-default"), ("fleet", "pw-fleet"), ("cli", "pw-cli")]
    missing = own.model_copy(update={"cli_broker_password_file": tmp_path / "nope"})
    with pytest.raises(SettingsError, match="HADIR_CLI_BROKER_PASSWORD_FILE"):
        credentials(missing, "cli")


def test_broker_acl_command_prints_the_generated_acl():
    out = CliRunner().invoke(cloud_cli, ["broker", "acl", "--ingest", "w1", "--ingest", "w2"])
    assert out.exit_code == 0
    # the portal's fleet console has its own user with the CLI's rights
    assert out.output == cloud_acl({"ingest": ("w1", "w2"), "fleet": "fleet",
                                    "cli": ("cli", "portal")})
    more = CliRunner().invoke(cloud_cli, ["broker", "acl", "--ingest", "w3", "--fleet", "",
                                          "--cli", "", "--portal", ""])
    assert more.output == cloud_acl({"ingest": ("w3",)}) and "user \n" not in more.output


def test_device_disable_of_an_unknown_kiosk_says_so(fresh_db: str, monkeypatch):
    from hadir_cloud.db.migrate import upgrade

    upgrade(fresh_db)
    monkeypatch.setenv("HADIR_DATABASE_URL", fresh_db)
    out = CliRunner().invoke(cloud_cli, ["device", "disable", "--id", "kiosk-asing"])
    assert out.exit_code != 0 and "tidak terdaftar" in out.output


def test_a_failing_reload_command_is_reported():
    reload_broker(command=["true"])
    with pytest.raises(RegistrationError, match="muat ulang broker gagal"):
        reload_broker(command=["sh", "-c", "echo tidak ada broker >&2; exit 3"])
    with pytest.raises(RegistrationError, match="SIGHUP"):
        reload_broker(pid=2**22 + 12345)
