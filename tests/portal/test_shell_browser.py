"""The portal's shell in a real browser: Debian's Chromium, the real `hadir-cloud portal`.

Signs in as a person would and keeps screenshots of the login page (Bahasa and English)
and the check-ins page, in the test's tmp_path (and in docs/screenshots/ with HADIR_DOCS_SCREENSHOTS=1).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hadir_devstack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv/bin/hadir-cloud"
SHOTS = ROOT / "docs/screenshots"
PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def portal_url(fresh_db: str, tmp_path: Path):
    """`hadir-cloud db upgrade`, `user add`, then `hadir-cloud portal` on a free port."""
    env = dict(os.environ, HADIR_DATABASE_URL=fresh_db, HADIR_SECRET_KEY="s" * 40)
    env.pop("HADIR_DATABASE_URL_FILE", None)
    env.pop("HADIR_SECRET_KEY_FILE", None)
    cli = str(CLI) if CLI.exists() else "hadir-cloud"
    for args, stdin in ((["db", "upgrade"], None),
                        (["user", "add", "--username", "admin", "--password-file", "-"], PASSWORD)):
        done = subprocess.run([cli, *args], input=stdin, text=True, env=env,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, f"hadir-cloud {' '.join(args)}: {done.stderr}"
    with serve_portal(env, tmp_path) as url:
        yield url


@contextlib.contextmanager
def serve_portal(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`hadir-cloud portal` on a free port with this environment, until the block ends; its
    log in tmp_path/portal.log."""
    cli = str(CLI) if CLI.exists() else "hadir-cloud"
    port = free_port()
    log = (tmp_path / "portal.log").open("w")
    proc = subprocess.Popen([cli, "portal", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the portal did not start:\n"
                                   + (tmp_path / "portal.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _shot(page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot in the test's output (tmp_path); copied to docs/screenshots/ only
    when HADIR_DOCS_SCREENSHOTS is set (`make docs-screenshots`), so a test run leaves the
    working tree as it found it."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("HADIR_DOCS_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / path.name)


def test_login_and_checkins_pages(portal_url: str, browser, tmp_path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="id-ID")
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)

    page.goto(f"{portal_url}/masuk")
    assert page.title() == "Masuk — Hadir"
    assert page.locator("h1").inner_text() == "Masuk ke portal Hadir"
    # the vendored assets loaded: Pico styles the button, htmx is defined
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("getComputedStyle(document.querySelector('button')).cursor") == "pointer"
    _shot(page, tmp_path, "portal-login-id")

    page.goto(f"{portal_url}/masuk?lang=en")
    assert page.locator("h1").inner_text() == "Sign in to the Hadir portal"
    _shot(page, tmp_path, "portal-login-en")

    page.goto(f"{portal_url}/masuk?lang=id")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill("salah-sekali")
    page.get_by_role("button", name="Masuk").click()
    assert "kata sandi salah" in page.locator(".flash").inner_text()
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    assert page.title().startswith("Check-in ")
    nav = page.get_by_role("navigation", name="Menu utama")
    assert nav.get_by_role("link", name="Check-in hari ini").get_attribute(
        "aria-current") == "page"
    assert "Belum ada check-in pada tanggal ini." in page.locator("#checkins").inner_text()
    _shot(page, tmp_path, "portal-checkins-id")

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{portal_url}/masuk")
    assert failed == []  # every asset and page answered
    page.close()


def test_an_employee_activates_the_account_and_sees_the_month(portal_url: str, browser,
                                                              fresh_db: str, tmp_path: Path):
    """Activation with HR's one-time code, then 'my month' with statuses and the TPP estimate."""
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from test_tpp_store import SARI, seed_october

    seed_october(fresh_db)
    env = dict(os.environ, HADIR_DATABASE_URL=fresh_db)
    cli = str(CLI) if CLI.exists() else "hadir-cloud"
    out = subprocess.run([cli, "account", "invite", "--nip", SARI], env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    code = out.stdout.split(": ")[-1].split()[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_role("link", name="Aktifkan akun dengan kode dari admin kepegawaian").click()
    page.get_by_label("NIP").fill(SARI)
    page.get_by_label("Kode aktivasi dari admin kepegawaian").fill(code)
    page.get_by_label("Kata sandi baru").fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    _shot(page, tmp_path, "portal-activate-id")
    page.get_by_role("button", name="Aktifkan").click()
    page.wait_for_url(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(SARI)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/bulan-saya")
    page.goto(f"{portal_url}/bulan-saya?bulan=2026-10")
    assert "Oktober 2026" in page.locator("h1").inner_text()
    assert "TK" in page.locator('td[data-day="2026-10-06"]').inner_text()
    assert "Rp 3.448.000" in page.locator("main").inner_text()
    _shot(page, tmp_path, "portal-my-month-id")
    # an employee is not an attendance reader: the regency's check-ins are refused, in Bahasa
    resp = page.goto(f"{portal_url}/")
    assert resp is not None and resp.status == 403
    assert "Akses ditolak" in page.locator("h1").inner_text()
    _shot(page, tmp_path, "portal-403-id")
    page.close()


def test_hr_runs_tpp_and_watches_the_progress_bar(portal_url: str, browser, fresh_db: str,
                                                  tmp_path: Path):
    """The job page polls with htmx: it turns to 'selesai' by itself when the run is done."""
    sys.path.insert(0, str(ROOT / "tests" / "tpp"))
    from hadir_cloud.jobs.tasks import run_tpp
    from test_tpp_store import SARI, seed_october

    seed_october(fresh_db)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page.goto(f"{portal_url}/masuk")
    page.get_by_label("NIP atau nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{portal_url}/")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="TPP",
                                                                  exact=True).click()
    page.wait_for_url(f"{portal_url}/tpp/")
    page.locator('input[name="month"]').fill("2026-10")
    _shot(page, tmp_path, "portal-tpp-id")
    page.get_by_role("button", name="Jalankan").click()
    page.wait_for_url("**/tpp/job/*")
    assert "menunggu" in page.locator("#job-progress").inner_text()
    job_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    run_tpp(fresh_db, job_id, "2026-10", "admin")  # what `hadir-cloud worker` does
    page.locator("#job-progress[data-state='done']").wait_for(timeout=15_000)
    assert "selesai" in page.locator("#job-progress").inner_text()
    _shot(page, tmp_path, "portal-tpp-job-id")
    page.get_by_role("link", name="Buka run").click()
    assert "Rp 9.650.000" in page.locator("main").inner_text()
    _shot(page, tmp_path, "portal-tpp-run-id")
    page.get_by_role("link", name=SARI).click()
    assert "Rp 3.448.000" in page.locator("main").inner_text()
    _shot(page, tmp_path, "portal-tpp-explain-id")
    page.close()
