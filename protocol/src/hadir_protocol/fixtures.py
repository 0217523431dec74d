"""Golden JSON fixtures of the wire contract, loaded by edge and cloud tests alike."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: Public half of the fixture key (fixtures/fixture_key.pem). Test data only:
#: no kiosk ever uses it.
FIXTURE_DEVICE_ID = "kiosk-fixture-01"


def load(name: str) -> Any:
    """Parse fixtures/<name>.json."""
    text = resources.files("hadir_protocol").joinpath("fixtures", f"{name}.json").read_text()
    return json.loads(text)


def fixture_key_pem() -> bytes:
    """The PEM private key that signed the fixtures (test data only)."""
    return resources.files("hadir_protocol").joinpath("fixtures", "fixture_key.pem").read_bytes()


def names() -> list[str]:
    """Every fixture's name."""
    root = resources.files("hadir_protocol").joinpath("fixtures")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".json"))
