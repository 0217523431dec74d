"""Who may open which page: the roles of DESIGN.md and ONE table of every route's permission.

Every Flask endpoint is declared in `PERMISSIONS`; `create_app` checks the table before each
request and refuses (403) an endpoint that is not in it, so a route added without a declared
permission is closed, and `undeclared(app)` (held by a test) names it. Pure: no Flask here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The portal's roles; `pegawai` is everyone with a NIP, `atasan` comes from positions."""

    PEGAWAI = "pegawai"
    ATASAN = "atasan"
    ADMIN_OPD = "admin_opd"
    ADMIN_BKPSDM = "admin_bkpsdm"
    OPERATOR_TI = "operator_ti"
    PIMPINAN = "pimpinan"
    AUDITOR = "auditor"
    VERIFIKATOR = "verifikator"
    TU = "tu"
    ADMIN = "admin"  # the first accounts, made by `hadir-cloud user add`: everything


#: Bahasa Indonesia names, shown in the portal and the CLI.
ROLE_TEXT: dict[Role, str] = {
    Role.PEGAWAI: "Pegawai", Role.ATASAN: "Atasan", Role.ADMIN_OPD: "Admin OPD",
    Role.ADMIN_BKPSDM: "Admin BKPSDM", Role.OPERATOR_TI: "Operator TI", Role.PIMPINAN: "Pimpinan",
    Role.AUDITOR: "Auditor", Role.VERIFIKATOR: "Verifikator", Role.TU: "Tata Usaha",
    Role.ADMIN: "Administrator",
}
#: Roles given with `account grant` (the others are derived).
GRANTABLE = (Role.ADMIN_OPD, Role.ADMIN_BKPSDM, Role.OPERATOR_TI, Role.PIMPINAN, Role.AUDITOR,
             Role.VERIFIKATOR, Role.TU)


