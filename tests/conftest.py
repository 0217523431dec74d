"""Shared fixtures: a real PostgreSQL, a real Mosquitto, the shared face photos."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hadir_devstack import Mosquitto, Postgres
from shared_faces import FACES, ROOT  # noqa: F401 - the shared face photos


@pytest.fixture(scope="session", autouse=True)
def template_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The key-encryption key of face templates at rest, for this test session: every process
    that enrols faces or sends galleries (the CLI, the fleet monitor, a job) reads
    HADIR_TEMPLATE_KEY_FILE, as in production; subprocesses inherit it."""
    from hadir_cloud.privacy.keys import write_key_file

    given = os.environ.get("HADIR_TEMPLATE_KEY_FILE")
    if given:
        yield Path(given)
        return
    path = tmp_path_factory.mktemp("template-key") / "template_key"
    write_key_file(path)
    os.environ["HADIR_TEMPLATE_KEY_FILE"] = str(path)
    try:
        yield path
    finally:
        os.environ.pop("HADIR_TEMPLATE_KEY_FILE", None)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The running PostgreSQL (or a throwaway cluster where none runs)."""
    pg = Postgres.obtain()
    yield pg
    pg.close()


@pytest.fixture(scope="session")
def pg_url(postgres: Postgres) -> str:
    """A fresh empty database shared by the whole session."""
    return postgres.create_database()


@pytest.fixture
def fresh_db(postgres: Postgres) -> Iterator[str]:
    """A new empty database for one test, dropped afterwards."""
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto on a free port for one test; restartable."""
    b = Mosquitto(workdir=tmp_path / "mosquitto").start()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """../shared/faces, or skip the test with the reason."""
    if not FACES.is_dir():
        pytest.skip(f"face photos not found at {FACES} (see shared/faces/README.md)")
    return FACES


@pytest.fixture(scope="session")
def timescale_server() -> Iterator[Postgres]:
    """A throwaway cluster with timescaledb preloaded, or skip where it is not installed."""
    from hadir_devstack import timescaledb_installed

    if not timescaledb_installed():
        pytest.skip("TimescaleDB is not installed here (the plain PostgreSQL path is tested)")
    pg = Postgres.start_cluster(preload=("timescaledb",))
    yield pg
    pg.close()


@pytest.fixture
def timescale_db(timescale_server: Postgres) -> Iterator[str]:
    """A fresh database on a server that has TimescaleDB preloaded."""
    url = timescale_server.create_database()
    yield url
    timescale_server.drop_database(url)


#: Debian's Chromium (Playwright's own browser download cannot run here)
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
                 if Path(p).exists()), None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@pytest.fixture
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright, or skip where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
