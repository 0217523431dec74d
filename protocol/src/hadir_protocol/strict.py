"""Strict JSON for the wire: what the cloud parses before any model sees a byte.

`loads` accepts only what an honest kiosk can send and raises `Rejected` with a
typed reason for anything else:

- UTF-8 only: no byte-order mark, no UTF-16/32, no invalid or overlong
  sequences, no encoded surrogates (Python's strict UTF-8 decoder);
- a JSON object at the top; duplicate keys refused (which one would a verifier
  in another language keep?);
- NaN, Infinity and -Infinity refused, and so is a float that overflows to
  infinity (`1e999`);
- integers of at most `MAX_INT_DIGITS` digits (a thousand-digit integer costs
  quadratic time to convert), nesting at most `MAX_DEPTH` deep;
- no NUL character and no lone surrogate in any string or key (PostgreSQL
  text cannot hold a NUL, UTF-8 cannot hold a lone surrogate);
- every string at most `MAX_STRING` characters, except the fields named in
  `STRING_LIMITS` (the photo), and every key at most `MAX_KEY`.

Photos are checked by `check_jpeg`: strict base64, a real JPEG header
(Pillow reads the markers up to the first scan) and size and pixel limits.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .models import MAX_PHOTO_B64
from .reasons import Reason, Rejected

MAX_DEPTH = 16
MAX_INT_DIGITS = 20
INT_LIMIT = 10**MAX_INT_DIGITS
MAX_STRING = 2048
MAX_KEY = 64
#: Largest photo, decoded.
MAX_PHOTO_BYTES = MAX_PHOTO_B64 * 3 // 4
#: A kiosk photo is 320 px wide; anything far larger is not one of ours.
MAX_PHOTO_SIDE = 1280
MAX_PHOTO_PIXELS = 1280 * 960
STRING_LIMITS: Mapping[str, int] = {"photo_jpeg_b64": MAX_PHOTO_B64, "signature": 128}

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _refuse_constant(name: str) -> Any:
    raise _Refusal(Reason.NON_FINITE, f"{name} is not a JSON number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refusal(Reason.DUPLICATE_KEY, f"key {printable(dup)!r} appears twice")
    return obj


class _Refusal(ValueError):
    """Raised inside json's hooks; turned into Rejected by `loads`."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


#: only object_pairs_hook and parse_constant run Python code per token; numbers are parsed
#: by the C scanner and checked in `check_tree` (int() itself refuses over 4,300 digits)
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_refuse_constant)


def loads(payload: bytes, max_bytes: int, string_limit: int = MAX_STRING) -> dict[str, Any]:
    """The JSON object in `payload`, or Rejected with the reason it is refused."""
    if len(payload) > max_bytes:
        raise Rejected(Reason.OVERSIZE, f"{len(payload)} bytes > {max_bytes}")
    if payload.startswith(_BOMS):
        raise Rejected(Reason.NOT_UTF8, "byte-order mark: the wire is UTF-8 without BOM")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Rejected(Reason.NOT_UTF8, f"invalid UTF-8 at byte {err.start}") from err
    try:
        obj = _DECODER.decode(text)
    except _Refusal as err:
        raise Rejected(err.reason, err.detail) from err
    except RecursionError as err:
        raise Rejected(Reason.TOO_DEEP, f"nesting deeper than {MAX_DEPTH}") from err
    except ValueError as err:  # JSONDecodeError, and int() past its 4,300-digit limit
        if "digits" in str(err) and "integer" in str(err):
            raise Rejected(Reason.NUMBER_TOO_LARGE, printable(str(err))[:200]) from err
        raise Rejected(Reason.MALFORMED_JSON, printable(str(err))[:200]) from err
    if not isinstance(obj, dict):
        raise Rejected(Reason.MALFORMED_JSON, "payload is not a JSON object")
    check_tree(obj, string_limit, text)
    return obj


def check_tree(obj: Any, string_limit: int = MAX_STRING, text: str | None = None) -> None:
    """Depth, number, string and key checks over a parsed value.

    With the JSON `text` at hand, the NUL/surrogate search runs only when the text
    has a `\\u0000` or `\\uD800`–`\\uDFFF` escape at all (the only way either can
    enter: raw NUL is invalid JSON and UTF-8 cannot carry a surrogate).
    """
    chars = text is None or _ESCAPE.search(text) is not None
    if type(obj) is dict:
        _walk_dict(obj, 1, string_limit, chars)
    elif type(obj) is list:
        _walk_list(obj, 1, "", string_limit, chars)
    else:
        _leaf(obj, "", string_limit, chars)


