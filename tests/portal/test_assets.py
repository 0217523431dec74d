"""The vendored front-end assets: pinned in MANIFEST.json, unchanged, served, shipped, no CDN."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cloud/src/hadir_cloud"
STATIC = PACKAGE / "portal/static"
VENDOR = STATIC / "vendor"
MANIFEST = json.loads((VENDOR / "MANIFEST.json").read_text())
#: a <script src=…>, <link href=…> or CSS url()/@import pointing off-site
REMOTE = re.compile(r"""<(script|link)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//"""
                    r"""|@import\s+(url\()?["']?(https?:)?//|url\(\s*["']?(https?:)?//""",
                    re.IGNORECASE)


def _files() -> list[tuple[dict, dict]]:
    return [(pkg, f) for pkg in MANIFEST["packages"] for f in pkg["files"]]


@pytest.mark.parametrize(("pkg", "entry"), _files(),
                         ids=[f"{p['name']}/{f['to']}" for p, f in _files()])
def test_every_vendored_file_is_there_and_unchanged(pkg: dict, entry: dict):
    path = VENDOR / pkg["name"] / entry["to"]
    assert path.is_file(), f"{path} missing: run scripts/vendor-assets.sh"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], path


def test_each_package_is_pinned_with_integrity_and_licence():
    for pkg in MANIFEST["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"]), pkg["name"]
        assert pkg["integrity"].startswith("sha512-"), pkg["name"]
        assert pkg["license"], pkg["name"]
        assert any(f["to"].upper().startswith("LICEN") for f in pkg["files"]), pkg["name"]
    names = {p["name"] for p in MANIFEST["packages"]}
    assert {"htmx.org", "@picocss/pico"} <= names and names & {"uplot", "chart.js"}


def test_nothing_unlisted_in_vendor():
    listed = {VENDOR / p["name"] / f["to"] for p, f in _files()} | {VENDOR / "MANIFEST.json"}
    present = {p for p in VENDOR.rglob("*") if p.is_file()}
    assert present == listed, sorted(str(p.relative_to(VENDOR)) for p in present ^ listed)


def test_no_template_or_stylesheet_loads_from_another_site():
    checked = list(PACKAGE.rglob("templates/**/*.html")) + [STATIC / "portal.css"]
    assert len(checked) >= 4
    offenders = [f"{p.relative_to(PACKAGE)}: {m.group(0)}" for p in checked
                 for m in REMOTE.finditer(p.read_text())]
    assert offenders == []


def test_the_pattern_catches_a_cdn():
    assert REMOTE.search('<script src="https://unpkg.com/htmx.org"></script>')
    assert REMOTE.search("<link rel=stylesheet href=//cdn.example/pico.css>")
    assert not REMOTE.search("<script src=\"{{ url_for('static', filename='x.js') }}\">")


def test_the_layout_serves_every_asset_it_names(monkeypatch):
    """The login page's <script>/<link> URLs are /static/… and each one answers 200."""
    monkeypatch.setenv("HADIR_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unused")
    client = create_app(CloudSettings(), SECRET_KEY="x" * 32).test_client()
    html = client.get("/masuk").get_data(as_text=True)
    urls = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)""", html)
    assert any(u.endswith("/htmx.min.js") for u in urls)
    assert any(u.endswith("/pico.min.css") for u in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        resp = client.get(url)
        assert resp.status_code == 200 and resp.data, url
        resp.close()


def test_the_wheel_ships_static_files_and_catalogs(tmp_path: Path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    subprocess.run([uv, "build", "--wheel", str(ROOT / "cloud"), "-o", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("hadir_cloud-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for pkg, entry in _files():
        assert f"hadir_cloud/portal/static/vendor/{pkg['name']}/{entry['to']}" in names
    assert "hadir_cloud/portal/static/portal.css" in names
    assert "hadir_cloud/portal/templates/base.html" in names
    assert "hadir_cloud/portal/translations/en/LC_MESSAGES/messages.mo" in names
