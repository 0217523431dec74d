"""Portal users (argon2 password hashes) and API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

_hasher = PasswordHasher()


def add_user(conn: psycopg.Connection, username: str, password: str, role: str = "admin") -> None:
    """Create or reset a portal user."""
    if len(password) < 10:
        raise ValueError("kata sandi minimal 10 karakter")
    conn.execute(
        "INSERT INTO portal_users (username, password_hash, role) VALUES (%s, %s, %s) "
        "ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, "
        "role = EXCLUDED.role",
        (username, _hasher.hash(password), role),
    )


def check_password(conn: psycopg.Connection, username: str, password: str) -> bool:
    """True when the user exists and the password matches."""
    row = conn.execute("SELECT password_hash FROM portal_users WHERE username = %s",
                       (username,)).fetchone()
    if row is None:
        return False
    try:
        return _hasher.verify(row[0], password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_token(conn: psycopg.Connection, name: str) -> str:
    """A new API token; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO api_tokens (token_sha256, name) VALUES (%s, %s)",
                 (hashlib.sha256(token.encode()).hexdigest(), name))
    return token


def token_valid(conn: psycopg.Connection, token: str) -> bool:
    """True for a token made by create_token."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return conn.execute("SELECT 1 FROM api_tokens WHERE token_sha256 = %s",
                        (digest,)).fetchone() is not None
