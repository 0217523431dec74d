"""The wire contract's one table (`topics.ROUTES`): the builders, the models and the docs agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hadir_protocol import models, topics

ROOT = Path(__file__).resolve().parents[2]
DEV = "kiosk-a1"


def test_every_builder_is_its_row_of_the_table():
    built = {"checkin": topics.checkin(DEV), "ack": topics.ack(DEV), "status": topics.status(DEV),
             "telemetry": topics.telemetry(DEV), "config": topics.config(DEV),
             "gallery": topics.gallery(DEV), "cmd": topics.cmd(DEV, "send-logs"),
             "reply": topics.reply(DEV, "send-logs")}
    assert set(built) == {r.kind for r in topics.ROUTES}
    for route in topics.ROUTES:
        expected = route.pattern.replace("{device}", DEV).replace("/+", "/send-logs")
        assert built[route.kind] == expected
        parsed = topics.parse(built[route.kind])
        assert (parsed.device_id, parsed.kind) == (DEV, route.kind)
        assert parsed.name == ("send-logs" if route.named else None)


def test_every_model_named_in_the_table_exists():
    for route in topics.ROUTES:
        for name in route.models:
            assert isinstance(getattr(models, name, None), type), f"{route.kind}: {name}"


def test_shared_subscriptions_use_the_consuming_services_group():
    assert topics.shared_subscription("checkin") == "$share/hadir-ingest/hadir/v1/+/checkin"
    assert topics.shared_subscription("telemetry") == "$share/hadir-fleet/hadir/v1/+/telemetry"
    assert topics.shared_subscription("reply") == "$share/hadir-fleet/hadir/v1/+/reply/+"
    with pytest.raises(ValueError):
        topics.shared_subscription("config")  # cloud → kiosk: nobody in the cloud reads it


@pytest.mark.parametrize("name", ["a/b", "#", "", "Send", "send+logs"])
def test_a_command_name_is_one_plain_level(name: str):
    with pytest.raises(ValueError):
        topics.cmd(DEV, name)


def test_the_wire_contract_page_shows_the_same_table():
    rows = {}
    for line in (ROOT / "docs/wire-contract.md").read_text().splitlines():
        if not line.startswith("| `hadir/v1/"):
            continue
        topic, direction, qos, model = (c.strip() for c in line.strip("|").split("|"))
        pattern = topic.strip("`").replace("{name}", "+")
        rows[pattern] = (direction, int(qos[0]), "retained" in qos,
                         tuple(re.findall(r"`([A-Z][A-Za-z]+)`", model)))
    assert rows == {r.pattern: (r.direction.value, r.qos, r.retain, r.models)
                    for r in topics.ROUTES}
