"""Jobs tests reuse the TPP tests' seeded month (tests/tpp is not a package: put it on the path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

TPP_TESTS = Path(__file__).resolve().parent.parent / "tpp"
if str(TPP_TESTS) not in sys.path:
    sys.path.insert(0, str(TPP_TESTS))

HADIR_CLOUD = shutil.which("hadir-cloud", path=str(Path(sys.executable).parent)) or "hadir-cloud"


@pytest.fixture
def worker_process(fresh_db: str, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start `hadir-cloud worker` subprocesses on fresh_db; any still running are killed after."""
    started: list[subprocess.Popen] = []
    logs: list[IO[bytes]] = []

    def start() -> subprocess.Popen:
        env = {**os.environ, "HADIR_DATABASE_URL": fresh_db}
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen([HADIR_CLOUD, "-v", "worker"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    for log in logs:
        log.close()
