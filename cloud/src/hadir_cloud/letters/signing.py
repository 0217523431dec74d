"""Signing letters (PAdES, pyHanko) through a signer port, with one adapter per key store.

- `local`: the project's own CA (`hadir-cloud letters ca init/issue`, `ca.py`): a PKCS#12
  file per official in the CA folder; for the demo, the tests and a pilot.
- `pkcs12`: a folder of PKCS#12 files (`<nip>.p12`) from the regency's CA, a passphrase file,
  the trust root(s) and CRLs.
- `pkcs11`: a token or HSM through its PKCS#11 module (pyHanko's pkcs11 support); the key and
  certificate labelled with the official's NIP.
- A remote signing service such as BSrE's: `RemoteSigningService` is the shape (the official's
  certificate chain, and a raw signature over a digest, after whatever the service asks of
  the official: a passphrase, an OTP); `RemoteSigner` turns one into a pyHanko signer. An
  HTTP client for BSrE's API implements the protocol; it is not written here (no access).

Every signature is PAdES baseline with long-term validation data: the certificate chain and
the CRLs are written into the document's DSS in the signed revision itself, so the signature
covers the whole file and verifies years later without the network. The visible signature
is the letter's own signature block (rendered in the PDF with the signer's name, position and
the verification QR code); the signature field's widget lies over it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfSignatureMetadata,
    PdfSigner,
    SigDSSPlacementPreference,
)
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..settings import CloudSettings
from . import ca
from .pdf import Box

logger = logging.getLogger(__name__)
FIELD = "TandaTangan"


class SignerError(RuntimeError):
    """The official cannot sign now (no key, a wrong passphrase, a token away); Bahasa."""


@dataclass(frozen=True)
class Trust:
    """What a verifier trusts and what a signature embeds: roots, intermediates, CRLs."""

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()

    def context(self, embed: bool = False) -> ValidationContext:
        """A validation context with no fetching: every answer from what is here."""
        return ValidationContext(trust_roots=list(self.roots),
                                 other_certs=list(self.intermediates), crls=list(self.crls),
                                 allow_fetching=False,
                                 revocation_mode="hard-fail" if embed and self.crls
                                 else "soft-fail")


class SignerPort(Protocol):
    """Where officials' keys live: a pyHanko signer for a NIP, and the trust it chains to."""

    def signer_for(self, nip: str) -> signers.Signer:
        """The official's signer; SignerError when they have none."""
        ...

    def trust(self) -> Trust:
        """The trust roots, intermediates and CRLs to embed and verify against."""
        ...


def _crls(paths: Sequence[Path]) -> tuple[asn1_crl.CertificateList, ...]:
    return tuple(asn1_crl.CertificateList.load(p.read_bytes()) for p in paths)


class Pkcs12Keystore:
    """A folder of `<nip>.p12` files, one passphrase, trust roots and CRLs."""

    def __init__(self, folder: Path, passphrase: bytes, trust: Trust):
        self.folder, self.passphrase, self._trust = folder, passphrase, trust

    def signer_for(self, nip: str) -> signers.Signer:
        """The official's signer from `<nip>.p12`."""
        path = self.folder / f"{nip}.p12"
        if not path.is_file():
            raise SignerError(f"belum ada sertifikat tanda tangan untuk NIP {nip} ({path}); "
                              f"terbitkan dengan `hadir-cloud letters ca issue --nip {nip}`")
        signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            path, passphrase=self.passphrase)
        if not isinstance(signer, signers.Signer):
            raise SignerError(f"berkas kunci {path} tidak dapat dibuka (kata sandi salah?)")
        return signer

    def trust(self) -> Trust:
        """The configured trust."""
        return self._trust


def local_ca(folder: Path) -> Pkcs12Keystore:
    """The `local` adapter: the keystore of the project's own CA folder."""
    try:
        root = load_cert_from_pemder(folder / "root.pem")  # type: ignore[no-untyped-call]
        issuing = load_cert_from_pemder(folder / "issuing.pem")  # type: ignore[no-untyped-call]
        crls = _crls([folder / "root.crl", folder / "issuing.crl"])
    except OSError as err:
        raise SignerError(f"CA surat di {folder} tidak lengkap: {err}; buat dengan "
                          "`hadir-cloud letters ca init`") from err
    return Pkcs12Keystore(folder / "keystore", ca.passphrase(folder),
                          Trust((root,), (issuing,), crls))


class Pkcs11Token:
    """The `pkcs11` adapter: keys on a token, found by label (the official's NIP)."""

    def __init__(self, module: Path, token_label: str, pin: str, trust: Trust):
        self.module, self.token_label, self.pin, self._trust = module, token_label, pin, trust

    def signer_for(self, nip: str) -> signers.Signer:
        """A signer over the token's key and certificate labelled `nip`."""
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11  # python-pkcs11 loads here only

        try:
            session = pkcs11.open_pkcs11_session(
                str(self.module), token_criteria=TokenCriteria(label=self.token_label),
                user_pin=self.pin)
        except Exception as err:  # the token's own errors: PIN, missing token, module
            raise SignerError(f"token PKCS#11 {self.token_label!r} tidak dapat dibuka: "
                              f"{err}") from err
        return pkcs11.PKCS11Signer(session, key_label=nip, cert_label=nip,
                                   other_certs_to_pull=None)

    def trust(self) -> Trust:
        """The configured trust."""
        return self._trust


