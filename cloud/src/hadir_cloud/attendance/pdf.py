"""The recap as an A4 PDF: the OPD's letterhead, the table, totals, page numbers, a signature.

Rendered with WeasyPrint from `attendance/recap_pdf.html` and `static/print/recap.css`.
Nothing is fetched from the network: WeasyPrint may open files under the portal's static
folder and inline `data:` URLs (the logo), and any other URL stops the rendering.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import (  # type: ignore[import-untyped]
    FatalURLFetchingError,
    URLFetcher,
    URLFetcherResponse,
)

from ..org.letterhead import Kop, Signatory

logger = logging.getLogger(__name__)

#: the only folder WeasyPrint may read files from
STATIC = Path(__file__).resolve().parent.parent / "portal" / "static"
#: the most rows rendered in a request (WeasyPrint takes ~12 ms a row here: 1,000 in ~12 s)
MAX_ROWS = 1000
#: a month recap has twelve columns: landscape; a day's fits upright
ORIENTATION = {"bulan": "landscape", "hari": "portrait"}


class RefusedURLError(FatalURLFetchingError):  # type: ignore[misc]  # WeasyPrint is untyped
    """The document asked for something outside the static folder (a template mistake)."""


class LocalFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint's fetcher limited to `data:` URLs and files under `root`."""

    def __init__(self, root: Path = STATIC) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The resource at `url`, or RefusedURLError for anything outside the folder."""
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                          {"Content-Type": mime})
        logger.error("recap PDF: refused to fetch %s", url)
        raise RefusedURLError(f"not fetched (only the portal's static files): {url}")


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, safe inside a <style> element."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
               .replace("<", "\\3c "))
    return f'"{escaped}"'


def page_counter_css() -> str:
    """'"Halaman " counter(page) " dari " counter(pages)' in the current language."""
    text = _("Halaman %(page)s dari %(pages)s", page="\x01", pages="\x02")
    out: list[str] = []
    for i, part in enumerate(text.replace("\x02", "\x01").split("\x01")):
        if i:
            out.append("counter(page)" if i == 1 else "counter(pages)")
        if part:
            out.append(css_string(part))
    return " ".join(out)


def long_date(when: datetime) -> str:
    """'6 Oktober 2026' (the month's name in the page's language)."""
    return str(format_date(when.date(), "d MMMM y"))


def render_recap(recap: dict[str, Any], kop: Kop, signer: Signatory,
                 printed: datetime) -> bytes:
    """The PDF of a recap: `recap` is what `/rekap` shows (views._recap()), `kop` and `signer`
    from `org.store.document_head`, `printed` the local time of printing."""
    logo = (f"data:{kop.logo_mime};base64,{base64.b64encode(kop.logo).decode()}"
            if kop.logo and kop.logo_mime else None)
    footer = _("Dicetak %(when)s pukul %(time)s dari Hadir",
               when=long_date(printed), time=printed.strftime("%H.%M %Z").strip())
    html = render_template(
        "attendance/recap_pdf.html", **recap, kop=kop, signer=signer, logo=logo,
        orientation=ORIENTATION[recap["mode"]], signed_on=long_date(printed),
        footer_css=css_string(footer), pages_css=page_counter_css())
    pdf: bytes = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=LocalFetcher(),
                      media_type="print").write_pdf()
    return pdf
