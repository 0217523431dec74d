"""Golden canonical-encoding vectors (fixtures/canonical_vectors.json) hold for hadir_protocol.signing."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hadir_protocol import fixtures
from hadir_protocol.signing import canonical_bytes, load_public_key, public_key_b64, sign, verify

SCRIPT = Path(__file__).resolve().parents[2] / "protocol" / "scripts" / "make_canonical_vectors.py"
VECTORS: list[dict[str, Any]] = fixtures.load("canonical_vectors")
SIGNED = [v for v in VECTORS if not v.get("refused")]
REFUSED = [v for v in VECTORS if v.get("refused")]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_canonical_vectors", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fixture_key() -> Any:
    return serialization.load_pem_private_key(fixtures.fixture_key_pem(), password=None)


def _by_name(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS if v["name"] == name)


def test_vectors_file_is_what_the_script_generates() -> None:
    stored = resources.files("hadir_protocol").joinpath("fixtures", "canonical_vectors.json").read_text()
    assert stored == _script().render(), "stale: run protocol/scripts/make_canonical_vectors.py"


@pytest.mark.parametrize("vector", SIGNED, ids=[v["name"] for v in SIGNED])
def test_canonical_bytes_match_the_vector(vector: dict[str, Any]) -> None:
    canon = canonical_bytes(json.loads(vector["input"]))
    assert canon == bytes.fromhex(vector["canonical_utf8_hex"])
    assert canon.decode("utf-8") == vector["canonical_text"]


@pytest.mark.parametrize("vector", SIGNED, ids=[v["name"] for v in SIGNED])
def test_signature_verifies_and_is_reproduced(vector: dict[str, Any]) -> None:
    obj = json.loads(vector["input"])
    pub = load_public_key(vector["public_key_b64"])
    verify({**obj, "signature": vector["signature_b64"]}, pub)
    assert sign(obj, _fixture_key())["signature"] == vector["signature_b64"]


@pytest.mark.parametrize("vector", REFUSED, ids=[v["name"] for v in REFUSED])
def test_refused_inputs_raise_value_error(vector: dict[str, Any]) -> None:
    obj = json.loads(vector["input"])  # Python's parser accepts them ...
    with pytest.raises(ValueError):
        canonical_bytes(obj)  # ... the canonical form does not


def test_public_key_is_the_fixture_key() -> None:
    expected = public_key_b64(_fixture_key())
    assert {v["public_key_b64"] for v in SIGNED} == {expected}


def test_checkin_vector_agrees_with_the_older_golden_files() -> None:
    vector = _by_name("checkin_face_fixture")
    golden = resources.files("hadir_protocol").joinpath("fixtures", "canonical_checkin_face.txt").read_bytes()
    assert bytes.fromhex(vector["canonical_utf8_hex"]) == golden
    assert vector["signature_b64"] == fixtures.load("checkin_face")["signature"]


def test_vectors_cover_what_the_doc_promises() -> None:
    """A regenerated file that silently lost a class of case would still match the script."""
    names = {v["name"] for v in VECTORS}
    for required in (
        "keys_sorted_nested",
        "keys_non_bmp_after_high_bmp",
        "escape_control_u0001_u001f",
        "no_escape_del",
        "no_escape_u2028_u2029",
        "integer_2_53_plus_1",
        "float_negative_zero",
        "float_min_subnormal",
        "float_max",
        "checkin_face_fixture",
        "checkin_batch_fixture",
        "nan",
        "infinity",
    ):
        assert required in names
    assert len(REFUSED) >= 2 and all("canonical_utf8_hex" not in v for v in REFUSED)
    assert any(not v["canonical_text"].isascii() for v in SIGNED), "some vector must carry raw UTF-8"
