"""System-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hadir_devstack import Mosquitto

from .harness import Stack


@pytest.fixture
def photo(faces_dir: Path) -> Path:
    """A real face photo."""
    return faces_dir / "obama" / "obama1.jpg"


@pytest.fixture
def photo2(faces_dir: Path) -> Path:
    """Another person's real face photo."""
    return faces_dir / "kit_harington" / "kit1.jpg"


@pytest.fixture
def stack(tmp_path: Path, fresh_db: str, broker: Mosquitto) -> Iterator[Stack]:
    """Database migrated, broker up with production credentials and ACL, nothing else started."""
    s = Stack(tmp_path, fresh_db, broker, secure=True)
    yield s
    s.close()
