"""A kiosk re-imaged with a new key before IT registers it: held on the kiosk, then landed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.devices import add_device
from hadir_edge.bootstrap import make_kiosk
from hadir_edge.config import load
from hadir_protocol.signing import load_private_key, public_key_b64

from .harness import BIN, OFFICE, Stack, wait_until

pytestmark = [pytest.mark.system]

NIP = "198503122010012003"
DEV = "kiosk-sekolah-02"


def test_checkins_signed_with_an_unregistered_key_are_held_not_lost(stack: Stack, photo: Path):
    """Regression: an event whose signature failed only because the cloud did not know the
    kiosk's new key yet was acked 'rejected' and deleted from the outbox: gone for good."""
    k = stack.add_kiosk(DEV, photo, NIP, ack_timeout_s=3.0,
                        tables="held_retry_s = 1.0\nheld_retry_max_s = 2.0")
    old_pub = public_key_b64(load_private_key(k.data_dir / "device_key.pem"))
    # the SD card is re-imaged: a new key is made at first boot; the cloud still has the old one
    k.kiosk.close()
    (k.data_dir / "device_key.pem").unlink()
    k.kiosk = make_kiosk(load(k.config))
    new_pub = public_key_b64(load_private_key(k.data_dir / "device_key.pem"))
    assert new_pub != old_pub
    k.make_events(3)
    stack.start_ingest()
    stack.start_kiosk(DEV)
    wait_until(lambda: k.kiosk.outbox.held_count() == 3, 60, "the three events to be held")
    assert stack.stored(DEV)[0] == 0 and k.depth() == 3
    status = subprocess.run([str(BIN / "hadir-edge"), "status"], env=k.env, capture_output=True,
                            text=True, check=True).stdout
    assert "ditahan cloud (belum dapat diverifikasi, dikirim ulang): 3" in status, status
    assert "bad_signature: 3" in status
    with psycopg.connect(stack.db_url) as conn:  # the cloud kept what it could not verify, once
        rows = conn.execute("SELECT count(DISTINCT event_id), sum(seen_count) FROM "
                            "rejected_messages WHERE reason = 'bad_signature'").fetchone()
    assert rows[0] == 3 and rows[1] >= 3
    # IT registers the new key (no restart of anything): the held events land, once, in order
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        add_device(conn, DEV, new_pub, OFFICE[0])
    stack.wait_drained(60)
    stack.assert_nothing_lost()
    assert k.kiosk.outbox.held_count() == 0
