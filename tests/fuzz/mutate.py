"""A seeded mutator over the golden check-in fixtures: hostile payloads, re-signed and not.

Each payload starts from a golden event made current (new event id, captured now)
and gets one to three mutations: a hostile value in a field (deep nesting, huge
integers, NaN/Infinity, NUL, lone surrogates, calendar-edge times, bad photos,
wrong types, other devices, implausible times), a text-level change (duplicate
keys, BOM, UTF-16, control bytes) or a byte-level one (flip, cut, splice). Half
of the structurally mutated events are signed again with the fixture key, so
they pass the signature and reach the deeper checks. Some go out in batches.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hadir_protocol import fixtures, topics
from hadir_protocol.codec import batch_payload, encode, uuid7
from hadir_protocol.signing import sign
from PIL import Image

DEVICE = fixtures.FIXTURE_DEVICE_ID
RAW = "\u0001RAW{}\u0001"  # a placeholder replaced by raw JSON text after encoding


def fixture_key() -> Ed25519PrivateKey:
    """The key that signed the fixtures."""
    key = serialization.load_pem_private_key(fixtures.fixture_key_pem(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def _jpeg(w: int, h: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (120, 90, 60)).save(buf, "JPEG", quality=30)
    return base64.b64encode(buf.getvalue()).decode()


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for p in path[:-1]:
        obj = obj[p]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


_DELETE = object()


class Mutator:
    """Seeded payload maker; `next()` gives (topic, payload, note)."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.key = fixture_key()
        self.bases = [fixtures.load("checkin_face"), fixtures.load("checkin_nip_nofix")]
        self.big_photo = _jpeg(2000, 1600)
        self.raw_tokens: list[str] = []

    # --- building blocks ------------------------------------------------------------
    def fresh(self) -> dict[str, Any]:
        """A golden event made current and signed: the ingest stores it."""
        ev = copy.deepcopy(self.rnd.choice(self.bases))
        ev["event_id"] = str(uuid7())
        ev["seq"] = self.rnd.randint(1, 10**9)
        at = datetime.now(UTC) - timedelta(seconds=self.rnd.randint(0, 3 * 86400))
        ev["captured_at"] = at.isoformat().replace("+00:00", "Z")
        return sign(ev, self.key)

    def _raw(self, text: str) -> str:
        self.raw_tokens.append(text)
        return RAW.format(len(self.raw_tokens) - 1)

    def hostile(self) -> Any:
        """A value no honest kiosk sends (some are raw JSON text)."""
        r = self.rnd
        depth = r.choice([17, 100, 5000])
        choices: list[Any] = [
            self._raw("[" * depth + "]" * depth),
            self._raw("9" * r.choice([21, 400, 5000])),
            self._raw(r.choice(["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])),
            "x\u0000y", "\ud800", "a\udfffb", "\u0000",
            "x" * r.choice([2049, 100_000]),
            r.choice(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                      "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z",
                      "2026-02-30T00:00:00Z", "2026-10-05T25:00:00Z", "1970-01-01T00:00:00Z"]),
            None, True, 0, -1, 2**62 + 1, 1.5e308, -0.0, [], {}, [1, [2]], {"a": {"b": 1}},
            "", " ", "🙂", "e\u0301", "\u202e", "0" * 18, str(uuid.uuid4()), "not-a-uuid",
        ]
        return r.choice(choices)

    def mutate_fields(self, ev: dict[str, Any]) -> str:
        """Change one field of the event; returns a note."""
        r = self.rnd
        kind = r.random()
        if kind < 0.12:
            photo = r.choice(["!!!not base64!!!", "QUJD", "QUJDRA", "QUJD=", "QUJD\n",
                              base64.b64encode(b"\xff\xd8\xff" + b"\x00" * 64 + b"\xff\xd9").decode(),
                              base64.b64encode(b"GIF89a" + bytes(40)).decode(), self.big_photo,
                              str(ev.get("photo_jpeg_b64", ""))[:-8] or "QUJD",
                              "A" * 98_000])
            ev["photo_jpeg_b64"] = photo
            return "photo"
        if kind < 0.2:
            delta = r.choice([timedelta(minutes=10), timedelta(days=2), timedelta(days=-40),
                              timedelta(days=-400), timedelta(days=3650)])
            ev["captured_at"] = (datetime.now(UTC) + delta).isoformat()
            return f"time{delta.days:+d}d"
        if kind < 0.25:
            ev["device_id"] = r.choice(["kiosk-lain-01", "KIOSK", "kiosk-fixture-01\u0000"])
            return "device"
        if kind < 0.3:
            ev["event_id"] = r.choice([str(uuid.uuid4()), "not-a-uuid", "", "\ud800"])
            return "event_id"
        path = r.choice(list(_paths(ev)))
        value = _DELETE if r.random() < 0.15 else self.hostile()
        try:
            _set(ev, path, value)
        except (KeyError, IndexError, TypeError):
            return "noop"
        return f"field:{'.'.join(map(str, path))}"

    def encode_text(self, ev: Any) -> bytes:
        """JSON with the raw tokens put in (and lone surrogates kept as escapes)."""
        text = json.dumps(ev, separators=(",", ":"), ensure_ascii=True)
        for i, token in enumerate(self.raw_tokens):
            text = text.replace(json.dumps(RAW.format(i), ensure_ascii=True), token)
        self.raw_tokens.clear()
        return text.encode("ascii")

    def mutate_text(self, data: bytes) -> tuple[bytes, str]:
        """A text- or byte-level change."""
        r = self.rnd
        kind = r.randrange(10)
        if kind == 0:
            return b'{"schema":"hadir.checkin/1",' + data[1:], "duplicate-key"
        if kind == 1:
            return b"\xef\xbb\xbf" + data, "bom"
        if kind == 2:
            return data.decode("ascii", "replace").encode("utf-16"), "utf16"
        if kind == 3 and data:
            i = r.randrange(len(data))
            return data[:i] + bytes([r.randrange(256)]) + data[i + 1:], "flip"
        if kind == 4:
            return data[:r.randrange(len(data) + 1)], "cut"
        if kind == 5 and data:
            i, j = sorted(r.randrange(len(data)) for _ in range(2))
            return data[:i] + data[j:] + data[i:j], "splice"
        if kind == 6:
            digits = b"1" * r.choice([30, 4300])
            return data.replace(b'"seq":', b'"seq":' + digits + b',"x":', 1), "seq-digits"
        if kind == 7:
            return r.choice([b"", b"null", b"[]", b"\"x\"", b"{}", b"\x00" * 8,
                             b"\xc0\xaf", b"\xed\xa0\x80"]), "junk"
        if kind == 8:
            return data.replace(b"\"kind\":\"in\"", b"\"kind\":\"in\",\"kind\":\"out\"", 1), "dup-kind"
        return data + b" " * r.randrange(3) + r.choice([b"", b"x", b"}"]), "tail"

    # --- payloads -------------------------------------------------------------------
    def event_payload(self) -> tuple[bytes, str]:
        """One event: good, structurally mutated (re-signed or not) or text-mutated."""
        r = self.rnd
        ev = self.fresh()
        roll = r.random()
        if roll < 0.15:
            return encode(ev), "good"
        notes = []
        for _ in range(r.choice([1, 1, 2, 3])):
            notes.append(self.mutate_fields(ev))
        resign = r.random() < 0.5
        if resign:
            ev = self._resign(ev)
        data = self.encode_text(ev)
        if r.random() < 0.3:
            data, note = self.mutate_text(data)
            notes.append(note)
        return data, ("signed " if resign else "") + ",".join(notes)

    def _resign(self, ev: dict[str, Any]) -> dict[str, Any]:
        try:
            return sign(ev, self.key)
        except (ValueError, TypeError):  # NaN / surrogate / raw token: cannot be signed
            return ev

    def next(self) -> tuple[str, bytes, str]:
        """(topic, payload, note)."""
        r = self.rnd
        if r.random() < 0.08:  # a batch of a few members, some hostile
            members: list[Any] = []
            for _ in range(r.randint(1, 5)):
                if r.random() < 0.5:
                    members.append(self.fresh())
                else:
                    ev = self.fresh()
                    self.mutate_fields(ev)
                    members.append(self._resign(ev) if r.random() < 0.5 else ev)
            if r.random() < 0.2:
                members.append(members[0])  # the same event twice in one batch
            data = self.encode_text({"schema": "hadir.checkin-batch/1", "device_id": DEVICE,
                                     "events": members})
            return topics.checkin(DEVICE), data, "batch"
        if r.random() < 0.02:  # a kiosk the cloud has never heard of, signing its own events
            ev = {**self.fresh(), "device_id": "kiosk-asing-01"}
            return topics.checkin("kiosk-asing-01"), encode(self._resign(ev)), "unknown-device"
        data, note = self.event_payload()
        return topics.checkin(DEVICE), data, note


def batch_of_good(m: Mutator, n: int) -> bytes:
    """A batch of n good events (for throughput checks)."""
    return batch_payload(DEVICE, [m.fresh() for _ in range(n)])
