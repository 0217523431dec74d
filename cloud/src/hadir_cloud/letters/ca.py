"""A local certificate authority for letters (the demo and tests; a pilot without BSrE):
root CA → issuing CA → one signing certificate per official, made with `cryptography`.

`hadir-cloud letters ca init --dir D` writes, in D:

- `root.pem` (the trust root verifiers load; also `root.der`), `root.key` (0600);
- `issuing.pem`, `issuing.key` (0600): the CA that issues officials' certificates;
- `root.crl`, `issuing.crl`: certificate revocation lists, embedded in every signed letter
  (long-term validation data) and refreshed by `ca init --refresh-crl` before they expire;
- `keystore.pass` (0600): the passphrase of the officials' PKCS##12 files.

`hadir-cloud letters ca issue --dir D --nip N --name "…"` writes `D/keystore/N.p12`: the
official's key, certificate and the chain, encrypted with the keystore passphrase. The
`local` signer (signing.py) signs with those files; a real deployment points the `pkcs12`
signer at files from its own CA, or uses a token (`pkcs11`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_YEARS, ISSUING_YEARS, OFFICIAL_YEARS = 20, 10, 2
#: a CRL is valid this long; `ca init --refresh-crl` makes new ones
CRL_DAYS = 30
#: where a verifier would fetch the CRLs (printed in the certificates; never fetched by Hadir)
CRL_BASE = "http://ca.hadir.invalid/"


class CaError(RuntimeError):
    """The CA folder is missing, incomplete or refuses the request (message in Bahasa)."""


@dataclass(frozen=True)
class Issued:
    """An official's certificate as issued: where its keystore is and what it says."""

    path: Path
    subject: str
    serial: int
    not_after: datetime


def _name(cn: str, regency: str, unit: str | None = None, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, regency)]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        os.chmod(path, 0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _crl(issuer: x509.Certificate, key: ec.EllipticCurvePrivateKey, now: datetime,
         revoked: list[int] = ()) -> x509.CertificateRevocationList:  # type: ignore[assignment]
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
               .last_update(now - timedelta(minutes=5)).next_update(now + timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   key.public_key()), critical=False))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    return builder.sign(key, hashes.SHA256())


def _ca_cert(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
             signer: ec.EllipticCurvePrivateKey, now: datetime, years: int,
             path_length: int, crl: str | None) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
         .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
         .not_valid_after(now + timedelta(days=365 * years))
         .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                      False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                        critical=False))
    if crl:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl)], None, None, None)]), critical=False)
    return b.sign(signer, hashes.SHA256())


def init(folder: Path, regency: str, now: datetime | None = None) -> None:
    """Make the root and issuing CAs and their CRLs in `folder` (refused when one exists)."""
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "root.key").exists():
        raise CaError(f"{folder} sudah berisi CA (root.key); pakai folder lain atau "
                      "--refresh-crl untuk memperbarui CRL")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"Hadir Root CA {regency}", regency)
    root = _ca_cert(root_name, root_name, root_key.public_key(), root_key, now, ROOT_YEARS, 1,
                    None)
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = _ca_cert(_name(f"Hadir Issuing CA {regency}", regency), root_name,
                       issuing_key.public_key(), root_key, now, ISSUING_YEARS, 0,
                       CRL_BASE + "root.crl")
    _write(folder / "root.key", _key_pem(root_key), secret=True)
    _write(folder / "issuing.key", _key_pem(issuing_key), secret=True)
    _write(folder / "root.pem", _pem(root))
    _write(folder / "root.der", root.public_bytes(serialization.Encoding.DER))
    _write(folder / "issuing.pem", _pem(issuing))
    _write(folder / "keystore.pass", secrets.token_urlsafe(24).encode(), secret=True)
    (folder / "keystore").mkdir(exist_ok=True)
    refresh_crls(folder, now)


def _load(folder: Path, name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate((folder / f"{name}.pem").read_bytes())
        key = serialization.load_pem_private_key((folder / f"{name}.key").read_bytes(), None)
    except (OSError, ValueError) as err:
        raise CaError(f"CA di {folder} tidak dapat dibaca ({name}): {err}; buat dengan "
                      "`hadir-cloud letters ca init`") from err
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def refresh_crls(folder: Path, now: datetime | None = None) -> None:
    """Write fresh CRLs of both CAs (revoked serials listed in `revoked.txt`, one a line)."""
    now = now or datetime.now(UTC)
    revoked_file = folder / "revoked.txt"
    revoked = ([int(x) for x in revoked_file.read_text().split()]
               if revoked_file.exists() else [])
    for name in ("root", "issuing"):
        cert, key = _load(folder, name)
        _write(folder / f"{name}.crl",
               _crl(cert, key, now, revoked).public_bytes(serialization.Encoding.DER))


def passphrase(folder: Path) -> bytes:
    """The passphrase of the keystore files."""
    try:
        return (folder / "keystore.pass").read_bytes().strip()
    except OSError as err:
        raise CaError(f"{folder}/keystore.pass tidak dapat dibaca: {err}") from err


def issue(folder: Path, nip: str, name: str, unit: str = "", regency: str = "",
          now: datetime | None = None) -> Issued:
    """A signing certificate and key for an official, as `keystore/<nip>.p12` (a new one
    replaces an older file of the same NIP)."""
    now = now or datetime.now(UTC)
    issuing, issuing_key = _load(folder, "issuing")
    root, _root_key = _load(folder, "root")
    org = regency or issuing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name, str(org), unit or None, nip)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuing.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=365 * OFFICIAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuing_key.public_key()), critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(CRL_BASE + "issuing.crl")], None, None, None)]),
                critical=False)
            .sign(issuing_key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(
        nip.encode(), key, cert, [issuing, root],
        serialization.BestAvailableEncryption(passphrase(folder)))
    (folder / "keystore").mkdir(exist_ok=True)
    path = folder / "keystore" / f"{nip}.p12"
    _write(path, data, secret=True)
    return Issued(path, subject.rfc4514_string(), cert.serial_number,
                  cert.not_valid_after_utc)
