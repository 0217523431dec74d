"""Reading a ratings sheet (XLSX or CSV, as exported from e-Kinerja or filled in by HR) into
rows for `domain.parse_ratings`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]

from ..punches.domain import csv_rows, decode
from .domain import SheetError


def read_rows(data: bytes, filename: str) -> list[list[Any]]:
    """The rows of the first sheet of an .xlsx, or of a .csv (comma, semicolon or tab)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises many kinds for a file that is no XLSX
            raise SheetError(f"bukan berkas XLSX yang dapat dibaca ({err})") from err
        try:
            return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    if suffix == ".csv":
        return [list(r) for r in csv_rows(decode(data))]
    raise SheetError(f"berkas {filename!r}: pakai .xlsx atau .csv")
