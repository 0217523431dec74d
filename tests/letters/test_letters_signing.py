"""Outgoing letters against a real PostgreSQL and tools Hadir did not write: a draft climbs
staf → Kasi → Kabid → Sekretaris → Kepala with a return and a fix, is signed with a key of the
local CA; poppler's `pdfsig` finds the signature valid against the CA (an NSS database made
with `certutil`), `zbarimg` reads the verification URL from a `pdftoppm` render, and one
changed byte makes both pdfsig and Hadir's verifier say it is not valid. Twenty letters
signed at once get twenty consecutive numbers; a failed signature uses no number; an
approved surat tugas turns the TPP run's TK days of the people it names into DL."""

from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.letters import store
from hadir_cloud.letters.domain import Access, Duty, Kind, LetterError, Move, State
from hadir_cloud.letters.rules import shipped
from hadir_cloud.letters.signing import SignerError, local_ca
from hadir_cloud.letters.verify import verify
from hadir_cloud.requests.kinds import load_kinds, shipped_path
from letters_support import (
    KABID,
    KADIS,
    KASI,
    SEKRETARIS,
    STAF,
    STAF2,
    last_week,
    make_ca,
    now,
    seed,
)

RULES = shipped()
KINDS = load_kinds(shipped_path())
BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca") / "ca")


@pytest.fixture
def db(fresh_db: str) -> str:
    seed(fresh_db)
    return fresh_db


def _draft(conn, kind: Kind = Kind.SURAT_DINAS, **content):  # type: ignore[no-untyped-def]
    fields = {"subject": "Rapat koordinasi imunisasi", "body": "Dengan hormat,\n\nKami "
              "mengundang Bapak/Ibu.", "addressee": "Kepala Puskesmas se-Kabupaten Ogan Ilir",
              "classification": "440"}
    fields.update(content)
    return store.draft(conn, RULES, kind, STAF, "KADIS", now(), **fields)


def _through_chain(conn, letter_id: str) -> None:  # type: ignore[no-untyped-def]
    store.act(conn, RULES, letter_id, Move.AJUKAN, STAF, now())
    for nip in (KASI, KABID, SEKRETARIS):
        store.act(conn, RULES, letter_id, Move.PARAF, nip, now())


def _nss(ca_dir: Path, tmp: Path) -> str:
    """An NSS database that trusts the CA's root, for pdfsig."""
    nss = tmp / "nss"
    nss.mkdir()
    for args in (["-N", "--empty-password"],
                 ["-A", "-n", "hadir-root", "-t", "CT,C,C", "-i", str(ca_dir / "root.pem")]):
        subprocess.run(["certutil", *args, "-d", f"sql:{nss}"], check=True, capture_output=True)
    return f"sql:{nss}"


def _pdfsig(pdf: Path, nss: str) -> str:
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(pdf)], capture_output=True, text=True,
                         timeout=60)
    return out.stdout


def test_chain_return_fix_sign_and_tools_agree(db: str, ca_dir: Path, tmp_path: Path) -> None:
    for tool in ("pdfsig", "certutil", "pdftoppm", "zbarimg"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/system-deps.sh installs it")
    port = local_ca(ca_dir)
    with psycopg.connect(db, autocommit=True) as conn:
        x = _draft(conn, copies=(KASI,))
        after = store.act(conn, RULES, x.id, Move.AJUKAN, STAF, now())
        assert after.chain == ("KASI", "KABID", "SEKRETARIS")
        assert after.state is State.DIPERIKSA
        with pytest.raises(LetterError, match="menunggu"):  # not the Kabid's turn yet
            store.act(conn, RULES, x.id, Move.PARAF, KABID, now())
        store.act(conn, RULES, x.id, Move.PARAF, KASI, now())
        back = store.act(conn, RULES, x.id, Move.KEMBALIKAN, KABID, now(),
                         note="Sebutkan tanggal rapat")
        assert back.state is State.DIKEMBALIKAN
        fixed = store.act(conn, RULES, x.id, Move.UBAH, STAF, now(),
                          body=x.body + "\n\nRapat diadakan Senin, 7 Desember 2026.")
        assert fixed.version == 2
        _through_chain(conn, x.id)
        ready = store.load(conn, x.id)
        assert ready.state is State.SIAP_TTD
        assert [n for n, _ in ready.initialled_by()] == [KASI, KABID, SEKRETARIS]
        signed = store.sign(conn, RULES, port, KINDS, x.id, KADIS, now(), BASE)
        year = now().year
        assert signed.number == f"440/0001/DINKES/{year}"
        number, pdf = store.signed_pdf(conn, x.id)  # type: ignore[misc]
        token = conn.execute("SELECT verify_token FROM letters WHERE id = %s",
                             (int(x.id),)).fetchone()[0]
        assert len(store.versions(conn, x.id)) == 2
    path = tmp_path / "surat.pdf"
    path.write_bytes(pdf)
    nss = _nss(ca_dir, tmp_path)
    report = _pdfsig(path, nss)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Total document signed" in report
    assert "Signer Certificate Common Name: dr. Kepala Dinas" in report
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")],
                        capture_output=True, text=True, check=True).stdout.strip()
    assert qr == f"{BASE}/verifikasi/{token}"
    good = verify(pdf, port.trust())
    assert good.valid and good.signer == "dr. Kepala Dinas"
    # one changed byte inside the signed range
    bad = bytearray(pdf)
    at = bad.index(b"/Producer") + 12
    bad[at] ^= 0x01
    (tmp_path / "ubah.pdf").write_bytes(bytes(bad))
    report = _pdfsig(tmp_path / "ubah.pdf", nss)
    assert "Signature is Valid." not in report and "Digest Mismatch" in report, report
    verdict = verify(bytes(bad), port.trust())
    assert not verdict.valid and not verdict.intact
    assert verdict.signature_sha256 == good.signature_sha256  # still recognised as the letter
    # a PDF from a CA nobody trusts
    other = make_ca(tmp_path / "lain")
    assert not verify(pdf, local_ca(other).trust()).valid