class RemoteSigningService(Protocol):
    """The shape of a remote signing service (BSrE's API, a regency's signing server)."""

    def certificates(self, nip: str) -> list[asn1_x509.Certificate]:
        """The official's certificate first, then its chain."""
        ...

    def sign_digest(self, nip: str, digest: bytes, algorithm: str) -> bytes:
        """A raw signature over `digest` (e.g. ECDSA/RSA PKCS#1 v1.5 over SHA-256) by the
        official's key, once the official has authorised it."""
        ...


class RemoteSigner(signers.Signer):
    """A pyHanko signer whose key stays in a `RemoteSigningService`."""

    def __init__(self, service: RemoteSigningService, nip: str):
        chain = service.certificates(nip)
        if not chain:
            raise SignerError(f"layanan tanda tangan tidak mengenal NIP {nip}")
        self.service, self.nip = service, nip
        algo = chain[0].public_key.algorithm
        mechanism = "ecdsa" if algo == "ec" else "rsassa_pkcs1v15"
        from asn1crypto import algos

        super().__init__(
            signing_cert=chain[0],
            cert_registry=SimpleCertificateStore.from_certs(chain[1:]),  # type: ignore[no-untyped-call]
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}))

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        """Hash the signed attributes and have the service sign the digest."""
        if dry_run:
            return bytes(512)  # pyHanko sizes the signature with a placeholder
        digest = hashlib.new(digest_algorithm, data).digest()
        return self.service.sign_digest(self.nip, digest, digest_algorithm)


class RemoteService:
    """The remote adapter: a port over any `RemoteSigningService`."""

    def __init__(self, service: RemoteSigningService, trust: Trust):
        self.service, self._trust = service, trust

    def signer_for(self, nip: str) -> signers.Signer:
        """A signer whose key stays with the service."""
        return RemoteSigner(self.service, nip)

    def trust(self) -> Trust:
        """The configured trust."""
        return self._trust


def trust_from_files(roots: Path, crl_dir: Path | None = None) -> Trust:
    """Trust roots from a PEM file (one or more certificates), CRLs from `*.crl` in a folder."""
    try:
        certs = tuple(load_certs_from_pemder([str(roots)]))  # type: ignore[no-untyped-call]
        crls = _crls(sorted(crl_dir.glob("*.crl"))) if crl_dir else ()
    except OSError as err:
        raise SignerError(f"akar kepercayaan {roots} tidak dapat dibaca: {err}") from err
    return Trust(certs, (), crls)




def sign_pdf(pdf: bytes, port: SignerPort, nip: str, box: Box, reason: str, location: str,
             name: str) -> bytes:
    """The PDF signed by `nip` (PAdES, SHA-256), validation data embedded in the signed
    revision, the signature field's widget over the visible block."""
    signer = port.signer_for(nip)
    trust = port.trust()
    meta = PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True, validation_context=trust.context(embed=True),
        reason=reason, location=location, name=name,
        dss_settings=DSSContentSettings(
            include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE))
    pdf_signer = PdfSigner(meta, signer,
                           new_field_spec=fields.SigFieldSpec(FIELD, on_page=box.page,
                                                              box=box.rect),
                           stamp_style=TextStampStyle(stamp_text="", border_width=0))
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    except SigningError as err:
        raise SignerError(f"penandatanganan gagal: {err}") from err
    return out.getvalue()


def _read_secret(path: Path | None, what: str) -> str:
    if path is None:
        raise SignerError(f"{what} belum diatur")
    try:
        return path.read_text().strip()
    except OSError as err:
        raise SignerError(f"{what} ({path}) tidak dapat dibaca: {err}") from err


def port_from_settings(settings: CloudSettings) -> SignerPort:
    """The configured adapter (the composition root of signing); SignerError names what is
    missing, in Bahasa."""
    kind = settings.letters_signer
    if kind == "local":
        if settings.letters_ca_dir is None:
            raise SignerError("HADIR_LETTERS_CA_DIR belum diatur (folder CA dari "
                              "`hadir-cloud letters ca init`)")
        return local_ca(settings.letters_ca_dir)
    if settings.letters_trust_roots is None:
        raise SignerError("HADIR_LETTERS_TRUST_ROOTS belum diatur (berkas PEM akar CA)")
    trust = trust_from_files(settings.letters_trust_roots, settings.letters_crl_dir)
    if kind == "pkcs12":
        if settings.letters_keystore_dir is None:
            raise SignerError("HADIR_LETTERS_KEYSTORE_DIR belum diatur")
        secret = _read_secret(settings.letters_keystore_passphrase_file,
                              "HADIR_LETTERS_KEYSTORE_PASSPHRASE_FILE")
        return Pkcs12Keystore(settings.letters_keystore_dir, secret.encode(), trust)
    if settings.letters_pkcs11_module is None or not settings.letters_pkcs11_token:
        raise SignerError("HADIR_LETTERS_PKCS11_MODULE dan HADIR_LETTERS_PKCS11_TOKEN belum "
                          "diatur")
    return Pkcs11Token(settings.letters_pkcs11_module, settings.letters_pkcs11_token,
                       _read_secret(settings.letters_pkcs11_pin_file,
                                    "HADIR_LETTERS_PKCS11_PIN_FILE"), trust)


def trust_from_settings(settings: CloudSettings) -> Trust:
    """What the verify page trusts: the configured adapter's roots."""
    return port_from_settings(settings).trust()
