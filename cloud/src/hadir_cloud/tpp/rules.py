"""TPP rule sets: pydantic models of a Perbup's deductions, loaded and validated from TOML files."""

from __future__ import annotations

import functools
import json
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from . import field_errors

StaffKind = Literal["ASN", "PPPK", "honorer"]


class RuleSetError(field_errors.FieldProblemsError):
    """A rule set is missing, unreadable or invalid; the message names the file and field."""


class NoRuleSetError(LookupError):
    """No rule set is in force for a regency, staff kind and date."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Model):
    """Identity and validity of a rule set."""

    id: str = Field(description="stable identifier, e.g. 'ogan-ilir-asn'")
    version: int = Field(ge=1, description="version number; a changed Perbup is a new version")
    name: str = Field(description="human name in Bahasa Indonesia")
    regency: str = Field(description="regency (kabupaten/kota) the Perbup belongs to")
    staff_kinds: list[StaffKind] = Field(min_length=1, description="ASN, PPPK and/or honorer")
    effective_from: date = Field(description="first day the rule set is in force")
    effective_to: date | None = Field(default=None, description="last day in force (inclusive)")
    legal_basis: str = Field(description="Perbup number or other legal basis")

    @model_validator(mode="after")
    def _dates(self) -> Meta:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to lebih awal dari effective_from")
        return self


class Rounding(_Model):
    """How each rupiah amount is rounded."""

    mode: Literal["half_up", "down", "up"] = Field(description="rounding direction")
    unit: int = Field(default=1, ge=1, description="round to a multiple of this many rupiah")


class Tier(_Model):
    """One lateness or early-leave tier: minutes from..to (inclusive) and its cut."""

    code: str = Field(description="tier code, e.g. TL1 or PSW3")
    min_from: int = Field(ge=1, description="first minute in the tier")
    min_to: int | None = Field(default=None, description="last minute (inclusive); none = open")
    pct: Decimal = Field(ge=0, le=100, description="deduction in percent of the base")


class TierSet(_Model):
    """Contiguous tiers plus the tier used when the check-in or check-out is missing."""

    tiers: list[Tier] = Field(min_length=1, description="tiers in order of minutes")
    no_record: str = Field(description="code of the tier applied when there is no record")

    @model_validator(mode="after")
    def _contiguous(self) -> TierSet:
        expected = 1
        for i, t in enumerate(self.tiers):
            if t.min_from != expected:
                raise ValueError(f"jenjang {t.code} mulai menit {t.min_from}, seharusnya {expected} "
                                 "(jenjang harus bersambung)")
            last = i == len(self.tiers) - 1
            if t.min_to is None:
                if not last:
                    raise ValueError(f"jenjang {t.code} tanpa min_to padahal bukan jenjang terakhir")
            else:
                if t.min_to < t.min_from:
                    raise ValueError(f"jenjang {t.code}: min_to lebih kecil dari min_from")
                expected = t.min_to + 1
        if self.tiers[-1].min_to is not None:
            raise ValueError("jenjang terakhir harus terbuka (tanpa min_to)")
        if self.no_record not in {t.code for t in self.tiers}:
            raise ValueError(f"no_record {self.no_record!r} bukan salah satu kode jenjang")
        return self

    def for_minutes(self, minutes: int) -> Tier | None:
        """The tier for this many minutes, or None for zero minutes."""
        for t in self.tiers:
            if minutes >= t.min_from and (t.min_to is None or minutes <= t.min_to):
                return t
        return None

    def by_code(self, code: str) -> Tier:
        """The tier with this code."""
        for t in self.tiers:
            if t.code == code:
                return t
        raise KeyError(code)


class AbsencePct(_Model):
    """Cut per day for each kind of absence (percent of the base)."""

    tk: Decimal = Field(ge=0, le=100, description="tanpa keterangan (absent without notice)")
    izin: Decimal = Field(default=Decimal(0), ge=0, le=100, description="approved permission")
    sakit: Decimal = Field(default=Decimal(0), ge=0, le=100, description="sick leave")
    cuti: Decimal = Field(default=Decimal(0), ge=0, le=100, description="leave (any kind)")
    dl: Decimal = Field(default=Decimal(0), ge=0, le=100, description="dinas luar (official duty)")
    tugas_belajar: Decimal = Field(default=Decimal(0), ge=0, le=100, description="study leave")


class Caps(_Model):
    """Upper limits on attendance deductions."""

    per_day_pct: Decimal | None = Field(default=None, gt=0, le=100, description="max cut a day")
    monthly_pct: Decimal | None = Field(default=None, gt=0, le=100, description="max cut a month")


class LkhRule(_Model):
    """Cut when the month's approved LKH share is at or below a threshold."""

    threshold_pct: Decimal = Field(ge=0, le=100, description="completeness at or below this cuts")
    deduction_pct: Decimal = Field(ge=0, le=100, description="cut in percent of the base")
    deadline_working_days: int = Field(
        default=2, ge=0, le=30, description="an LKH may be filed until this many working "
        "days after its day (0: the same day)")


