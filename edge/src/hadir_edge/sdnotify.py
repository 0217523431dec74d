"""systemd notifications (READY, WATCHDOG, STATUS) over $NOTIFY_SOCKET; a no-op without it."""

from __future__ import annotations

import logging
import os
import socket

logger = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify datagrams; silently does nothing when not run by systemd."""

    def __init__(self, address: str | None = None):
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self._sock: socket.socket | None = None
        if self.address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        """True when a notify socket is configured."""
        return self._sock is not None

    def _send(self, message: str) -> None:
        if not self._sock or not self.address:
            return
        # An address starting with '@' is in the abstract namespace.
        addr = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            self._sock.sendto(message.encode(), addr)
        except OSError as err:
            logger.warning("sd_notify failed: %s", err)

    def ready(self, status: str | None = None) -> None:
        """Tell systemd the service is up (Type=notify)."""
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def watchdog(self) -> None:
        """Feed the watchdog (WatchdogSec=)."""
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        """A one-line status shown by `systemctl status`."""
        self._send(f"STATUS={text}")

    def stopping(self) -> None:
        """Tell systemd the service is shutting down."""
        self._send("STOPPING=1")

    def watchdog_interval_s(self) -> float | None:
        """Half the watchdog period systemd asked for, or None when no watchdog is set."""
        usec = os.environ.get("WATCHDOG_USEC")
        if not usec or not usec.isdigit():
            return None
        return int(usec) / 2_000_000

    def close(self) -> None:
        """Close the socket."""
        if self._sock:
            self._sock.close()
            self._sock = None
