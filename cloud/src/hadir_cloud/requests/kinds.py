"""Request kinds of one regency as data: pydantic models loaded and validated from a TOML file.

Like the TPP rule sets (`hadir_cloud.tpp.rules`): a regency's kinds, their attachments, maximum
lengths, how days are counted and who approves are a versioned file, not code; validation
problems are reported per field in Bahasa through `hadir_cloud.tpp.field_errors`.
"""

from __future__ import annotations

import functools
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadir_cloud.tpp import field_errors

#: an approval step: the direct supervisor, the supervisor's supervisor, or regency HR
Step = Literal["atasan", "atasan_atasan", "bkpsdm"]
#: the `absences.kind` an approved request becomes (TPP reads it), see migration 0100_tpp.sql
AbsenceKind = Literal["izin", "sakit", "cuti", "dl", "tugas_belajar"]
#: working days of the office calendar, or every calendar day
DayCount = Literal["kerja", "kalender"]


class KindsError(field_errors.FieldProblemsError):
    """A kinds file is missing, unreadable or invalid; the message names the file and field."""


class UnknownKindError(LookupError):
    """A request names a kind the regency's file does not have."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Model):
    """Identity and validity of a kinds file."""

    id: str = Field(description="stable identifier, e.g. 'ogan-ilir-jenis'")
    version: int = Field(ge=1, description="version number; a changed rule is a new version")
    name: str = Field(description="human name in Bahasa Indonesia")
    regency: str = Field(description="regency (kabupaten/kota) the file belongs to")
    effective_from: date = Field(description="first day the file is in force")
    legal_basis: str = Field(description="the regulations the kinds follow")


class AnnualLeave(_Model):
    """The cuti tahunan quota and how unused days carry over to the next year."""

    quota_days: int = Field(ge=0, description="working days of cuti tahunan a year")
    carry_over_max_days: int = Field(
        ge=0, description="at most this many unused days carry over to the next year")
    carry_over_max_days_long: int | None = Field(
        default=None, ge=0,
        description="the carry-over cap after `long_unused_years` years without cuti tahunan")
    long_unused_years: int = Field(
        default=2, ge=2, description="years in a row without cuti tahunan for the longer cap")
    cuti_bersama_counts: bool = Field(
        default=True, description="whether each cuti bersama working day uses one quota day")

    @model_validator(mode="after")
    def _caps(self) -> AnnualLeave:
        long = self.carry_over_max_days_long
        if long is not None and long < self.carry_over_max_days:
            raise ValueError("carry_over_max_days_long lebih kecil dari carry_over_max_days")
        return self


class Attachment(_Model):
    """An attachment a kind asks for; required when the request is longer than
    `required_over_days` days (0: always)."""

    code: str = Field(pattern=r"^[a-z0-9_]+$", description="code, e.g. 'surat_dokter'")
    name: str = Field(description="Bahasa name shown to the employee")
    required_over_days: int = Field(default=0, ge=0,
                                    description="required when the length exceeds this")


class Kind(_Model):
    """One request kind: what it becomes, how long it may be and who approves it."""

    code: str = Field(pattern=r"^[a-z0-9_]+$", description="code, e.g. 'cuti_tahunan'")
    name: str = Field(description="Bahasa name")
    absence: AbsenceKind | None = Field(
        default=None, description="the absence an approved request records; none for a "
        "correction of attendance")
    days: DayCount = Field(description="'kerja' (office working days) or 'kalender'")
    max_days: int | None = Field(default=None, ge=1, description="longest request, in `days`")
    chain: list[Step] = Field(min_length=1, description="approval steps in order")
    attachments: list[Attachment] = Field(default_factory=list, description="attachments")
    annual_quota: bool = Field(default=False,
                               description="whether the days use the cuti tahunan quota")
    needs_place: bool = Field(default=False,
                              description="whether a place, coordinates and radius are required")
    subkinds: dict[str, str] = Field(
        default_factory=dict, description="reasons the employee picks from (code = name); "
        "empty: none asked")

    @model_validator(mode="after")
    def _chain(self) -> Kind:
        if len(set(self.chain)) != len(self.chain):
            raise ValueError("langkah persetujuan tidak boleh berulang")
        if "atasan_atasan" in self.chain and (
                "atasan" not in self.chain
                or self.chain.index("atasan") > self.chain.index("atasan_atasan")):
            raise ValueError("atasan_atasan harus didahului langkah atasan")
        codes = [a.code for a in self.attachments]
        if len(set(codes)) != len(codes):
            raise ValueError("kode lampiran tidak boleh berulang")
        return self

    @property
    def absence_subkind(self) -> str:
        """The `absences.subkind` of an approved request: the kind of cuti ('tahunan', 'besar',
        …, as the TPP explanation reads it: "cuti tahunan"), empty for the other kinds."""
        return self.code.removeprefix("cuti_") if self.absence == "cuti" else ""

    def required_attachments(self, length: int) -> list[Attachment]:
        """The attachments a request of `length` days must carry."""
        return [a for a in self.attachments
                if a.required_over_days == 0 or length > a.required_over_days]


class KindSet(_Model):
    """The request kinds of one regency (one version of its file)."""

    jenis: Meta = Field(description="identity and validity")
    cuti_tahunan: AnnualLeave = Field(description="annual leave quota and carry-over")
    kind: list[Kind] = Field(min_length=1, description="the kinds, one [[kind]] table each")

    @model_validator(mode="after")
    def _codes(self) -> KindSet:
        codes = [k.code for k in self.kind]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"kode jenis berulang: {', '.join(dup)}")
        if sum(k.annual_quota for k in self.kind) > 1:
            raise ValueError("paling banyak satu jenis memakai kuota cuti tahunan")
        return self

    @functools.cached_property
    def by_code(self) -> dict[str, Kind]:
        """The kinds by code."""
        return {k.code: k for k in self.kind}

    def get(self, code: str) -> Kind:
        """The kind with this code; UnknownKindError (Bahasa) when there is none."""
        try:
            return self.by_code[code]
        except KeyError:
            raise UnknownKindError(
                f"jenis permohonan tidak dikenal: {code!r}; yang ada: "
                f"{', '.join(self.by_code)}") from None


def parse_kinds(data: dict[str, object], source: str) -> KindSet:
    """Validate a kinds file from plain data; errors name the source and each field's path."""
    return field_errors.parse_model(KindSet, data, source, KindsError)


def read_kinds(text: str, source: str) -> KindSet:
    """Parse and validate the text of a TOML kinds file (a syntax error names line and column)."""
    return field_errors.read_model(KindSet, text, source, KindsError)


def load_kinds(path: Path) -> KindSet:
    """Load and validate one TOML kinds file."""
    return field_errors.load_model(KindSet, path, KindsError)


def shipped_path(name: str = "jenis_ogan_ilir.toml") -> Path:
    """A kinds file shipped with Hadir."""
    return Path(str(resources.files("hadir_cloud.requests") / name))
