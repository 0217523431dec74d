"""Letter pages against a real database: a draft climbs the chain through the forms, the
signature runs as a job in procrastinate's real worker, the verify page (no login) says valid
for the stored PDF and not valid for a changed upload; an incoming letter is registered by TU,
disposed two levels down and becomes an LKH activity; inbox counts, the archive's full-text
search and a terbatas letter seen only by its chain and recipients."""

from __future__ import annotations

import io
import re
from pathlib import Path

import psycopg
import pytest
from hadir_cloud.portal import create_app
from hadir_cloud.settings import CloudSettings
from letters_support import (
    KABID,
    KADIS,
    KASI,
    KASUBBAG,
    PW,
    SEKRETARIS,
    STAF,
    STAF2,
    make_ca,
    now,
    seed,
)

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def site(postgres, tmp_path_factory):
    url = postgres.create_database()
    seed(url)
    ca_dir = make_ca(tmp_path_factory.mktemp("ca") / "ca")
    app = create_app(CloudSettings(database_url=url, letters_ca_dir=ca_dir),
                     SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                     SESSION_COOKIE_SECURE=False)
    yield app, url, ca_dir
    postgres.drop_database(url)


def login(app, user: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/masuk", data={"username": user, "password": PW}).status_code == 302
    return client


def run_worker_until_idle(url: str, ca_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """procrastinate's real worker, in this process, with the signer's settings."""
    from hadir_cloud.jobs.app import create_app as jobs_app

    monkeypatch.setenv("HADIR_LETTERS_CA_DIR", str(ca_dir))
    jobs_app(url).run_worker(wait=False, install_signal_handlers=False,
                             additional_context={"conninfo": url}, name="tes")


def _id(resp) -> int:  # type: ignore[no-untyped-def]
    return int(re.search(r"/surat/(\d+)", resp.headers["Location"]).group(1))  # type: ignore[union-attr]


FORM = {"jenis": "surat_dinas", "penandatangan": "KADIS", "perihal": "Rapat koordinasi "
        "perjalanan dinas imunisasi", "kepada": "Kepala Puskesmas se-Kabupaten Ogan Ilir",
        "isi": "Dengan hormat,\n\nKami mengundang Bapak/Ibu.", "klasifikasi": "090",
        "sifat": "segera", "akses": "biasa"}


def test_draft_to_signed_through_the_pages_and_the_verify_page(site, monkeypatch):
    app, url, ca_dir = site
    staf = login(app, STAF)
    assert "Belum ada surat yang Anda susun" in staf.get("/surat").get_data(as_text=True)
    bad = staf.post("/surat/baru", data={**FORM, "perihal": ""})
    assert bad.status_code == 400 and 'id="perihal-error"' in bad.get_data(as_text=True)
    resp = staf.post("/surat/baru", data={**FORM, "tembusan": [KASUBBAG]})
    assert resp.status_code == 302
    lid = _id(resp)
    unsigned = staf.get(f"/surat/{lid}/pratinjau.pdf").data
    assert unsigned.startswith(b"%PDF")
    staf.post(f"/surat/{lid}/aksi", data={"aksi": "ajukan"})
    kasi = login(app, KASI)
    page = kasi.get("/surat?kotak=paraf").get_data(as_text=True)
    assert f'data-id="{lid}"' in page and re.search(r'data-box="paraf".*?count">1<', page)
    kasi.post(f"/surat/{lid}/aksi", data={"aksi": "paraf", "perihal": FORM["perihal"],
                                          "kepada": FORM["kepada"],
                                          "isi": FORM["isi"] + "\n\nTempat: Aula Dinkes."})
    kabid = login(app, KABID)
    kabid.post(f"/surat/{lid}/aksi", data={"aksi": "kembalikan", "catatan": "Tambah jamnya"})
    shown = staf.get(f"/surat/{lid}").get_data(as_text=True)
    assert "Tambah jamnya" in shown and 'class="add"' in shown  # the Kasi's edit, as a diff
    staf.post(f"/surat/{lid}/ubah", data={**FORM, "tembusan": [KASUBBAG],
                                          "isi": FORM["isi"] + "\n\nPukul 09.00 WIB.",
                                          "aksi": "ajukan"})
    for who in (KASI, KABID, SEKRETARIS):
        assert login(app, who).post(f"/surat/{lid}/aksi", data={"aksi": "paraf"}
                                    ).status_code == 302
    kadis = login(app, KADIS)
    assert 'id="sign"' in kadis.get(f"/surat/{lid}").get_data(as_text=True)
    resp = kadis.post(f"/surat/{lid}/tandatangani")
    job_url = resp.headers["Location"]
    assert "Menunggu pekerja" in kadis.get(job_url).get_data(as_text=True)
    run_worker_until_idle(url, ca_dir, monkeypatch)
    done = kadis.get(job_url + "/kemajuan").get_data(as_text=True)
    year = now().year
    assert f"090/0001/DINKES/{year}" in done and 'id="download"' in done
    pdf = staf.get(f"/surat/{lid}/surat.pdf").data
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf
    with psycopg.connect(url, autocommit=True) as conn:
        token = conn.execute("SELECT verify_token FROM letters WHERE id = %s",
                             (lid,)).fetchone()[0]
    anyone = app.test_client()
    page = anyone.get(f"/verifikasi/{token}").get_data(as_text=True)
    assert 'data-valid="ya"' in page and f"090/0001/DINKES/{year}" in page
    assert "Pegawai " + KADIS[-4:] in page
    changed = bytearray(pdf)
    changed[changed.index(b"/Producer") + 12] ^= 1
    page = anyone.post("/verifikasi", data={"berkas": (io.BytesIO(bytes(changed)), "s.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-valid="tidak"' in page and "diubah setelah ditandatangani" in page
    assert f"090/0001/DINKES/{year}" in page
    page = anyone.post("/verifikasi", data={"berkas": (io.BytesIO(pdf), "s.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-valid="ya"' in page
    page = anyone.post("/verifikasi", data={"berkas": (io.BytesIO(unsigned), "x.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "tidak bertanda tangan" in page
    # the copy's inbox, then the archive finds it by a stemmed word
    kasubbag_box = login(app, KASUBBAG)
    assert f'data-id="{lid}"' in kasubbag_box.get("/surat?kotak=tembusan").get_data(as_text=True)
    found = login(app, STAF2).get("/surat/arsip?q=jalan").get_data(as_text=True)
    assert f'data-id="{lid}"' in found  # "perjalanan" stems to "jalan"


def test_incoming_disposed_two_levels_down_becomes_an_lkh_activity(site):
    app, url, _ca = site
    tu = login(app, "tu")
    form = {"unit": "DINKES", "pengirim": "Kementerian Kesehatan", "nomor_surat":
            "PR.01/123/2026", "tanggal_surat": now().date().isoformat(), "perihal":
            "Pelaksanaan Bulan Imunisasi Anak Sekolah", "klasifikasi": "440", "sifat": "segera",
            "akses": "biasa"}
    bad = tu.post("/surat/masuk/baru", data=form, content_type="multipart/form-data")
    assert bad.status_code == 400 and 'id="pindaian-error"' in bad.get_data(as_text=True)
    resp = tu.post("/surat/masuk/baru", data={**form, "pindaian": (io.BytesIO(MINIMAL_PDF),
                                                                     "surat.pdf")},
                   content_type="multipart/form-data")
    assert resp.status_code == 302
    lid = int(resp.headers["Location"].rsplit("/", 1)[1])
    kadis = login(app, KADIS)
    assert f'data-id="{lid}"' in kadis.get("/surat?kotak=masuk").get_data(as_text=True)
    with psycopg.connect(url, autocommit=True) as conn:
        root = conn.execute("SELECT id FROM dispositions WHERE letter_id = %s",
                            (lid,)).fetchone()[0]
    page = kadis.get(f"/surat/masuk/{lid}").get_data(as_text=True)
    assert f'value="{KABID}"' in page and 'id="dispose-form"' in page
    kadis.post(f"/surat/masuk/disposisi/{root}", data={"kepada": [KABID],
                                                       "instruksi": "Tindak lanjuti"})
    kabid = login(app, KABID)
    with psycopg.connect(url, autocommit=True) as conn:
        mine = conn.execute("SELECT id FROM dispositions WHERE letter_id = %s AND to_nip = %s",
                            (lid, KABID)).fetchone()[0]
    refused = kabid.post(f"/surat/masuk/disposisi/{mine}", data={"kepada": [SEKRETARIS],
                                                                 "instruksi": "x"})
    assert refused.status_code == 302  # the Sekretaris is not below the Kabid: refused
    kabid.post(f"/surat/masuk/disposisi/{mine}", data={"kepada": [KASI],
                                                       "instruksi": "Siapkan jadwal"})
    kasi = login(app, KASI)
    lkh = kasi.get("/lkh").get_data(as_text=True)
    assert "Pelaksanaan Bulan Imunisasi" in lkh and "Siapkan jadwal" in lkh
    with psycopg.connect(url, autocommit=True) as conn:
        last = conn.execute("SELECT id FROM dispositions WHERE letter_id = %s AND to_nip = %s",
                            (lid, KASI)).fetchone()[0]
    resp = kasi.post(f"/surat/masuk/disposisi/{last}/lkh")
    assert resp.status_code == 302 and "/lkh/" in resp.headers["Location"]
    day = kasi.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tindak lanjut disposisi surat" in day and f"/surat/masuk/{lid}" in day
    assert "Pelaksanaan Bulan Imunisasi" not in kasi.get("/lkh").get_data(as_text=True)
    sheet = kasi.get(f"/surat/masuk/{lid}/lembar-disposisi.pdf")
    assert sheet.data.startswith(b"%PDF")
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT state FROM letters WHERE id = %s", (lid,)).fetchone()[0] \
            == "selesai"


def test_a_terbatas_letter_is_seen_by_its_chain_and_recipients_only(site):
    app, _url, _ca = site
    staf = login(app, STAF)
    resp = staf.post("/surat/baru", data={**FORM, "akses": "terbatas", "perihal":
                                          "Pemeriksaan disiplin pegawai", "tembusan": [KASUBBAG]})
    lid = _id(resp)
    staf.post(f"/surat/{lid}/aksi", data={"aksi": "ajukan"})
    from hadir_cloud.notify.store import collect

    with psycopg.connect(_url, autocommit=True) as conn:  # the notice, once
        assert collect(conn, now().date()) >= 1
        collect(conn, now().date())
        assert conn.execute("SELECT count(*) FROM notifications WHERE username = %s AND kind = "
                            "'surat_paraf' AND link = %s", (KASI, f"/surat/{lid}")
                            ).fetchone()[0] == 1
    assert login(app, KASI).get(f"/surat/{lid}").status_code == 200  # next in the chain
    assert login(app, KASUBBAG).get(f"/surat/{lid}").status_code == 200  # a copy
    assert login(app, STAF2).get(f"/surat/{lid}").status_code == 403  # same Seksi, not in it
    assert login(app, "bkpsdm").get(f"/surat/{lid}").status_code == 403  # regency HR neither
    assert "Pemeriksaan disiplin" not in login(app, "bkpsdm").get(
        "/surat/arsip?q=disiplin").get_data(as_text=True)