def test_twenty_letters_signed_at_once_get_twenty_consecutive_numbers(db: str,
                                                                      ca_dir: Path) -> None:
    port = local_ca(ca_dir)
    with psycopg.connect(db, autocommit=True) as conn:
        ids = []
        for i in range(20):
            x = _draft(conn, subject=f"Surat ke-{i + 1}")
            _through_chain(conn, x.id)
            ids.append(x.id)
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def one(letter_id: str) -> None:
        try:
            with psycopg.connect(db, autocommit=True) as conn:
                start.wait()
                numbers.append(store.sign(conn, RULES, port, KINDS, letter_id, KADIS, now(),
                                          BASE).number or "")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    seqs = sorted(int(n.split("/")[1]) for n in numbers)
    assert seqs == list(range(1, 21)), numbers
    with psycopg.connect(db, autocommit=True) as conn:
        stored = [r[0] for r in conn.execute("SELECT seq FROM letters WHERE seq IS NOT NULL "
                                             "ORDER BY seq")]
        assert stored == list(range(1, 21))
        assert conn.execute("SELECT last FROM letter_counters").fetchone()[0] == 20


def test_a_failed_signature_uses_no_number(db: str, tmp_path: Path) -> None:
    """A signer without a certificate: the signing fails, the counter stays, nothing stored."""
    from hadir_cloud.letters import ca

    folder = tmp_path / "ca"
    ca.init(folder, "Kabupaten Ogan Ilir")  # no certificate for the Kepala yet
    port = local_ca(folder)
    with psycopg.connect(db, autocommit=True) as conn:
        x = _draft(conn)
        _through_chain(conn, x.id)
        with pytest.raises(SignerError, match="belum ada sertifikat"):
            store.sign(conn, RULES, port, KINDS, x.id, KADIS, now(), BASE)
        assert store.load(conn, x.id).state is State.SIAP_TTD
        assert conn.execute("SELECT count(*) FROM letter_counters WHERE last > 0"
                            ).fetchone()[0] == 0
        ca.issue(folder, KADIS, "dr. Kepala Dinas")
        assert store.sign(conn, RULES, port, KINDS, x.id, KADIS, now(), BASE).number \
            .split("/")[1] == "0001"


