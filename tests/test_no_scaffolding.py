"""The production packages carry no test scaffolding: no module under protocol/src, edge/src or
cloud/src starts a broker or a database cluster, or reads a test-only environment variable
(regression: `hadir_cloud.devstack` and the ingest's crash-after-commit hook once shipped in
the cloud package; they live in the `hadir_devstack` test support package now)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("protocol/src", "edge/src", "cloud/src") for p in (ROOT / d).rglob("*.py")]
#: what starting a server or reading a test hook looks like in source
STARTS_SERVER = re.compile(r"""["'](mosquitto|initdb|pg_ctl|pg_ctlcluster|postgres)["']""")
TEST_ENV = re.compile(r"""environ(\.get)?[\[(]\s*f?["'][A-Z_]*TEST[A-Z_]*["']""")


def test_the_scan_sees_the_sources():
    assert len(SOURCES) > 100
    assert STARTS_SERVER.search('subprocess.Popen(["mosquitto", "-c", conf])')
    assert TEST_ENV.search('os.environ.get("HADIR_INGEST_TEST_CRASH_AFTER_COMMIT")')


def test_no_production_module_starts_a_server_or_reads_a_test_hook():
    found = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in (STARTS_SERVER, TEST_ENV):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


def test_the_test_support_package_is_not_a_dependency_of_production():
    for dist in ("protocol", "edge", "cloud"):
        assert "hadir-devstack" not in (ROOT / dist / "pyproject.toml").read_text()
    assert not (ROOT / "cloud/src/hadir_cloud/devstack.py").exists()