class Weighting(_Model):
    """Split of the base into a discipline part and a performance part."""

    discipline_pct: Decimal = Field(ge=0, le=100, description="share cut by attendance")
    performance_pct: Decimal = Field(ge=0, le=100, description="share cut by LKH")

    @model_validator(mode="after")
    def _sum(self) -> Weighting:
        if self.discipline_pct + self.performance_pct != 100:
            raise ValueError("discipline_pct + performance_pct harus 100")
        return self


class RuleSet(_Model):
    """One versioned TPP rule set (a Perbup) for some staff kinds of a regency."""

    ruleset: Meta = Field(description="identity and validity")
    rounding: Rounding = Field(description="rupiah rounding")
    base_amounts: dict[str, Decimal] = Field(min_length=1, description="base TPP per class")
    grace_minutes: int = Field(default=0, ge=0, description="lateness up to this is not counted")
    late: TierSet = Field(description="TL tiers")
    early: TierSet = Field(description="PSW tiers")
    absence_pct: AbsencePct = Field(description="cut per day by absence kind")
    caps: Caps = Field(default_factory=Caps, description="per-day and monthly caps")
    lkh: LkhRule | None = Field(default=None, description="LKH completeness rule")
    weighting: Weighting | None = Field(default=None, description="discipline/performance split")

    @functools.cached_property
    def key(self) -> str:
        """'id@vN', the reference used in explanations."""
        return f"{self.ruleset.id}@v{self.ruleset.version}"

    def in_force(self, day: date) -> bool:
        """Whether the rule set applies on this day."""
        m = self.ruleset
        return m.effective_from <= day and (m.effective_to is None or day <= m.effective_to)


def parse_ruleset(data: dict[str, object], source: str) -> RuleSet:
    """Validate a rule set from plain data; errors name the source and each field's path."""
    return field_errors.parse_model(RuleSet, data, source, RuleSetError)


def read_ruleset(text: str, source: str) -> RuleSet:
    """Parse and validate the text of a TOML rule set: the one path of the CLI and the portal.

    A syntax error names its line and column; a validation error every field's path.
    """
    return field_errors.read_model(RuleSet, text, source, RuleSetError)


def load_ruleset(path: Path) -> RuleSet:
    """Load and validate one TOML rule set file."""
    return field_errors.load_model(RuleSet, path, RuleSetError)


def to_toml(rs: RuleSet) -> str:
    """The rule set as a TOML file that loads back to the same rule set (comments are not kept)."""
    data = rs.model_dump(mode="python", exclude_none=True)
    out = [f"# {rs.ruleset.name} ({rs.key}), diunduh dari Hadir.",
           "# Komentar berkas asli tidak disimpan; untuk perubahan naikkan ruleset.version.", ""]
    out += [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            out += _table([k], v)
    return "\n".join(out).lstrip("\n") + "\n"


def _table(path: list[str], d: dict[str, Any]) -> list[str]:
    out = ["", f"[{'.'.join(_key(p) for p in path)}]"]
    for k, v in d.items():
        if isinstance(v, list) and v and all(isinstance(i, dict) for i in v):
            out += [f"{_key(k)} = [", *(f"  {_value(i)}," for i in v), "]"]
        elif not isinstance(v, dict):
            out.append(f"{_key(k)} = {_value(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            out += _table([*path, k], v)
    return out


def _key(k: str) -> str:
    bare = k.replace("_", "").replace("-", "").isalnum() and k.isascii() and not k.isdigit()
    return k if bare else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else format(v.normalize(), "f")
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(i) for i in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(i)}" for k, i in v.items()) + " }"
    raise TypeError(f"no TOML form for {v!r}")


def shipped_dir() -> Path:
    """The directory of the rule sets shipped with Hadir."""
    return Path(str(resources.files("hadir_cloud") / "rulesets"))


def load_dir(directory: Path) -> list[RuleSet]:
    """Load every rule set (files with a [ruleset] table) in a directory."""
    out = []
    for path in sorted(directory.glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
            head = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as err:
            raise RuleSetError(f"{path}: tidak dapat dibaca: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise RuleSetError.of(str(path), [field_errors.from_toml_error(err, text)]) from err
        if "ruleset" in head:
            out.append(parse_ruleset(head, str(path)))
    return out


class RuleBook:
    """All known rule sets; picks the one in force for a regency, staff kind and day."""

    def __init__(self, rulesets: list[RuleSet]) -> None:
        self.rulesets = list(rulesets)
        self._memo: dict[tuple[str, str, date], RuleSet] = {}

    def for_day(self, regency: str, staff_kind: str, day: date) -> RuleSet:
        """The rule set in force; the latest effective_from, then highest version, wins."""
        key = (regency, staff_kind, day)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._find(regency, staff_kind, day)
        return hit

    def _find(self, regency: str, staff_kind: str, day: date) -> RuleSet:
        found = [
            r
            for r in self.rulesets
            if r.ruleset.regency == regency and staff_kind in r.ruleset.staff_kinds
            and r.in_force(day)
        ]
        if not found:
            raise NoRuleSetError(
                f"tidak ada aturan TPP untuk {regency} / {staff_kind} pada {day.isoformat()}"
            )
        return max(found, key=lambda r: (r.ruleset.effective_from, r.ruleset.version))
