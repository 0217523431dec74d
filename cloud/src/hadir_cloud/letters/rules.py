"""A regency's letter rules as data: the numbering pattern, the classification codes and their
retention schedule (JRA), loaded from TOML and validated like the request kinds (pure)."""

from __future__ import annotations

import functools
import string
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hadir_cloud.tpp import field_errors

#: the fields a number pattern may use
PATTERN_FIELDS = frozenset({"klasifikasi", "urut", "unit", "tahun"})


class RulesError(field_errors.FieldProblemsError):
    """A letter rules file is missing, unreadable or invalid; the message names the field."""


class UnknownClassificationError(LookupError):
    """A letter names a classification code the rules do not have."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_pattern(pattern: str) -> str:
    fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    unknown = fields - PATTERN_FIELDS
    if unknown:
        raise ValueError(f"pola memakai isian tak dikenal: {', '.join(sorted(unknown))} "
                         f"(yang boleh: {', '.join(sorted(PATTERN_FIELDS))})")
    if "urut" not in fields:
        raise ValueError("pola harus memuat {urut}")
    return pattern


class Meta(_Model):
    """Identity of the rules and the patterns of numbers."""

    id: str = Field(description="stable identifier, e.g. 'ogan-ilir-surat'")
    version: int = Field(ge=1, description="version number")
    name: str = Field(description="human name in Bahasa Indonesia")
    regency: str = Field(description="regency the rules belong to")
    effective_from: date = Field(description="first day in force")
    number_pattern: str = Field(description="an outgoing letter's number, e.g. "
                                "'{klasifikasi}/{urut:04d}/{unit}/{tahun}'")
    agenda_pattern: str = Field(description="an incoming letter's agenda number")

    @model_validator(mode="after")
    def _patterns(self) -> Meta:
        _check_pattern(self.number_pattern)
        _check_pattern(self.agenda_pattern)
        return self


class Classification(_Model):
    """A classification code and its retention: years active, years inactive, then the fate."""

    code: str = Field(pattern=r"^\d{3}(\.\d+)*$", description="code, e.g. '800' or '800.1.11.1'")
    name: str = Field(description="Bahasa name")
    aktif: int = Field(ge=0, le=100, description="years kept active at the unit")
    inaktif: int = Field(ge=0, le=100, description="years kept inactive at the records centre")
    nasib_akhir: Literal["musnah", "permanen", "dinilai kembali"] = Field(
        description="what happens after the inactive years")


class Rules(_Model):
    """The letter rules of one regency."""

    aturan: Meta = Field(description="identity and patterns")
    klasifikasi: list[Classification] = Field(min_length=1, description="classification codes")

    @model_validator(mode="after")
    def _codes(self) -> Rules:
        codes = [c.code for c in self.klasifikasi]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"kode klasifikasi berulang: {', '.join(dup)}")
        return self

    @functools.cached_property
    def by_code(self) -> dict[str, Classification]:
        """The classifications by code."""
        return {c.code: c for c in self.klasifikasi}

    def get(self, code: str) -> Classification:
        """The classification with this code; UnknownClassificationError (Bahasa) otherwise."""
        try:
            return self.by_code[code]
        except KeyError:
            raise UnknownClassificationError(f"kode klasifikasi tidak dikenal: {code!r}") from None

    def number(self, classification: str, seq: int, unit_code: str, year: int) -> str:
        """An outgoing letter's number: '800/0012/DINKES/2026'."""
        return self.aturan.number_pattern.format(klasifikasi=classification, urut=seq,
                                                 unit=unit_code, tahun=year)

    def agenda(self, seq: int, unit_code: str, year: int) -> str:
        """An incoming letter's agenda number."""
        return self.aturan.agenda_pattern.format(klasifikasi="", urut=seq, unit=unit_code,
                                                 tahun=year)


@functools.cache
def _shipped() -> Rules:
    return load_rules(Path(str(resources.files("hadir_cloud.letters") / "aturan_surat.toml")))


def shipped() -> Rules:
    """The rules shipped with Hadir (Ogan Ilir)."""
    return _shipped()


def load_rules(path: Path) -> Rules:
    """Load and validate a TOML rules file; errors name the file and each field's path."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as err:
        raise RulesError(f"{path}: tidak dapat dibaca: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise RulesError.of(str(path), [field_errors.from_toml_error(err, text)]) from err
    try:
        return Rules.model_validate(data)
    except ValidationError as err:
        raise RulesError.of(str(path), field_errors.from_validation_error(err, Rules)) from err


def retention(c: Classification, year: int) -> tuple[int, int]:
    """The last year a letter of `year` stays active, and the last it stays inactive."""
    return year + c.aktif, year + c.aktif + c.inaktif