# Written for speed (every check-in passes here): a call per container, not per value.
def _walk_dict(obj: dict[str, Any], depth: int, limit: int, chars: bool) -> None:
    if depth > MAX_DEPTH:
        raise Rejected(Reason.TOO_DEEP, f"nesting deeper than {MAX_DEPTH}")
    for key, value in obj.items():
        if chars or len(key) > MAX_KEY:
            _check_string(key, MAX_KEY, "(key)")
        kind = type(value)
        if kind is str:
            if chars or len(value) > STRING_LIMITS.get(key, limit):
                _check_string(value, STRING_LIMITS.get(key, limit), key)
        elif kind is dict:
            _walk_dict(value, depth + 1, limit, chars)
        elif kind is list:
            _walk_list(value, depth + 1, key, limit, chars)
        elif kind is float or kind is int:
            _leaf(value, key, limit, chars)


def _walk_list(obj: list[Any], depth: int, key: str, limit: int, chars: bool) -> None:
    if depth > MAX_DEPTH:
        raise Rejected(Reason.TOO_DEEP, f"nesting deeper than {MAX_DEPTH}")
    for value in obj:
        kind = type(value)
        if kind is dict:
            _walk_dict(value, depth + 1, limit, chars)
        elif kind is list:
            _walk_list(value, depth + 1, key, limit, chars)
        else:
            _leaf(value, key, limit, chars)


def _leaf(value: Any, key: str, limit: int, chars: bool) -> None:
    kind = type(value)
    if kind is str:
        if chars or len(value) > STRING_LIMITS.get(key, limit):
            _check_string(value, STRING_LIMITS.get(key, limit), key)
    elif kind is float:
        if not math.isfinite(value):
            raise Rejected(Reason.NON_FINITE, f"{printable(key)}: a number overflows to infinity")
    elif kind is int and not -INT_LIMIT < value < INT_LIMIT:
        raise Rejected(Reason.NUMBER_TOO_LARGE,
                       f"{printable(key)}: an integer of more than {MAX_INT_DIGITS} digits")


def _check_string(value: str, limit: int, key: str) -> None:
    if len(value) > limit:
        raise Rejected(Reason.STRING_TOO_LONG,
                       f"{printable(key)}: {len(value)} characters > {limit}")
    bad = _BAD_CHAR.search(value)
    if bad is not None:
        what = "NUL" if bad.group() == "\x00" else f"lone surrogate U+{ord(bad.group()):04X}"
        raise Rejected(Reason.BAD_STRING, f"{printable(key)}: {what}")


def printable(text: str) -> str:
    """`text` safe for a log or a PostgreSQL text column: no NUL, no lone surrogate."""
    return _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def check_jpeg(b64: str) -> bytes:
    """The decoded photo, if `b64` is strict base64 of a JPEG within the limits; else Rejected."""
    if len(b64) > MAX_PHOTO_B64:
        raise Rejected(Reason.BAD_PHOTO, f"{len(b64)} base64 characters > {MAX_PHOTO_B64}")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as err:
        raise Rejected(Reason.BAD_PHOTO, f"not strict base64: {err}") from err
    if not raw.startswith(b"\xff\xd8\xff") or not raw.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise Rejected(Reason.BAD_PHOTO, "not a complete JPEG (SOI … EOI markers)")
    from PIL import Image, UnidentifiedImageError  # imported here: the kiosk never checks

    try:
        with Image.open(io.BytesIO(raw), formats=["JPEG"]) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise Rejected(Reason.BAD_PHOTO, f"not a JPEG: {printable(str(err))[:100]}") from err
    except Image.DecompressionBombError as err:
        raise Rejected(Reason.BAD_PHOTO, "decompression bomb") from err
    if (width < 1 or height < 1 or max(width, height) > MAX_PHOTO_SIDE
            or width * height > MAX_PHOTO_PIXELS):
        raise Rejected(Reason.BAD_PHOTO, f"{width}×{height} px is outside the photo limits")
    return raw
