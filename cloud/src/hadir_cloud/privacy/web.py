"""The audit trail from a portal view: the signed-in account, the client's address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask_login import current_user

from ..portal import db
from . import audit
from .domain import AuditAction


def origin() -> str | None:
    """The client's address (the proxy's X-Forwarded-For is trusted only where the deployment
    sets Werkzeug's ProxyFix; otherwise the direct peer)."""
    return request.remote_addr


def actor() -> str:
    """The signed-in account, or `anonim` (a bearer token or nobody)."""
    return str(current_user.username) if current_user.is_authenticated else "anonim"


def record(action: AuditAction, subject: str | None, detail: Mapping[str, Any] | None = None
           ) -> None:
    """Append an entry for what the signed-in account is doing now."""
    audit.record(db(), actor(), action, subject, detail, origin())
