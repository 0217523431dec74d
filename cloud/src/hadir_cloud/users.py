"""Portal accounts (argon2 password hashes), their roles and scopes, and API tokens (SHA-256).

Every employee may have an account: HR makes a one-time activation code (`invite`), the
employee sets a password with it (`activate`). A session names the account's
`session_version`; logout and a password change raise it, so every copy of an older
session cookie stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from hadir_protocol.identifiers import nip_problem

from .portal.rbac import GRANTABLE, Principal, Role
from .privacy import audit
from .privacy.domain import AuditAction

_hasher = PasswordHasher()
#: verified against when the account does not exist, so an unknown name costs the same time
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
#: activation codes: no 0/O, 1/I/L
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIVATION_VALID = timedelta(hours=72)
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why (Bahasa)."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"kata sandi minimal {MIN_PASSWORD} karakter")


def add_user(conn: psycopg.Connection, username: str, password: str, role: str = "admin",
             by: str | None = None, origin: str | None = None) -> None:
    """Create or reset a portal user (the first administrators; employees use `invite`); a
    new account's role, or a changed one, is written to the audit trail."""
    _check_new_password(password)
    with conn.transaction():
        before = conn.execute("SELECT role FROM portal_users WHERE username = %s",
                              (username,)).fetchone()
        conn.execute(
            "INSERT INTO portal_users (username, password_hash, role, password_changed_at) "
            "VALUES (%s, %s, %s, now()) ON CONFLICT (username) DO UPDATE SET "
            "password_hash = EXCLUDED.password_hash, role = EXCLUDED.role, "
            "password_changed_at = now(), session_version = portal_users.session_version + 1",
            (username, _hasher.hash(password), role),
        )
        if before is None or before[0] != role:
            audit.record(conn, by or audit.cli_actor(), AuditAction.ROLE_GRANT, username,
                         {"peran": role, "sebelum": before[0] if before else None}, origin)


def check_password(conn: psycopg.Connection, login: str, password: str) -> str | None:
    """The account's username when `login` (username or NIP) and the password match, else None.

    An unknown account, or one not yet activated, takes the same time as a wrong password.
    """
    row = conn.execute("SELECT username, password_hash FROM portal_users WHERE username = %s "
                       "OR nip = %s LIMIT 1", (login, login)).fetchone()
    stored = row[1] if row and row[1] else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        ok = False
    return str(row[0]) if ok and row and row[1] else None


def session_id(conn: psycopg.Connection, username: str) -> str:
    """What the session cookie names: the account and its session version."""
    row = conn.execute("SELECT session_version FROM portal_users WHERE username = %s",
                       (username,)).fetchone()
    return f"{username}|{row[0] if row else 0}"


def end_sessions(conn: psycopg.Connection, username: str) -> None:
    """Every session of this account ends (logout, password change)."""
    conn.execute("UPDATE portal_users SET session_version = session_version + 1 "
                 "WHERE username = %s", (username,))


def unit_subtree(conn: psycopg.Connection, roots: frozenset[str]) -> frozenset[str]:
    """The units under (and including) `roots`."""
    if not roots:
        return frozenset()
    rows = conn.execute(
        "WITH RECURSIVE t(id) AS (SELECT id FROM units WHERE id = ANY(%s) UNION "
        "SELECT u.id FROM units u JOIN t ON u.parent_id = t.id) SELECT id FROM t",
        (list(roots),)).fetchall()
    return frozenset(r[0] for r in rows)


def principal(conn: psycopg.Connection, sid: str) -> Principal | None:
    """The account behind a session id, if that session is still current."""
    username, _, version = sid.rpartition("|")
    row = conn.execute("SELECT p.username, p.nip, p.role, p.session_version, p.password_hash, "
                       "e.name FROM portal_users p LEFT JOIN employees e ON e.nip = p.nip "
                       "WHERE p.username = %s", (username,)).fetchone()
    if row is None or str(row[3]) != version or row[4] is None:
        return None
    roles: set[Role] = set()
    if row[2] == Role.ADMIN:
        roles.add(Role.ADMIN)
    if row[1]:
        roles.add(Role.PEGAWAI)
    units: set[str] = set()
    for role, unit in conn.execute("SELECT role, unit_id FROM role_grants WHERE username = %s",
                                   (username,)):
        roles.add(Role(role))
        if unit:
            units.add(unit)
    if row[1]:  # atasan: heads a unit today, or holds a head's powers as Plt/Plh
        headed = {r[0] for r in conn.execute(_HEADED_TODAY, (row[1], row[1]))}
        if headed:
            roles.add(Role.ATASAN)
            units |= headed
    return Principal(row[0], row[1], frozenset(roles), frozenset(units), name=row[5])


_HEADED_TODAY = """
SELECT p.unit_id FROM positions p JOIN assignments a ON a.position_id = p.id
 WHERE p.heads_unit AND a.nip = %s AND a.start_date <= current_date
   AND (a.end_date IS NULL OR a.end_date >= current_date)
UNION
SELECT p.unit_id FROM positions p JOIN acting_assignments x ON x.position_id = p.id
 WHERE p.heads_unit AND x.nip = %s AND current_date BETWEEN x.start_date AND x.end_date
"""


