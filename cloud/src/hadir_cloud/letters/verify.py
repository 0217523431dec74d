"""Verifying a signed letter with pyHanko against the trust roots: is the signature intact,
does it cover the whole document, does the certificate chain to a trusted root (with the
validation data embedded in the document, no network), and which letter is it.

A letter is found by the SHA-256 of the whole file (the stored signed PDF) or, when the file
was changed after signing, by the SHA-256 of its signature (the CMS object survives an edit),
so "this is letter 800/0012/DINKES/2026, and it was changed after signing" can be said.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from .signing import Trust

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What a verifier says about one PDF."""

    pdf_sha256: str
    signed: bool
    intact: bool = False
    trusted: bool = False
    whole_document: bool = False
    signer: str = ""
    signed_at: datetime | None = None
    signature_sha256: str | None = None
    problem: str = ""

    @property
    def valid(self) -> bool:
        """Intact, covers the whole file, and chains to a trusted root."""
        return self.signed and self.intact and self.trusted and self.whole_document


def signature_digest(cms_der: bytes) -> str:
    """The SHA-256 of a signature's CMS object (how a changed file is still recognised)."""
    return hashlib.sha256(cms_der).hexdigest()


def verify(pdf: bytes, trust: Trust) -> Verdict:
    """Validate the last signature of `pdf` (see the module's rules); never raises for a bad
    file: the verdict names the problem in Bahasa."""
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as err:
        return Verdict(digest, False, problem=f"berkas bukan PDF yang dapat dibaca: {err}")
    if not sigs:
        return Verdict(digest, False, problem="PDF ini tidak bertanda tangan elektronik")
    sig = sigs[-1]
    cms = sig.signed_data.dump()
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        context = dss.as_validation_context({
            "trust_roots": list(trust.roots), "allow_fetching": False,
            "other_certs": list(trust.intermediates), "crls": list(trust.crls)})
    except (PdfError, ValueError, KeyError, TypeError):
        context = trust.context()  # no DSS: what the verifier has
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as err:  # pyHanko's own errors for a mangled signature
        logger.info("signature could not be validated: %s", err)
        return Verdict(digest, True, signature_sha256=signature_digest(cms),
                       problem=f"tanda tangan tidak dapat diperiksa: {err}")
    signer = status.signing_cert.subject.native.get("common_name", "")
    problem = ""
    if not status.intact:
        problem = "isi dokumen berubah setelah ditandatangani"
    elif status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        problem = "ada perubahan yang ditambahkan setelah ditandatangani"
    elif not status.trusted:
        problem = "sertifikat penanda tangan tidak berasal dari CA yang dipercaya"
    return Verdict(digest, True, bool(status.intact and status.valid), bool(status.trusted),
                   status.coverage is SignatureCoverageLevel.ENTIRE_FILE, str(signer),
                   status.signer_reported_dt, signature_digest(cms), problem)
