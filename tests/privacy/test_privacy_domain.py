"""The privacy domain with plain data: retention rules, consent, erasure states, the text tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hadir_cloud.privacy import domain as d
from hadir_cloud.privacy.audit_views import ACTION_TEXT
from hadir_cloud.privacy.erasure_views import PLACE_TEXT, STATE_TEXT
from hadir_cloud.privacy.views import KIND_EFFECT, KIND_TEXT

T0 = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("regency", "kind", "days", "field"), [
    ("*", "foto_presensi", 90, None),
    ("buton-tengah", "telemetri", 1, None),
    ("*", "foto_presensi", 0, "days"),
    ("*", "log_audit", 364, "days"),
    ("*", "log_audit", 365, None),
    ("*", "foto_presensi", 36501, "days"),
    ("*", "sidik_jari", 30, "kind"),
    ("'; DROP TABLE x; --", "telemetri", 30, "regency"),
])
def test_retention_problems_name_their_field(regency: str, kind: str, days: int,
                                             field: str | None):
    problem = d.retention_problem(regency, kind, days)
    assert (problem[0] if problem else None) == field


def test_a_regency_s_own_retention_else_the_default_else_the_seed():
    rows = [d.Retention("*", d.RetentionKind.SELFIES, 60, "hr"),
            d.Retention("buton-tengah", d.RetentionKind.SELFIES, 30, "hr")]
    assert d.effective_days(rows, d.RetentionKind.SELFIES, "buton-tengah") == 30
    assert d.effective_days(rows, d.RetentionKind.SELFIES, "ogan-ilir") == 60
    assert d.effective_days(rows, d.RetentionKind.SELFIES, None) == 60
    assert d.effective_days(rows, d.RetentionKind.AUDIT, "buton-tengah") == 1825


def test_a_consent_needs_a_form_number_a_recorder_and_a_notice():
    assert d.consent_problem(d.Consent("FRM-1", "hr")) is None
    assert "nomor formulir" in str(d.consent_problem(d.Consent("  ", "hr")))
    assert "pencatat" in str(d.consent_problem(d.Consent("FRM-1", "")))
    assert "200" in str(d.consent_problem(d.Consent("x" * 201, "hr")))
    assert "versi" in str(d.consent_problem(d.Consent("FRM-1", "hr", notice_version="")))


def test_only_a_heartbeat_after_the_erasure_at_the_removal_s_version_confirms():
    later = T0 + timedelta(seconds=5)
    assert d.confirms(7, 7, later, T0) and d.confirms(7, 9, later, T0)
    assert not d.confirms(7, 6, later, T0)  # not applied yet
    assert not d.confirms(7, 0, later, T0)  # a resync is never enough
    assert not d.confirms(7, 9, T0 - timedelta(seconds=1), T0)  # said before the erasure
    assert not d.confirms(7, None, later, T0) and not d.confirms(7, 7, None, T0)
    assert d.confirms(None, None, None, T0)  # nothing was in the gallery


def test_an_erasure_is_complete_when_no_reachable_kiosk_waits():
    assert d.kiosk_state(False, None) is d.KioskState.WAITING
    assert d.kiosk_state(True, None) is d.KioskState.DISABLED
    assert d.kiosk_state(True, T0) is d.KioskState.CONFIRMED
    assert d.erasure_complete([d.KioskState.CONFIRMED, d.KioskState.DISABLED])
    assert not d.erasure_complete([d.KioskState.CONFIRMED, d.KioskState.WAITING])
    assert d.erasure_complete([])


def test_every_kind_action_place_and_state_has_its_words_on_pages_and_in_the_cli():
    assert set(d.RETENTION_TEXT) == set(d.RetentionKind) == set(KIND_TEXT) == set(KIND_EFFECT)
    assert set(d.AUDIT_TEXT) == set(d.AuditAction) == set(ACTION_TEXT)
    assert set(PLACE_TEXT) == set(d.ERASED_PLACES)
    assert set(STATE_TEXT) == set(d.KioskState) == set(d.KIOSK_STATE_TEXT)
    assert set(d.DEFAULT_DAYS) == set(d.MIN_DAYS) == set(d.RetentionKind)


def test_the_kiosk_records_consent_to_the_same_notice_as_the_cloud():
    """A kiosk enrolled by hand (`hadir-edge enroll --consent-ref`) names the notice version the
    cloud shows: both take it from `hadir_protocol.consent` (the edge cannot import the cloud)."""
    from hadir_cloud.privacy.domain import NOTICE_VERSION as CLOUD
    from hadir_edge.consent import NOTICE_VERSION as KIOSK

    assert KIOSK == CLOUD