def test_approved_surat_tugas_turns_tk_into_dl_in_the_tpp_run(db: str, ca_dir: Path) -> None:
    from hadir_cloud.tpp import store as tpp_store

    start, end = last_week(0), last_week(2)
    month = start.strftime("%Y-%m")
    before = tpp_store.run_month(db, month, "SURV", "tes")
    with psycopg.connect(db, autocommit=True) as conn:
        live = {n: tpp_store.live_tpp(conn, month, n) for n in (STAF, STAF2)}
        assert all({start, end} <= set(r.tk_dates) for r in live.values())
        x = _draft(conn, Kind.SURAT_TUGAS, subject="Pendampingan imunisasi di Puskesmas",
                   classification="090", people=(STAF, STAF2),
                   duty=Duty("Puskesmas Tanjung Raja", -3.3450, 104.7790, 200, start, end))
        _through_chain(conn, x.id)
        store.sign(conn, RULES, local_ca(ca_dir), KINDS, x.id, KADIS, now(), BASE)
        reqs = conn.execute("SELECT nip, request_id FROM letter_people ORDER BY nip").fetchall()
        assert [r[0] for r in reqs] == sorted([STAF, STAF2]) and all(r[1] for r in reqs)
        for nip in (STAF, STAF2):
            result = tpp_store.live_tpp(conn, month, nip)
            days = {s.day: s.status for s in result.statuses}
            assert [days[start + timedelta(days=i)] for i in range(3)] == ["dl", "dl", "dl"]
            assert not {start, end} & set(result.tk_dates)
        queued = conn.execute("SELECT count(*) FROM duty_deliveries").fetchone()[0]
        assert queued == 2  # the kiosks of the place get the duty (devices/duties.py)
    after = tpp_store.run_month(db, month, "SURV", "tes", reason="surat tugas ditandatangani")
    with psycopg.connect(db, autocommit=True) as conn:
        runs = {run: {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT nip, tk_dates, status_counts FROM tpp_results WHERE run_id = %s",
            (run,))} for run in (before.id, after.id)}
    days = {start + timedelta(days=i) for i in range(3)}
    for nip in (STAF, STAF2):
        (tk_before, counts_before), (tk_after, counts_after) = (runs[before.id][nip],
                                                                runs[after.id][nip])
        assert days <= set(tk_before) and not days & set(tk_after), nip
        assert counts_after.get("DL", 0) == counts_before.get("DL", 0) + 3
        assert counts_after["TK"] == counts_before["TK"] - 3


def test_terbatas_and_content_problems(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        with pytest.raises(LetterError, match="klasifikasi"):
            _draft(conn, classification="999")
        x = _draft(conn, access=Access.TERBATAS)
        with pytest.raises(LetterError, match="hanya penyusun"):
            store.act(conn, RULES, x.id, Move.AJUKAN, KASI, now())
        store.act(conn, RULES, x.id, Move.UBAH, STAF, now(), signer_position="KASUBBAG")
        with pytest.raises(LetterError, match="bukan atasan"):
            store.act(conn, RULES, x.id, Move.AJUKAN, STAF, now())
        assert store.load(conn, x.id).access is Access.TERBATAS


def test_a_remote_signing_service_signs_through_the_adapter_shape(ca_dir: Path) -> None:
    """The BSrE-style port: the key stays with the 'service' (here one that holds a key of the
    local CA and signs digests); the PDF verifies like any other."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    from hadir_cloud.letters.ca import passphrase
    from hadir_cloud.letters.pdf import Person, Printed, render_letter
    from hadir_cloud.letters.signing import RemoteService, sign_pdf
    from hadir_cloud.org.letterhead import Kop

    class Service:
        def __init__(self) -> None:
            self.asked: list[str] = []
            self.key, cert, chain = pkcs12.load_key_and_certificates(
                (ca_dir / "keystore" / f"{KADIS}.p12").read_bytes(), passphrase(ca_dir))
            self.chain = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))
                          for c in [cert, *chain]]

        def certificates(self, nip: str) -> list[asn1_x509.Certificate]:
            return self.chain if nip == KADIS else []

        def sign_digest(self, nip: str, digest: bytes, algorithm: str) -> bytes:
            self.asked.append(nip)
            assert algorithm == "sha256" and isinstance(self.key, ec.EllipticCurvePrivateKey)
            return self.key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    service = Service()
    port = RemoteService(service, local_ca(ca_dir).trust())
    kop = Kop("PEMERINTAH KABUPATEN OGAN ILIR", "DINAS KESEHATAN", None, None, None, None,
              "Indralaya")
    pdf, box = render_letter(Printed("surat_keterangan", "Surat Keterangan", kop, "Keterangan",
                                     "Isi.", "", "000", "biasa", "Indralaya", now().date(),
                                     "Kepala Dinas Kesehatan", None, Person(KADIS, "dr. K"),
                                     number="000/0009/DINKES/2026", verify_url=BASE))
    assert box is not None
    signed = sign_pdf(pdf, port, KADIS, box, "uji", "Indralaya", "dr. K")
    assert service.asked == [KADIS]
    assert verify(signed, port.trust()).valid
    with pytest.raises(SignerError, match="tidak mengenal"):
        sign_pdf(pdf, port, STAF, box, "uji", "Indralaya", "x")
