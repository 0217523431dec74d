"""Consents to biometric enrolment made on the kiosk itself (`hadir-edge enroll`).

UU 27/2022: a face is enrolled only with the person's recorded consent (the rule and the
notice version are `hadir_protocol.consent`, as in the cloud). The cloud records
consents in its database (`hadir_cloud.privacy`); a kiosk enrolled by hand (a standalone
school, a test bench) keeps them here, one entry per person, next to its gallery.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hadir_protocol.consent import NOTICE_VERSION as NOTICE_VERSION
from hadir_protocol.consent import reference_problem
from hadir_protocol.files import write_durably


class ConsentLog:
    """`consents.json`: {employee id: {"reference", "recorded_at", "notice_version"}}."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, dict[str, Any]]:
        """Every recorded consent (empty when none was)."""
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text())
        return data if isinstance(data, dict) else {}

    @staticmethod
    def problem(reference: str | None) -> str | None:
        """What is wrong with a consent reference (the cloud's rule), naming the option."""
        problem = reference_problem(reference)
        return f"{problem} — --consent-ref, UU 27/2022" if problem else None

    def record(self, employee_id: str, reference: str,
               now: datetime | None = None) -> None:
        """Keep the consent durably (the latest per person)."""
        problem = self.problem(reference)
        if problem:
            raise ValueError(problem)
        entries = self.read()
        entries[employee_id] = {
            "reference": reference.strip(),
            "recorded_at": (now or datetime.now(UTC)).isoformat(),
            "notice_version": NOTICE_VERSION,
        }
        write_durably(self.path, json.dumps(entries, indent=1, sort_keys=True) + "\n", 0o600)
