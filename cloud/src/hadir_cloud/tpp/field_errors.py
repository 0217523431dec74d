"""Validation problems by field, in Bahasa: pydantic's errors and TOML syntax errors translated.

Pure (no Flask): a `FieldError` carries a Bahasa msgid with `%(name)s` parameters, so the
CLI prints `.message` and the portal translates the msgid (marked with `N_` for pybabel).
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


def N_(text: str) -> str:  # noqa: N802 - the keyword pybabel extracts (see `make i18n`)
    """Marks a msgid for extraction; the portal translates it when it shows the problem."""
    return text


@dataclass(frozen=True)
class FieldError:
    """One problem: where (a dotted field path, or a line and column) and what, in Bahasa."""

    path: str
    msgid: str
    params: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None

    @property
    def message(self) -> str:
        """The Bahasa text."""
        return self.msgid % self.params if self.params else self.msgid

    @property
    def where(self) -> str:
        """The field path, or 'baris L, kolom C' of a syntax error (Bahasa, for the CLI)."""
        if self.line is None:
            return self.path or "(berkas)"
        return f"baris {self.line}" + (f", kolom {self.column}" if self.column else "")


def dotted(loc: Sequence[int | str]) -> str:
    """pydantic's location as the TOML path a person reads: `late.tiers[2].pct`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            key = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += f".{key}" if out else key
    return out


def shown(value: object) -> str:
    """A value as it would be written in TOML, shortened: `"abc"`, `150`, `tabel`, `daftar`."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, dict):
        return "tabel"
    elif isinstance(value, list):
        return "daftar"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


#: pydantic error type → Bahasa msgid (parameters: got, and the constraint of the type)
_PYDANTIC: dict[str, str] = {
    "missing": N_("wajib diisi"),
    "int_type": N_("harus bilangan bulat, bukan %(got)s"),
    "int_parsing": N_("harus bilangan bulat, bukan %(got)s"),
    "int_from_float": N_("harus bilangan bulat, bukan %(got)s"),
    "decimal_type": N_("harus angka, bukan %(got)s"),
    "decimal_parsing": N_("harus angka, bukan %(got)s"),
    "float_type": N_("harus angka, bukan %(got)s"),
    "float_parsing": N_("harus angka, bukan %(got)s"),
    "string_type": N_("harus teks dalam tanda kutip, bukan %(got)s"),
    "bool_type": N_("harus true atau false, bukan %(got)s"),
    "bool_parsing": N_("harus true atau false, bukan %(got)s"),
    "date_type": N_("harus tanggal TTTT-BB-HH (misalnya 2026-01-01), bukan %(got)s"),
    "date_parsing": N_("harus tanggal TTTT-BB-HH (misalnya 2026-01-01), bukan %(got)s"),
    "date_from_datetime_parsing": N_("harus tanggal TTTT-BB-HH (misalnya 2026-01-01), "
                                     "bukan %(got)s"),
    "date_from_datetime_inexact": N_("harus tanggal tanpa jam, bukan %(got)s"),
    "greater_than_equal": N_("di luar rentang: paling kecil %(ge)s, bukan %(got)s"),
    "greater_than": N_("di luar rentang: harus lebih dari %(gt)s, bukan %(got)s"),
    "less_than_equal": N_("di luar rentang: paling besar %(le)s, bukan %(got)s"),
    "less_than": N_("di luar rentang: harus kurang dari %(lt)s, bukan %(got)s"),
    "too_short": N_("harus berisi paling sedikit %(min_length)s isian"),
    "too_long": N_("paling banyak %(max_length)s isian"),
    "literal_error": N_("harus salah satu dari %(expected)s, bukan %(got)s"),
    "list_type": N_("harus daftar [ … ], bukan %(got)s"),
    "dict_type": N_("harus tabel ([bagian] atau { … }), bukan %(got)s"),
    "model_type": N_("harus tabel ([bagian] atau { … }), bukan %(got)s"),
    "model_attributes_type": N_("harus tabel ([bagian] atau { … }), bukan %(got)s"),
}
_EXTRA = N_("kolom tidak dikenal (salah ketik?); yang dikenal: %(known)s")
_EXTRA_BARE = N_("kolom tidak dikenal (salah ketik?)")
_DETAIL = N_("%(detail)s")
_OTHER = N_("nilai tidak valid: %(detail)s")


def from_validation_error(err: ValidationError, model: type[BaseModel] | None = None,
                          ) -> list[FieldError]:
    """Every problem of a pydantic validation, with its path and a Bahasa message.

    With `model`, an unknown field's message lists the fields that are known there.
    """
    out = []
    for e in err.errors():
        kind, ctx = e["type"], e.get("ctx") or {}
        path = dotted(e["loc"])
        params = {k: str(v) for k, v in ctx.items() if k != "error"}
        params["got"] = shown(e.get("input"))
        if kind == "extra_forbidden":
            known = _known_fields(model, e["loc"][:-1]) if model is not None else []
            msgid = _EXTRA if known else _EXTRA_BARE
            params = {"known": ", ".join(known)} if known else {}
        elif kind in ("value_error", "assertion_error"):
            msgid, params = _DETAIL, {"detail": str(ctx.get("error", e["msg"]))}
        elif kind == "literal_error":
            msgid = _PYDANTIC[kind]
            params["expected"] = params.get("expected", "").replace(" or ", " atau ")
        elif kind in _PYDANTIC:
            msgid = _PYDANTIC[kind]
        else:
            msgid, params = _OTHER, {"detail": e["msg"]}
        if kind == "missing":
            params = {}
        out.append(FieldError(path, msgid, params))
    return out


def _known_fields(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The field names of the (sub)model at a location, or [] when it is not a model."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _step(tp: Any, part: int | str) -> Any:
    """The type one location part further in (through Optional, list and dict)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _step(args[0], part) if len(args) == 1 else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        f = tp.model_fields.get(str(part))
        return None if f is None else f.annotation
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    return None


