"""Generate fixtures/canonical_vectors.json: golden canonical bytes and signatures for other languages.

Run from the repository root:

    .venv/bin/python protocol/scripts/make_canonical_vectors.py          # write the file
    .venv/bin/python protocol/scripts/make_canonical_vectors.py --check  # exit 1 if it is stale

The output is deterministic (Ed25519 signatures are), and
tests/protocol/test_canonical_vectors.py checks that the stored file is what
`render()` produces. The rules the vectors pin are in docs/canonical-encoding.md.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hadir_protocol import fixtures
from hadir_protocol.signing import canonical_bytes, public_key_b64, sign

#: where the vectors are written (the source tree, next to the other fixtures)
OUTPUT = Path(__file__).resolve().parents[1] / "src/hadir_protocol/fixtures/canonical_vectors.json"

# (name, note, JSON text exactly as it arrives). Raw strings keep JSON escapes
# (\u00e9, \n, ...) as escapes in the input text; plain strings put the raw
# character into the input text.
CASES: list[tuple[str, str, str]] = [
    (
        "keys_sorted_by_code_point",
        "Top-level keys sorted by code point: 'A' (U+0041) < '_' (U+005F) < 'a'; a prefix sorts first.",
        '{"seq": 1, "b": 2, "aa": 6, "a1": 7, "a": 3, "_": 5, "A": 4}',
    ),
    (
        "keys_sorted_nested",
        "Objects at every depth are sorted, including objects inside arrays; arrays keep their order.",
        '{"z": {"y": 1, "x": {"b": true, "a": false}}, "a": [{"d": 1, "c": 2}, {"b": 3, "a": 4}]}',
    ),
    (
        "keys_sorted_decoded_not_escaped",
        "Keys sort by their decoded characters: U+000A < ' ' < '\"' < 'a', although the escaped "
        "form of the newline starts with a backslash (U+005C).",
        r'{"a": 1, "\"": 2, " ": 3, "\n": 4}',
    ),
    (
        "keys_non_bmp_after_high_bmp",
        "Code point order puts U+FF61 before U+1F600; RFC 8785 (UTF-16 code units: FF61 vs D83D) "
        "would put the emoji first. Wire keys are ASCII, so this only matters for foreign data.",
        '{"😀": 2, "｡": 1, "é": 3}',
    ),
    (
        "whitespace_removed",
        "Whitespace between tokens in the input is not kept; none is written.",
        '{\n  "kind" : "in",\r\n\t"seq":\t41 ,\n  "gps" : { "fix" : false }\n}\n',
    ),
    (
        "signature_excluded_at_top_level_only",
        "The top-level 'signature' member is left out whatever its value; a nested 'signature' is kept.",
        '{"signature": "any value is left out", "reply": {"signature": "kept", "ok": true}, "name": "x"}',
    ),
    (
        "unicode_indonesian_raw",
        "Non-ASCII characters are written as raw UTF-8 (é is C3 A9), never as \\u escapes.",
        '{"nama": "Andé Pratama", "unit": "Dinas Pendidikan Kabupaten Ogan Ilir", "catatan": "Izin café"}',
    ),
    (
        "unicode_escaped_in_input",
        "Escapes in the input (\\u00e9, \\u00E9, \\/) are decoded; the canonical form has raw é and '/'.",
        r'{"nama": "And\u00e9 Pratama", "tempat": "caf\u00E9 Ampera", "path": "a\/b"}',
    ),
    (
        "unicode_emoji_outside_bmp",
        "U+1F600 raw and U+1F64F given as a surrogate-pair escape both become 4-byte UTF-8 (F0 9F ...).",
        r'{"raw": "hadir 😀", "escaped": "terima kasih \ud83d\ude4f"}',
    ),
    (
        "unicode_cjk",
        "CJK characters (出勤, 'attendance') are raw 3-byte UTF-8.",
        '{"label": "出勤", "k": "\u52e4"}',
    ),
    (
        "escape_quote_backslash",
        'The two characters escaped with a backslash: " as \\" and \\ as \\\\.',
        r'{"s": "say \"hadir\" at C:\\kiosk\\data"}',
    ),
    (
        "escape_short_forms",
        "\\b \\t \\n \\f \\r are written in their two-character forms.",
        r'{"s": "a\bb\tc\nd\fe\rf"}',
    ),
    (
        "escape_control_u0001_u001f",
        "Other control characters U+0000..U+001F are \\u00XX with lowercase hex (\\u000b, not \\v; "
        "\\u001F in the input becomes \\u001f).",
        r'{"s": "\u0001 \u0007 \u000b \u001F", "k\u001f": 1}',
    ),
    (
        "no_escape_del",
        "U+007F (DEL) is not escaped: one raw 7F byte.",
        '{"s": "a\x7fb"}',
    ),
    (
        "no_escape_u2028_u2029",
        "U+2028 and U+2029 are not escaped: raw E2 80 A8 and E2 80 A9 (Go's encoding/json escapes them).",
        '{"s": "line\u2028separator\u2029paragraph"}',
    ),
    (
        "no_escape_html",
        "<, > and & are written as they are (Go's encoding/json escapes them unless told not to).",
        r'{"s": "<b>Tom & Jerry</b>", "t": "\u003c\u0026\u003e"}',
    ),
    (
        "integers_small",
        "Integers are decimal digits; '-0' is the integer 0.",
        '{"zero": 0, "neg": -17, "negzero": -0, "one": 1, "seq": 41}',
    ),
    (
        "integer_2_53_plus_1",
        "Integers are exact at any size: 2**53+1 must not pass through a double (9007199254740992).",
        '{"n": 9007199254740993, "m": -9007199254740993}',
    ),
    (
        "integer_19_digits",
        "19-digit integers (a long-lived seq, int64 bounds) are kept exactly.",
        '{"seq": 1234567890123456789, "max_i64": 9223372036854775807, "min_i64": -9223372036854775808}',
    ),
    (
        "float_shortest_round_trip",
        "Floats are the shortest decimal that reads back to the same double: 0.1, 0.3, 0.30000000000000004.",
        '{"a": 0.1, "b": 0.3, "c": 0.30000000000000004, "d": 0.12}',
    ),
    (
        "float_input_digits_not_kept",
        "The canonical float comes from the double, not from the input digits.",
        '{"a": 1.0000000000000000001, "b": 0.1000000000000000055511151231257827, "c": 4.50}',
    ),
    (
        "float_integral_keeps_point_zero",
        "A number written with '.', 'e' or 'E' is a float; an integral float ends in '.0' (50.0, 1E2 -> "
        "100.0); the same value written without them is an integer (50).",
        '{"radius_m": 50.0, "radius_int": 50, "hundred": 1E2, "one": 1.0, "zero": 0.0, "big": 1E15}',
    ),
    (
        "float_small_exponent",
        "Exponent form below 1e-4: 1e-07 and 1e-05 (sign and at least two exponent digits); 0.0001 is fixed.",
        '{"a": 1e-7, "b": 0.00001, "c": 0.0001, "d": 0.000123}',
    ),
    (
        "float_large_exponent",
        "Exponent form from 1e16 up: 1e+16, 1e+21, 1.2345678901234568e+16; 9007199254740992.0 is fixed.",
        '{"a": 1e21, "b": 10000000000000000.0, "c": 12345678901234567.0, "d": 9007199254740992.0}',
    ),
    (
        "float_with_fraction",
        "A float with a binary-exact fraction: 123456789.125.",
        '{"x": 123456789.125}',
    ),
    (
        "float_negative_zero",
        "-0.0 keeps its sign; 0.0 is 0.0.",
        '{"neg": -0.0, "pos": 0.0}',
    ),
    (
        "float_min_subnormal",
        "The smallest positive double is 5e-324, however it is written in the input.",
        '{"a": 5e-324, "b": 4.9406564584124654e-324}',
    ),
    (
        "float_max",
        "The largest double: 1.7976931348623157e+308.",
        '{"x": 1.7976931348623157e308}',
    ),
    (
        "float_latitude_longitude",
        "GPS values as a kiosk sends them (Jakarta).",
        '{"gps": {"lat": -6.2088, "lon": 106.8456, "accuracy_m": 4.5, "hdop": 0.9, "fix": true}}',
    ),
    (
        "literals",
        "true, false and null are written as such.",
        '{"t": true, "f": false, "n": null}',
    ),
    (
        "empty_object",
        "An empty object is {}.",
        "{ }",
    ),
    (
        "empty_containers",
        "Empty arrays and objects as values.",
        '{"o": {}, "a": [ ], "nested": [[], {}]}',
    ),
    (
        "array_order_kept",
        "Arrays keep their order and may mix types.",
        '{"a": [3, 1, 2, "b", "a", null, true, 2.5, [], {"y": 1, "x": 2}]}',
    ),
]

#: inputs that Python's json.loads accepts but canonical_bytes refuses with ValueError
REFUSED: list[tuple[str, str, str]] = [
    ("nan", "NaN has no JSON form.", '{"lat": NaN}'),
    ("infinity", "Infinity has no JSON form.", '{"lat": Infinity}'),
    ("negative_infinity", "-Infinity has no JSON form.", '{"gps": {"lat": -Infinity}}'),
    ("overflow_to_infinity", "1e400 reads as infinity and is refused like it.", '{"x": 1e400}'),
    (
        "lone_surrogate",
        "An unpaired surrogate escape cannot be encoded as UTF-8 (UnicodeEncodeError, a ValueError).",
        r'{"s": "\ud800"}',
    ),
]

#: existing golden messages, used as they are on disk
FILE_CASES: list[tuple[str, str, str]] = [
    (
        "checkin_face_fixture",
        "fixtures/checkin_face.json as it is; its signature is the one in the file.",
        "checkin_face.json",
    ),
    (
        "checkin_batch_fixture",
        "fixtures/checkin_batch.json as it is: the events' own signatures are nested, so they are "
        "covered (test vector only; the cloud verifies each event).",
        "checkin_batch.json",
    ),
]


def fixture_key() -> Ed25519PrivateKey:
    """The fixture key (fixtures/fixture_key.pem), test data only."""
    key = serialization.load_pem_private_key(fixtures.fixture_key_pem(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("fixtures/fixture_key.pem is not an Ed25519 key")
    return key


def _fixture_text(filename: str) -> str:
    return resources.files("hadir_protocol").joinpath("fixtures", filename).read_text(encoding="utf-8")


def build_vectors() -> list[dict[str, Any]]:
    """Every vector, in file order: the signed cases, then the refused ones."""
    key = fixture_key()
    pub = public_key_b64(key)
    cases = CASES + [(name, note, _fixture_text(fn)) for name, note, fn in FILE_CASES]
    out: list[dict[str, Any]] = []
    for name, note, text in cases:
        obj = json.loads(text)
        canon = canonical_bytes(obj)
        out.append(
            {
                "name": name,
                "note": note,
                "input": text,
                "canonical_utf8_hex": canon.hex(),
                "canonical_text": canon.decode("utf-8"),
                "signature_b64": sign(obj, key)["signature"],
                "public_key_b64": pub,
            }
        )
    for name, note, text in REFUSED:
        obj = json.loads(text)
        try:
            canonical_bytes(obj)
        except ValueError:
            pass
        else:
            raise AssertionError(f"refused vector {name} was accepted")
        out.append({"name": name, "note": note, "input": text, "refused": True})
    names = [v["name"] for v in out]
    if len(set(names)) != len(names):
        raise AssertionError("vector names must be unique")
    return out


def render() -> str:
    """The file's text: ASCII-only JSON (non-ASCII as \\u escapes), two-space indent, final newline."""
    return json.dumps(build_vectors(), indent=2, ensure_ascii=True) + "\n"


def main(argv: list[str]) -> int:
    """Write the vectors file, or with --check report whether it is current."""
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
