"""Envelope encryption of face templates (and kiosks' gallery keys) at rest in the cloud.

Every template has its own 256-bit data key: the encodings are sealed with AES-256-GCM under
it (the person's id as associated data, so a sealed value cannot be moved to another row), and
the data key is stored wrapped by a key-encryption key (KEK) that never enters the database.
Destroying the row's sealed value and wrapped key destroys the template (crypto-shredding).

The KEK comes from a key service: a port (`KeyService`) with one adapter here, a key file
(`HADIR_TEMPLATE_KEY_FILE`, 64 hex characters; `hadir-cloud privacy template-key init` makes
one). A hardware module or a cloud KMS is another adapter with the same three members.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_KEK_AAD = b"hadir-kek/1"
_TEMPLATE_AAD = b"hadir-template/1:"
_NONCE = 12


class TemplateKeyError(RuntimeError):
    """A key is missing, unreadable, or not the one a value was sealed with (the message says
    which and where)."""


class KeyService(Protocol):
    """Wraps and unwraps data keys with a key-encryption key the database never holds."""

    @property
    def key_id(self) -> str:
        """Names the current KEK (stored beside what it wraps)."""
        ...

    def wrap(self, data_key: bytes) -> bytes:
        """The data key wrapped by the current KEK."""
        ...

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """The data key a KEK named `key_id` wrapped; TemplateKeyError when that KEK is not here."""
        ...


def _kek_id(kek: bytes) -> str:
    return "file:" + hashlib.sha256(b"hadir-kek-id/1" + kek).hexdigest()[:16]


def read_key_file(path: Path) -> bytes:
    """A 256-bit key from a file of 64 hex characters."""
    try:
        text = path.read_text().strip()
    except OSError as err:
        raise TemplateKeyError(f"{path}: berkas kunci tidak dapat dibaca: {err}") from err
    try:
        key = bytes.fromhex(text)
    except ValueError as err:
        raise TemplateKeyError(f"{path}: kunci harus 64 karakter heksadesimal") from err
    if len(key) != 32:
        raise TemplateKeyError(f"{path}: kunci harus 64 karakter heksadesimal (256 bit)")
    return key


def write_key_file(path: Path) -> str:
    """Make a new 256-bit key file (mode 0600; never overwrites); returns its key id."""
    key = AESGCM.generate_key(bit_length=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as err:
        raise TemplateKeyError(f"{path} sudah ada; kunci lama tidak ditimpa") from err
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return _kek_id(key)


class FileKeyService:
    """The KEK from a file; earlier KEKs (after a rotation) may be given to unwrap old keys."""

    def __init__(self, current: bytes, previous: tuple[bytes, ...] = ()):
        self._current = current
        self._keys = {_kek_id(k): k for k in (current, *previous)}

    @classmethod
    def from_files(cls, current: Path, previous: tuple[Path, ...] = ()) -> FileKeyService:
        """From the key file and any earlier ones."""
        return cls(read_key_file(current), tuple(read_key_file(p) for p in previous))

    @property
    def key_id(self) -> str:
        """The current KEK's id."""
        return _kek_id(self._current)

    def wrap(self, data_key: bytes) -> bytes:
        """nonce ‖ AES-256-GCM(data key) under the current KEK."""
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self._current).encrypt(nonce, data_key, _KEK_AAD)

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """The data key, with the KEK named `key_id`."""
        kek = self._keys.get(key_id)
        if kek is None:
            raise TemplateKeyError(f"templat dienkripsi dengan kunci {key_id}, yang tidak dimuat di "
                            "sini (HADIR_TEMPLATE_KEY_FILE / HADIR_TEMPLATE_KEY_OLD_FILE)")
        try:
            return AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _KEK_AAD)
        except InvalidTag as err:
            raise TemplateKeyError(f"kunci data rusak atau bukan dari kunci {key_id}") from err


@dataclass(frozen=True)
class Sealed:
    """A template as stored: its sealed encodings, its wrapped data key and the KEK's id."""

    sealed: bytes
    data_key: bytes
    key_id: str


def seal(keys: KeyService, employee_id: str, encodings: list[str]) -> Sealed:
    """Seal a person's encodings (base64 float32 ×128) under a new data key."""
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    plain = json.dumps(encodings, separators=(",", ":")).encode()
    body = nonce + AESGCM(dek).encrypt(nonce, plain, _TEMPLATE_AAD + employee_id.encode())
    return Sealed(body, keys.wrap(dek), keys.key_id)


def open_sealed(keys: KeyService, employee_id: str, s: Sealed) -> list[str]:
    """The encodings of a sealed template (TemplateKeyError for a wrong key or a moved value)."""
    dek = keys.unwrap(s.data_key, s.key_id)
    try:
        plain = AESGCM(dek).decrypt(s.sealed[:_NONCE], s.sealed[_NONCE:],
                                    _TEMPLATE_AAD + employee_id.encode())
    except InvalidTag as err:
        raise TemplateKeyError(f"templat {employee_id} tidak dapat dibuka (rusak atau dipindah)") from err
    encodings = json.loads(plain)
    if not isinstance(encodings, list) or not all(isinstance(e, str) for e in encodings):
        raise TemplateKeyError(f"templat {employee_id} berisi data yang tidak dikenal")
    return encodings


def rewrap(keys: KeyService, s: Sealed) -> Sealed:
    """The same sealed template with its data key wrapped by the current KEK."""
    return Sealed(s.sealed, keys.wrap(keys.unwrap(s.data_key, s.key_id)), keys.key_id)
