"""Canonical bytes of a message and its Ed25519 signature."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import nacl.exceptions
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import VerifyKey

from .files import write_durably


class SignatureError(ValueError):
    """The signature is missing, malformed or does not verify."""


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    """Sorted-key, compact, UTF-8 JSON of `obj` without its `signature` field.

    Computed over the raw JSON object (not a parsed model), so fields this
    version does not know are still covered by the signature.
    """
    body = {k: v for k, v in obj.items() if k != "signature"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def generate_key() -> Ed25519PrivateKey:
    """A new Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Raw 32-byte public key, base64 — the form registered with the cloud."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(b64: str) -> Ed25519PublicKey:
    """Parse a registered public key; raises SignatureError when it is not one."""
    try:
        raw = base64.b64decode(b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as err:
        raise SignatureError(f"not an Ed25519 public key: {err}") from err


def save_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write the key as PEM readable only by its owner (0600), atomically and durably."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # the rename lives in the directory: without the folder's fsync a power cut can undo it
    # after we have already told someone (the cloud, an installer) the public key
    write_durably(path, pem, 0o600)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM Ed25519 private key."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} does not hold an Ed25519 private key")
    return key


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The kiosk's identity: made on first boot, kept after."""
    if path.exists():
        return load_private_key(path)
    key = generate_key()
    save_private_key(key, path)
    return key


def sign(obj: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of `obj` with `signature` set over its canonical bytes."""
    sig = key.sign(canonical_bytes(obj))
    return {**obj, "signature": base64.b64encode(sig).decode()}


def load_verify_key(b64: str) -> VerifyKey:
    """A registered public key as libsodium's verifier (2–3× faster than OpenSSL's here)."""
    try:
        raw = base64.b64decode(b64, validate=True)
        return VerifyKey(raw)
    except (ValueError, TypeError, nacl.exceptions.CryptoError) as err:
        raise SignatureError(f"not an Ed25519 public key: {err}") from err


def verify(obj: dict[str, Any], public_key: Ed25519PublicKey | VerifyKey) -> None:
    """Raise SignatureError unless `obj['signature']` verifies (either library's key)."""
    sig_b64 = obj.get("signature")
    if not isinstance(sig_b64, str):
        raise SignatureError("signature missing")
    try:
        sig = base64.b64decode(sig_b64, validate=True)
    except ValueError as err:
        raise SignatureError("signature is not base64") from err
    try:
        body = canonical_bytes(obj)
    except ValueError as err:  # NaN, a lone surrogate: nothing an honest signer produced
        raise SignatureError(f"no canonical form: {err}") from err
    if isinstance(public_key, VerifyKey):
        if len(sig) != 64:
            raise SignatureError("signature is not 64 bytes")
        try:
            public_key.verify(body, sig)
        except nacl.exceptions.BadSignatureError as err:
            raise SignatureError("signature does not verify") from err
        return
    try:
        public_key.verify(sig, body)
    except InvalidSignature as err:
        raise SignatureError("signature does not verify") from err
