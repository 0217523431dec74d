"""The portal's navigation: ONE table of (endpoint, label, roles it is meant for).

An entry shows when the app has the endpoint (areas not built yet are skipped),
the account holds one of its roles (the legacy `admin` role sees everything),
and the permission table (`rbac.PERMISSIONS`) lets the account open it, so the
menu never offers a page that would answer 403. Labels are Bahasa msgids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .rbac import Principal, decide

PEGAWAI, ATASAN, ADMIN_OPD, ADMIN_BKPSDM = "pegawai", "atasan", "admin_opd", "admin_bkpsdm"
OPERATOR_TI, PIMPINAN, AUDITOR, ADMIN = "operator_ti", "pimpinan", "auditor", "admin"
VERIFIKATOR, TU = "verifikator", "tu"
ROLES = (PEGAWAI, ATASAN, ADMIN_OPD, ADMIN_BKPSDM, OPERATOR_TI, PIMPINAN, AUDITOR, ADMIN,
         VERIFIKATOR, TU)
_READERS = frozenset({ATASAN, ADMIN_OPD, ADMIN_BKPSDM, OPERATOR_TI, PIMPINAN, AUDITOR})
_HR = frozenset({ADMIN_OPD, ADMIN_BKPSDM})


@dataclass(frozen=True)
class NavEntry:
    """One menu entry."""

    endpoint: str
    label: LazyString
    roles: frozenset[str]


#: the menu, in order. Endpoints of areas not built yet are listed so they appear when they land.
NAV: tuple[NavEntry, ...] = (
    NavEntry("checkins.today", _l("Check-in hari ini"), _READERS),
    NavEntry("attendance.my_month", _l("Bulan saya"), frozenset({PEGAWAI})),
    NavEntry("lkh.index", _l("LKH"), frozenset({PEGAWAI, ATASAN})),
    NavEntry("requests.index", _l("Permohonan"), frozenset({PEGAWAI})),
    NavEntry("requests.inbox", _l("Persetujuan permohonan"), frozenset({ATASAN, ADMIN_BKPSDM})),
    NavEntry("requests.balances", _l("Saldo cuti"), _HR),
    NavEntry("attendance.team", _l("Kehadiran tim"),
             frozenset({ATASAN, ADMIN_OPD, ADMIN_BKPSDM, PIMPINAN})),
    NavEntry("review.queue", _l("Tinjauan check-in"),
             frozenset({ATASAN, VERIFIKATOR, ADMIN_OPD, ADMIN_BKPSDM})),
    NavEntry("tpp.index", _l("TPP"), frozenset({ADMIN_BKPSDM, PIMPINAN, AUDITOR})),
    NavEntry("tpp_settings.rules", _l("Aturan TPP"), frozenset({ADMIN_BKPSDM})),
    NavEntry("tpp_settings.calendar", _l("Kalender kerja"), frozenset({ADMIN_BKPSDM})),
    NavEntry("tpp_settings.schedules", _l("Jadwal kerja"), frozenset({ADMIN_BKPSDM})),
    NavEntry("letters.index", _l("Surat"), frozenset({PEGAWAI, ATASAN, PIMPINAN, TU})),
    NavEntry("letters_in.new", _l("Registrasi surat masuk"), frozenset({TU})),
    NavEntry("letters.archive", _l("Arsip surat"), frozenset({TU, PIMPINAN, AUDITOR})),
    NavEntry("org.index", _l("Organisasi"), frozenset({ADMIN_BKPSDM})),
    NavEntry("accounts.people", _l("Akun pegawai"), frozenset({ADMIN_OPD, ADMIN_BKPSDM})),
    NavEntry("punches.index", _l("Mesin sidik jari"), frozenset({ADMIN_BKPSDM, OPERATOR_TI})),
    NavEntry("devices.index", _l("Kiosk"), frozenset({OPERATOR_TI, ADMIN_BKPSDM})),
    NavEntry("tokens.index", _l("Token API"), frozenset({OPERATOR_TI})),
    NavEntry("dashboards.index", _l("Dasbor"), frozenset({PIMPINAN, ADMIN_BKPSDM})),
    NavEntry("privacy_admin.erasure_index", _l("Penghapusan biometrik"),
             frozenset({ADMIN_BKPSDM})),
    NavEntry("privacy_admin.retention", _l("Masa simpan data"), frozenset({ADMIN_BKPSDM, AUDITOR})),
    NavEntry("audit.index", _l("Log audit"), frozenset({AUDITOR})),
    NavEntry("privacy.my_data", _l("Data saya"), frozenset({PEGAWAI})),
    NavEntry("accounts.change_password", _l("Ganti kata sandi"), frozenset(ROLES)),
)

#: how a role is named on the page
ROLE_LABELS: dict[str, LazyString] = {
    PEGAWAI: _l("Pegawai"), ATASAN: _l("Atasan"), ADMIN_OPD: _l("Admin OPD"),
    ADMIN_BKPSDM: _l("Admin BKPSDM"), OPERATOR_TI: _l("Operator TI"),
    PIMPINAN: _l("Pimpinan"), AUDITOR: _l("Auditor"), ADMIN: _l("Administrator"),
    VERIFIKATOR: _l("Verifikator"), TU: _l("Tata Usaha"),
}


def for_roles(app: Flask, roles: Iterable[str], who: Principal | None = None) -> list[NavEntry]:
    """The entries an account with `roles` sees, in menu order."""
    held = {str(r) for r in roles}
    everything = ADMIN in held
    return [e for e in NAV
            if e.endpoint in app.view_functions
            and (everything or held & e.roles)
            and (who is None or decide(e.endpoint, who) == 200)]


def role_label(role: str) -> str:
    """A role's name on the page (the code itself for a role without one)."""
    label = ROLE_LABELS.get(str(role))
    return str(label) if label is not None else str(role)


def init_nav(app: Flask) -> None:
    """`nav_entries()`, `role_label()` and `has_endpoint()` for templates."""

    @app.context_processor
    def _nav() -> dict[str, object]:
        from flask_login import current_user

        def can_search() -> bool:
            who = getattr(current_user, "principal", None)
            return (current_user.is_authenticated and who is not None
                    and "attendance.search" in app.view_functions
                    and decide("attendance.search", who) == 200)

        def nav_entries() -> list[NavEntry]:
            if not current_user.is_authenticated:
                return []
            who = getattr(current_user, "principal", None)
            roles = getattr(current_user, "roles", None) or {getattr(current_user, "role", "")}
            return for_roles(app, roles, who)

        def unread_notices() -> int:
            if not current_user.is_authenticated or "notify.index" not in app.view_functions:
                return 0
            from ..notify.store import unread
            from . import db

            return unread(db(), current_user.username)

        return {"nav_entries": nav_entries, "role_label": role_label, "can_search": can_search,
                "unread_notices": unread_notices,
                "has_endpoint": app.view_functions.__contains__}
