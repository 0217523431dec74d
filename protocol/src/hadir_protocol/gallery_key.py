"""A kiosk's gallery key delivered by the cloud at boot, for kiosks with no TPM to seal it.

The kiosk makes a one-time X25519 key in memory and sends its public half in its heartbeat
(`Telemetry.gallery_key_request`); the cloud answers with the `gallery-key` command (signed
by the cloud key, like every command) carrying the gallery key encrypted to it: a one-time
cloud X25519 key, HKDF-SHA256 over the shared secret (info names the kiosk), AES-256-GCM with
the device id as associated data. The message is useless without the kiosk process's memory,
so a copied SD card or a broker's stored queue does not give the key away.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"hadir-gallery-key/1:"
KEY_BYTES = 32


class GalleryKeyError(ValueError):
    """A gallery-key request or answer that cannot be used."""


def _raw(pub: X25519PublicKey) -> str:
    return base64.b64encode(pub.public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)).decode()


def _b64(text: object, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError) as err:
        raise GalleryKeyError(f"{what} is not base64") from err


def _transport_key(shared: bytes, device_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_INFO + device_id.encode()).derive(shared)


def new_key() -> bytes:
    """A new gallery key (AES-256)."""
    return os.urandom(KEY_BYTES)


def new_request() -> tuple[X25519PrivateKey, str]:
    """The kiosk's one-time key (kept in memory) and the public half it sends (base64)."""
    private = X25519PrivateKey.generate()
    return private, _raw(private.public_key())


def seal(gallery_key: bytes, request_b64: str, device_id: str) -> dict[str, str]:
    """The cloud's answer: `gallery_key` encrypted to the kiosk's request (command args)."""
    if len(gallery_key) != KEY_BYTES:
        raise GalleryKeyError("a gallery key is 32 bytes")
    try:
        theirs = X25519PublicKey.from_public_bytes(_b64(request_b64, "the request"))
    except ValueError as err:
        raise GalleryKeyError("the request is not an X25519 public key") from err
    mine = X25519PrivateKey.generate()
    nonce = os.urandom(12)
    sealed = AESGCM(_transport_key(mine.exchange(theirs), device_id)).encrypt(
        nonce, gallery_key, device_id.encode())
    return {"ephemeral": _raw(mine.public_key()), "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(sealed).decode()}


def open_(private: X25519PrivateKey, args: dict[str, object], device_id: str) -> bytes:
    """The kiosk opens the answer with its one-time key; GalleryKeyError when it cannot."""
    try:
        theirs = X25519PublicKey.from_public_bytes(_b64(args.get("ephemeral"), "ephemeral"))
        key = _transport_key(private.exchange(theirs), device_id)
        plain = AESGCM(key).decrypt(_b64(args.get("nonce"), "nonce"),
                                    _b64(args.get("sealed"), "sealed"), device_id.encode())
    except (InvalidTag, ValueError) as err:
        raise GalleryKeyError("the gallery key was not sealed for this request") from err
    if len(plain) != KEY_BYTES:
        raise GalleryKeyError("a gallery key is 32 bytes")
    return plain
