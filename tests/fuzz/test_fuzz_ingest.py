"""A few thousand hostile payloads through the real pipeline into PostgreSQL (`make fuzz`: 100k)."""

from __future__ import annotations

import json

from .run import fuzz


def test_thousands_of_mutated_payloads_crash_nothing_and_every_one_is_accounted_for(fresh_db):
    report = fuzz(fresh_db, count=3000, seed=20261122)
    print(json.dumps(report, indent=2))
    assert report["crashes"] == 0, report["problems"]
    assert report["problem_count"] == 0, report["problems"]
    outcomes = report["outcomes"]
    # the mix reaches every stage: stored, refused early, refused late, held and quarantined
    assert outcomes.get("stored", 0) > 300
    for key in ("reason:bad_signature", "reason:invalid", "reason:bad_photo", "held",
                "quarantined", "reason:non_finite_number", "reason:too_deep",
                "reason:duplicate_key", "reason:not_utf8", "reason:bad_string",
                "reason:number_too_large", "reason:unknown_device", "duplicate"):
        assert outcomes.get(key, 0) > 0, f"no {key} in {outcomes}"