#: tomllib's messages (Python 3.11–3.13) → Bahasa msgid; the rest keep their English detail
_TOML: tuple[tuple[str, str], ...] = (
    ("Invalid value", N_("nilai tidak valid (teks harus dalam tanda kutip, tanggal "
                         "TTTT-BB-HH, angka tanpa titik ribuan)")),
    ("Invalid date or datetime", N_("tanggal tidak valid (TTTT-BB-HH, misalnya 2026-01-01)")),
    ("Expected '=' after a key in a key/value pair",
     N_("kurang tanda '=' sesudah nama kolom")),
    ("Expected ']' at the end of a table declaration",
     N_("nama bagian harus ditutup dengan ']'")),
    ("Expected ']]' at the end of an array declaration",
     N_("nama daftar bagian harus ditutup dengan ']]'")),
    ("Expected newline or end of document after a statement",
     N_("sesudah satu isian harus ganti baris")),
    ("Cannot overwrite a value", N_("kolom yang sama diisi dua kali")),
    ("Cannot declare", N_("bagian yang sama ditulis dua kali")),
    ("Duplicate inline table key", N_("kolom yang sama diisi dua kali")),
    ("Unterminated string", N_("teks tidak ditutup dengan tanda kutip")),
    ("Unclosed array", N_("daftar tidak ditutup dengan ']'")),
    ("Unclosed inline table", N_("tabel { … } tidak ditutup dengan '}'")),
    ("Invalid statement", N_("baris ini bukan isian TOML (nama = nilai) atau [bagian]")),
    ("Invalid initial character for a key part", N_("nama kolom diawali karakter yang salah")),
)
_TOML_OTHER = N_("sintaks TOML tidak valid: %(detail)s")
_WHERE = re.compile(r"^(?P<msg>.*?)\s*\((?:at line (?P<line>\d+), column (?P<col>\d+)"
                    r"|at end of document)\)$", re.S)


def from_toml_error(err: tomllib.TOMLDecodeError, text: str) -> FieldError:
    """A TOML syntax error with its line and column (end of document: the last line)."""
    m = _WHERE.match(str(err))
    detail = m.group("msg") if m else str(err)
    if m and m.group("line"):
        line, col = int(m.group("line")), int(m.group("col"))
    else:
        line, col = max(1, len(text.splitlines())), 0
    for prefix, msgid in _TOML:
        if detail.startswith(prefix):
            return FieldError("", msgid, {}, line, col or None)
    return FieldError("", _TOML_OTHER, {"detail": detail}, line, col or None)


def lines(source: str, errors: Sequence[FieldError]) -> str:
    """The problems as text lines `source: where: message` (the CLI's form)."""
    return "\n".join(f"{source}: {e.where}: {e.message}" for e in errors)


class FieldProblemsError(ValueError):
    """A data file (rule set, request kinds) is missing, unreadable or invalid; the message
    names the file and field. `problems` holds each field's problem (empty when the file could
    not be read at all)."""

    def __init__(self, message: str, problems: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def of(cls, source: str, problems: Sequence[FieldError]) -> typing.Self:
        """The error of these problems, its message one `source: field: problem` line each."""
        return cls(lines(source, problems), problems)


M = typing.TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: dict[str, object], source: str,
                error: type[FieldProblemsError]) -> M:
    """Validate plain data as `model`; `error` names the source and each field's path."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise error.of(source, from_validation_error(err, model)) from err


def read_model(model: type[M], text: str, source: str, error: type[FieldProblemsError]) -> M:
    """Parse TOML text and validate it as `model` (a syntax error names line and column)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error.of(source, [from_toml_error(err, text)]) from err
    return parse_model(model, data, source, error)


def load_model(model: type[M], path: Path, error: type[FieldProblemsError]) -> M:
    """Read a TOML file and validate it as `model`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: tidak dapat dibaca: {err}") from err
    return read_model(model, text, str(path), error)
