"""Letters and disposition sheets as A4 PDFs (WeasyPrint, PDF/A-2b, fonts embedded).

Rendered from `templates/letters/letter_pdf.html` and `disposition_pdf.html` with the OPD's
letterhead (`templates/print/_kop.html`, shared with the recap) and the recap's fetcher (only
the portal's static files and `data:` URLs). An official letter is in Bahasa Indonesia
whatever the reader's portal language, so these templates are rendered by their own Jinja
environment, without Flask: a job worker renders them too.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import segno

from ..org.letterhead import Kop

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
#: CSS pixels (1/96 in) to PDF points (1/72 in)
PX_TO_PT = 0.75


def long_date(day: date) -> str:
    """'3 Desember 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _identity(text: str, **values: Any) -> str:
    return text % values if values else text


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                          autoescape=jinja2.select_autoescape(["html"]),
                          undefined=jinja2.StrictUndefined)
_env.globals["_"] = _identity
_env.filters["long_date"] = long_date


@dataclass(frozen=True)
class Box:
    """Where the visible signature block is: page index and (x1, y1, x2, y2) in PDF points."""

    page: int
    rect: tuple[int, int, int, int]


@dataclass(frozen=True)
class Person:
    """A person as a letter prints them."""

    nip: str
    name: str
    position: str = ""


@dataclass(frozen=True)
class Printed:
    """Everything a letter's PDF shows."""

    kind: str
    kind_title: str
    kop: Kop
    subject: str
    body: str
    addressee: str
    classification: str
    urgency: str
    place: str
    day: date
    signer_position: str
    signer_acting: str | None  # "Plt." / "Plh." or None
    signer: Person | None
    number: str | None = None
    verify_url: str | None = None
    copies: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()
    duty: Mapping[str, str] = field(default_factory=dict)
    draft: bool = False


def _logo(kop: Kop) -> str | None:
    return (f"data:{kop.logo_mime};base64,{base64.b64encode(kop.logo).decode()}"
            if kop.logo and kop.logo_mime else None)


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code (SVG data URL), error correction M."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _render(template: str, **context: Any) -> Any:
    # WeasyPrint loads here, not when the portal starts (it takes seconds to import)
    from weasyprint import HTML  # type: ignore[import-untyped]

    from ..attendance.pdf import STATIC, LocalFetcher

    html = _env.get_template(template).render(**context)
    return HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=LocalFetcher(),
                media_type="print").render()


def render_letter(p: Printed) -> tuple[bytes, Box | None]:
    """The letter's PDF, and where its signature block is (None on a draft)."""
    doc = _render("letters/letter_pdf.html", p=p, logo=_logo(p.kop),
                  paragraphs=_paragraphs(p.body),
                  qr=qr_data_uri(p.verify_url) if p.verify_url else None)
    box = None
    for index, page in enumerate(doc.pages):
        anchor = page.anchors.get("ttd")
        if anchor is not None:
            x1, y1, x2, y2 = anchor
            height = page.height
            box = Box(index, (int(x1 * PX_TO_PT), int((height - y2) * PX_TO_PT),
                              int(x2 * PX_TO_PT) + 1, int((height - y1) * PX_TO_PT) + 1))
    pdf: bytes = doc.write_pdf(pdf_variant="pdf/a-2b")
    return pdf, box


@dataclass(frozen=True)
class SheetRow:
    """One disposition on the lembar disposisi."""

    depth: int
    sender: str
    recipient: str
    instruction: str
    deadline: date | None
    state: str
    at: str


def render_disposition_sheet(kop: Kop, letter: Mapping[str, Any], rows: list[SheetRow],
                             printed: date) -> bytes:
    """The lembar disposisi of an incoming letter."""
    doc = _render("letters/disposition_pdf.html", kop=kop, logo=_logo(kop), letter=letter,
                  rows=rows, printed=printed)
    pdf: bytes = doc.write_pdf(pdf_variant="pdf/a-2b")
    return pdf