class Access(StrEnum):
    """Who may reach an endpoint, beyond a role list."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any account


@dataclass(frozen=True)
class Principal:
    """A signed-in account: its roles and, for admin_opd, the units it is scoped to."""

    username: str
    nip: str | None
    roles: frozenset[Role]
    #: units whose subtree a scoped role covers; empty with a regency-wide role
    units: frozenset[str] = field(default_factory=frozenset)
    #: the employee's name, for an account with a NIP (shown instead of the NIP)
    name: str | None = None

    @property
    def regency_wide(self) -> bool:
        """Sees every unit (not only an OPD's)."""
        return bool(self.roles & {Role.ADMIN, Role.ADMIN_BKPSDM, Role.OPERATOR_TI,
                                  Role.PIMPINAN, Role.AUDITOR})


Rule = Access | frozenset[Role]

_ATTENDANCE_READERS = frozenset({Role.ATASAN, Role.ADMIN_OPD, Role.ADMIN_BKPSDM,
                                 Role.OPERATOR_TI, Role.PIMPINAN, Role.AUDITOR, Role.ADMIN})

_TPP_HR = frozenset({Role.ADMIN_BKPSDM, Role.ADMIN})
_ACCOUNT_HR = frozenset({Role.ADMIN_OPD, Role.ADMIN_BKPSDM, Role.ADMIN})
_TPP_READERS = _TPP_HR | {Role.PIMPINAN, Role.AUDITOR}
#: the attendance recap: supervisors, HR and leadership (not kiosk operators or auditors)
_RECAP_READERS = frozenset({Role.ATASAN, Role.ADMIN_OPD, Role.ADMIN_BKPSDM, Role.PIMPINAN,
                            Role.ADMIN})

#: importing fingerprint machines' logs: regency-wide HR and the IT operators of integrations
_PUNCHES = frozenset({Role.ADMIN_BKPSDM, Role.OPERATOR_TI, Role.ADMIN})
#: who reviews NIP check-ins (each within their scope, `review.domain.may_review`)
_REVIEWERS = frozenset({Role.ATASAN, Role.VERIFIKATOR, Role.ADMIN_OPD, Role.ADMIN_BKPSDM,
                        Role.ADMIN})

#: who decides requests: supervisors (and their Plt/Plh) and BKPSDM
_APPROVERS = frozenset({Role.ATASAN, Role.ADMIN_BKPSDM})

#: who registers incoming mail: TU (tata usaha) and the first administrators
_MAIL_CLERKS = frozenset({Role.TU, Role.ADMIN})
#: the leaders' board: leadership and regency HR (every OPD, unit and person)
_LEADERS = frozenset({Role.PIMPINAN, Role.ADMIN_BKPSDM, Role.ADMIN})
#: IT's fleet console: kiosks, their broker logins, config, commands and face enrolment
_FLEET = frozenset({Role.OPERATOR_TI, Role.ADMIN})
#: who erases biometric data and sets retention: regency HR
_ERASERS = frozenset({Role.ADMIN_BKPSDM, Role.ADMIN})

#: endpoint → who may open it. Every route of the app must be here (a test holds it).
PERMISSIONS: dict[str, Rule] = {
    "static": Access.PUBLIC,
    "auth.login": Access.PUBLIC,
    "auth.logout": Access.SIGNED_IN,
    "accounts.activate": Access.PUBLIC,
    "accounts.change_password": Access.SIGNED_IN,
    # HR: employees' accounts and their activation codes, within the OPD for an OPD admin
    "accounts.people": _ACCOUNT_HR,
    "accounts.issue_code": _ACCOUNT_HR,
    "checkins.healthz": Access.PUBLIC,
    "checkins.today": _ATTENDANCE_READERS,
    # readers within their scope, and every employee for their own check-ins (checked in the view)
    "checkins.photo": Access.SIGNED_IN,
    "attendance.my_month": Access.SIGNED_IN,
    # the recap and a person's month from it, within the unit scope (checked in the views)
    "attendance.team": _RECAP_READERS,
    "attendance.team_xlsx": _RECAP_READERS,
    "attendance.team_pdf": _RECAP_READERS,
    "attendance.person": _RECAP_READERS,
    # find a person by name or NIP, within the same scope as the recap
    "attendance.search": _RECAP_READERS,
    # LKH: everyone with a NIP files their own (checked in the views); the direct atasan reviews
    # one's own notices and digest address
    "notify.index": Access.SIGNED_IN,
    "notify.prefs": Access.SIGNED_IN,
    "lkh.index": Access.SIGNED_IN,
    "lkh.day": Access.SIGNED_IN,
    # a day's evidence file: its owner, their atasan on that day, regency HR (in the view)
    "lkh.attachment": Access.SIGNED_IN,
    "lkh.queue": frozenset({Role.ATASAN}),
    "lkh.decide": frozenset({Role.ATASAN}),
    # the organisation's import and export: BKPSDM (regency-wide HR)
    "org.index": _TPP_HR,
    "org.check": _TPP_HR,
    "org.apply": _TPP_HR,
    "org.job": _TPP_HR,
    "org.job_progress": _TPP_HR,
    "org.template": _TPP_HR,
    "org.export": _TPP_HR,
    # legacy fingerprint machines' logs and their id mapping: regency HR and IT operators
    "punches.index": _PUNCHES,
    "punches.upload": _PUNCHES,
    "punches.map_upload": _PUNCHES,
    # TPP: HR runs and finalizes; leaders read
    "tpp.index": _TPP_READERS,
    "tpp.run": _TPP_READERS,
    "tpp.explain": _TPP_READERS,
    "tpp.export": _TPP_READERS,
    "tpp.job": _TPP_HR,
    "tpp.job_progress": _TPP_HR,
    "tpp.start": _TPP_HR,
    "tpp.finalize": _TPP_HR,
    # TPP reference data: rule sets, calendar, work schedules (regency-wide HR only)
    "tpp_settings.rules": _TPP_HR,
    "tpp_settings.rules_check": _TPP_HR,
    "tpp_settings.rules_save": _TPP_HR,
    "tpp_settings.rules_download": _TPP_HR,
    "tpp_settings.calendar": _TPP_HR,
    "tpp_settings.calendar_add": _TPP_HR,
    "tpp_settings.calendar_remove": _TPP_HR,
    "tpp_settings.ramadan_add": _TPP_HR,
    "tpp_settings.ramadan_remove": _TPP_HR,
    "tpp_settings.workweek": _TPP_HR,
    "tpp_settings.calendar_seed": _TPP_HR,
    "tpp_settings.schedules": _TPP_HR,
    "tpp_settings.schedule_new": _TPP_HR,
    "tpp_settings.schedule_edit": _TPP_HR,
    # the review of NIP check-ins: the queue, the decided ones, a decision, the enrolled
    # reference photo (each person within the reviewer's scope, checked in the views)
    "review.queue": _REVIEWERS,
    "review.history": _REVIEWERS,
    "review.decide": _REVIEWERS,
    "review.reference_photo": _REVIEWERS,
    # requests (permohonan): everyone with a NIP files and follows their own (checked in the
    # views: the owner edits and cancels; a request is seen by its owner, its deciders and
    # regency HR); the inbox and decisions: supervisors and BKPSDM (the approver of the
    # pending step is checked by the domain)
    "requests.index": Access.SIGNED_IN,
    "requests.new": Access.SIGNED_IN,
    "requests.show": Access.SIGNED_IN,
    "requests.edit": Access.SIGNED_IN,
    "requests.cancel": Access.SIGNED_IN,
    "requests.attachment": Access.SIGNED_IN,
    # everyone's cuti tahunan balance: HR, within the OPD for an OPD admin
    "requests.balances": _ACCOUNT_HR,
    "requests.inbox": _APPROVERS,
    "requests.decide": _APPROVERS,
    # integrations' API tokens: IT operators
    "tokens.index": frozenset({Role.OPERATOR_TI, Role.ADMIN}),
    "tokens.create": frozenset({Role.OPERATOR_TI, Role.ADMIN}),
    "tokens.revoke": frozenset({Role.OPERATOR_TI, Role.ADMIN}),
    # letters: every account reaches its inboxes, drafts and the archive; what it may see or
    # do on a letter is checked in the views (letters/archive.py: access classes, the chain
    # and recipients) and by the domain (the one the letter waits for)
    "letters.index": Access.SIGNED_IN,
    "letters.new": Access.SIGNED_IN,
    "letters.edit": Access.SIGNED_IN,
    "letters.show": Access.SIGNED_IN,
    "letters.act": Access.SIGNED_IN,
    "letters.sign": Access.SIGNED_IN,
    "letters.job": Access.SIGNED_IN,
    "letters.job_progress": Access.SIGNED_IN,
    "letters.preview": Access.SIGNED_IN,
    "letters.download": Access.SIGNED_IN,
    "letters.archive": Access.SIGNED_IN,
    # incoming mail: TU registers (within its units); recipients dispose and act (checked in
    # the views and the domain)
    "letters_in.new": _MAIL_CLERKS,
    "letters_in.show": Access.SIGNED_IN,
    "letters_in.dispose": Access.SIGNED_IN,
    "letters_in.finish": Access.SIGNED_IN,
    "letters_in.to_lkh": Access.SIGNED_IN,
    "letters_in.scan": Access.SIGNED_IN,
    "letters_in.sheet": Access.SIGNED_IN,
    # what a letter's QR code opens, and the upload form: anyone, no login
    "verify.token": Access.PUBLIC,
    "verify.index": Access.PUBLIC,
    # the leaders' board (drill-down OPD → unit → person; a person's month is the recap's), and
    # the import of performance ratings (regency HR)
    "dashboards.index": _LEADERS,
    "dashboards.opd": _LEADERS,
    "dashboards.unit": _LEADERS,
    "dashboards.ratings": _TPP_HR,
    # IT's fleet console: regency HR may look (the list, a kiosk, a command's reply); only IT
    # registers, configures, commands, disables, revokes and enrols faces
    "devices.index": _FLEET | {Role.ADMIN_BKPSDM},
    "devices.show": _FLEET | {Role.ADMIN_BKPSDM},
    "devices.command_reply": _FLEET | {Role.ADMIN_BKPSDM},
    "devices.new": _FLEET,
    "devices.config": _FLEET,
    "devices.command": _FLEET,
    "devices.disable": _FLEET,
    "devices.enable": _FLEET,
    "devices.revoke": _FLEET,
    "devices.faces": _FLEET,
    "devices.face_job": _FLEET,
    "devices.face_job_progress": _FLEET,
    # a session with an attendance role, or a bearer token with the checkins:read scope
    "checkins.api_checkins": Access.PUBLIC,
    # privacy (UU 27/2022): the notice is public; everyone with a NIP consents, sees and
    # exports their own data, or withdraws consent (own data only: checked in the views)
    "privacy.notice": Access.PUBLIC,
    "privacy.consent_give": Access.SIGNED_IN,
    "privacy.my_data": Access.SIGNED_IN,
    "privacy.export_start": Access.SIGNED_IN,
    "privacy.export_job": Access.SIGNED_IN,
    "privacy.export_progress": Access.SIGNED_IN,
    "privacy.export_download": Access.SIGNED_IN,
    "privacy.withdraw": Access.SIGNED_IN,
    # erasing a person's biometric data: regency HR; auditors read the reports
    "privacy_admin.erasure_index": _ERASERS,
    "privacy_admin.erase": _ERASERS,
    "privacy_admin.erasure_report": _ERASERS | {Role.AUDITOR},
    "privacy_admin.erasure_status": _ERASERS | {Role.AUDITOR},
    # how long data is kept: regency HR sets it, auditors read it
    "privacy_admin.retention": _ERASERS | {Role.AUDITOR},
    "privacy_admin.retention_save": _ERASERS,
    # the audit trail: auditors
    "audit.index": frozenset({Role.AUDITOR, Role.ADMIN}),
}


def decide(endpoint: str | None, principal: Principal | None) -> int:
    """200 allowed, 401 sign in first, 403 refused (also for an undeclared endpoint)."""
    if endpoint is None:
        return 200  # no route matched: Flask answers 404 itself
    rule = PERMISSIONS.get(endpoint)
    if rule is None:
        return 403
    if rule is Access.PUBLIC:
        return 200
    if principal is None:
        return 401
    if rule is Access.SIGNED_IN:
        return 200
    return 200 if principal.roles & rule else 403


def undeclared(endpoints: Iterable[str]) -> list[str]:
    """The endpoints that have no permission in the table."""
    return sorted(e for e in set(endpoints) if e not in PERMISSIONS)


def in_scope(principal: Principal, unit_id: str | None, subtree: frozenset[str]) -> bool:
    """May `principal` see a person of `unit_id`? `subtree`: the units under its scoped units."""
    if principal.regency_wide:
        return True
    return unit_id is not None and unit_id in subtree
