"""Reading an export file (attlog text, CSV, XLSX) into the domain's `Parsed`."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Literal

from openpyxl import load_workbook

from .domain import FormatError, Parsed, csv_rows, decode, parse_attlog, parse_table

Format = Literal["attlog", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("attlog", "csv", "xlsx")
_BY_SUFFIX = {".dat": "attlog", ".txt": "attlog", ".csv": "csv", ".xlsx": "xlsx"}


def guess_format(name: str) -> Format:
    """The format from a file name (`*_attlog.dat`/`.txt`, `.csv`, `.xlsx`)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise FormatError("berkas .xls (Excel lama) tidak dibaca: simpan sebagai .xlsx atau .csv")
    if suffix not in _BY_SUFFIX:
        raise FormatError(f"format berkas '{suffix or name}' tidak dikenal: pakai --format "
                          "attlog, csv atau xlsx")
    return _BY_SUFFIX[suffix]  # type: ignore[return-value]


def read(source: Path | IO[bytes], fmt: Format) -> Parsed:
    """Punches and bad lines of a file or stream; FormatError when it cannot be read at all."""
    if fmt == "xlsx":
        try:
            wb = load_workbook(source, read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises many kinds for a file that is no XLSX
            raise FormatError(f"bukan berkas XLSX yang dapat dibaca ({err})") from err
        try:
            return parse_table(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
    data = source.read_bytes() if isinstance(source, Path) else source.read()
    text = decode(data)
    return parse_attlog(text) if fmt == "attlog" else parse_table(csv_rows(text))