def invite(conn: psycopg.Connection, nip: str, lock: bool = False) -> str:
    """A one-time activation code for an employee's account (made if missing); shown once.
    With `lock` (a password others may know) the old password stops working and every
    session ends at once, not only when the code is used."""
    problem = nip_problem(nip)
    if problem:
        raise AccountError(f"{nip}: {problem}")
    if conn.execute("SELECT 1 FROM employees WHERE nip = %s", (nip,)).fetchone() is None:
        raise AccountError(f"pegawai dengan NIP {nip} belum ada di data kepegawaian")
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    conn.execute(
        "INSERT INTO portal_users (username, nip, password_hash, role, activation_sha256, "
        "activation_expires_at) VALUES (%s, %s, NULL, 'pegawai', %s, %s) ON CONFLICT (username) "
        "DO UPDATE SET activation_sha256 = EXCLUDED.activation_sha256, "
        "activation_expires_at = EXCLUDED.activation_expires_at",
        (nip, nip, _sha(code), datetime.now(UTC) + ACTIVATION_VALID))
    if lock:
        conn.execute("UPDATE portal_users SET password_hash = NULL, "
                     "session_version = session_version + 1 WHERE username = %s", (nip,))
    return code


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (its % and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class AccountRow:
    """An employee and their portal account, as HR sees it."""

    nip: str
    name: str
    unit: str
    #: "tidak_ada" (no account), "menunggu" (a code issued, not used), "aktif", "terkunci"
    state: str
    code_expires_at: datetime | None
    password_changed_at: datetime | None


def accounts(conn: psycopg.Connection, units: frozenset[str] | None, query: str = "",
             limit: int = 50, offset: int = 0) -> tuple[list[AccountRow], int]:
    """Employees still working (within `units`; None: all), by name, with their account's
    state; a page of them and how many match."""
    q = escape_like(query.strip())
    where = ("WHERE (e.leave_date IS NULL OR e.leave_date >= current_date)"
             " AND (%(units)s::text[] IS NULL OR e.unit_id = ANY(%(units)s))"
             " AND (%(q)s = '' OR e.nip LIKE %(q)s || '%%' OR e.name ILIKE '%%' || %(q)s || '%%')")
    args = {"units": None if units is None else sorted(units), "q": q, "n": limit, "o": offset}
    total = conn.execute(f"SELECT count(*) FROM employees e {where}", args).fetchone()
    rows = conn.execute(
        "SELECT e.nip, e.name, u.name, CASE WHEN p.username IS NULL THEN 'tidak_ada'"
        " WHEN p.activation_sha256 IS NOT NULL AND p.activation_expires_at > now()"
        " THEN 'menunggu' WHEN p.password_hash IS NOT NULL THEN 'aktif' ELSE 'terkunci' END,"
        " p.activation_expires_at, p.password_changed_at FROM employees e"
        " JOIN units u ON u.id = e.unit_id LEFT JOIN portal_users p ON p.nip = e.nip "
        f"{where} ORDER BY e.name, e.nip LIMIT %(n)s OFFSET %(o)s", args).fetchall()
    return [AccountRow(*r) for r in rows], int(total[0]) if total else 0


def activate(conn: psycopg.Connection, nip: str, code: str, password: str) -> str:
    """Set the password with a valid activation code (used once); returns the username."""
    _check_new_password(password)
    row = conn.execute("SELECT username, activation_sha256, activation_expires_at FROM "
                       "portal_users WHERE nip = %s", (nip,)).fetchone()
    given = _sha(code.strip().upper().replace("-", "").replace(" ", ""))
    if (row is None or row[1] is None or not hmac.compare_digest(row[1], given)
            or row[2] < datetime.now(UTC)):
        raise AccountError("NIP atau kode aktivasi salah, atau kodenya sudah kedaluwarsa; "
                           "minta kode baru ke admin kepegawaian")
    conn.execute("UPDATE portal_users SET password_hash = %s, activation_sha256 = NULL, "
                 "activation_expires_at = NULL, password_changed_at = now(), "
                 "session_version = session_version + 1 WHERE username = %s",
                 (_hasher.hash(password), row[0]))
    return str(row[0])


def change_password(conn: psycopg.Connection, username: str, old: str, new: str) -> None:
    """Change a password (the old one must match); every other session ends."""
    _check_new_password(new)
    if check_password(conn, username, old) != username:
        raise AccountError("kata sandi lama salah")
    conn.execute("UPDATE portal_users SET password_hash = %s, password_changed_at = now(), "
                 "session_version = session_version + 1 WHERE username = %s",
                 (_hasher.hash(new), username))


def _grantable(role: str) -> Role:
    try:
        r = Role(role)
    except ValueError as err:
        raise AccountError(f"peran {role!r} tidak dikenal") from err
    if r not in GRANTABLE:
        raise AccountError(f"peran {role!r} tidak diberikan manual (pilih: "
                           + ", ".join(g.value for g in GRANTABLE) + ")")
    return r


def grant(conn: psycopg.Connection, username: str, role: str, unit_id: str | None,
          by: str, origin: str | None = None) -> None:
    """Give an account a role (admin_opd needs its unit); written to the audit trail."""
    r = _grantable(role)
    if r is Role.ADMIN_OPD and not unit_id:
        raise AccountError("admin_opd perlu --unit (OPD yang diurus)")
    if conn.execute("SELECT 1 FROM portal_users WHERE username = %s", (username,)).fetchone() \
            is None:
        raise AccountError(f"akun {username!r} tidak ada")
    if unit_id and conn.execute("SELECT 1 FROM units WHERE id = %s", (unit_id,)).fetchone() \
            is None:
        raise AccountError(f"unit {unit_id!r} tidak ada")
    with conn.transaction():
        added = conn.execute("INSERT INTO role_grants (username, role, unit_id, granted_by) "
                             "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                             (username, r.value, unit_id, by)).rowcount
        if added:
            audit.record(conn, by, AuditAction.ROLE_GRANT, username,
                         {"peran": r.value, "unit": unit_id}, origin)


def revoke(conn: psycopg.Connection, username: str, role: str, unit_id: str | None,
           by: str, origin: str | None = None) -> None:
    """Take a role from an account (for admin_opd: of that unit); written to the audit trail;
    AccountError when the account does not hold it."""
    r = _grantable(role)
    with conn.transaction():
        gone = conn.execute("DELETE FROM role_grants WHERE username = %s AND role = %s AND "
                            "coalesce(unit_id, '') = coalesce(%s, '')",
                            (username, r.value, unit_id)).rowcount
        if not gone:
            raise AccountError(f"akun {username!r} tidak memegang peran {role}"
                               + (f" untuk unit {unit_id}" if unit_id else ""))
        # a role taken away ends the account's sessions: it must not keep using it
        conn.execute("UPDATE portal_users SET session_version = session_version + 1 "
                     "WHERE username = %s", (username,))
        audit.record(conn, by, AuditAction.ROLE_REVOKE, username,
                     {"peran": r.value, "unit": unit_id}, origin)


#: what an API token may be allowed to do (its scopes; the portal describes each)
TOKEN_SCOPES = frozenset({"checkins:read"})


@dataclass(frozen=True)
class TokenRow:
    """An API token as its page shows it (never the token itself)."""

    token_sha256: str
    name: str
    scopes: list[str]
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and (self.expires_at is None
                                            or self.expires_at > datetime.now(UTC))


def create_token(conn: psycopg.Connection, name: str, scopes: tuple[str, ...] = ("checkins:read",),
                 days: float | None = None, by: str | None = None) -> str:
    """A new API token with scopes and an optional expiry; only its hash is stored (shown once).
    AccountError for an empty name, no scope or a scope Hadir does not know."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("nama token wajib diisi (paling panjang 100 karakter)")
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if not scopes or unknown:
        raise AccountError("cakupan token tidak dikenal: " + ", ".join(unknown) if unknown
                           else "pilih sedikitnya satu cakupan token")
    if days is not None and not 0 < days <= 3660:
        raise AccountError("masa berlaku token harus 1 sampai 3660 hari")
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    conn.execute("INSERT INTO api_tokens (token_sha256, name, scopes, expires_at, created_by) "
                 "VALUES (%s, %s, %s, %s, %s)", (_sha(token), name, sorted(set(scopes)), expires,
                                                 by))
    return token


def tokens(conn: psycopg.Connection) -> list[TokenRow]:
    """Every API token, newest first."""
    return [TokenRow(*r) for r in conn.execute(
        "SELECT token_sha256, name, scopes, created_at, created_by, expires_at, revoked_at "
        "FROM api_tokens ORDER BY created_at DESC, name")]


def revoke_token_by_hash(conn: psycopg.Connection, token_sha256: str) -> bool:
    """Revoke one live token; False when it is unknown or already revoked."""
    return conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE token_sha256 = %s AND "
                        "revoked_at IS NULL", (token_sha256,)).rowcount == 1


def token_scopes(conn: psycopg.Connection, token: str) -> frozenset[str] | None:
    """The scopes of a valid token (not expired, not revoked), else None."""
    row = conn.execute("SELECT scopes FROM api_tokens WHERE token_sha256 = %s AND revoked_at IS "
                       "NULL AND (expires_at IS NULL OR expires_at > now())",
                       (_sha(token),)).fetchone()
    return frozenset(row[0]) if row else None


def token_valid(conn: psycopg.Connection, token: str, scope: str = "checkins:read") -> bool:
    """True for a valid token that carries `scope`."""
    scopes = token_scopes(conn, token)
    return scopes is not None and scope in scopes


def revoke_token(conn: psycopg.Connection, name: str) -> int:
    """Revoke every live token of that name; returns how many."""
    return conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = %s AND "
                        "revoked_at IS NULL", (name,)).rowcount
