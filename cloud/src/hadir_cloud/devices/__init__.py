"""The devices area: kiosks, keys, config, gallery, commands, telemetry, and the broker's files.

`store` (SQL: offices, kiosks, heartbeats), `domain` (duties, gallery chunks: pure),
`broker` (password file and ACL from the wire contract's table), `outbound` (signed cloud →
kiosk messages), `config` (with the work schedules), `gallery`, `commands`, `monitor`
(`hadir-cloud fleet`), `cli`.
"""

from .broker import (
    CLOUD_USERS,
    EXAMPLE_KIOSK,
    MAX_PACKET_SIZE,
    MESSAGE_SIZE_LIMIT,
    acl_block,
    cloud_acl,
    example_acl,
    reload_broker,
    remove_broker_credentials,
    role_routes,
    write_broker_credentials,
)
from .store import TIMEZONES, RegistrationError, add_device, add_office, disable_device

__all__ = [
    "acl_block", "add_device", "add_office", "CLOUD_USERS", "cloud_acl", "disable_device",
    "example_acl", "EXAMPLE_KIOSK", "MAX_PACKET_SIZE", "MESSAGE_SIZE_LIMIT", "RegistrationError",
    "reload_broker", "remove_broker_credentials", "role_routes", "TIMEZONES",
    "write_broker_credentials",
]
