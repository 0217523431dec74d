"""The cloud's paho clients: MQTT v5, TLS where set, and each service's own broker user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .settings import BrokerRole, CloudSettings, SettingsError


def credentials(settings: CloudSettings, role: BrokerRole) -> tuple[str | None, str | None]:
    """(username, password) of a role: its own user where set, else the default one."""
    own = {"fleet": (settings.fleet_broker_username, settings.fleet_broker_password_file),
           "cli": (settings.cli_broker_username, settings.cli_broker_password_file)}
    if role in own:
        username, password_file = own[role]
        if username:
            return username, _read(password_file, f"HADIR_{role.upper()}_BROKER_PASSWORD_FILE")
    # the default user: right where each process has its own environment; a shared one
    # must name each role's user, or the broker (username = client id) lets them kick each other
    return settings.broker_username, _read(settings.broker_password_file,
                                           "HADIR_BROKER_PASSWORD_FILE")


def _read(path: Path | None, variable: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text().strip()
    except OSError as err:
        raise SettingsError(f"{variable}={path} cannot be read: {err}") from err


def make_client(settings: CloudSettings, role: BrokerRole, client_id: str,
                **kw: Any) -> mqtt.Client:
    """A paho v5 client logging in as the role's broker user (`kw` go to `mqtt.Client`)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5, **kw)
    username, password = credentials(settings, role)
    if username:
        client.username_pw_set(username, password)
    if settings.broker_tls:
        client.tls_set()
    return client
