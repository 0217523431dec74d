"""Clock source and drift from captured chrony/timedatectl output; sd_notify over a real socket."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from hadir_edge.clock import current_clock, parse_chronyc_tracking, parse_timedatectl
from hadir_edge.sdnotify import Notifier
from hadir_protocol.models import ClockSource

# `chronyc -c tracking` lines as chrony 4.3 prints them.
PPS_LOCKED = ("50505300,PPS,1,1763795312.123456789,0.000000123,0.000000045,0.000000210,"
              "-12.345,0.001,0.020,0.000001,0.000010,16.0,Normal")
NTP_SERVER = ("C0A80001,192.168.0.1,3,1763795312.123456789,0.000123000,0.000045000,0.000210000,"
              "-12.345,0.001,0.020,0.012000,0.001000,64.0,Normal")
UNSYNCED = ("00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,"
            "0.000000,0.000000,0.0,Not synchronised")
GPS_SHM = ("47505300,GPS,1,1763795312.1,0.01,0.002,0.05,-1.0,0.1,0.5,0.2,0.1,16.0,Normal")


@pytest.mark.parametrize(
    ("line", "source"),
    [(PPS_LOCKED, ClockSource.GPS), (GPS_SHM, ClockSource.GPS),
     (NTP_SERVER, ClockSource.NTP), (UNSYNCED, ClockSource.LOCAL)],
)
def test_chrony_tracking_is_classified(line, source):
    assert parse_chronyc_tracking(line)[0] is source


def test_garbled_chrony_output_is_an_error():
    with pytest.raises(ValueError):
        parse_chronyc_tracking("506 Cannot talk to daemon")


def test_timedatectl():
    assert parse_timedatectl("yes\n") is ClockSource.NTP
    assert parse_timedatectl("no\n") is ClockSource.LOCAL


def test_drift_flagged_above_threshold():
    now = datetime(2026, 10, 5, 0, 28, tzinfo=UTC)
    ok = current_clock(now + timedelta(seconds=0.4), source=(ClockSource.GPS, "t"), system_time=now)
    assert ok.drift_s == pytest.approx(0.4) and not ok.drift_flagged
    bad = current_clock(now - timedelta(seconds=95), source=(ClockSource.LOCAL, "t"),
                        system_time=now)
    assert bad.drift_s == pytest.approx(-95) and bad.drift_flagged
    aged = current_clock(now - timedelta(seconds=3), fix_age_s=3.0,
                         source=(ClockSource.NTP, "t"), system_time=now)
    assert aged.drift_s == pytest.approx(0) and not aged.drift_flagged
    none = current_clock(None, source=(ClockSource.LOCAL, "t"))
    assert none.drift_s is None and not none.drift_flagged and none.source is ClockSource.LOCAL


def test_sd_notify_over_a_real_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    n = Notifier()
    assert n.enabled and n.watchdog_interval_s() == 30
    n.ready("outbox 0")
    n.watchdog()
    assert server.recv(1024) == b"READY=1\nSTATUS=outbox 0"
    assert server.recv(1024) == b"WATCHDOG=1"
    n.close()
    server.close()


def test_sd_notify_is_a_noop_without_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled
    n.ready()
    n.watchdog()
