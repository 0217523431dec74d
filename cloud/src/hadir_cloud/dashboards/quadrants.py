"""The rule that places a person in a predicate and a quadrant: data, not code.

PermenPANRB 6/2022 rates work results (hasil kerja) and work behaviour (perilaku kerja) each
below, as or above expectation; the matrix of the two gives the predicate (Sangat Baik …
Sangat Kurang), and a regency groups predicates into the quadrants of its board (A/B/C/D). A
TOML file (rulesets/kuadran_permenpanrb_2022.toml) holds both; this module validates it with
pydantic, every problem named by its field path (as the TPP rule sets are).
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..tpp import field_errors

Level = Literal["di_bawah", "sesuai", "di_atas"]
LEVELS: tuple[Level, ...] = ("di_bawah", "sesuai", "di_atas")


class QuadrantRuleError(field_errors.FieldProblemsError):
    """The quadrant rule file is unreadable or invalid; the message names the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Model):
    """Identity of the rule."""

    id: str = Field(description="stable identifier, e.g. 'permenpanrb-6-2022'")
    version: int = Field(ge=1, description="a changed rule is a new version")
    name: str = Field(description="human name in Bahasa Indonesia")
    legal_basis: str = Field(description="the regulation the matrix follows")


class Cell(_Model):
    """One cell of the matrix: results × behaviour → predicate."""

    results: Level = Field(description="work results: di_bawah, sesuai or di_atas")
    behaviour: Level = Field(description="work behaviour: di_bawah, sesuai or di_atas")
    predicate: str = Field(description="a key of [predicates]")


class Quadrant(_Model):
    """One quadrant of the board and the predicates in it."""

    code: str = Field(pattern=r"^[A-Z]$", description="one capital letter: A, B, C, D …")
    name: str = Field(min_length=1, description="short name shown on the board")
    description: str = Field(default="", description="what a leader does with this quadrant")
    predicates: list[str] = Field(min_length=1, description="keys of [predicates]")


class QuadrantRule(_Model):
    """The whole rule: levels, predicates, the 3×3 matrix and the quadrants."""

    kuadran: Meta = Field(description="identity of the rule")
    levels: dict[Level, str] = Field(description="the three expectations and their text")
    predicates: dict[str, str] = Field(min_length=1, description="predicate key → its text, "
                                       "best first")
    matrix: list[Cell] = Field(description="exactly one cell per results × behaviour")
    quadrant: list[Quadrant] = Field(min_length=1, description="the board's quadrants in order")

    @model_validator(mode="after")
    def _complete(self) -> QuadrantRule:
        if set(self.levels) != set(LEVELS):
            raise ValueError("levels harus berisi tepat di_bawah, sesuai dan di_atas")
        seen: set[tuple[str, str]] = set()
        for cell in self.matrix:
            key = (cell.results, cell.behaviour)
            if key in seen:
                raise ValueError(f"sel hasil={cell.results}, perilaku={cell.behaviour} "
                                 "ditulis dua kali")
            seen.add(key)
            if cell.predicate not in self.predicates:
                raise ValueError(f"predikat {cell.predicate!r} tidak ada di [predicates]")
        missing = [f"{r}×{b}" for r in LEVELS for b in LEVELS if (r, b) not in seen]
        if missing:
            raise ValueError(f"matriks belum lengkap: {', '.join(missing)}")
        codes = [q.code for q in self.quadrant]
        if len(set(codes)) != len(codes):
            raise ValueError("kode kuadran harus unik")
        placed = [p for q in self.quadrant for p in q.predicates]
        unknown = sorted(set(placed) - set(self.predicates))
        if unknown:
            raise ValueError(f"predikat kuadran tidak ada di [predicates]: {', '.join(unknown)}")
        twice = sorted({p for p in placed if placed.count(p) > 1})
        if twice:
            raise ValueError(f"predikat di lebih dari satu kuadran: {', '.join(twice)}")
        unplaced = [p for p in self.predicates if p not in placed]
        if unplaced:
            raise ValueError(f"predikat tanpa kuadran: {', '.join(unplaced)}")
        return self

    @functools.cached_property
    def _cells(self) -> dict[tuple[str, str], str]:
        return {(c.results, c.behaviour): c.predicate for c in self.matrix}

    @functools.cached_property
    def _quadrant_of(self) -> dict[str, Quadrant]:
        return {p: q for q in self.quadrant for p in q.predicates}

    def predicate(self, results: str, behaviour: str) -> str:
        """The predicate key of a rating (KeyError for a level that is not one)."""
        return self._cells[(results, behaviour)]

    def quadrant_of(self, predicate: str) -> Quadrant:
        """The quadrant a predicate falls in."""
        return self._quadrant_of[predicate]

    @property
    def key(self) -> str:
        """'id@vN', as the board cites it."""
        return f"{self.kuadran.id}@v{self.kuadran.version}"


def parse_rule(data: dict[str, object], source: str) -> QuadrantRule:
    """Validate the rule from plain data; errors name the source and each field's path."""
    try:
        return QuadrantRule.model_validate(data)
    except ValidationError as err:
        raise QuadrantRuleError.of(source, field_errors.from_validation_error(
            err, QuadrantRule)) from err


def read_rule(text: str, source: str) -> QuadrantRule:
    """Parse and validate a TOML rule (a syntax error names its line and column)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise QuadrantRuleError.of(source, [field_errors.from_toml_error(err, text)]) from err
    return parse_rule(data, source)


def shipped() -> Path:
    """The rule shipped with Hadir."""
    return Path(str(resources.files("hadir_cloud") / "rulesets" / "kuadran_permenpanrb_2022.toml"))


def load_rule(path: Path | None = None) -> QuadrantRule:
    """The rule from a file (default: the shipped one)."""
    path = path or shipped()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise QuadrantRuleError(f"{path}: tidak dapat dibaca: {err}") from err
    return read_rule(text, str(path))
