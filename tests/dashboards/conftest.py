"""Fixtures of the boards' tests: the dashboards' code (dashboards/ is not a package) and a
seeded database (tests/dashboards/board_seed.py) shared by the module."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dash_build", ROOT / "dashboards" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build() -> ModuleType:
    """dashboards/build.py."""
    return _load_build()


@pytest.fixture(scope="module")
def board_db(postgres) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A seeded database on plain PostgreSQL for the module."""
    from board_seed import seed_all

    url = postgres.create_database()
    seed_all(url)
    yield url
    postgres.drop_database(url)
