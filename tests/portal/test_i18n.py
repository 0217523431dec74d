"""Bahasa first, English second: the catalog is complete, compiled, current, and chosen right."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "cloud/src/hadir_cloud"
CATALOG = SOURCE / "portal/translations/en/LC_MESSAGES"
#: what `make i18n` passes to `pybabel extract` besides Babel's default keywords
KEYWORDS = ("_l", "N_")


def _po():
    with (CATALOG / "messages.po").open("rb") as f:
        return read_po(f)


def _table(catalog) -> dict:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)):
            m.string if isinstance(m.string, str) else tuple(m.string)
            for m in catalog if m.id}


def test_every_entry_is_translated_and_none_is_fuzzy():
    catalog = _po()
    assert len(catalog) > 20
    untranslated = [m.id for m in catalog if m.id and not all(
        (m.string,) if isinstance(m.string, str) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == [], "run `make i18n` and translate the .po"


def test_the_catalog_has_every_string_the_code_marks():
    """What `pybabel extract` finds in the source is all in the .po (else: `make i18n`)."""
    from babel.messages.extract import DEFAULT_KEYWORDS

    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "cloud/babel.cfg").read_text()))
    keywords = dict(DEFAULT_KEYWORDS, **{k: None for k in KEYWORDS})
    found = {(ctx, msg if isinstance(msg, str) else msg[0])
             for _f, _l, msg, _c, ctx in extract_from_dir(
                 str(SOURCE), method_map, options_map, keywords=keywords)}
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _po() if m.id}
    assert found, "nothing extracted: is the jinja2 extractor installed?"
    assert sorted(found - known, key=str) == []


def test_the_committed_mo_is_the_compiled_po(tmp_path: Path):
    fresh = tmp_path / "messages.mo"
    with fresh.open("wb") as f:
        write_mo(f, _po())
    with fresh.open("rb") as a, (CATALOG / "messages.mo").open("rb") as b:
        assert _table(read_mo(b)) == _table(read_mo(a)), "run `make i18n` to compile the .po"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("HADIR_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unused")
    return create_app(CloudSettings(), SECRET_KEY="x" * 32).test_client()


def test_the_login_page_is_bahasa_by_default(client):
    html = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="id"' in html
    assert "Masuk ke portal Hadir" in html and "Kata sandi" in html
    assert "Sign in" not in html


def test_lang_en_shows_english_and_is_remembered(client):
    resp = client.get("/masuk?lang=en")
    html = resp.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Sign in to the Hadir portal" in html and "Password" in html
    assert "Masuk ke portal Hadir" not in html
    assert "lang=en" in resp.headers.get("Set-Cookie", "")
    again = client.get("/masuk").get_data(as_text=True)  # the cookie now says en
    assert "Sign in to the Hadir portal" in again
    back = client.get("/masuk?lang=id").get_data(as_text=True)
    assert "Masuk ke portal Hadir" in back


def test_accept_language_then_default(client):
    english = client.get("/masuk", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Sign in to the Hadir portal" in english.get_data(as_text=True)
    other = client.get("/masuk", headers={"Accept-Language": "fr,de;q=0.5"})
    assert "Masuk ke portal Hadir" in other.get_data(as_text=True)
    unknown = client.get("/masuk?lang=xx").get_data(as_text=True)
    assert "Masuk ke portal Hadir" in unknown


def test_field_errors_are_translated_and_next_to_their_field(monkeypatch):
    monkeypatch.setenv("HADIR_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unused")
    client = create_app(CloudSettings(), SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False).test_client()
    html = client.post("/masuk?lang=en", data={"username": "", "password": ""}).get_data(
        as_text=True)
    password_at = html.index('name="password"')
    assert html.index("Enter your NIP or username.") < password_at < html.index(
        "Enter your password.")
    assert 'aria-invalid="true"' in html


def test_the_language_switch_keeps_the_query(client):
    html = client.get("/masuk?next=/x&lang=en").get_data(as_text=True)
    assert 'href="/masuk?next=%2Fx&amp;lang=id"' in html
